import VigilCrypto

/// An append-only RFC 9162 log over a `LedgerStorage`.
///
/// It keeps the right edge of the tree (`MerkleFrontier`) in memory, so a batch of b entries costs
/// b leaf hashes plus about b node hashes and one write to storage, and the new root is a fold of at
/// most 64 hashes. Proofs read O(log n) stored hashes. Not thread-safe: one writer at a time.
public final class Ledger {
    public let storage: any LedgerStorage
    public let hasher: any MerkleHasher
    public private(set) var frontier: MerkleFrontier

    /// Opens the log in `storage`, reading the O(log n) hashes of its right edge.
    /// - Throws: `LedgerError` if those hashes cannot be read.
    public init(storage: any LedgerStorage, hasher: any MerkleHasher = RFC9162Hasher()) throws {
        self.storage = storage
        self.hasher = hasher
        let size = storage.size
        frontier = MerkleFrontier(size: size, hashes: try storage.nodes(NodeID.decompose(0, size)))
    }

    /// The number of entries.
    public var size: UInt64 { frontier.size }

    /// The root of the whole log.
    public var root: SHA256Digest { frontier.root(hasher: hasher) }

    /// Appends `entries` as one batch (one storage write) and returns the new size.
    /// - Throws: `LedgerError` from storage; the log is then unchanged.
    @discardableResult
    public func append<S: Sequence>(_ entries: S) throws -> UInt64 where S.Element: Collection<UInt8> {
        var batch = LedgerBatch(firstIndex: size)
        for entry in entries {
            batch.bytes.append(contentsOf: entry)
            batch.ends.append(batch.bytes.count)
        }
        return try append(batch: batch)
    }

    /// Appends a batch whose `bytes` and `ends` are filled (its `nodes` are computed here).
    /// - Throws: `LedgerError` from storage; the log is then unchanged.
    @discardableResult
    public func append(batch: LedgerBatch) throws -> UInt64 {
        precondition(batch.firstIndex == size, "a batch must start at the log's size \(size)")
        var batch = batch
        var next = frontier
        var nodes: [SHA256Digest] = []
        nodes.reserveCapacity(batch.count * 2 + 64)
        batch.bytes.withUnsafeBytes { raw in
            var start = 0
            for end in batch.ends {
                let leaf = hasher.hashLeaf(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                next.append(leafHash: leaf, hasher: hasher) { _, hash in nodes.append(hash) }
                start = end
            }
        }
        batch.nodes = nodes
        try storage.append(batch)
        frontier = next
        return size
    }

    /// The root of the log when it had `treeSize` entries (O(log n) reads).
    /// - Throws: `LedgerError` if `treeSize` is beyond the log or storage fails.
    public func root(treeSize: UInt64) throws -> SHA256Digest {
        guard treeSize <= size else { throw beyond("a tree of \(treeSize) entries") }
        if treeSize == size { return root }
        return fold(try storage.nodes(NodeID.decompose(0, treeSize)))
    }

    /// The inclusion proof of entry `index` in the tree of `treeSize` entries, leaf side first.
    /// - Throws: `LedgerError` if `index` ≥ `treeSize` or `treeSize` is beyond the log.
    public func inclusionProof(index: UInt64, treeSize: UInt64) throws -> [SHA256Digest] {
        guard treeSize <= size else { throw beyond("a tree of \(treeSize) entries") }
        guard index < treeSize else { throw beyond("entry \(index) in a tree of \(treeSize) entries") }
        return try resolve(ProofPlan.inclusion(index: index, treeSize: treeSize))
    }

    /// The consistency proof from `size1` to `size2` entries (empty when the sizes are equal).
    /// - Throws: `LedgerError` if the sizes are out of order, zero, or beyond the log.
    public func consistencyProof(from size1: UInt64, to size2: UInt64) throws -> [SHA256Digest] {
        guard size2 <= size else { throw beyond("a tree of \(size2) entries") }
        guard size1 <= size2 else {
            throw LedgerError(
                code: "ledger.bad-sizes",
                message: "a consistency proof goes from a smaller size to a larger one; \(size1) > \(size2)")
        }
        guard size1 > 0 else {
            throw LedgerError(
                code: "ledger.bad-sizes",
                message: "a consistency proof from the empty tree proves nothing; use 1 or more")
        }
        if size1 == size2 { return [] }
        return try resolve(ProofPlan.consistency(from: size1, to: size2))
    }

    /// Reads every node a plan names in one storage call, and folds each group.
    private func resolve(_ plan: [[NodeID]]) throws -> [SHA256Digest] {
        let hashes = try storage.nodes(plan.flatMap { $0 })
        var offset = 0
        return plan.map { group in
            defer { offset += group.count }
            return fold(hashes[offset..<offset + group.count])
        }
    }

    /// Folds subtree roots from the right into the hash of the range they cover.
    private func fold(_ hashes: some BidirectionalCollection<SHA256Digest>) -> SHA256Digest {
        guard var result = hashes.last else { return hasher.emptyRoot }
        for hash in hashes.dropLast().reversed() { result = hasher.hashChildren(hash, result) }
        return result
    }

    private func beyond(_ what: String) -> LedgerError {
        LedgerError(
            code: "ledger.out-of-range", message: "\(what) is beyond the log, which has \(size) entries")
    }
}
