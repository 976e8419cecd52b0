import VigilSystem

/// One attribute that differs between the baseline and now, rendered for people and JSON.
public struct AttributeChange: Sendable, Hashable {
    public var attribute: Attribute
    public var old: String
    public var new: String

    public init(attribute: Attribute, old: String, new: String) {
        self.attribute = attribute
        self.old = old
        self.new = new
    }
}

/// One entry of a check report: a path added, removed, changed, or moved (same inode at a new path).
public struct FIMChange: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case added, removed, changed, moved

        /// The AIDE-style exit code bits: 1 added, 2 removed, 4 changed; a move is an add and a remove.
        public var exitBits: Int32 {
            switch self {
            case .added: 1
            case .removed: 2
            case .changed: 4
            case .moved: 3
            }
        }
    }

    public var kind: Kind
    /// The path now (for a removal, the path that was).
    public var path: BytePath
    /// For a move, where the entry was.
    public var from: BytePath?
    /// What changed, in attribute-table order (empty for additions and removals).
    public var attributes: [AttributeChange]

    public init(kind: Kind, path: BytePath, from: BytePath? = nil, attributes: [AttributeChange] = []) {
        self.kind = kind
        self.path = path
        self.from = from
        self.attributes = attributes
    }
}

/// The result of comparing a scan with a baseline: the changes, sorted by path, and the exit code.
public struct FIMReport: Sendable, Hashable {
    public var changes: [FIMChange]

    public init(changes: [FIMChange]) { self.changes = changes }

    /// How many changes of each kind.
    public func count(_ kind: FIMChange.Kind) -> Int { changes.count { $0.kind == kind } }

    /// AIDE's summed exit code: 1 for any addition, 2 for any removal, 4 for any change; 0 for none.
    public var exitCode: Int32 { changes.reduce(0) { $0 | $1.kind.exitBits } }
}
