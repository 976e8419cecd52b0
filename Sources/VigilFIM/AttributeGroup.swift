/// The named groups of attributes a configuration chooses per path (AIDE's model).
public enum AttributeGroup {
    /// `content`: what the file holds.
    public static let content = AttributeSet([.type, .size, .sha256, .linkTarget])
    /// `permissions`: who may do what with it.
    public static let permissions = AttributeSet([.type, .mode, .uid, .gid, .xattrs, .acl])
    /// `log`: a log file may only grow; ownership and permissions must not change, nor its inode (rotation).
    public static let log = AttributeSet([.type, .mode, .uid, .gid, .inode, .size, .xattrs, .acl], growOnly: true)
    /// `all`: everything in the attribute table.
    public static let all = AttributeSet(Set(Attribute.allCases))

    /// The groups by name, for configurations and `--help`.
    public static let named: [(name: String, set: AttributeSet, summary: String)] = [
        ("content", content, "file type, size, SHA-256 and link target"),
        ("permissions", permissions, "type, mode, owner, group, extended attributes and ACLs"),
        ("log", log, "a log file that may only grow: shrinking, owner, mode or inode changes are reported"),
        ("all", all, "every attribute"),
    ]

    /// Parses `content`, `all`, an attribute name, or a `+`-joined combination such as `permissions+sha256`.
    /// - Returns: a failure naming the unknown word when a part is neither a group nor an attribute.
    public static func parse(_ text: String) -> Result<AttributeSet, UnknownName> {
        var result = AttributeSet([])
        let parts = text.split(separator: "+", omittingEmptySubsequences: false).map {
            String($0.filter { $0 != " " })
        }
        for part in parts {
            if let group = named.first(where: { $0.name == part }) {
                result = result.union(group.set)
            } else if let attribute = Attribute(rawValue: part) {
                result = result.union(AttributeSet([attribute]))
            } else {
                return .failure(UnknownName(name: part))
            }
        }
        return .success(result)
    }

    /// A word that names neither a group nor an attribute.
    public struct UnknownName: Error, Sendable {
        public var name: String
    }
}
