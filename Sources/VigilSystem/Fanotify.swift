internal import CLinux
import Glibc

/// A fanotify group reporting directory file ids and names (`FAN_REPORT_DFID_NAME`, kernel ≥ 5.9):
/// dirent events (create, delete, move) and modify/attrib on filesystem marks, and open/access/exec
/// events on inode marks. Needs `CAP_SYS_ADMIN`. Closing it removes every mark.
public final class Fanotify: @unchecked Sendable {
    /// Event bits (`FAN_*` from `linux/fanotify.h`).
    public enum Mask {
        public static let access: UInt64 = 0x1
        public static let modify: UInt64 = 0x2
        public static let attrib: UInt64 = 0x4
        public static let closeWrite: UInt64 = 0x8
        public static let open: UInt64 = 0x20
        public static let movedFrom: UInt64 = 0x40
        public static let movedTo: UInt64 = 0x80
        public static let create: UInt64 = 0x100
        public static let delete: UInt64 = 0x200
        public static let deleteSelf: UInt64 = 0x400
        public static let moveSelf: UInt64 = 0x800
        public static let openExec: UInt64 = 0x1000
        public static let overflow: UInt64 = 0x4000
        public static let onChild: UInt64 = 0x0800_0000
        public static let onDirectory: UInt64 = 0x4000_0000
        /// Every change event a filesystem mark takes.
        public static let changes: UInt64 = modify | attrib | movedFrom | movedTo | create | delete | onDirectory
        /// Reads and executions.
        public static let reads: UInt64 = open | access | openExec
    }

    public let descriptor: FileDescriptor
    /// Descriptors of marked paths, used as `mount_fd` to resolve file handles, by file system id.
    private var mountDescriptors: [(fsid: UInt64, fd: FileDescriptor)] = []

    /// `fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY)`.
    /// - Throws: `SystemError` (EPERM without CAP_SYS_ADMIN, EINVAL on kernels before 5.9, ENOSYS).
    public init() throws {
        let flags = UInt32(0x400 | 0x800 | 0x1 | 0x2)  // DIR_FID | NAME | CLOEXEC | NONBLOCK
        let fd = try Errno.retrying("fanotify_init") {
            vigil_fanotify_init(flags, UInt32(O_RDONLY | O_CLOEXEC))
        }
        descriptor = FileDescriptor(adopting: fd)
    }

    /// Marks the whole file system holding `path` for `mask` (`FAN_MARK_FILESYSTEM`).
    public func markFilesystem(_ path: BytePath, mask: UInt64) throws {
        try mark(path, flags: 0x1 | 0x100, mask: mask)  // ADD | FILESYSTEM
    }

    /// Marks one inode (a file, or a directory and its direct children with `Mask.onChild`).
    public func markInode(_ path: BytePath, mask: UInt64) throws {
        try mark(path, flags: 0x1 | 0x4, mask: mask)  // ADD | DONT_FOLLOW
    }

    /// Removes every mark of the group (`FAN_MARK_FLUSH` for inode, mount and filesystem marks).
    public func removeAllMarks() {
        for flags: UInt32 in [0x80, 0x80 | 0x10, 0x80 | 0x100] {
            _ = vigil_fanotify_mark(descriptor.rawValue, flags, 0, AT_FDCWD, nil)
        }
    }

    private func mark(_ path: BytePath, flags: UInt32, mask: UInt64) throws {
        try withCString(path.bytes) { cPath in
            _ = try Errno.retrying("fanotify_mark", context: path.description) {
                vigil_fanotify_mark(descriptor.rawValue, flags, mask, AT_FDCWD, cPath)
            }
        }
        // open_by_handle_at refuses an O_PATH mount_fd: open the directory (or the file's parent) for reading.
        let directory =
            (try? FileStatus.of(path.bytes, in: AT_FDCWD, path: path))?.type == .directory ? path : path.parent
        let fd = try withCString(directory.bytes) { cPath in
            try Errno.retrying("open", context: directory.description) {
                open(cPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            }
        }
        let file = FileDescriptor(adopting: fd)
        var fsid: UInt64 = 0
        _ = try Errno.retrying("fstatfs", context: path.description) { vigil_fsid(fd, &fsid) }
        if !mountDescriptors.contains(where: { $0.fsid == fsid }) { mountDescriptors.append((fsid, file)) }
    }

    /// Waits up to `timeout` milliseconds for events and reads what is queued.
    /// - Returns: the decoded events (empty on timeout) and the count of undecodable bytes.
    public func read(timeout: Int32) throws -> (records: [FanotifyRecord], malformedBytes: Int) {
        var poller = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        let ready = try Errno.retrying("poll") { poll(&poller, 1, timeout) }
        guard ready > 0 else { return ([], 0) }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor.rawValue, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return ([], 0) }
            throw SystemError(call: "read", errno: errno, context: "fanotify")
        }
        buffer.removeSubrange(count...)
        return FanotifyParser.parse(buffer)
    }

    /// The path of the directory a DFID record names, joined with its entry name (`.` means the
    /// directory itself). Wraps `open_by_handle_at` (needs CAP_DAC_READ_SEARCH) and `/proc/self/fd`.
    /// - Returns: nil when the directory no longer exists or is on an unmarked file system.
    public func path(of id: FanotifyRecord.FileID) -> BytePath? {
        var handle = id.handle
        for (fsid, mount) in mountDescriptors where fsid == id.fsid {
            let fd = handle.withUnsafeMutableBytes {
                vigil_open_by_handle_at(mount.rawValue, $0.baseAddress, vigil_o_path() | O_CLOEXEC)
            }
            guard fd >= 0 else { continue }
            let directory = FileDescriptor(adopting: fd)
            guard var path = ProcessIdentity.readLink("/proc/self/fd/\(directory.rawValue)") else { continue }
            if path.bytes.hasSuffix(Array(" (deleted)".utf8)) { return nil }
            if let name = id.name, name != [UInt8(ascii: ".")], !name.isEmpty { path = path.appending(name) }
            return path
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    fileprivate func hasSuffix(_ suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
