import VigilCore

/// What went wrong in VigilAudit: a record that cannot be read, a rule that cannot be encoded.
///
/// Parsers report these as diagnostics beside the records they could read; they never stop a stream.
public struct AuditError: VigilError, Hashable {
    /// Stable error codes.
    public enum Code: String, Sendable, Hashable {
        case missingHeader = "audit.missing-header"
        case badTimestamp = "audit.bad-timestamp"
        case unterminatedQuote = "audit.unterminated-quote"
        case invalidHex = "audit.invalid-hex"
        case lineTooLong = "audit.line-too-long"
        case binaryNoise = "audit.binary-noise"
        case incompleteEvent = "audit.incomplete-event"
        case ruleSyntax = "audit.rule-syntax"
        case ruleUnsupported = "audit.rule-unsupported"
    }

    public var kind: Code
    public var message: String
    public var location: ErrorLocation?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, line: Int? = nil, field: String? = nil, column: Int? = nil) {
        self.kind = kind
        self.message = message
        if line != nil || field != nil {
            self.location = ErrorLocation(line: line, column: column, field: field)
        } else {
            self.location = nil
        }
    }

    /// The line the problem was found on, if known.
    public var line: Int? { location?.line }
}
