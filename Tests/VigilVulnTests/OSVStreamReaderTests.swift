import Foundation
import Testing
import VigilTestSupport

@testable import VigilVuln

/// The one-pass OSV reader must give exactly what the JSON tree gives, or give up so the tree is read.
struct OSVStreamReaderTests {
    static let shapes: [String] = [
        #"[]"#, #"{}"#, #"[1, "x", null, {}]"#, #"{"id": 5}"#,
        #"{"id": "A", "withdrawn": "2024-01-01", "affected": []}"#,
        #"{"id": "A", "withdrawn": 1, "affected": [{"package": {"ecosystem": "Debian:12", "name": "p"}, "versions": ["1"]}]}"#,
        #"[{"id": "A", "aliases": ["CVE-1", 2, "CVE-3"], "severity": [{"type": "x"}, {"score": "S2"}], "database_specific": {"severity": "HIGH"}, "affected": [{"package": {"name": "p", "ecosystem": "Debian:12"}, "ranges": [{"events": [{"fixed": "2", "introduced": "0"}, {"introduced": "3"}, {"last_affected": "4"}, {"limit": "9"}, 7], "type": "ECOSYSTEM"}, {"type": "GIT", "events": [{"fixed": "abc"}]}], "versions": ["1", 1.5, "1.1"]}]}]"#,
        #"{"id": "B", "severity": [{"score": "CVSS:3.1/AV:N"}], "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}}, {"package": "p"}, 3, {"package": {"ecosystem": "Alpine:v3.19", "name": "musl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.4_alpha1-r0"}]}]}]}"#,
        #"{"id": "C", "severity": "x", "aliases": "y", "affected": {"a": 1}, "database_specific": {"severity": 3}}"#,
        #"{"id": "D", "affected": [{"package": {"ecosystem": "Debian:12", "name": "p"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0 beta"}]}]}]}"#,
        #"{"id": "E", "id": "F", "affected": []}"#,
        #"{"i\u0064": "E", "affected": []}"#,
        #"{"id": "G\u00e9\ud83d\ude00", "affected": [{"package": {"ecosystem": "Debian:12", "name": "p\n"}, "versions": ["1"], "x": {"y": [1e5, -0.5, true, false, null]}}]}"#,
        #"[{"id": "A"}] x"#, #"[{"id": "A"},]"#, #"{"id": "A", "affected": [{"package": {"name": "p""#, "\"id\"", "",
        "[{\"id\": \"A\u{1}\"}]",
        #"{"id": "H", "affected": [{"package": {"ecosystem": "Debian:12", "name": "p", "name": "q"}}]}"#,
    ]

    static func same(_ text: String, file: String = "s.json") -> Bool {
        let data = Data(text.utf8)
        let stream = OSVLoader.load(data, file: file)
        let tree = OSVLoader.loadTree(data, file: file)
        return stream.advisories == tree.advisories && stream.problems == tree.problems
    }

    @Test(arguments: shapes)
    func sameAsTheTree(text: String) {
        #expect(Self.same(text), "\(text)")
    }

    @Test func theUsualShapesAreReadWithoutTheTree() throws {
        for name in ["osv-dsa.json", "osv-mixed.json"] {
            let data = try Fixtures.data(name)
            #expect(OSVStreamReader.records(data) != nil, "\(name)")
            #expect(Self.same(String(decoding: data, as: UTF8.self), file: name))
        }
        #expect(OSVStreamReader.records(Data(Self.shapes[6].utf8))?.first?.affected.first?.ranges.count == 1)
        // Given up: a repeated member, an escaped name, invalid JSON.
        for index in [10, 11, 13, 14, 15] { #expect(OSVStreamReader.records(Data(Self.shapes[index].utf8)) == nil) }
    }

    @Test func everyTruncationOfAFixtureIsReadAsTheTreeReadsIt() throws {
        let data = try Fixtures.data("osv-mixed.json")
        for length in stride(from: 0, to: data.count, by: max(1, data.count / 200)) {
            #expect(Self.same(String(decoding: data.prefix(length), as: UTF8.self)), "length \(length)")
        }
    }

    @Test func binaryNoise() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let bytes = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            let data = Data([UInt8]("[{\"id\": \"A\", ".utf8) + bytes)
            let stream = OSVLoader.load(data, file: "n.json")
            let tree = OSVLoader.loadTree(data, file: "n.json")
            #expect(stream.advisories == tree.advisories && stream.problems == tree.problems)
        }
    }
}
