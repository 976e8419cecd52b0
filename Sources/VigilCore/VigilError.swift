/// Where an error was found: a file position, a JSON field, or a byte offset.
public struct ErrorLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var field: String?
    public var offset: Int?

    public init(file: String? = nil, line: Int? = nil, column: Int? = nil, field: String? = nil, offset: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.offset = offset
    }

    public var description: String {
        var parts: [String] = []
        if let file {
            var position = file
            if let line { position += ":\(line)" }
            if let line, line > 0, let column { position += ":\(column)" }
            parts.append(position)
        } else if let line {
            parts.append(column.map { "line \(line), column \($0)" } ?? "line \(line)")
        }
        if let field { parts.append("field '\(field)'") }
        if let offset { parts.append("offset \(offset)") }
        return parts.joined(separator: ", ")
    }
}

/// The shape every module's error follows: a code that can grow, a message that says what went
/// wrong and how to fix it, where, and the underlying cause. Messages never contain secrets.
public protocol VigilError: Error, CustomStringConvertible, Sendable {
    /// A short stable identifier, e.g. `sqlite.busy` or `yaml.duplicate-key`.
    var code: String { get }
    /// What went wrong and how to fix it, in one or two sentences.
    var message: String { get }
    /// Where it went wrong, if known.
    var location: ErrorLocation? { get }
}

extension VigilError {
    public var location: ErrorLocation? { nil }
    public var description: String {
        if let location, !location.description.isEmpty { return "\(location): \(message)" }
        return message
    }
}
