import Foundation
import Testing
import VigilTestSupport

@testable import VigilRules

/// Vigil's matches against pySigma's SQLite backend over the same rules and events.
@Suite struct DifferentialTests {
    /// Cases where the reference is known to answer wrongly: the reason, and which (event, rule) pairs it
    /// affects. Those pairs are left out of the comparison (and counted in the output).
    static let referenceBugs: [(reason: String, applies: @Sendable (FlatEvent, SigmaRule) -> Bool)] = [
        (
            "pySigma's SQLite backend turns |cidr into LIKE prefixes of the address text, so an IPv6 address "
                + "written without '::' compression (0:0:0:0:0:0:0:1 is ::1) is never inside an IPv6 network",
            { event, rule in
                let usesCIDR = rule.selections.contains { s in
                    s.groups.contains { g in
                        g.contains { t in t.values.contains { if case .cidr = $0 { true } else { false } } }
                    }
                }
                return usesCIDR && event.fields.values.contains { $0.contains(":") && !$0.contains("::") }
            }
        )
    ]

    static func isReferenceBug(_ event: FlatEvent, _ rule: SigmaRule) -> Bool {
        referenceBugs.contains { $0.applies(event, rule) }
    }

    @Test func matchesAgreeWithPySigmaSQLite() throws {
        guard let files = CorpusLoadTests.activeRuleFiles() else {
            print(Corpora.skipMessage(CorpusLoadTests.corpus))
            return
        }
        let python: URL
        switch ReferenceEnvironment.prepare() {
        case .success(let url): python = url
        case .failure(let reason):
            print(reason)
            return
        }
        var loaded = RuleLoadResult()
        var paths: [String: String] = [:]
        for url in files {
            let result = SigmaLoader.loadFile(try String(contentsOf: url, encoding: .utf8), file: url.path)
            for rule in result.rules { paths[rule.metadata.key] = url.path }
            loaded.merge(result)
        }
        let rules = loaded.rules
        // VIGIL_DIFF_SEED picks another deterministic event set (to explore; the suite uses the default).
        let seed = ProcessInfo.processInfo.environment["VIGIL_DIFF_SEED"].flatMap { UInt64($0) } ?? 0x5167_6D61
        var generator = SigmaEventGenerator(rules: rules, seed: seed)
        generator.generate(rules, minimum: 20_000)
        let events = generator.events
        #expect(events.count >= 20_000)

        // Inputs for the reference.
        let work = ReferenceEnvironment.work
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let ruleList = rules.map {
            ["key": $0.metadata.key, "path": paths[$0.metadata.key] ?? "", "logsource": $0.logSource.indexKey]
        }
        try JSONSerialization.data(withJSONObject: ruleList).write(to: work.appendingPathComponent("rules.json"))
        var lines = ""
        for event in events {
            let object: [String: Any] = ["id": event.id, "ls": event.logSource, "f": event.fields]
            lines += String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n"
        }
        try Data(lines.utf8).write(to: work.appendingPathComponent("events.jsonl"))
        let script = Fixtures.url("pysigma_reference.py").path
        let (status, output) = ReferenceEnvironment.run(
            python.path,
            [
                script, work.appendingPathComponent("rules.json").path,
                work.appendingPathComponent("events.jsonl").path,
                work.appendingPathComponent("matches.txt").path, work.appendingPathComponent("cache.json").path,
            ])
        try #require(status == 0, "the reference script failed: \(output.suffix(2000))")
        let failures = output.split(separator: "\n").filter { $0.hasPrefix("reference_failure") }
        for failure in failures { print(failure) }
        var expected = Set<String>()
        var excluded = Set<String>()
        var byID: [Int: FlatEvent] = [:]
        for event in events { byID[event.id] = event }
        for line in try String(contentsOf: work.appendingPathComponent("matches.txt"), encoding: .utf8).split(
            separator: "\n")
        {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let event = Int(parts[0]).flatMap({ byID[$0] }),
                let rule = rules.first(where: { $0.metadata.key == String(parts[1]) })
            else { continue }
            if DifferentialTests.isReferenceBug(event, rule) {
                excluded.insert(String(line))
            } else {
                expected.insert(String(line))
            }
        }

        // Vigil over the same events.
        let matcher = RuleMatcher(RuleSet(rules: rules))
        var actual = Set<String>()
        for event in events {
            var fields: [String: String] = [:]
            for (k, v) in event.fields { fields[k.lowercased()] = v }
            let keys = event.logSource == "*" ? ["*"] : [event.logSource, "*"]
            matcher.match(fields: fields, logSourceKeys: keys) { index in
                let pair = "\(event.id) \(rules[index].metadata.key)"
                if DifferentialTests.isReferenceBug(event, rules[index]) {
                    excluded.insert(pair)
                } else {
                    actual.insert(pair)
                }
            }
        }
        // Product-only rules run over every event in the reference; compare them the same way.
        let missing = expected.subtracting(actual).sorted()
        let extra = actual.subtracting(expected).sorted()
        func show(_ pair: String) -> String {
            let parts = pair.split(separator: " ")
            let event = Int(parts[0]).flatMap { byID[$0] }
            let title = rules.first { $0.metadata.key == parts[1] }?.metadata.title ?? ""
            return "\(pair) [\(title)] \(event.map { "\($0.logSource) \($0.fields)" } ?? "")"
        }
        for pair in missing.prefix(15) { print("ONLY REFERENCE: \(show(pair))") }
        for pair in extra.prefix(15) { print("ONLY VIGIL: \(show(pair))") }
        print(
            "differential: \(events.count) events, \(rules.count) rules, \(expected.count) reference matches, "
                + "\(actual.count) Vigil matches, \(missing.count) only in reference, \(extra.count) only in Vigil, "
                + "\(excluded.count) pairs left out as known reference bugs")
        #expect(expected.count > 1000)
        #expect(missing.isEmpty && extra.isEmpty)
    }
}
