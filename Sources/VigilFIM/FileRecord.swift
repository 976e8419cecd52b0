import VigilCrypto
import VigilSystem

/// What a baseline holds for one path: its attributes as recorded, and which of them are checked.
/// Attributes outside `checks` may be absent (no hash, no xattrs read).
public struct FileRecord: Sendable, Hashable {
    public var path: BytePath
    public var checks: AttributeSet
    public var type: FileStatus.FileType
    public var size: Int64
    /// Permission bits with set-uid, set-gid and sticky.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var inode: UInt64
    public var device: UInt64
    public var linkCount: UInt64
    /// Nanoseconds since the epoch.
    public var mtime: Int64
    /// Nanoseconds since the epoch.
    public var ctime: Int64
    public var linkTarget: [UInt8]?
    public var sha256: SHA256Digest?
    /// Extended attributes other than POSIX ACLs, sorted by name; nil when not read.
    public var xattrs: [ExtendedAttributes.Attribute]?
    /// `system.posix_acl_access` and `system.posix_acl_default`, raw; nil when not read.
    public var acl: [ExtendedAttributes.Attribute]?

    public init(path: BytePath, checks: AttributeSet, status: FileStatus) {
        self.path = path
        self.checks = checks
        self.type = status.type
        self.size = status.size
        self.mode = status.permissions
        self.uid = status.uid
        self.gid = status.gid
        self.inode = status.inode
        self.device = status.device
        self.linkCount = status.linkCount
        self.mtime = status.mtime
        self.ctime = status.ctime
    }

    /// Splits extended attributes read from the file system into ACLs and the rest.
    public mutating func setExtendedAttributes(_ all: [ExtendedAttributes.Attribute]) {
        if checks.contains(.acl) { acl = all.filter { PosixACL.names.contains($0.name) } }
        if checks.contains(.xattrs) { xattrs = all.filter { !PosixACL.names.contains($0.name) } }
    }

    /// Whether a fast check may reuse this record's hash for a file now stat'ed as `status`: same inode,
    /// device, size, mtime and ctime (git's index rule; ctime catches a rewrite with mtime restored).
    public func unchangedSinceHash(_ status: FileStatus) -> Bool {
        sha256 != nil && status.type == .regular && type == .regular && status.inode == inode
            && status.device == device && status.size == size && status.mtime == mtime && status.ctime == ctime
    }
}
