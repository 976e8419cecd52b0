import Foundation
import Testing
import VigilAudit
import VigilTestSupport

/// go-libaudit's rule test data: every auditctl rule encodes to exactly the bytes auditctl sent the kernel.
@Suite struct RuleEncodingTests {
    /// `- flags: RULE` / `  bytes: !!binary |` / base64 lines, as in the golden YAML files.
    static func cases(_ yaml: String) -> [(String, Data)] {
        var out: [(String, Data)] = []
        var flags: String?
        var base64 = ""
        func close() {
            if let flags, let data = Data(base64Encoded: base64) { out.append((flags, data)) }
            flags = nil
            base64 = ""
        }
        for raw in yaml.split(separator: "\n") {
            let line = String(raw)
            if line.hasPrefix("- flags: ") {
                close()
                flags = String(line.dropFirst("- flags: ".count))
            } else if line.hasPrefix("    "), flags != nil {
                base64 += line.trimmingCharacters(in: .whitespaces)
            }
        }
        close()
        return out
    }

    static let files = [
        "01-file-watch-spaces.rules.golden.yml", "20-dont-audit.rules.golden.yml", "22-ignore-chrony.rules.golden.yml",
        "30-nispom.rules.golden.yml", "30-pci-dss-v31.rules.golden.yml", "30-stig.rules.golden.yml",
        "32-power-abuse.rules.golden.yml", "41-containers.rules.golden.yml", "42-injection.rules.golden.yml",
        "43-module-load.rules.golden.yml", "70-einval.rules.golden.yml", "71-networking.rules.golden.yml",
        "rule_data.yml",
    ]

    @Test(arguments: files)
    func encodesLikeAuditctl(_ file: String) throws {
        guard let dir = GoldenSupport.directory("rule/testdata") else {
            print(Corpora.skipMessage("\(GoldenSupport.corpus)/rule/testdata"))
            return
        }
        let cases = Self.cases(try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8))
        #expect(!cases.isEmpty)
        // The golden files were recorded with watched paths created as files or directories under /tmp/audit-test.
        let parser = AuditRuleParser(isDirectory: { $0.hasSuffix("/") })
        for (text, bytes) in cases {
            let rule: AuditRule
            do {
                rule = try parser.parseRule(text)
            } catch {
                Issue.record("\(file): '\(text)': \(error)")
                continue
            }
            let ours = rule.encoded()
            // rule_data.yml holds the structure unpadded; the other files include the netlink padding to 4 bytes.
            var expected = Array(bytes)
            while expected.count % 4 != 0 { expected.append(0) }
            let first = zip(ours, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(
                ours == expected,
                "\(file): '\(text)': \(ours.count) vs \(bytes.count) bytes, first difference at \(first ?? -1)")
            #expect(AuditRule.decode(ours)?.conditions == rule.conditions, "\(file): '\(text)' round trip")
        }
    }

    @Test(arguments: [
        "-a always,exit -S nosuchcall", "-a sometimes,exit", "-F uid=0", "-w", "-a always,exit -F nosuch=1",
        "-a always,exit -F uid=bob", "-a always,exit -C uid<euid", "-w /etc -p z", "-a always,exit -F exit=-ENOPE",
        "-a always,exit -k 'unterminated",
    ])
    func rejectsBadRules(_ text: String) {
        #expect(throws: AuditError.self) { try AuditRuleParser().parseRule(text) }
    }

    @Test func rulesFileReportsLinesAndControls() {
        let file = AuditRuleParser().parseFile("# comment\n-D\n-b 8192\n-a always,exit -S execve -k exec\n-a bad\n")
        #expect(file.rules.count == 1)
        #expect(file.controls.map(\.option) == ["-D", "-b"])
        #expect(file.errors.map(\.line) == [5])
    }
}
