import VigilSystem

/// POSIX ACLs as Linux stores them in the `system.posix_acl_access`/`_default` extended attributes,
/// rendered in `getfacl`'s short form (`u::rw-,u:1000:r--,g::r--,m::r--,o::---`).
public enum PosixACL {
    /// The extended attribute names that hold ACLs.
    public static let names: Set<String> = ["system.posix_acl_access", "system.posix_acl_default"]

    /// The short text form of one ACL value; `invalid(<hex>)` when the bytes are not a version-2 ACL.
    public static func render(_ value: [UInt8]) -> String {
        func u16(_ at: Int) -> UInt16 { UInt16(value[at]) | UInt16(value[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
        guard value.count >= 4, (value.count - 4) % 8 == 0, u32(0) == 2 else {
            return "invalid(\(value.map { String($0, radix: 16) }.joined()))"
        }
        var entries: [String] = []
        var offset = 4
        while offset < value.count {
            let tag = u16(offset)
            let perm = u16(offset + 2)
            let id = u32(offset + 4)
            let rights =
                (perm & 4 != 0 ? "r" : "-") + (perm & 2 != 0 ? "w" : "-") + (perm & 1 != 0 ? "x" : "-")
            let head: String =
                switch tag {
                case 0x01: "u:"
                case 0x02: "u:\(id)"
                case 0x04: "g:"
                case 0x08: "g:\(id)"
                case 0x10: "m:"
                case 0x20: "o:"
                default: "tag\(tag):\(id)"
                }
            entries.append("\(head):\(rights)")
            offset += 8
        }
        return entries.joined(separator: ",")
    }

    /// `access=…;default=…` for a file's ACL attributes.
    static func render(_ attributes: [ExtendedAttributes.Attribute]) -> String {
        attributes.map { ($0.name == "system.posix_acl_default" ? "default=" : "access=") + render($0.value) }
            .joined(separator: ";")
    }
}
