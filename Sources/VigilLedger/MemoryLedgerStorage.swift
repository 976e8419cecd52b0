import VigilCrypto

/// A ledger kept in memory, for tests, benchmarks and short-lived logs; nothing survives the process.
///
/// Batches are kept as they arrive (no copying into ever-growing arrays, which would touch twice the
/// memory on every doubling); reads find their batch by binary search.
public final class MemoryLedgerStorage: LedgerStorage {
    private var batches: [LedgerBatch] = []
    /// The first entry index and first post-order position of each batch, for binary search.
    private var firstIndexes: [UInt64] = []
    private var firstPositions: [UInt64] = []
    private var notes: [(size: UInt64, note: [UInt8])] = []
    public private(set) var size: UInt64 = 0

    public init() {}

    public func nodes(_ ids: [NodeID]) throws -> [SHA256Digest] {
        try ids.map { id in
            guard id.endLeaf <= size else {
                throw LedgerError(
                    code: "ledger.node-missing",
                    message: "\(id) lies beyond the \(size) entries stored; ask for a smaller tree size")
            }
            let position = id.position
            let batch = Self.last(in: firstPositions, notAbove: position)
            return batches[batch].nodes[Int(position - firstPositions[batch])]
        }
    }

    public func entry(_ index: UInt64) throws -> [UInt8] {
        guard index < size else {
            throw LedgerError(
                code: "ledger.entry-missing", message: "entry \(index) does not exist; the log has \(size) entries")
        }
        let batch = Self.last(in: firstIndexes, notAbove: index)
        return Array(batches[batch].entry(Int(index - firstIndexes[batch])))
    }

    public func append(_ batch: LedgerBatch) throws {
        precondition(batch.firstIndex == size, "a batch starting at \(batch.firstIndex) appended at \(size)")
        guard batch.count > 0 else { return }
        precondition(
            UInt64(batch.nodes.count) == NodeID.nodeCount(treeSize: size + UInt64(batch.count))
                - NodeID.nodeCount(treeSize: size), "a batch's nodes do not fit its entries")
        firstIndexes.append(size)
        firstPositions.append(NodeID.nodeCount(treeSize: size))
        batches.append(batch)
        size += UInt64(batch.count)
    }

    public func checkpoints() throws -> [(size: UInt64, note: [UInt8])] { notes }

    public func addCheckpoint(size: UInt64, note: [UInt8]) throws {
        precondition(size <= self.size, "a checkpoint beyond the log")
        notes.removeAll { $0.size == size }
        notes.append((size: size, note: note))
        notes.sort { $0.size < $1.size }
    }

    /// The index of the last element of the sorted `starts` that is ≤ `value` (starts[0] is 0).
    private static func last(in starts: [UInt64], notAbove value: UInt64) -> Int {
        var low = 0
        var high = starts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= value { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
