import Foundation
import VigilCore
import VigilCrypto

/// Appends entries to an archive directory in batches and signs a checkpoint at the end.
///
/// Before anything is appended, the archive's latest checkpoint must be signed by this writer's key
/// and match the stored tree (O(log n) reads), so a writer never signs a tree that contradicts its
/// own history. Entries are not re-read: new roots are built on the recorded hashes, so an entry
/// altered on disk stays detectable by `ArchiveVerifier` after later appends.
public final class ArchiveWriter {
    public let ledger: Ledger
    public let signer: NoteSignerKey
    public let batchSize: Int
    private let storage: DirectoryLedgerStorage
    private var batch: LedgerBatch

    /// Opens (or creates) the archive at `path` for appending.
    /// - Throws: `LedgerError` if the archive is locked, incomplete, or does not match its latest checkpoint.
    public init(directory path: String, signer: NoteSignerKey, batchSize: Int = 1000) throws {
        precondition(batchSize > 0, "a batch holds at least one entry")
        storage = try DirectoryLedgerStorage(path: path, writable: true)
        ledger = try Ledger(storage: storage)
        self.signer = signer
        self.batchSize = batchSize
        batch = LedgerBatch(firstIndex: ledger.size)
        guard let latest = try storage.checkpoints().last else { return }
        let file =
            path + "/" + ArchiveLayout.checkpointsDirectory + "/" + ArchiveLayout.checkpointName(size: latest.size)
        let checkpoint: Checkpoint
        do {
            let note = try SignedNote(parsing: latest.note)
            _ = try note.verify(keys: [signer.verifier])
            checkpoint = try Checkpoint(text: note.text)
        } catch let error as LedgerError {
            throw LedgerError(
                code: error.code,
                message: "the latest checkpoint is not one this key signed: \(error.message); "
                    + "run 'vigil archive verify' — nothing was written",
                location: ErrorLocation(file: file))
        }
        guard checkpoint.origin == signer.name, checkpoint.size == latest.size, checkpoint.size <= ledger.size,
            try ledger.root(treeSize: checkpoint.size) == checkpoint.root
        else {
            throw LedgerError(
                code: "ledger.checkpoint-mismatch",
                message: "the archive does not match its latest checkpoint (size \(checkpoint.size)); "
                    + "run 'vigil archive verify' before appending — nothing was written",
                location: ErrorLocation(file: file))
        }
    }

    /// Entries of an interrupted batch (after the latest checkpoint, never synced whole) that opening cut off.
    public var recoveredEntries: UInt64 { storage.recoveredEntries }

    /// Adds one entry; writes a batch when `batchSize` entries are waiting.
    /// - Throws: `LedgerError` if writing fails.
    public func append(_ entry: some Collection<UInt8>) throws {
        batch.bytes.append(contentsOf: entry)
        batch.ends.append(batch.bytes.count)
        if batch.count >= batchSize { try flush() }
    }

    /// Appends each line read from `fd` to its end, as one entry each (split on `\n` only; the bytes
    /// of a line are kept as given, `\r` included; a last line without a newline counts).
    /// - Returns: the number of entries appended.
    /// - Throws: `LedgerError` if reading or writing fails.
    @discardableResult
    public func appendLines(fileDescriptor fd: Int32) throws -> UInt64 {
        let chunk = 256 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        var pending: [UInt8] = []
        var count: UInt64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in ArchiveFile.retrying { read(fd, raw.baseAddress, chunk) } }
            if n < 0 { throw LedgerError.io("reading the input", path: "-", errno: errno) }
            if n == 0 { break }
            var start = 0
            for i in 0..<n where buffer[i] == 0x0a {
                if pending.isEmpty {
                    try append(buffer[start..<i])
                } else {
                    pending.append(contentsOf: buffer[start..<i])
                    try append(pending)
                    pending.removeAll(keepingCapacity: true)
                }
                count += 1
                start = i + 1
            }
            pending.append(contentsOf: buffer[start..<n])
        }
        if !pending.isEmpty {
            try append(pending)
            count += 1
        }
        return count
    }

    /// Writes the waiting entries as one durable batch.
    public func flush() throws {
        guard batch.count > 0 else { return }
        try ledger.append(batch: batch)
        batch = LedgerBatch(firstIndex: ledger.size)
    }

    /// Flushes, then signs and stores a checkpoint for the current size (unless one exists for it).
    /// - Returns: the signed checkpoint note.
    public func finish() throws -> SignedNote {
        try flush()
        if let existing = try storage.checkpoints().last, existing.size == ledger.size {
            return try SignedNote(parsing: existing.note)
        }
        let checkpoint = Checkpoint(origin: signer.name, size: ledger.size, root: ledger.root)
        let note = try SignedNote(signing: checkpoint.text, with: [signer])
        try storage.addCheckpoint(size: ledger.size, note: note.bytes)
        return note
    }
}
