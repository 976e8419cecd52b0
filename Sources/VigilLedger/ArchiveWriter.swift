import VigilCore
import VigilCrypto

/// Appends entries to an archive directory in batches and signs a checkpoint at the end.
///
/// Before anything is appended, the archive's latest checkpoint must match the stored tree and be
/// signed by this writer's key: a writer never signs over an archive that was altered.
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
        if let latest = try storage.checkpoints().last {
            let note = try SignedNote(parsing: latest.note)
            _ = try note.verify(keys: [signer.verifier])
            let checkpoint = try Checkpoint(text: note.text)
            guard checkpoint.origin == signer.name, checkpoint.size <= ledger.size,
                try ledger.root(treeSize: checkpoint.size) == checkpoint.root
            else {
                throw LedgerError(
                    code: "ledger.checkpoint-mismatch",
                    message: "the archive does not match its latest checkpoint (size \(checkpoint.size)); "
                        + "run 'vigil archive verify' before appending — nothing was written",
                    location: ErrorLocation(file: path))
            }
        }
    }

    /// Adds one entry; writes a batch when `batchSize` entries are waiting.
    /// - Throws: `LedgerError` if writing fails.
    public func append(_ entry: some Collection<UInt8>) throws {
        batch.bytes.append(contentsOf: entry)
        batch.ends.append(batch.bytes.count)
        if batch.count >= batchSize { try flush() }
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
