import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilRules

/// The built-in ruleset in `Rules/`: it loads cleanly, every rule carries its id, ATT&CK and PCI DSS tags,
/// and every detection rule has a matching and a non-matching event in `Fixtures/builtin-cases.txt`.
@Suite struct BuiltinRulesTests {
    static let directory = ReferenceEnvironment.packageRoot.appendingPathComponent("Rules")

    static func files() -> [URL] {
        let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let url = walker?.nextObject() as? URL {
            if url.pathExtension == "yml" { files.append(url) }
        }
        return files.sorted { $0.path < $1.path }
    }

    static func relative(_ url: URL) -> String {
        String(url.path.dropFirst(directory.path.count + 1))
    }

    static func load() throws -> RuleLoadResult {
        try SigmaLoader.load(files().map { (try String(contentsOf: $0, encoding: .utf8), relative($0)) })
    }

    /// An event from a fixture line's kind and payload.
    static func event(kind: String, payload: String, number: Int) throws -> Event {
        let parts = payload.components(separatedBy: " ␟ ")
        switch kind {
        case "proc":
            return Event(
                id: "case-\(number)", classUID: .processActivity, activityID: Activity.Process.launch, time: 0,
                metadata: EventMetadata(logName: "proc"),
                process: Process(cmdLine: parts[1], file: FileObject(path: parts[0]), user: User(name: "root")))
        case "file":
            let head = parts[0].split(separator: " ", maxSplits: 1)
            let activity =
                [
                    "create": Activity.File.create, "update": Activity.File.update, "delete": Activity.File.delete,
                    "read": Activity.File.read,
                ][String(head[0])] ?? Activity.File.update
            return Event(
                id: "case-\(number)", classUID: .fileSystemActivity, activityID: activity, time: 0,
                metadata: EventMetadata(logName: "fim"),
                actor: Actor(process: Process(file: FileObject(path: parts[1]))),
                file: FileObject(path: String(head[1])))
        default:
            let decoded = try EventDecoder.decode(payload, number: number, year: 2026)
            return try #require(decoded?.1)
        }
    }

    @Test func loadsWithoutDiagnostics() throws {
        let result = try BuiltinRulesTests.load()
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.description))")
        #expect(result.rules.count + result.correlations.count >= 40)
        #expect(result.correlations.count >= 3)
        let all = result.rules.map(\.metadata) + result.correlations.map(\.metadata)
        #expect(Set(all.compactMap(\.id)).count == all.count, "every rule has its own id")
        for metadata in all {
            #expect(metadata.id != nil, "\(metadata.title) has no id")
            #expect(metadata.tags.contains { $0.hasPrefix("attack.t") }, "\(metadata.title) has no ATT&CK technique")
            #expect(metadata.tags.contains { $0.hasPrefix("pci_dss.") }, "\(metadata.title) has no PCI DSS tag")
            #expect(metadata.level != nil, "\(metadata.title) has no level")
        }
    }

    @Test func everyRuleHasPositiveAndNegativeCases() throws {
        let result = try BuiltinRulesTests.load()
        let set = RuleSet(rules: result.rules)
        let matcher = RuleMatcher(set)
        var positives: [String: Int] = [:]
        var negatives: [String: Int] = [:]
        let lines = try Fixtures.string("builtin-cases.txt").split(separator: "\n")
        for (number, line) in lines.enumerated() where !line.hasPrefix("#") {
            var fields = line.components(separatedBy: " | ")
            try #require(fields.count >= 4, "bad case line \(number + 1): \(line)")
            fields = Array(fields[0..<3]) + [fields[3...].joined(separator: " | ")]
            let (file, sign, kind, payload) = (fields[0], fields[1], fields[2], fields[3])
            let index = try #require(
                result.rules.firstIndex { $0.metadata.origin.file == file }, "no built-in rule in \(file)")
            let event = try BuiltinRulesTests.event(kind: kind, payload: payload, number: number + 1)
            let matched = matcher.matches(event).contains(index)
            if sign == "+" {
                positives[file, default: 0] += 1
                #expect(matched, "line \(number + 1): \(file) should match \(payload)")
            } else {
                negatives[file, default: 0] += 1
                #expect(!matched, "line \(number + 1): \(file) should not match \(payload)")
            }
        }
        for rule in result.rules {
            let file = rule.metadata.origin.file
            #expect(positives[file] != nil, "\(file) has no matching case")
            #expect(negatives[file] != nil, "\(file) has no non-matching case")
        }
    }
}
