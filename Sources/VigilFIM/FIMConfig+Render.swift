import Foundation
import VigilSystem

extension FIMConfig {
    /// The configuration as YAML that `load(yaml:)` reads back to an equal value.
    public var yaml: String {
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        var out = "version: \(FIMConfig.version)\nschedule: \(quoted(schedule))\n"
        if !sensitive.isEmpty {
            out += "sensitive:\n" + sensitive.map { "  - \(quoted($0.description))\n" }.joined()
        }
        out += "paths:\n"
        for rule in rules {
            out += "  - path: \(quoted(rule.path.description))\n    group: \(quoted(rule.groupName))\n"
            if let depth = rule.depth { out += "    depth: \(depth)\n" }
            if !rule.exclude.isEmpty { out += "    exclude: [\(rule.exclude.map(quoted).joined(separator: ", "))]\n" }
            if rule.sensitive { out += "    sensitive: true\n" }
        }
        return out
    }
}
