import Glibc

/// An open file descriptor that closes itself when the last reference goes.
public final class FileDescriptor: @unchecked Sendable {
    /// The raw descriptor; valid until `close()` or deinit.
    public private(set) var rawValue: Int32

    public init(adopting rawValue: Int32) {
        precondition(rawValue >= 0, "FileDescriptor(adopting:) needs an open descriptor")
        self.rawValue = rawValue
    }

    /// Opens `path` with `open(2)` flags (O_CLOEXEC is always added).
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> FileDescriptor {
        let fd = try Errno.retrying("open", context: path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
        return FileDescriptor(adopting: fd)
    }

    /// Reads up to `count` bytes; an empty result means end of file.
    public func read(upTo count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = try buffer.withUnsafeMutableBytes { raw in
            try Errno.retrying("read") { Glibc.read(rawValue, raw.baseAddress, count) }
        }
        buffer.removeSubrange(n..<buffer.count)
        return buffer
    }

    /// Reads everything to the end of the file.
    public func readAll(chunk: Int = 64 * 1024) throws -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let part = try read(upTo: chunk)
            if part.isEmpty { return out }
            out += part
        }
    }

    /// Writes all of `bytes`, looping over short writes.
    public func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = try Errno.retrying("write") {
                    Glibc.write(rawValue, raw.baseAddress! + offset, raw.count - offset)
                }
                offset += n
            }
        }
    }

    /// Flushes the file's data and metadata to stable storage.
    public func sync() throws { try Errno.retrying("fsync") { Glibc.fsync(rawValue) } }

    /// Closes now (idempotent).
    public func close() {
        if rawValue >= 0 {
            _ = Glibc.close(rawValue)
            rawValue = -1
        }
    }

    deinit { close() }
}
