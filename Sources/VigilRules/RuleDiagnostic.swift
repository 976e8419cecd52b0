import VigilCore

/// One finding of the rule loader: an error (the rule is not loaded) or a warning (it is loaded, and
/// something in it deserves a look), with where it is and which rule it belongs to.
public struct RuleDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// Whether the rule could be loaded despite it.
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    /// The loading stage that found it: `read` (YAML), `parse` (Sigma structure), `compile` (values and
    /// condition), `link` (correlations naming other rules).
    public enum Stage: String, Sendable, Hashable {
        case read, parse, compile, link
    }

    public var severity: Severity
    public var stage: Stage
    /// A short stable identifier, e.g. `sigma.unknown-modifier`.
    public var code: String
    /// What is wrong and how to fix it.
    public var message: String
    public var file: String
    public var line: Int
    public var column: Int
    /// The rule's title, when it was read far enough to have one.
    public var ruleTitle: String?

    public init(
        _ severity: Severity, _ stage: Stage, code: String, message: String, file: String, line: Int, column: Int,
        ruleTitle: String? = nil
    ) {
        self.severity = severity
        self.stage = stage
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.ruleTitle = ruleTitle
    }

    /// `file:line:column: error: [title] message (code)`.
    public var description: String {
        let title = ruleTitle.map { "[\($0)] " } ?? ""
        return "\(file):\(line):\(column): \(severity.rawValue): \(title)\(message) (\(code))"
    }
}

/// The module's error: something that stops a whole load or run (an unreadable file, an event that is not
/// an event), as opposed to a `RuleDiagnostic` about one rule.
public struct RulesError: VigilError, Equatable {
    public var code: String
    public var message: String
    public var location: ErrorLocation?

    public init(code: String, message: String, location: ErrorLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }
}
