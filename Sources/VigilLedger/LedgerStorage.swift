import VigilCrypto

/// Where a ledger keeps its entries, the hashes of its perfect subtrees and its checkpoints.
///
/// The same protocol runs the log in memory (`MemoryLedgerStorage`), in a directory
/// (`DirectoryLedgerStorage`, the exported-segment format) and in a database: entries are rows keyed
/// by index, nodes are rows keyed by (level, index) — or a sequence in post-order, see
/// `NodeID.position` — and checkpoints are rows keyed by size. A batch is one transaction.
public protocol LedgerStorage: AnyObject {
    /// The number of entries stored.
    var size: UInt64 { get }

    /// The hashes of perfect subtrees, in the order asked; every node lies within `size`.
    /// - Throws: `LedgerError` if the store cannot be read or a node is missing.
    func nodes(_ ids: [NodeID]) throws -> [SHA256Digest]

    /// The bytes of entry `index` (< `size`).
    /// - Throws: `LedgerError` if the store cannot be read.
    func entry(_ index: UInt64) throws -> [UInt8]

    /// Appends a batch atomically and durably: its entries (indexes `size...`) and the hashes it
    /// completed, in post-order (leaf hash, then the subtrees that leaf completes).
    /// - Throws: `LedgerError`; after a throw the store holds either the whole batch or none of it.
    func append(_ batch: LedgerBatch) throws

    /// The signed checkpoints issued so far, as note bytes, smallest size first.
    func checkpoints() throws -> [(size: UInt64, note: [UInt8])]

    /// Records a signed checkpoint for `size` (≤ `self.size`), durably.
    func addCheckpoint(size: UInt64, note: [UInt8]) throws
}

/// One batch of appended entries, flat (one byte buffer, end offsets), and the node hashes it completed.
public struct LedgerBatch: Sendable {
    /// The index of the first entry in the batch.
    public var firstIndex: UInt64
    /// All entries' bytes, back to back.
    public var bytes: [UInt8] = []
    /// The end of each entry in `bytes`.
    public var ends: [Int] = []
    /// The completed perfect subtrees in post-order; the first one is at `NodeID.nodeCount(treeSize: firstIndex)`.
    public var nodes: [SHA256Digest] = []

    public init(firstIndex: UInt64) { self.firstIndex = firstIndex }

    /// The number of entries.
    public var count: Int { ends.count }

    /// The bytes of the batch's `i`-th entry.
    public func entry(_ i: Int) -> ArraySlice<UInt8> { bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]] }
}
