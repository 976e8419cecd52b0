import Foundation
import Testing
import VigilCore

@testable import VigilRules

/// The compiled matcher's shortcuts: what it reads from regexes, and where it reads fields without the table.
@Suite struct RuleProgramTests {
    @Test(arguments: [
        // (pattern, literals every match contains, minimum length)
        (#"-(W|R)\s?(\s|"|')([0-9a-fA-F]{2}\s?){2,20}(\s|"|')"#, ["-w", "-r"], 8),
        ("[^/]{100,}$", [], 100),
        (#"/mail/tmp/[a-zA-Z0-9]{3}[0-9]{3}\.tar\.gz"#, ["/mail/tmp/"], 23),
        ("abc|xyz", ["abc", "xyz"], 3),
        ("ab?c", ["a"], 2),
        ("(?:foo)+bar", ["foo"], 6),
        ("(?<name>abc)d", ["abcd"], 4),
        ("x(?=abc)y", ["x"], 2),
        (#"\bwget\b.*\|\s*sh"#, ["wget"], 7),
        ("é+ab", ["ab"], 3),
    ])
    func regexFacts(pattern: String, literals: [String], minLength: Int) throws {
        _ = try NSRegularExpression(pattern: pattern)
        let facts = RegexFacts.of(pattern, caseInsensitive: false)
        #expect(facts.literals == Set(literals.map { Array($0.utf8) }))
        #expect(facts.minLength == minLength)
    }

    @Test(arguments: ["(?i)abc", "a\\Qb\\E", "\\1abc", "(", ")", "[abc", "a{2", "a{,2}", "\\", "*a", "ab)", "{"])
    func regexFactsPromiseNothingTheyDoNotUnderstand(pattern: String) {
        #expect(RegexFacts.of(pattern, caseInsensitive: false) == .none)
    }

    @Test func caseInsensitiveRegexesPromiseNothing() {
        #expect(RegexFacts.of("abc", caseInsensitive: true) == .none)
    }

    @Test func regexFactsNeverHoldAMatchBack() throws {
        // Texts each regex matches, built by hand: each contains one of the literals and is long enough.
        let cases: [(String, [String])] = [
            (#"-(W|R)\s?(\s|"|')([0-9a-fA-F]{2}\s?){2,20}(\s|"|')"#, ["pnscan -W 'ab cd '", "x -R\"0a1b\""]),
            ("[^/]{100,}$", ["/tmp/" + String(repeating: "a", count: 100)]),
            ("abc|xyz", ["--xyz--", "abc"]),
            ("(?:foo)+bar", ["foofoobar"]),
        ]
        for (pattern, texts) in cases {
            let regex = try NSRegularExpression(pattern: pattern)
            let facts = RegexFacts.of(pattern, caseInsensitive: false)
            for text in texts {
                let range = NSRange(location: 0, length: (text as NSString).length)
                try #require(regex.firstMatch(in: text, range: range) != nil, "\(pattern) on \(text)")
                let lower = Array(text.lowercased().utf8)
                #expect(lower.count >= facts.minLength)
                #expect(
                    facts.literals.isEmpty
                        || facts.literals.contains { lit in
                            lower.indices.contains { lower[$0...].starts(with: lit) }
                        })
            }
        }
    }

    @Test func regexRulesAreFilteredAndStillMatch() throws {
        #expect(
            try MatcherTests.matches(
                "s:\n    CommandLine|re: 'x -W [0-9a-f]{2}'\ncondition: s", ["CommandLine": "x -W 0a"]))
        #expect(
            !(try MatcherTests.matches(
                "s:\n    CommandLine|re: 'x -W [0-9a-f]{2}'\ncondition: s", ["CommandLine": "x -w 0a"])))
        #expect(
            !(try MatcherTests.matches("s:\n    CommandLine|re: '[a-z]{20}'\ncondition: s", ["CommandLine": "short"])))
    }

    @Test func literalInAnotherFieldDoesNotMatch() throws {
        let rule = "s:\n    Image|endswith: '/nc'\ncondition: s"
        #expect(!(try MatcherTests.matches(rule, ["Image": "/usr/bin/ls", "CommandLine": "ls /x/nc"])))
        #expect(try MatcherTests.matches(rule, ["Image": "/usr/bin/nc", "CommandLine": "nc"]))
    }

    /// The matcher reads table entries whose path is `unmapped.<name>` straight from `unmapped`; each must read
    /// exactly that.
    @Test func unmappedOnlyEntriesReadTheirField() {
        var checked = 0
        for (index, spec) in FieldMapping.all.enumerated() where FieldMapping.readsOnlyUnmapped(index, spec.name) {
            let with = Event(
                id: "1", classUID: .processActivity, activityID: Activity.Process.launch, time: 0,
                metadata: EventMetadata(logName: "audit"), unmapped: [spec.name: "value-\(index)"])
            let without = Event(
                id: "2", classUID: .processActivity, activityID: Activity.Process.launch, time: 0,
                metadata: EventMetadata(logName: "audit"), unmapped: ["other": "x"])
            #expect(spec.extract(with) == "value-\(index)", "\(spec.name)")
            #expect(spec.extract(without) == nil, "\(spec.name)")
            checked += 1
        }
        #expect(checked > 10)
    }

    @Test func eventsAndFlatRecordsAgree() throws {
        // Process events with and without an `unmapped` field, twice over (the scratch space is reused).
        let text = """
            title: T
            logsource:
                product: linux
                category: process_creation
            detection:
                a:
                    Image|endswith: '/curl'
                    CommandLine|contains|all: [' -o ', '/tmp/']
                b:
                    type: EXECVE
                condition: a and not b
            """
        let set = RuleSet(rules: SigmaLoader.load([(text, "t.yml")]).rules)
        let matcher = RuleMatcher(set)
        func event(_ command: String, _ unmapped: [String: String]) -> Event {
            Event(
                id: "1", classUID: .processActivity, activityID: Activity.Process.launch, time: 0,
                metadata: EventMetadata(logName: "proc"),
                process: Process(cmdLine: command, file: FileObject(path: "/usr/bin/curl")), unmapped: unmapped)
        }
        for _ in 0..<2 {
            #expect(matcher.matches(event("curl -o /tmp/x http://h", [:])) == [0])
            #expect(matcher.matches(event("curl -o /tmp/x http://h", ["type": "EXECVE"])).isEmpty)
            #expect(matcher.matches(event("curl -o /var/x http://h", [:])).isEmpty)
        }
    }
}
