import Foundation
import Testing

@testable import VigilRules

/// Value modifiers, wildcards and the condition grammar, evaluated on flat field records.
@Suite struct MatcherTests {
    /// Whether a one-rule detection (`detection` block, indented 4) matches `fields`.
    static func matches(_ detection: String, _ fields: [String: String]) throws -> Bool {
        let text = """
            title: T
            logsource:
                product: linux
                category: process_creation
            detection:
            \(detection.split(separator: "\n").map { "    \($0)" }.joined(separator: "\n"))
            """
        let result = SigmaLoader.load([(text, "t.yml")])
        try #require(result.errors.isEmpty, "\(result.errors)")
        let matcher = RuleMatcher(RuleSet(rules: result.rules))
        var lowered: [String: String] = [:]
        for (k, v) in fields { lowered[k.lowercased()] = v }
        var hit = false
        matcher.match(fields: lowered, logSourceKeys: ["process_creation"]) { _ in hit = true }
        return hit
    }

    static func one(_ field: String, _ value: String) -> String { "s:\n    \(field): \(value)\ncondition: s" }

    @Test(arguments: [
        ("Image", "/bin/bash", "/BIN/Bash", true),
        ("Image", "/bin/bash", "/bin/bash2", false),
        ("Image|contains", "bin/b", "/usr/bin/bash", true),
        ("Image|startswith", "/usr/", "/usr/bin/x", true),
        ("Image|startswith", "/usr/", "/opt/usr/x", false),
        ("Image|endswith", "/nc", "/usr/bin/nc", true),
        ("Image|endswith", "/nc", "/usr/bin/ncat", false),
        ("Image", "'/usr/*/nc'", "/usr/local/bin/nc", true),
        ("Image", "'/usr/?in/nc'", "/usr/bin/nc", true),
        ("Image", "'/usr/?in/nc'", "/usr/bbin/nc", false),
        ("Image", "'a\\*b'", "a*b", true),
        ("Image", "'a\\*b'", "axxb", false),
        ("Image", "'a\\?b'", "a?b", true),
        ("Image", "'a\\\\b'", "a\\b", true),
        ("Image", "'a\\b'", "a\\b", true),
        ("Image", "'*'", "", true),
        ("Image", "''", "", true),
        ("Image", "''", "x", false),
        ("Image|cased", "/Bin/Bash", "/bin/bash", false),
        ("Image|cased", "/Bin/Bash", "/Bin/Bash", true),
        ("Image|contains|cased", "Bash", "/bin/bash", false),
        ("CommandLine|re", "'^curl .*\\| ?sh$'", "curl x | sh", true),
        ("CommandLine|re", "'^CURL'", "curl x", false),
        ("CommandLine|re|i", "'^CURL'", "curl x", true),
        ("CommandLine|re|m", "'^sh$'", "curl\nsh", true),
        ("CommandLine|re", "'^sh$'", "curl\nsh", false),
        ("CommandLine|re|s", "'a.b'", "a\nb", true),
        ("CommandLine|re", "'a.b'", "a\nb", false),
        ("DestinationIp|cidr", "10.0.0.0/8", "10.200.3.4", true),
        ("DestinationIp|cidr", "10.0.0.0/8", "11.0.0.1", false),
        ("DestinationIp|cidr", "'fd00::/8'", "fd12::1", true),
        ("DestinationIp|cidr", "'fd00::/8'", "fe80::1", false),
        ("DestinationPort|gt", "1024", "4444", true),
        ("DestinationPort|gt", "1024", "1024", false),
        ("DestinationPort|gte", "1024", "1024", true),
        ("DestinationPort|lt", "1024", "22", true),
        ("DestinationPort|lte", "22", "23", false),
        ("DestinationPort|lt", "1024", "abc", false),
        ("CommandLine|base64|contains", "'/bin/sh'", "echo L2Jpbi9zaA== | base64 -d", true),
        ("CommandLine|base64offset|contains", "'/bin/sh'", "x Y2QgL2Jpbi9zaA== y", true),
        ("CommandLine|base64offset|contains", "'/bin/sh'", "x L2Jpbi9zaA y", true),
        ("CommandLine|base64offset|contains", "'/bin/sh'", "aGVsbG8=", false),
        ("CommandLine|windash|contains", "' -exec'", "find . /exec x", true),
        ("CommandLine|windash|contains", "' -exec'", "find . \u{2013}exec x", true),
        ("CommandLine|windash|contains", "' -exec'", "find . +exec x", false),
    ])
    func modifier(key: String, value: String, field: String, expected: Bool) throws {
        let name = String(key.split(separator: "|")[0])
        #expect(try Self.matches(Self.one(key, value), [name: field]) == expected, "\(key): \(value) vs \(field)")
    }

    @Test func allModifier() throws {
        let rule = "s:\n    CommandLine|contains|all:\n        - wget\n        - chmod\ncondition: s"
        #expect(try Self.matches(rule, ["CommandLine": "wget x && chmod +x y"]))
        #expect(!(try Self.matches(rule, ["CommandLine": "wget x"])))
        let any = "s:\n    CommandLine|contains:\n        - wget\n        - chmod\ncondition: s"
        #expect(try Self.matches(any, ["CommandLine": "wget x"]))
    }

    @Test func nullAndExists() throws {
        #expect(try Self.matches(Self.one("User", "null"), ["Image": "x"]))
        #expect(!(try Self.matches(Self.one("User", "null"), ["User": "root"])))
        #expect(try Self.matches(Self.one("User|exists", "true"), ["User": ""]))
        #expect(!(try Self.matches(Self.one("User|exists", "true"), ["Image": "x"])))
        #expect(try Self.matches(Self.one("User|exists", "false"), ["Image": "x"]))
        #expect(!(try Self.matches(Self.one("User", "root"), ["Image": "x"])), "absent field matches no value")
    }

    @Test func fieldReference() throws {
        let rule = "s:\n    ParentImage|fieldref: Image\ncondition: s"
        #expect(try Self.matches(rule, ["Image": "/bin/sh", "ParentImage": "/bin/sh"]))
        #expect(!(try Self.matches(rule, ["Image": "/bin/sh", "ParentImage": "/bin/bash"])))
        let contains = "s:\n    CommandLine|fieldref|contains: Image\ncondition: s"
        #expect(try Self.matches(contains, ["Image": "nc", "CommandLine": "x nc y"]))
    }

    @Test func keywordsMatchAnywhere() throws {
        let rule = "keywords:\n    - 'error in libcrypto'\n    - 'bad*value'\ncondition: keywords"
        #expect(try Self.matches(rule, ["_raw": "sshd[1]: fatal: Error in libcrypto here"]))
        #expect(try Self.matches(rule, ["_raw": "a bad DH value"]))
        #expect(!(try Self.matches(rule, ["_raw": "all good"])))
    }

    @Test func listOfMapsIsAnOr() throws {
        let rule = "s:\n    - Image: /a\n    - Image: /b\n      User: root\ncondition: s"
        #expect(try Self.matches(rule, ["Image": "/a"]))
        #expect(try Self.matches(rule, ["Image": "/b", "User": "root"]))
        #expect(!(try Self.matches(rule, ["Image": "/b", "User": "alice"])))
    }

    @Test(arguments: [
        ("sel_a and not sel_b", ["Image": "/a"], true),
        ("sel_a and not sel_b", ["Image": "/a", "User": "root"], false),
        ("1 of sel_*", ["User": "root"], true),
        ("all of sel_*", ["User": "root"], false),
        ("all of sel_*", ["Image": "/a", "User": "root"], true),
        ("1 of them", ["CommandLine": "x"], false),
        ("all of them", ["Image": "/a", "User": "root"], true),
        ("not (sel_a or sel_b)", ["Image": "/c"], true),
        ("sel_a or sel_b and _hidden", ["User": "root"], false),
        ("sel_a or sel_b and _hidden", ["User": "root", "CommandLine": "x"], true),
        ("NOT sel_a AND sel_b", ["User": "root"], true),
        ("2 of them", ["Image": "/a", "User": "root"], true),
        ("2 of them", ["Image": "/a"], false),
    ])
    func conditionGrammar(condition: String, fields: [String: String], expected: Bool) throws {
        let rule = """
            sel_a:
                Image: /a
            sel_b:
                User: root
            _hidden:
                CommandLine: x
            condition: \(condition)
            """
        #expect(try Self.matches(rule, fields) == expected)
    }

    @Test func prefilterKeepsRulesItCannotJudge() throws {
        // A pure negation and a regex have no required literal; they must still be evaluated.
        #expect(try Self.matches("s:\n    Image: /a\ncondition: not s", ["Image": "/b"]))
        #expect(try Self.matches("s:\n    Image|re: 'b$'\ncondition: s", ["Image": "/b"]))
    }

    @Test func prefilterTakesEveryByteValue() throws {
        // Literals over most byte values (UTF-8 of many scripts) compile into the prefilter and match.
        var scalars: [Unicode.Scalar] = []
        for v in Array(0x21...0x7E) + Array(stride(from: 0xA1, to: 0x800, by: 7))
            + Array(stride(from: 0x800, to: 0xD000, by: 97))
        {
            if let scalar = Unicode.Scalar(v), scalar != "'", scalar != "\\", scalar != "*", scalar != "?" {
                scalars.append(scalar)
            }
        }
        let values = stride(from: 0, to: scalars.count, by: 4).map { i in
            String(String.UnicodeScalarView(scalars[i..<min(i + 4, scalars.count)]))
        }
        #expect(Set(values.joined().utf8).count > 190)
        let list = values.map { "        - '\($0)'" }.joined(separator: "\n")
        let rule = "s:\n    CommandLine|contains:\n\(list)\ncondition: s"
        #expect(try Self.matches(rule, ["CommandLine": "x \(values[values.count / 2]) y"]))
        #expect(!(try Self.matches(rule, ["CommandLine": "plain"])))
    }
}
