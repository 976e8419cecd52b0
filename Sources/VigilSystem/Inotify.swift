internal import CLinux
import Glibc

/// An inotify instance: the fallback where fanotify is unavailable. It watches directories one by one
/// (no recursion in the kernel) and cannot say which process made a change.
public final class Inotify: @unchecked Sendable {
    /// One decoded `struct inotify_event`.
    public struct Record: Sendable, Hashable {
        public var watch: Int32
        public var mask: UInt32
        public var cookie: UInt32
        public var name: [UInt8]
    }

    /// Event bits (`IN_*` from `sys/inotify.h`).
    public enum Mask {
        public static let access: UInt32 = 0x1
        public static let modify: UInt32 = 0x2
        public static let attrib: UInt32 = 0x4
        public static let open: UInt32 = 0x20
        public static let movedFrom: UInt32 = 0x40
        public static let movedTo: UInt32 = 0x80
        public static let create: UInt32 = 0x100
        public static let delete: UInt32 = 0x200
        public static let overflow: UInt32 = 0x4000
        public static let isDirectory: UInt32 = 0x4000_0000
        public static let dontFollow: UInt32 = 0x0100_0000
        public static let changes: UInt32 = modify | attrib | movedFrom | movedTo | create | delete
    }

    public let descriptor: FileDescriptor
    /// Watched directories by watch descriptor.
    public private(set) var paths: [Int32: BytePath] = [:]

    /// `inotify_init1(IN_NONBLOCK | IN_CLOEXEC)`.
    public init() throws {
        let fd = try Errno.retrying("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        descriptor = FileDescriptor(adopting: fd)
    }

    /// Adds a watch (`inotify_add_watch`, never following a symlink).
    @discardableResult
    public func watch(_ path: BytePath, mask: UInt32) throws -> Int32 {
        let wd = try withCString(path.bytes) { cPath in
            try Errno.retrying("inotify_add_watch", context: path.description) {
                inotify_add_watch(descriptor.rawValue, cPath, mask | Mask.dontFollow)
            }
        }
        paths[wd] = path
        return wd
    }

    /// Waits up to `timeout` milliseconds and reads what is queued.
    public func read(timeout: Int32) throws -> [Record] {
        var poller = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        let ready = try Errno.retrying("poll") { poll(&poller, 1, timeout) }
        guard ready > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor.rawValue, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return [] }
            throw SystemError(call: "read", errno: errno, context: "inotify")
        }
        buffer.removeSubrange(count...)
        return Self.parse(buffer)
    }

    /// Decodes `struct inotify_event` records (wd, mask, cookie, len, name padded with NULs); stops
    /// at the first record whose length does not fit.
    public static func parse(_ bytes: [UInt8]) -> [Record] {
        var records: [Record] = []
        var offset = 0
        while bytes.count - offset >= 16 {
            let length = Int(FanotifyParser.u32(bytes, offset + 12))
            guard length <= bytes.count - offset - 16 else { break }
            let nameBytes = bytes[(offset + 16)..<(offset + 16 + length)]
            records.append(
                Record(
                    watch: Int32(bitPattern: FanotifyParser.u32(bytes, offset)),
                    mask: FanotifyParser.u32(bytes, offset + 4), cookie: FanotifyParser.u32(bytes, offset + 8),
                    name: Array(nameBytes.prefix { $0 != 0 })))
            offset += 16 + length
        }
        return records
    }
}
