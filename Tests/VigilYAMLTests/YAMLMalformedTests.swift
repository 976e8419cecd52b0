import Foundation
import Testing
import VigilTestSupport
import VigilYAML

/// One broken document from `Fixtures/malformed.txt`.
struct MalformedCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var mark: YAMLMark

    var testDescription: String { name }

    /// Splits the fixture on `=== name @ line:column` headers.
    static func load(file: StaticString = #filePath) -> [MalformedCase] {
        let fixture: String
        do {
            fixture = try Fixtures.string("malformed.txt", file: file)
        } catch {
            preconditionFailure("Fixtures/malformed.txt could not be read: \(error)")
        }
        var cases: [MalformedCase] = []
        for line in fixture.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("=== ") {
                let header = line.dropFirst(4).split(separator: "@")
                let position = header[1].trimmingCharacters(in: .whitespaces).split(separator: ":")
                guard header.count == 2, position.count == 2, let l = Int(position[0]), let c = Int(position[1]) else {
                    preconditionFailure("malformed.txt: bad header '\(line)'")
                }
                let name = header[0].trimmingCharacters(in: .whitespaces)
                cases.append(MalformedCase(name: name, text: "", mark: YAMLMark(line: l, column: c)))
            } else if !cases.isEmpty {
                cases[cases.count - 1].text += line + "\n"
            }
        }
        precondition(cases.count >= 10, "malformed.txt holds too few cases")
        return cases.map { item in
            var item = item
            if item.text.hasSuffix("\n\n") { item.text.removeLast() }
            return item
        }
    }
}

@Suite struct YAMLMalformedTests {
    @Test("broken documents give yaml.syntax with file:line:column", arguments: MalformedCase.load())
    func malformed(_ item: MalformedCase) throws {
        let error = try #require(throws: YAMLError.self) { try YAMLParser.parse(item.text, file: "broken.yml") }
        #expect(error.code == "yaml.syntax")
        #expect(error.mark == item.mark)
        #expect(error.file == "broken.yml")
        #expect(error.description.hasPrefix("broken.yml:\(item.mark.line):\(item.mark.column): invalid YAML: "))
        #expect(error.location?.line == item.mark.line)
    }

    @Test("every prefix of a valid document parses or fails cleanly", arguments: [1, 2, 3, 7])
    func truncated(step: Int) throws {
        let text = "a: &x [1, {b: \"two\", c: 'three'}]\nd: *x\ne: |\n  text\n"
        let bytes = Array(text.utf8)
        var failures = 0
        for end in stride(from: 0, to: bytes.count, by: step) {
            let prefix = String(decoding: bytes[..<end], as: UTF8.self)
            do {
                _ = try YAMLParser.parse(prefix)
            } catch let error as YAMLError {
                failures += 1
                #expect(error.mark != nil, "prefix of \(end) bytes: \(error)")
            }
        }
        #expect(failures > 0)
    }

    @Test("binary noise gives an error, not a crash", arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func binaryNoise(seed: UInt64) {
        var generator = SeededRandom(seed: seed)
        let bytes = (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(throws: YAMLError.self) { try YAMLParser.parse(text, file: "noise.bin") }
    }

    @Test func controlCharacterPositionIsReported() throws {
        let error = try #require(throws: YAMLError.self) {
            try YAMLParser.parse("a: 1\nbb: x\u{7}y\n", file: "ctl.yml")
        }
        #expect(error.code == "yaml.syntax")
        #expect(error.mark == YAMLMark(line: 2, column: 6))
        #expect(error.message.contains("control characters"))
    }

    @Test func readingAFileNamesThePath() throws {
        let missing = "/nonexistent/vigil/rules.yml"
        let error = try #require(throws: YAMLError.self) { try YAMLParser.parse(contentsOf: missing) }
        #expect(error.code == "yaml.read")
        #expect(error.description.hasPrefix(missing))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-\(UUID().uuidString).yml")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]).write(to: url)
        let encoding = try #require(throws: YAMLError.self) { try YAMLParser.parse(contentsOf: url.path) }
        #expect(encoding.code == "yaml.encoding")
        try Data("a: [1\n".utf8).write(to: url)
        let syntax = try #require(throws: YAMLError.self) { try YAMLParser.parse(contentsOf: url.path) }
        #expect(syntax.file == url.path)
        try Data("a: 1\n".utf8).write(to: url)
        #expect(try YAMLParser.parse(contentsOf: url.path).first?["a"]?.scalar == "1")
    }
}
