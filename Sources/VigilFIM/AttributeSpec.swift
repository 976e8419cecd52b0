import VigilCrypto
import VigilSystem

/// One row of the attribute table: how an attribute is read from a record, compared, stored and shown.
/// `AttributeSpec.all` is the single source of truth for storage columns, JSON, diff and `--help`.
public struct AttributeSpec: Sendable {
    public var attribute: Attribute
    /// AIDE's letter for the same attribute, for people coming from AIDE.
    public var aide: String
    public var summary: String
    /// The record's value; nil when it was not collected.
    public var value: @Sendable (FileRecord) -> AttributeValue?
    /// Sets the value on a record read back from storage.
    public var apply: @Sendable (inout FileRecord, AttributeValue?) -> Void
    /// The value for people and JSON.
    public var render: @Sendable (AttributeValue) -> String

    /// The SQLite column name.
    public var column: String { attribute.rawValue }

    public static func spec(_ attribute: Attribute) -> AttributeSpec {
        guard let spec = all.first(where: { $0.attribute == attribute }) else {
            preconditionFailure("attribute \(attribute) has no row in AttributeSpec.all")
        }
        return spec
    }

    public static let all: [AttributeSpec] = [
        integer(.type, "ftype", "file type (file, directory, symlink, fifo, socket, char-device, block-device)") {
            Int64(FileStatus.FileType.allCases.firstIndex(of: $0.type) ?? 0)
        } set: { record, value in
            let index = Int(value)
            record.type =
                FileStatus.FileType.allCases.indices.contains(index) ? FileStatus.FileType.allCases[index] : .unknown
        } render: { value in
            let index = Int(value)
            return FileStatus.FileType.allCases.indices.contains(index)
                ? FileStatus.FileType.allCases[index].rawValue : "unknown"
        },
        integer(.size, "s", "size in bytes (grow-only for the log group)") {
            $0.size
        } set: {
            $0.size = $1
        },
        integer(.mode, "p", "permission bits with set-uid, set-gid and sticky, in octal") {
            Int64($0.mode)
        } set: {
            $0.mode = UInt32(truncatingIfNeeded: $1)
        } render: {
            "0" + String($0, radix: 8)
        },
        integer(.uid, "u", "owner user id") {
            Int64($0.uid)
        } set: {
            $0.uid = UInt32(truncatingIfNeeded: $1)
        },
        integer(.gid, "g", "owner group id") {
            Int64($0.gid)
        } set: {
            $0.gid = UInt32(truncatingIfNeeded: $1)
        },
        integer(.inode, "i", "inode number") {
            Int64(bitPattern: $0.inode)
        } set: {
            $0.inode = UInt64(bitPattern: $1)
        },
        integer(.device, "", "device number of the file system") {
            Int64(bitPattern: $0.device)
        } set: {
            $0.device = UInt64(bitPattern: $1)
        },
        integer(.nlink, "n", "number of hard links") {
            Int64(bitPattern: $0.linkCount)
        } set: {
            $0.linkCount = UInt64(bitPattern: $1)
        },
        integer(.mtime, "m", "modification time") {
            $0.mtime
        } set: {
            $0.mtime = $1
        } render: {
            renderTime($0)
        },
        integer(.ctime, "c", "status change time (reported only when nothing else changed)") {
            $0.ctime
        } set: {
            $0.ctime = $1
        } render: {
            renderTime($0)
        },
        AttributeSpec(
            attribute: .linkTarget, aide: "l", summary: "symbolic link target",
            value: { $0.linkTarget.map { .bytes($0) } },
            apply: { record, value in if case .bytes(let b)? = value { record.linkTarget = b } },
            render: { if case .bytes(let b) = $0 { BytePath.escape(b) } else { "" } }),
        AttributeSpec(
            attribute: .sha256, aide: "sha256", summary: "SHA-256 of the content (regular files)",
            value: { $0.sha256.map { .digest($0) } },
            apply: { record, value in if case .digest(let d)? = value { record.sha256 = d } },
            render: { if case .digest(let d) = $0 { d.hex } else { "" } }),
        AttributeSpec(
            attribute: .xattrs, aide: "xattrs", summary: "extended attributes (security.capability, security.selinux…)",
            value: { $0.xattrs.map { .bytes(XattrCoding.encode($0)) } },
            apply: { record, value in if case .bytes(let b)? = value { record.xattrs = XattrCoding.decode(b) } },
            render: { if case .bytes(let b) = $0 { XattrCoding.render(XattrCoding.decode(b) ?? []) } else { "" } }),
        AttributeSpec(
            attribute: .acl, aide: "acl", summary: "POSIX access and default ACLs",
            value: { $0.acl.map { .bytes(XattrCoding.encode($0)) } },
            apply: { record, value in if case .bytes(let b)? = value { record.acl = XattrCoding.decode(b) } },
            render: { if case .bytes(let b) = $0 { PosixACL.render(XattrCoding.decode(b) ?? []) } else { "" } }),
    ]

    private static func integer(
        _ attribute: Attribute, _ aide: String, _ summary: String, get: @escaping @Sendable (FileRecord) -> Int64,
        set: @escaping @Sendable (inout FileRecord, Int64) -> Void,
        render: @escaping @Sendable (Int64) -> String = { String($0) }
    ) -> AttributeSpec {
        AttributeSpec(
            attribute: attribute, aide: aide, summary: summary, value: { .integer(get($0)) },
            apply: { record, value in if case .integer(let v)? = value { set(&record, v) } },
            render: { if case .integer(let v) = $0 { render(v) } else { "" } })
    }

    /// Nanoseconds since the epoch as `seconds.nanoseconds`, exact and sortable.
    static func renderTime(_ value: Int64) -> String {
        let seconds = value / 1_000_000_000
        let nanos = String(value % 1_000_000_000)
        return "\(seconds)." + String(repeating: "0", count: 9 - nanos.count) + nanos
    }
}

/// A lossless byte encoding of an extended attribute list (length-prefixed name and value pairs).
enum XattrCoding {
    static func encode(_ attributes: [ExtendedAttributes.Attribute]) -> [UInt8] {
        var out: [UInt8] = []
        func put(_ bytes: [UInt8]) {
            let n = UInt32(bytes.count)
            out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            out += bytes
        }
        for attribute in attributes {
            put(Array(attribute.name.utf8))
            put(attribute.value)
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> [ExtendedAttributes.Attribute]? {
        var result: [ExtendedAttributes.Attribute] = []
        var offset = 0
        func take() -> [UInt8]? {
            guard offset + 4 <= bytes.count else { return nil }
            let n = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard offset + n <= bytes.count else { return nil }
            defer { offset += n }
            return Array(bytes[offset..<(offset + n)])
        }
        while offset < bytes.count {
            guard let name = take(), let value = take() else { return nil }
            result.append(ExtendedAttributes.Attribute(name: String(decoding: name, as: UTF8.self), value: value))
        }
        return result
    }

    /// `name=value` pairs; a value is shown as text when it is printable (SELinux labels), else as hex.
    static func render(_ attributes: [ExtendedAttributes.Attribute]) -> String {
        attributes.map { attribute in
            var value = attribute.value
            if value.last == 0 { value.removeLast() }
            let printable = !value.isEmpty && value.allSatisfy { (0x20..<0x7F).contains($0) }
            let text = printable ? String(decoding: value, as: UTF8.self) : "0x" + Hex.encode(attribute.value)
            return "\(attribute.name)=\(text)"
        }.joined(separator: ",")
    }
}
