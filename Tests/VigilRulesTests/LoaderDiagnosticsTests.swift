import Foundation
import Testing

@testable import VigilRules

/// Bad rule files: each gives a precise diagnostic (file:line:column, rule title, code), never a crash.
@Suite struct LoaderDiagnosticsTests {
    static func rule(_ detection: String, title: String = "Bad Rule") -> String {
        """
        title: \(title)
        id: 22222222-0000-0000-0000-000000000001
        logsource:
            product: linux
            category: process_creation
        detection:
        \(detection.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n"))
        level: high
        """
    }

    static func load(_ text: String) -> RuleLoadResult { SigmaLoader.load([(text, "bad.yml")]) }

    @Test func malformedYAML() {
        let result = Self.load("title: x\ndetection:\n  selection: [unclosed\n  condition: selection\n")
        let error = result.errors.first
        #expect(result.rules.isEmpty)
        #expect(error?.code == "yaml.syntax")
        #expect(error?.stage == .read)
        #expect(error?.file == "bad.yml")
        #expect((error?.line ?? 0) >= 3)
    }

    @Test func unknownModifierIsAWarningNamingIt() {
        let result = Self.load(Self.rule("selection:\n    Image|endwith: /bash\ncondition: selection"))
        #expect(result.errors.isEmpty)
        #expect(result.rules.count == 1)
        let warning = result.warnings.first { $0.code == "sigma.unknown-modifier" }
        #expect(warning?.message.contains("'endwith'") == true)
        #expect(warning?.ruleTitle == "Bad Rule")
        #expect(warning?.line == 8)
        #expect(warning?.column == 9)
    }

    @Test func unknownFieldIsAWarningNamingIt() {
        let result = Self.load(Self.rule("selection:\n    Imagee: /bin/bash\ncondition: selection"))
        #expect(result.rules.count == 1)
        let warning = result.warnings.first { $0.code == "sigma.unknown-field" }
        #expect(warning?.message.contains("'Imagee'") == true)
        #expect(warning?.line == 8)
    }

    @Test func conditionNamingAMissingSelection() {
        let result = Self.load(Self.rule("selection:\n    Image: /bin/bash\ncondition: selection and not filter"))
        let error = result.errors.first
        #expect(result.rules.isEmpty)
        #expect(error?.code == "sigma.missing-selection")
        #expect(error?.message.contains("'filter'") == true)
        #expect(error?.ruleTitle == "Bad Rule")
        #expect(error?.line == 9)
        #expect(error?.column == 16 + 18, "the column of 'filter' inside the condition")
    }

    @Test func regexThatDoesNotCompile() {
        let result = Self.load(Self.rule("selection:\n    CommandLine|re: 'a(b'\ncondition: selection"))
        let error = result.errors.first
        #expect(error?.code == "sigma.bad-regex")
        #expect(error?.message.contains("a(b") == true)
        #expect(error?.line == 8)
    }

    @Test func tenMegabyteFile() {
        var text = Self.rule("selection:\n    CommandLine|contains:\n        - x\ncondition: selection")
        text += "\n# " + String(repeating: "padding ", count: 10 * 1024 * 1024 / 8)
        let result = Self.load(text)
        #expect(result.rules.isEmpty)
        #expect(result.errors.first?.code == "sigma.file-too-large")
        #expect(result.errors.first?.message.contains("split") == true)
    }

    @Test func largeRuleUnderTheLimitLoads() {
        let values = (0..<50_000).map { "        - value\($0)" }.joined(separator: "\n")
        let result = Self.load(Self.rule("selection:\n    CommandLine|contains:\n\(values)\ncondition: selection"))
        #expect(result.errors.isEmpty)
        #expect(result.rules.first?.selections.first?.groups.first?.first?.values.count == 50_000)
    }

    @Test(arguments: [10, 64, 65, 5000])
    func deeplyNestedCondition(depth: Int) {
        let condition = String(repeating: "(", count: depth) + "selection" + String(repeating: ")", count: depth)
        let result = Self.load(Self.rule("selection:\n    Image: /bin/bash\ncondition: '\(condition)'"))
        if depth <= ConditionParser.maxDepth {
            #expect(result.errors.isEmpty)
        } else {
            #expect(result.errors.first?.code == "sigma.condition-too-deep")
            #expect(result.errors.first?.line == 9)
        }
    }

    @Test func deeplyNestedNot() {
        let condition = String(repeating: "not ", count: 10_000) + "selection"
        let result = Self.load(Self.rule("selection:\n    Image: /bin/bash\ncondition: \(condition)"))
        #expect(result.errors.first?.code == "sigma.condition-too-deep")
    }

    @Test(arguments: [
        ("selection and", "sigma.condition-syntax"),
        ("(selection", "sigma.condition-syntax"),
        ("selection)", "sigma.condition-syntax"),
        ("1 of", "sigma.condition-syntax"),
        ("0 of selection", "sigma.condition-syntax"),
        ("all of nothing_*", "sigma.missing-selection"),
        ("selection | count() > 5", "sigma.condition-aggregation"),
        ("selection $ x", "sigma.condition-syntax"),
    ])
    func conditionSyntax(condition: String, code: String) {
        let result = Self.load(Self.rule("selection:\n    Image: /bin/bash\ncondition: '\(condition)'"))
        #expect(result.errors.first?.code == code, "\(result.diagnostics)")
    }

    @Test(arguments: [
        ("selection:\n    Image|cidr: not-a-net\ncondition: selection", "sigma.bad-cidr"),
        ("selection:\n    Image|gt: abc\ncondition: selection", "sigma.bad-number"),
        ("selection:\n    Image|exists: maybe\ncondition: selection", "sigma.bad-exists"),
        ("selection:\n    Image:\n        a: b\ncondition: selection", "sigma.bad-value"),
        ("selection:\n    - a\n    - b: c\ncondition: selection", "sigma.mixed-selection"),
        ("selection:\n    Image: []\ncondition: selection", "sigma.empty-list"),
        ("selection:\n    Image: x", "sigma.missing-condition"),
    ])
    func badDetection(detection: String, code: String) {
        let result = Self.load(Self.rule(detection))
        #expect(result.rules.isEmpty)
        #expect(result.errors.first?.code == code, "\(result.diagnostics)")
        #expect(result.errors.first?.ruleTitle == "Bad Rule")
    }

    @Test func missingPartsAndOtherShapes() {
        #expect(Self.load("- a\n- b").errors.first?.code == "sigma.not-a-mapping")
        #expect(Self.load("title: x\nlogsource: {product: linux}").errors.first?.code == "sigma.missing-detection")
        #expect(
            Self.load("id: 1\nlogsource: {product: linux}\ndetection: {s: {a: b}, condition: s}").errors.first?.code
                == "sigma.missing-title")
        let garbage = String(decoding: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }, as: UTF8.self)
        let result = Self.load(garbage)
        #expect(result.rules.isEmpty)
        #expect(!result.errors.isEmpty)
        for cut in stride(from: 0, to: 400, by: 37) {
            let text = String(Self.rule("selection:\n    Image: /bin/bash\ncondition: selection").prefix(cut))
            let partial = Self.load(text)
            #expect(partial.rules.isEmpty || partial.errors.isEmpty)
        }
    }

    @Test func errorsAndWarningsAreApartAndFormatted() {
        let text =
            Self.rule("selection:\n    Image|nope: x\ncondition: selection") + "\n---\n"
            + Self.rule("selection:\n    Image: x\ncondition: missing", title: "Second")
        let result = Self.load(text)
        #expect(result.errors.count == 1)
        #expect(result.warnings.count == 1)
        #expect(result.rules.count == 1)
        #expect(result.errors[0].description.hasPrefix("bad.yml:20:16:"))
        #expect(result.errors[0].description.contains("error: [Second]"))
        #expect(result.warnings[0].description.contains("warning: [Bad Rule]"))
    }

    @Test func actionGlobalCollection() {
        let text = """
            action: global
            title: Shared
            logsource:
                product: linux
                category: process_creation
            detection:
                condition: selection
            ---
            id: 33333333-0000-0000-0000-000000000001
            detection:
                selection:
                    Image|endswith: /nc
            ---
            id: 33333333-0000-0000-0000-000000000002
            title: Own Title
            detection:
                selection:
                    Image|endswith: /socat
            """
        let result = Self.load(text)
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.rules.map(\.metadata.title) == ["Shared", "Own Title"])
        #expect(result.rules.map(\.logSource.indexKey) == ["process_creation", "process_creation"])
    }
}
