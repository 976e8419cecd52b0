import Foundation
import VigilCore
import VigilCrypto

/// A ledger in a directory: the exported-segment format that `vigil archive` writes and verifies.
///
/// A batch appends to `entries`, `tree` and `entries.idx` and syncs the three together. After a crash
/// any of them may hold more or less of the last batch; when the archive is next opened for
/// appending, the entries after the latest checkpoint are re-hashed against the stored tree and the
/// first one that does not match, with all after it, is cut off (`recoveredEntries`).
/// Proofs read O(log n) 32-byte hashes with `pread`. One writer at a time (an `flock` on `FORMAT`).
public final class DirectoryLedgerStorage: LedgerStorage {
    public let path: String
    private let format: ArchiveFile
    private let entries: ArchiveFile
    private let index: ArchiveFile
    private let tree: ArchiveFile
    private var entriesLength: UInt64
    public private(set) var size: UInt64

    /// Opens the archive at `path`; with `writable`, creates it if absent and takes the writer's lock.
    /// - Throws: `LedgerError` if the directory is not an archive, is locked, or its files disagree in length.
    public init(path: String, writable: Bool) throws {
        self.path = path
        let manager = FileManager.default
        let formatPath = path + "/" + ArchiveLayout.formatFile
        if writable && !manager.fileExists(atPath: formatPath) {
            if manager.fileExists(atPath: path),
                let contents = try? manager.contentsOfDirectory(atPath: path), !contents.isEmpty
            {
                throw LedgerError(
                    code: "ledger.not-archive",
                    message: "\(path) exists, is not empty and has no \(ArchiveLayout.formatFile) file; "
                        + "give a new or empty directory")
            }
            do {
                try manager.createDirectory(
                    atPath: path + "/" + ArchiveLayout.checkpointsDirectory, withIntermediateDirectories: true)
            } catch {
                throw LedgerError(
                    code: "ledger.io", message: "cannot create the archive directory; check the path and permissions",
                    location: ErrorLocation(file: path))
            }
            try ArchiveFile.writeAtomically(ArchiveLayout.formatContents, to: formatPath)
        }
        guard manager.fileExists(atPath: formatPath) else {
            throw LedgerError(
                code: "ledger.not-archive",
                message: "\(path) is not a Vigil archive (no \(ArchiveLayout.formatFile) file); check the directory")
        }
        format = try ArchiveFile(path: formatPath, writable: false)
        guard try format.readAll() == ArchiveLayout.formatContents else {
            throw LedgerError(
                code: "ledger.format",
                message: "\(formatPath) does not say vigil-archive/v1; this archive is from another version or altered")
        }
        if writable { try format.lockExclusively() }
        entries = try ArchiveFile(path: path + "/" + ArchiveLayout.entriesFile, writable: writable)
        index = try ArchiveFile(path: path + "/" + ArchiveLayout.indexFile, writable: writable)
        tree = try ArchiveFile(path: path + "/" + ArchiveLayout.treeFile, writable: writable)
        if writable { try ArchiveFile.syncDirectory(path) }

        let indexLength = try index.length()
        let actualEntries = try entries.length()
        let actualTree = try tree.length()
        var committed = indexLength / 8
        if writable {
            committed = try Self.recover(
                path: path, entries: entries, index: index, tree: tree, named: committed,
                lengths: (actualEntries, actualTree))
            recoveredEntries = indexLength / 8 - committed
        }
        size = committed
        entriesLength = committed == 0 ? 0 : try Self.end(of: committed - 1, in: index)
        let treeLength = NodeID.nodeCount(treeSize: committed) * 32
        guard actualEntries >= entriesLength, actualTree >= treeLength else {
            throw LedgerError(
                code: "ledger.incomplete",
                message: "\(path): \(ArchiveLayout.indexFile) names \(committed) entries but "
                    + "\(actualEntries < entriesLength ? ArchiveLayout.entriesFile : ArchiveLayout.treeFile) is shorter; "
                    + "the archive was truncated or altered — run 'vigil archive verify' on it")
        }
        if writable && (indexLength != committed * 8 || actualEntries != entriesLength || actualTree != treeLength) {
            try index.truncate(to: committed * 8)
            try entries.truncate(to: entriesLength)
            try tree.truncate(to: treeLength)
            try Self.syncAll([entries, index, tree])
        }
    }

    /// How many entries an interrupted batch left behind, cut off when the archive was opened to append.
    public private(set) var recoveredEntries: UInt64 = 0

    /// The number of entries that survived a crash intact: the index may name entries whose bytes or
    /// hashes never reached the disk (the three files are synced together). Entries after the latest
    /// checkpoint are re-hashed and checked against the stored tree; the first that does not match,
    /// and everything after it, is an interrupted batch. Signed entries are never cut.
    private static func recover(
        path: String, entries: ArchiveFile, index: ArchiveFile, tree: ArchiveFile, named: UInt64,
        lengths: (entries: UInt64, tree: UInt64)
    ) throws -> UInt64 {
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: path + "/" + ArchiveLayout.checkpointsDirectory))
            ?? []
        let signed = names.compactMap { ArchiveLayout.checkpointSize(name: $0) }.max() ?? 0
        guard signed <= named, NodeID.nodeCount(treeSize: signed) * 32 <= lengths.tree else {
            throw LedgerError(
                code: "ledger.incomplete",
                message: "\(path) holds fewer entries than its latest checkpoint (size \(signed)); "
                    + "signed entries are missing — run 'vigil archive verify' on it; nothing was written")
        }
        let hasher = RFC9162Hasher()
        let frontierIDs = NodeID.decompose(0, signed)
        var hashes: [SHA256Digest] = []
        for id in frontierIDs {
            guard let digest = SHA256Digest(bytes: try tree.read(count: 32, at: id.position * 32)) else {
                preconditionFailure("32 bytes make a digest")
            }
            hashes.append(digest)
        }
        var frontier = MerkleFrontier(size: signed, hashes: hashes)
        var start = signed == 0 ? 0 : try end(of: signed - 1, in: index)
        for i in signed..<named {
            let end = try end(of: i, in: index)
            guard end >= start, end <= lengths.entries, NodeID.nodeCount(treeSize: i + 1) * 32 <= lengths.tree else {
                return i
            }
            let leaf = hasher.hashLeaf(try entries.read(count: Int(end - start), at: start))
            var intact = true
            var failure: (any Error)?
            frontier.append(leafHash: leaf, hasher: hasher) { id, hash in
                guard intact else { return }
                do {
                    intact = try tree.read(count: 32, at: id.position * 32) == hash.bytes
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            guard intact else { return i }
            start = end
        }
        return named
    }

    private static func end(of entry: UInt64, in index: ArchiveFile) throws -> UInt64 {
        try index.read(count: 8, at: entry * 8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    public func nodes(_ ids: [NodeID]) throws -> [SHA256Digest] {
        var result: [SHA256Digest] = []
        result.reserveCapacity(ids.count)
        for id in ids where id.endLeaf > size {
            throw LedgerError(code: "ledger.node-missing", message: "\(id) lies beyond the \(size) entries of \(path)")
        }
        // Proofs read a few dozen scattered hashes: from a mapping that is a memory copy each, not a syscall.
        let length = Int(NodeID.nodeCount(treeSize: size)) * 32
        let mapped: Bool? = tree.withMapping(length: length) { raw in
            for id in ids {
                let offset = Int(id.position) * 32
                guard let digest = SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + 32]))
                else {
                    preconditionFailure("32 bytes make a digest")
                }
                result.append(digest)
            }
            return true
        }
        if mapped == true { return result }
        var buffer = [UInt8](repeating: 0, count: 32)
        for id in ids {
            try buffer.withUnsafeMutableBytes { try tree.read(into: $0, at: id.position * 32) }
            guard let digest = SHA256Digest(bytes: buffer) else { preconditionFailure("32 bytes make a digest") }
            result.append(digest)
        }
        return result
    }

    public func entry(_ number: UInt64) throws -> [UInt8] {
        guard number < size else {
            throw LedgerError(
                code: "ledger.entry-missing", message: "entry \(number) does not exist; the archive has \(size) entries"
            )
        }
        let start = number == 0 ? 0 : try Self.end(of: number - 1, in: index)
        let end = try Self.end(of: number, in: index)
        guard start <= end, end <= entriesLength else {
            throw LedgerError(
                code: "ledger.index-corrupt",
                message:
                    "\(ArchiveLayout.indexFile) has impossible offsets for entry \(number); run 'vigil archive verify'",
                location: ErrorLocation(file: path + "/" + ArchiveLayout.indexFile, offset: Int(number * 8)))
        }
        return try entries.read(count: Int(end - start), at: start)
    }

    public func append(_ batch: LedgerBatch) throws {
        precondition(batch.firstIndex == size, "a batch starting at \(batch.firstIndex) appended at \(size)")
        var offsets = [UInt8](repeating: 0, count: batch.count * 8)
        for (i, end) in batch.ends.enumerated() {
            let absolute = entriesLength + UInt64(end)
            for byte in 0..<8 { offsets[i * 8 + byte] = UInt8(truncatingIfNeeded: absolute >> UInt64(56 - byte * 8)) }
        }
        try batch.bytes.withUnsafeBytes { try entries.append($0) }
        try batch.nodes.withUnsafeBytes { try tree.append($0) }
        try offsets.withUnsafeBytes { try index.append($0) }
        try Self.syncAll([entries, tree, index])
        size += UInt64(batch.count)
        entriesLength += UInt64(batch.bytes.count)
    }

    /// Syncs files at once — the first on this thread, each other one on a global queue — so the device
    /// serves the flushes together. (Measured: about twice the batches per second of syncing in turn.)
    private static func syncAll(_ files: [ArchiveFile]) throws {
        let failures = FailureBox()
        let group = DispatchGroup()
        for target in files.dropFirst().map(\.syncTarget) {
            DispatchQueue.global(qos: .userInitiated).async(group: group) {
                do { try target.sync() } catch { failures.record(error) }
            }
        }
        do { try files.first?.sync() } catch { failures.record(error) }
        group.wait()
        if let error = failures.first { throw error }
    }

    public func checkpoints() throws -> [(size: UInt64, note: [UInt8])] {
        let directory = path + "/" + ArchiveLayout.checkpointsDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return try names.compactMap { name in
            guard let size = ArchiveLayout.checkpointSize(name: name) else { return nil }
            return (size: size, note: try ArchiveFile(path: directory + "/" + name, writable: false).readAll())
        }.sorted { $0.size < $1.size }
    }

    public func addCheckpoint(size: UInt64, note: [UInt8]) throws {
        precondition(size <= self.size, "a checkpoint beyond the log")
        let directory = path + "/" + ArchiveLayout.checkpointsDirectory
        try ArchiveFile.writeAtomically(note, to: directory + "/" + ArchiveLayout.checkpointName(size: size))
    }
}

/// The first error from concurrent work.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?

    func record(_ error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if self.error == nil { self.error = error }
    }

    var first: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }
}
