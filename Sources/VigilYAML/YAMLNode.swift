/// A position in a YAML text, 1-based.
public struct YAMLMark: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// One node of a YAML document, with the position it started at.
///
/// Aliases are resolved (an alias is a copy of its anchor's node), mappings keep their keys in
/// document order, and scalars keep their text and style so callers decide what `null` or `yes` mean.
public struct YAMLNode: Sendable, Hashable {
    public enum ScalarStyle: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// One key/value pair of a mapping.
    public struct Pair: Sendable, Hashable {
        public var key: YAMLNode
        public var value: YAMLNode
    }

    public indirect enum Kind: Sendable, Hashable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([Pair])
    }

    public var kind: Kind
    public var mark: YAMLMark
    /// The explicit tag, if any (`!!str`, `!custom`).
    public var tag: String?

    public init(kind: Kind, mark: YAMLMark, tag: String? = nil) {
        self.kind = kind
        self.mark = mark
        self.tag = tag
    }

    /// The text of a scalar; nil for collections.
    public var scalar: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    /// Whether this is YAML's null: a plain `null`, `Null`, `NULL`, `~` or empty scalar.
    public var isNull: Bool {
        guard case .scalar(let text, .plain) = kind, tag == nil || tag == "tag:yaml.org,2002:null" else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// Whether this scalar was written without quotes (so `123` is a number and `true` a boolean).
    public var isPlainScalar: Bool {
        if case .scalar(_, .plain) = kind { return true }
        return false
    }

    /// A plain scalar read as a YAML 1.2 core boolean.
    public var bool: Bool? {
        guard isPlainScalar, let text = scalar else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// A plain scalar read as a decimal integer.
    public var int: Int? {
        guard isPlainScalar, let text = scalar else { return nil }
        return Int(text)
    }

    /// The items of a sequence; nil for other kinds.
    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    /// The pairs of a mapping, in document order; nil for other kinds.
    public var mapping: [Pair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The value for a scalar key in a mapping.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalar == key }?.value
    }

    /// A short name for the node's kind, for error messages.
    public var kindName: String {
        switch kind {
        case .scalar: isNull ? "null" : "scalar"
        case .sequence: "sequence"
        case .mapping: "mapping"
        }
    }
}
