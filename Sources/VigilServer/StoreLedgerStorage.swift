import VigilCrypto
import VigilLedger
import VigilStore

/// A `LedgerStorage` on the server's store (SQLite or PostgreSQL): entries in `ledger_entries`, the
/// post-order node hashes in `ledger_nodes` (one row per appended batch), checkpoints in
/// `ledger_checkpoints`. An append also deletes the outbox rows it drained, in the same transaction.
final class StoreLedgerStorage: LedgerStorage {
    let store: any ServerStore
    private(set) var size: UInt64
    /// What the next `append` stores beside the entries' bytes: each entry's kind and ref, and the outbox
    /// rows to delete. Set by `Archivist.drain` just before `Ledger.append`.
    var pending: (items: [LedgerItem], outboxIDs: [Int64]) = ([], [])

    init(store: any ServerStore) throws {
        self.store = store
        size = try store.ledgerSize()
    }

    func nodes(_ ids: [NodeID]) throws -> [SHA256Digest] {
        guard !ids.isEmpty else { return [] }
        return try store.ledgerNodes(ids.map(\.position)).map { bytes in
            guard let digest = SHA256Digest(bytes: bytes) else {
                throw LedgerError(code: "ledger.node-damaged", message: "a stored ledger node is not 32 bytes")
            }
            return digest
        }
    }

    func entry(_ index: UInt64) throws -> [UInt8] {
        guard let item = try store.ledgerEntry(index) else {
            throw LedgerError(
                code: "ledger.entry-missing", message: "entry \(index) is not stored; the log has \(size) entries")
        }
        return item.entry
    }

    func append(_ batch: LedgerBatch) throws {
        precondition(batch.count == pending.items.count, "the pending items describe the batch being appended")
        var nodes: [UInt8] = []
        nodes.reserveCapacity(batch.nodes.count * 32)
        for node in batch.nodes { nodes += node.bytes }
        var items = pending.items
        for i in 0..<batch.count { items[i].entry = Array(batch.entry(i)) }
        try store.ledgerAppend(
            firstIndex: batch.firstIndex, items: items, firstPosition: NodeID.nodeCount(treeSize: batch.firstIndex),
            nodes: nodes, outboxIDs: pending.outboxIDs)
        size = batch.firstIndex + UInt64(batch.count)
        pending = ([], [])
    }

    func checkpoints() throws -> [(size: UInt64, note: [UInt8])] { try store.ledgerCheckpoints() }

    func addCheckpoint(size: UInt64, note: [UInt8]) throws {
        try store.addLedgerCheckpoint(size: size, note: note, at: 0)
    }
}
