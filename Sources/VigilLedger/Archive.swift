import VigilCore
import VigilCrypto

/// The read-side operations of `vigil archive` on a directory: proofs and verification.
public enum Archive {
    /// A proof that entry `index` is in the archive, under the smallest checkpoint that covers it
    /// (the latest one when `latest`).
    /// - Throws: `LedgerError` if no checkpoint covers the entry or the archive cannot be read.
    public static func prove(directory path: String, index: UInt64, latest: Bool = true) throws -> ProofBundle {
        let storage = try DirectoryLedgerStorage(path: path, writable: false)
        let ledger = try Ledger(storage: storage)
        let covering = try storage.checkpoints().filter { $0.size > index }
        guard let chosen = latest ? covering.last : covering.first else {
            throw LedgerError(
                code: "ledger.not-covered",
                message: "no checkpoint covers entry \(index) (the archive has \(ledger.size) entries); "
                    + "append with --key to sign a new checkpoint")
        }
        let note = try SignedNote(parsing: chosen.note)
        let checkpoint = try Checkpoint(text: note.text)
        let proof = try ledger.inclusionProof(index: index, treeSize: checkpoint.size)
        return ProofBundle(entry: try storage.entry(index), index: index, proof: proof, checkpoint: note)
    }

    /// The consistency proof between two sizes, with both roots.
    /// - Throws: `LedgerError` if the sizes are out of order, zero or beyond the archive.
    public static func consistency(
        directory path: String, from size1: UInt64, to size2: UInt64
    ) throws -> (
        root1: SHA256Digest, root2: SHA256Digest, proof: [SHA256Digest]
    ) {
        let ledger = try Ledger(storage: try DirectoryLedgerStorage(path: path, writable: false))
        let proof = try ledger.consistencyProof(from: size1, to: size2)
        return (try ledger.root(treeSize: size1), try ledger.root(treeSize: size2), proof)
    }

    /// Exports a whole log from any storage (memory, a database) to a new archive directory at `path`:
    /// the entries, re-hashed into the directory's tree, and every checkpoint. The directory's tree must
    /// reproduce the source's root at every checkpoint, so an export never carries a broken log.
    /// - Throws: `LedgerError` if `path` is not new or empty, the source cannot be read, or the trees differ.
    public static func export(from source: any LedgerStorage, to path: String, batchSize: Int = 10_000) throws {
        precondition(batchSize > 0, "a batch holds at least one entry")
        let target = try DirectoryLedgerStorage(path: path, writable: true)
        guard target.size == 0 else {
            throw LedgerError(
                code: "ledger.export-target", message: "\(path) already holds an archive; export into a new directory")
        }
        let copy = try Ledger(storage: target)
        let original = try Ledger(storage: source)
        let checkpoints = try source.checkpoints()
        var next = checkpoints.startIndex
        func copyCheckpoints() throws {
            while next < checkpoints.endIndex && checkpoints[next].size <= copy.size {
                let size = checkpoints[next].size
                guard try copy.root(treeSize: size) == original.root(treeSize: size) else {
                    throw LedgerError(
                        code: "ledger.export-mismatch",
                        message: "the exported entries do not give the source's root at size \(size); "
                            + "the source store is damaged — verify it before exporting")
                }
                try target.addCheckpoint(size: size, note: checkpoints[next].note)
                next += 1
            }
        }
        try copyCheckpoints()
        while copy.size < source.size {
            let end = min(source.size, copy.size + UInt64(batchSize))
            var entries: [[UInt8]] = []
            for i in copy.size..<end { entries.append(try source.entry(i)) }
            try copy.append(entries)
            try copyCheckpoints()
        }
    }

    /// Adds `signer`'s signature to the archive's latest checkpoint — a witness cosignature (type 0x04,
    /// stamped with `timestamp`, seconds since 1970) or a second signer's Ed25519 signature — after
    /// verifying the whole archive against `trusted` (the log's keys).
    /// - Returns: the checkpoint with the new signature (unchanged if this key had already signed it).
    /// - Throws: `LedgerError` if the archive is not intact, or cannot be read or written.
    public static func cosign(
        directory path: String, signer: NoteSignerKey, trusted: [NoteVerifierKey], timestamp: UInt64
    ) throws -> SignedNote {
        let report = try verify(directory: path, keys: trusted)
        if let failure = report.failures.first {
            throw LedgerError(
                code: "ledger.not-intact",
                message: "the archive does not verify, so it is not cosigned: \(failure)",
                location: ErrorLocation(file: path))
        }
        let storage = try DirectoryLedgerStorage(path: path, writable: true)
        guard let latest = try storage.checkpoints().last else {
            throw LedgerError(code: "ledger.no-checkpoint", message: "\(path) has no checkpoint to cosign")
        }
        var note = try SignedNote(parsing: latest.note)
        if note.signatures.contains(where: { $0.name == signer.name && $0.keyID == signer.verifier.keyID }) {
            return note
        }
        note.signatures.append(try signer.sign(text: note.text, timestamp: timestamp))
        guard note.signatures.count <= SignedNote.maximumSignatures else {
            throw LedgerError(
                code: "ledger.too-many-signatures",
                message: "the checkpoint already has \(SignedNote.maximumSignatures) signatures")
        }
        try storage.addCheckpoint(size: latest.size, note: note.bytes)
        return note
    }

    /// Verifies the whole archive at `path` against `keys`.
    /// - Throws: `LedgerError` only if the directory cannot be read at all; damage is in the report.
    public static func verify(directory path: String, keys: [NoteVerifierKey]) throws -> ArchiveReport {
        ArchiveVerifier.verify(try ArchiveContents.read(directory: path), keys: keys)
    }
}
