import Foundation
import VigilRules

/// The built-in ruleset in `Rules/` of the source tree, loaded once.
enum BuiltinRules {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Rules")

    static func ruleSet() throws -> RuleSet {
        var files: [(text: String, file: String)] = []
        let walker = FileManager.default.enumerator(atPath: root.path)
        while let entry = walker?.nextObject() as? String {
            guard entry.hasSuffix(".yml") else { continue }
            let path = root.appendingPathComponent(entry).path
            files.append((try String(contentsOfFile: path, encoding: .utf8), path))
        }
        let result = SigmaLoader.load(files)
        guard result.errors.isEmpty, !result.rules.isEmpty else {
            throw RulesLoadFailure(description: "the built-in rules in \(root.path) did not load: \(result.errors)")
        }
        return RuleSet(rules: result.rules, correlations: result.correlations)
    }

    struct RulesLoadFailure: Error, CustomStringConvertible {
        var description: String
    }
}
