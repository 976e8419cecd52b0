import Foundation
import VigilCrypto
import VigilLedger
import VigilStore

/// The result of checking the archive kept in the store (the dashboard's "verify now").
public struct StoredArchiveCheck: Sendable {
    /// Every problem found, in the order found; empty when the log checks out.
    public var problems: [String] = []
    /// What was checked, one line each, for the page.
    public var checked: [String] = []
    public var checkpoints = 0
    public var newestSize: UInt64 = 0
    public var logSize: UInt64 = 0
    /// Entries whose leaf hashes were recomputed from the stored entry bytes.
    public var entriesRehashed: UInt64 = 0
    public var intact: Bool { problems.isEmpty && checkpoints > 0 }
}

extension Archivist {
    /// Entries rehashed at most by one check (the newest ones under the newest checkpoint).
    public static let rehashLimit: UInt64 = 200_000

    /// Checks the log in the store against its signed checkpoints with VigilLedger's verifiers: each
    /// checkpoint's signature by this server's key, the tree root at the newest checkpoint recomputed from the
    /// stored tree, a consistency proof from every earlier checkpoint to the newest one (RFC 9162 §2.1.4), and
    /// the stored entries' leaf hashes (all of them up to `rehashLimit`, else the newest `rehashLimit`) against
    /// the stored tree; when every entry is rehashed the root is rebuilt from the entries alone too.
    public func verifyStored() throws -> StoredArchiveCheck {
        var check = StoredArchiveCheck()
        let hasher = RFC9162Hasher()
        let storage = try StoreLedgerStorage(store: store)
        let ledger = try Ledger(storage: storage)
        check.logSize = ledger.size
        let stored = try storage.checkpoints()
        check.checkpoints = stored.count
        guard !stored.isEmpty else {
            check.problems.append(
                "there is no signed checkpoint yet; the archivist signs one within seconds of the first entry")
            return check
        }
        var parsed: [(size: UInt64, checkpoint: Checkpoint)] = []
        for (size, bytes) in stored {
            do {
                let note = try SignedNote(parsing: bytes)
                _ = try note.verify(keys: [signer.verifier])
                let checkpoint = try Checkpoint(text: note.text)
                guard checkpoint.size == size else {
                    check.problems.append(
                        "checkpoint stored as size \(size) says \(checkpoint.size) inside its signed text")
                    continue
                }
                guard checkpoint.origin == origin else {
                    check.problems.append("checkpoint \(size) names origin '\(checkpoint.origin)', not '\(origin)'")
                    continue
                }
                parsed.append((size, checkpoint))
            } catch let error as LedgerError {
                check.problems.append("checkpoint \(size): \(error.message)")
            }
        }
        check.checked.append("\(parsed.count) of \(stored.count) checkpoint signatures verify with \(verifierKey)")
        guard let newest = parsed.max(by: { $0.size < $1.size }) else { return check }
        check.newestSize = newest.size
        guard newest.size <= ledger.size else {
            check.problems.append(
                "the newest checkpoint covers \(newest.size) entries but the stored log holds \(ledger.size): entries were deleted"
            )
            return check
        }
        let root = try ledger.root(treeSize: newest.size)
        if root == newest.checkpoint.root {
            check.checked.append("the stored tree's root at \(newest.size) entries equals the newest checkpoint's")
        } else {
            check.problems.append(
                "the stored tree's root at \(newest.size) entries differs from the newest checkpoint's")
        }
        var consistent = 0
        for earlier in parsed where earlier.size < newest.size && earlier.size > 0 {
            do {
                let proof = try ledger.consistencyProof(from: earlier.size, to: newest.size)
                try MerkleVerifier.verifyConsistency(
                    size1: earlier.size, size2: newest.size, proof: proof.map(\.bytes),
                    root1: earlier.checkpoint.root.bytes, root2: newest.checkpoint.root.bytes, hasher: hasher)
                consistent += 1
            } catch let error as LedgerError {
                check.problems.append(
                    "checkpoint \(earlier.size) is not consistent with \(newest.size): \(error.message)")
            }
        }
        check.checked.append("\(consistent) earlier checkpoints proven consistent with the newest")
        // Entries against the tree: a changed entry with an untouched tree is caught here.
        let first = newest.size > Self.rehashLimit ? newest.size - Self.rehashLimit : 0
        var frontier = MerkleFrontier()
        var index = first
        while index < newest.size {
            let end = min(newest.size, index + 1000)
            let ids = (index..<end).map { NodeID(level: 0, index: $0) }
            let leaves = try storage.nodes(ids)
            for (offset, leaf) in leaves.enumerated() {
                let position = index + UInt64(offset)
                let hash = hasher.hashLeaf(try storage.entry(position))
                if hash != leaf {
                    check.problems.append("entry \(position) does not match its leaf hash in the tree: it was altered")
                    return check
                }
                if first == 0 { frontier.append(leafHash: hash, hasher: hasher) { _, _ in } }
            }
            index = end
        }
        check.entriesRehashed = newest.size - first
        if first == 0 {
            if frontier.root(hasher: hasher) == newest.checkpoint.root {
                check.checked.append("all \(newest.size) entries rehashed; their root equals the newest checkpoint's")
            } else {
                check.problems.append(
                    "the root rebuilt from the \(newest.size) stored entries differs from the checkpoint's")
            }
        } else {
            check.checked.append("the newest \(check.entriesRehashed) entries rehashed and equal to the stored tree")
        }
        if ledger.size > newest.size {
            check.checked.append("\(ledger.size - newest.size) entries appended since, awaiting the next checkpoint")
        }
        return check
    }
}
