import Foundation
import VigilCore

/// One open file of an archive directory: positioned reads, appends and `fdatasync`, with `EINTR`
/// retried and every failure turned into a `LedgerError` naming the file. The only code in the
/// module that calls the C library for files.
final class ArchiveFile {
    let path: String
    private let fd: Int32

    /// Opens `path` (`open(2)`) read-only, or for appending and creating when `writable`.
    init(path: String, writable: Bool) throws {
        self.path = path
        let flags = writable ? (O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC) : (O_RDONLY | O_CLOEXEC)
        let fd = Self.retrying { open(path, flags, 0o644) }
        guard fd >= 0 else { throw LedgerError.io("opening \(path)", path: path, errno: errno) }
        self.fd = fd
    }

    /// A read-only shared mapping of the file's first `mappedLength` bytes, made on demand.
    private var mapping: UnsafeMutableRawPointer?
    private var mappedLength = 0

    deinit {
        if let mapping { munmap(mapping, mappedLength) }
        close(fd)
    }

    /// Calls `body` with the file's first `length` bytes mapped into memory (`mmap`, remapped when the
    /// file has grown past the current mapping), or returns nil if the file cannot be mapped.
    func withMapping<R>(length: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        if length > mappedLength {
            if let mapping { munmap(mapping, mappedLength) }
            mapping = nil
            mappedLength = 0
            // Map with room to grow, so appends do not remap on every read.
            let size = max(length, Int((try? self.length()) ?? 0))
            guard size > 0 else { return nil }
            let address = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
            guard let address, address != MAP_FAILED else { return nil }
            mapping = address
            mappedLength = size
        }
        guard let mapping else { return nil }
        return try body(UnsafeRawBufferPointer(start: mapping, count: length))
    }

    /// The file's length (`fstat`).
    func length() throws -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LedgerError.io("stat", path: path, errno: errno) }
        return UInt64(info.st_size)
    }

    /// Reads exactly `count` bytes at `offset` into `buffer` (`pread`).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = Self.retrying {
                pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            }
            guard n > 0 else {
                if n == 0 {
                    throw LedgerError(
                        code: "ledger.short-read",
                        message: "\(path) ends before byte \(offset + UInt64(buffer.count)); the file was truncated",
                        location: ErrorLocation(file: path, offset: Int(offset)))
                }
                throw LedgerError.io("reading", path: path, errno: errno)
            }
            done += n
        }
    }

    /// `count` bytes at `offset`.
    func read(count: Int, at offset: UInt64) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        return bytes
    }

    /// The whole file.
    func readAll() throws -> [UInt8] { try read(count: Int(try length()), at: 0) }

    /// Appends all of `bytes` (`write` on an `O_APPEND` descriptor).
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Self.retrying { write(fd, base + done, bytes.count - done) }
            guard n > 0 else { throw LedgerError.io("writing", path: path, errno: errno) }
            done += n
        }
    }

    /// Makes appended data durable (`fdatasync`).
    func sync() throws { try syncTarget.sync() }

    /// What `sync` needs, as a value another thread may use while this file stays open.
    var syncTarget: SyncTarget { SyncTarget(fd: fd, path: path) }

    struct SyncTarget: Sendable {
        let fd: Int32
        let path: String

        func sync() throws {
            guard ArchiveFile.retrying({ fdatasync(fd) }) == 0 else {
                throw LedgerError.io("fdatasync", path: path, errno: errno)
            }
        }
    }

    /// Cuts the file to `length` bytes (`ftruncate`), for dropping an uncommitted batch.
    func truncate(to length: UInt64) throws {
        guard Self.retrying({ ftruncate(fd, off_t(length)) }) == 0 else {
            throw LedgerError.io("truncating", path: path, errno: errno)
        }
    }

    /// Takes the exclusive advisory lock (`flock`) without waiting.
    func lockExclusively() throws {
        guard Self.retrying({ flock(fd, LOCK_EX | LOCK_NB) }) == 0 else {
            throw LedgerError(
                code: "ledger.locked",
                message: "another process is appending to this archive; wait for it to finish",
                location: ErrorLocation(file: path))
        }
    }

    /// Writes `bytes` to `path` through a temporary file, `fsync` and `rename`, then syncs the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp"
        let fd = retrying { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw LedgerError.io("creating \(temporary)", path: temporary, errno: errno) }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                retrying { write(fd, raw.baseAddress.map { $0 + done }, raw.count - done) }
            }
            guard n > 0 else { throw LedgerError.io("writing", path: temporary, errno: errno) }
            done += n
        }
        guard retrying({ fsync(fd) }) == 0 else { throw LedgerError.io("fsync", path: temporary, errno: errno) }
        guard rename(temporary, path) == 0 else {
            throw LedgerError.io("renaming to \(path)", path: path, errno: errno)
        }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// `fsync` on a directory, so a rename or a new file in it survives a crash.
    static func syncDirectory(_ path: String) throws {
        let fd = retrying { open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw LedgerError.io("opening directory", path: path, errno: errno) }
        defer { close(fd) }
        guard retrying({ fsync(fd) }) == 0 else { throw LedgerError.io("fsync", path: path, errno: errno) }
    }

    /// Repeats a system call while it fails with `EINTR`.
    static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }
}
