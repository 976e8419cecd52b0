/// One attribute of a file that FIM records and compares. `AttributeSpec.all` describes each.
public enum Attribute: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    case type, size, mode, uid, gid, inode, device, nlink, mtime, ctime
    case linkTarget = "link_target"
    case sha256, xattrs, acl

    /// Bit in an `AttributeSet`.
    var bit: UInt32 { UInt32(1) << UInt32(Attribute.allCases.firstIndex(of: self) ?? 0) }

    public static func < (a: Attribute, b: Attribute) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }
}

/// Which attributes are checked for a path, and whether its size may only grow (log files).
public struct AttributeSet: Sendable, Hashable, CustomStringConvertible {
    public private(set) var attributes: Set<Attribute>
    /// A log file: growth is expected (size, content and times are not compared), shrinking is reported.
    public var growOnly: Bool

    public init(_ attributes: Set<Attribute>, growOnly: Bool = false) {
        self.attributes = attributes
        self.growOnly = growOnly
    }

    public func contains(_ attribute: Attribute) -> Bool { attributes.contains(attribute) }

    public func union(_ other: AttributeSet) -> AttributeSet {
        AttributeSet(attributes.union(other.attributes), growOnly: growOnly || other.growOnly)
    }

    /// The set as stored: one bit per attribute, bit 31 for grow-only.
    public var rawValue: Int64 {
        Int64(attributes.reduce(UInt32(0)) { $0 | $1.bit } | (growOnly ? 1 << 31 : 0))
    }

    public init(rawValue: Int64) {
        let bits = UInt32(truncatingIfNeeded: rawValue)
        self.init(Set(Attribute.allCases.filter { bits & $0.bit != 0 }), growOnly: bits & (1 << 31) != 0)
    }

    public var description: String {
        let names = attributes.sorted().map(\.rawValue)
        return (names + (growOnly ? ["grow-only"] : [])).joined(separator: "+")
    }
}
