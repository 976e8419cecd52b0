import VigilCrypto

/// The right edge of a Merkle tree: the roots of the perfect subtrees that make up its leaves, one per
/// set bit of the size, largest first. It is all that appending needs: a new leaf costs one leaf hash
/// and one node hash per subtree it completes (amortised one), and the root is a fold of at most
/// 64 hashes — never a pass over the log.
public struct MerkleFrontier: Sendable {
    /// The subtree roots, largest (leftmost) first.
    public private(set) var nodes: [(id: NodeID, hash: SHA256Digest)] = []
    /// The number of leaves.
    public private(set) var size: UInt64 = 0

    /// The empty tree.
    public init() {}

    /// The frontier of a tree of `size` leaves from its subtree roots, as `NodeID.decompose(0, size)` lists them.
    public init(size: UInt64, hashes: [SHA256Digest]) {
        let ids = NodeID.decompose(0, size)
        precondition(ids.count == hashes.count, "a frontier of \(size) leaves has \(ids.count) subtrees")
        self.size = size
        nodes = Array(zip(ids, hashes)).map { (id: $0.0, hash: $0.1) }
    }

    /// Adds one leaf by its hash; calls `emit` with the leaf and each subtree it completes, in the
    /// post-order that storage appends them.
    public mutating func append(
        leafHash: SHA256Digest, hasher: some MerkleHasher, emit: (NodeID, SHA256Digest) -> Void
    ) {
        var id = NodeID(level: 0, index: size)
        var hash = leafHash
        emit(id, hash)
        while let last = nodes.last, last.id.level == id.level {
            nodes.removeLast()
            hash = hasher.hashChildren(last.hash, hash)
            id = NodeID(level: id.level + 1, index: id.index >> 1)
            emit(id, hash)
        }
        nodes.append((id: id, hash: hash))
        size += 1
    }

    /// The tree's root (RFC 9162 MTH).
    public func root(hasher: some MerkleHasher) -> SHA256Digest {
        guard var result = nodes.last?.hash else { return hasher.emptyRoot }
        for node in nodes.dropLast().reversed() { result = hasher.hashChildren(node.hash, result) }
        return result
    }
}
