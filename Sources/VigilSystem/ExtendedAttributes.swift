internal import CLinux
import Glibc

/// Extended attributes (`security.capability`, `security.selinux`, `user.*`, POSIX ACLs) of one
/// directory entry, read without following a symlink.
public enum ExtendedAttributes {
    /// One attribute: its name and raw value.
    public struct Attribute: Sendable, Hashable {
        public var name: String
        public var value: [UInt8]

        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    /// Reads every attribute of `name` in the open directory `directory`, sorted by name.
    ///
    /// Wraps `llistxattr`/`lgetxattr` through `/proc/self/fd/N/NAME`, so paths longer than `PATH_MAX`
    /// work. A file system without xattr support gives an empty list; an attribute that vanishes
    /// between listing and reading is left out.
    /// - Throws: `SystemError` for other failures (EACCES, ENOENT when the entry vanished).
    public static func read(_ name: [UInt8], in directory: Int32, path: BytePath) throws -> [Attribute] {
        let access: [UInt8] = directory == AT_FDCWD ? name : Array("/proc/self/fd/\(directory)/".utf8) + name
        return try withCString(access) { cPath in
            var size = 0
            var list: [UInt8] = []
            while true {
                size = try listLength(cPath, path: path)
                if size <= 0 { return [] }
                list = [UInt8](repeating: 0, count: size)
                let got = list.withUnsafeMutableBytes { llistxattr(cPath, $0.baseAddress, size) }
                if got >= 0 {
                    list.removeSubrange(got...)
                    break
                }
                if errno != ERANGE { throw SystemError(call: "llistxattr", errno: errno, context: path.description) }
            }
            var result: [Attribute] = []
            for nameBytes in list.split(separator: 0) {
                let attributeName = String(decoding: nameBytes, as: UTF8.self)
                if let value = try value(cPath, attributeName, path: path) {
                    result.append(Attribute(name: attributeName, value: value))
                }
            }
            return result.sorted { $0.name < $1.name }
        }
    }

    private static func listLength(_ cPath: UnsafePointer<CChar>, path: BytePath) throws -> Int {
        let size = llistxattr(cPath, nil, 0)
        if size >= 0 { return size }
        if errno == ENOTSUP || errno == EOPNOTSUPP { return 0 }
        throw SystemError(call: "llistxattr", errno: errno, context: path.description)
    }

    private static func value(_ cPath: UnsafePointer<CChar>, _ name: String, path: BytePath) throws -> [UInt8]? {
        while true {
            let size = lgetxattr(cPath, name, nil, 0)
            if size < 0 {
                if errno == ENODATA { return nil }
                throw SystemError(call: "lgetxattr", errno: errno, context: "\(path) \(name)")
            }
            var value = [UInt8](repeating: 0, count: size)
            let got = value.withUnsafeMutableBytes { lgetxattr(cPath, name, $0.baseAddress, size) }
            if got >= 0 {
                value.removeSubrange(got...)
                return value
            }
            if errno == ENODATA { return nil }
            if errno != ERANGE { throw SystemError(call: "lgetxattr", errno: errno, context: "\(path) \(name)") }
        }
    }
}

extension ExtendedAttributes {
    /// Sets one attribute on `path` without following a final symlink (`lsetxattr`).
    /// - Throws: `SystemError` (ENOTSUP where the file system has no xattrs, EPERM…).
    public static func set(_ name: String, _ value: [UInt8], path: BytePath) throws {
        try withCString(path.bytes) { cPath in
            _ = try value.withUnsafeBytes { raw in
                try Errno.retrying("lsetxattr", context: "\(path) \(name)") {
                    lsetxattr(cPath, name, raw.baseAddress, raw.count, 0)
                }
            }
        }
    }
}
