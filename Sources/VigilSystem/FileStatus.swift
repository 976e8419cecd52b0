import Glibc

/// What `lstat(2)` says about one directory entry, with the file type decoded.
public struct FileStatus: Sendable, Hashable {
    /// The file type from `st_mode`.
    public enum FileType: String, Sendable, Hashable, CaseIterable {
        case regular = "file", directory, symlink, fifo, socket, charDevice = "char-device"
        case blockDevice = "block-device", unknown
    }

    public var type: FileType
    /// Permission bits including set-uid, set-gid and sticky (`st_mode & 07777`).
    public var permissions: UInt32
    public var size: Int64
    public var uid: UInt32
    public var gid: UInt32
    public var inode: UInt64
    public var device: UInt64
    public var linkCount: UInt64
    /// Modification time in nanoseconds since the epoch.
    public var mtime: Int64
    /// Status-change time in nanoseconds since the epoch.
    public var ctime: Int64

    public init(
        type: FileType, permissions: UInt32, size: Int64, uid: UInt32, gid: UInt32, inode: UInt64, device: UInt64,
        linkCount: UInt64, mtime: Int64, ctime: Int64
    ) {
        self.type = type
        self.permissions = permissions
        self.size = size
        self.uid = uid
        self.gid = gid
        self.inode = inode
        self.device = device
        self.linkCount = linkCount
        self.mtime = mtime
        self.ctime = ctime
    }

    init(_ st: stat) {
        let format = st.st_mode & S_IFMT
        let type: FileType =
            switch format {
            case S_IFREG: .regular
            case S_IFDIR: .directory
            case S_IFLNK: .symlink
            case S_IFIFO: .fifo
            case S_IFSOCK: .socket
            case S_IFCHR: .charDevice
            case S_IFBLK: .blockDevice
            default: .unknown
            }
        self.init(
            type: type, permissions: UInt32(st.st_mode & 0o7777), size: Int64(st.st_size), uid: st.st_uid,
            gid: st.st_gid, inode: UInt64(st.st_ino), device: UInt64(st.st_dev), linkCount: UInt64(st.st_nlink),
            mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
            ctime: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    /// `lstat` of `name` relative to the directory `directory` (`fstatat` with `AT_SYMLINK_NOFOLLOW`).
    /// - Throws: `SystemError` (ENOENT when the entry vanished, EACCES…).
    public static func of(_ name: [UInt8], in directory: Int32, path: BytePath) throws -> FileStatus {
        var st = stat()
        try withCString(name) { cName in
            _ = try Errno.retrying("fstatat", context: path.description) {
                fstatat(directory, cName, &st, AT_SYMLINK_NOFOLLOW)
            }
        }
        return FileStatus(st)
    }

    /// `fstat` of an open descriptor.
    public static func of(descriptor: Int32) throws -> FileStatus {
        var st = stat()
        _ = try Errno.retrying("fstat") { fstat(descriptor, &st) }
        return FileStatus(st)
    }
}

/// Calls `body` with a NUL-terminated copy of `bytes`.
func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
    var terminated = bytes
    terminated.append(0)
    return try terminated.withUnsafeBufferPointer { buffer in
        try buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { try body($0) }
    }
}
