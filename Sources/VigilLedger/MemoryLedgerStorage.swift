import VigilCrypto

/// A ledger kept in memory: entries in one byte buffer, nodes in one post-order array. For tests,
/// benchmarks and short-lived logs; nothing survives the process.
public final class MemoryLedgerStorage: LedgerStorage {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []
    private var postOrder: [SHA256Digest] = []
    private var notes: [(size: UInt64, note: [UInt8])] = []

    public init() {}

    public var size: UInt64 { UInt64(ends.count) }

    public func nodes(_ ids: [NodeID]) throws -> [SHA256Digest] {
        try ids.map { id in
            guard id.endLeaf <= size else {
                throw LedgerError(
                    code: "ledger.node-missing",
                    message: "\(id) lies beyond the \(size) entries stored; ask for a smaller tree size")
            }
            return postOrder[Int(id.position)]
        }
    }

    public func entry(_ index: UInt64) throws -> [UInt8] {
        guard index < size else {
            throw LedgerError(
                code: "ledger.entry-missing", message: "entry \(index) does not exist; the log has \(size) entries")
        }
        let i = Int(index)
        return Array(bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]])
    }

    public func append(_ batch: LedgerBatch) throws {
        precondition(batch.firstIndex == size, "a batch starting at \(batch.firstIndex) appended at \(size)")
        precondition(
            UInt64(postOrder.count) == NodeID.nodeCount(treeSize: size), "post-order sequence out of step")
        let base = bytes.count
        bytes.append(contentsOf: batch.bytes)
        ends.append(contentsOf: batch.ends.lazy.map { $0 + base })
        postOrder.append(contentsOf: batch.nodes)
    }

    public func checkpoints() throws -> [(size: UInt64, note: [UInt8])] { notes }

    public func addCheckpoint(size: UInt64, note: [UInt8]) throws {
        precondition(size <= self.size, "a checkpoint beyond the log")
        notes.removeAll { $0.size == size }
        notes.append((size: size, note: note))
        notes.sort { $0.size < $1.size }
    }
}
