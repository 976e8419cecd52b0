import VigilCrypto

/// Pure verification of RFC 9162 inclusion and consistency proofs (§2.1.3.2 and §2.1.4.2).
///
/// Hashes come in as raw bytes, because that is how they arrive from files and the network; any value
/// that takes part in a computation must be 32 bytes. Every failure throws `LedgerError`: a root that
/// does not match is `ledger.root-mismatch`, a proof of the wrong shape `ledger.bad-proof`.
public enum MerkleVerifier {
    /// Checks that `leafHash` is the leaf at `index` in the tree of `treeSize` leaves whose root is `root`.
    public static func verifyInclusion(
        leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]], root: [UInt8],
        hasher: some MerkleHasher
    ) throws {
        let expected = try digest(root, "the root")
        let computed = try rootFromInclusionProof(
            leafHash: leafHash, index: index, treeSize: treeSize, proof: proof, hasher: hasher)
        guard computed == expected else { throw LedgerError.rootMismatch("inclusion proof for leaf \(index)") }
    }

    /// The root that an inclusion proof leads to from `leafHash` (RFC 9162 §2.1.3.2).
    public static func rootFromInclusionProof(
        leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]], hasher: some MerkleHasher
    ) throws -> SHA256Digest {
        guard index < treeSize else {
            throw LedgerError.badProof("leaf index \(index) is outside a tree of \(treeSize) leaves")
        }
        let leaf = try digest(leafHash, "the leaf hash")
        let path = try proof.enumerated().map { try digest($0.element, "inclusion proof hash \($0.offset)") }
        var fn = index
        var sn = treeSize - 1
        var result = leaf
        for hash in path {
            guard sn != 0 else {
                throw LedgerError.badProof(
                    "the inclusion proof has \(path.count) hashes, more than a tree of \(treeSize) leaves needs")
            }
            if fn & 1 == 1 || fn == sn {
                result = hasher.hashChildren(hash, result)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                result = hasher.hashChildren(result, hash)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw LedgerError.badProof(
                "the inclusion proof has \(path.count) hashes, fewer than leaf \(index) of \(treeSize) needs")
        }
        return result
    }

    /// Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves with
    /// root `root1`. Equal sizes need an empty proof and equal roots; a proof from size 0 is refused
    /// (it would prove nothing, even between two empty trees), as is `size1 > size2`.
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, proof: [[UInt8]], root1: [UInt8], root2: [UInt8], hasher: some MerkleHasher
    ) throws {
        guard size1 <= size2 else {
            throw LedgerError.badProof("the first size \(size1) is larger than the second \(size2); swap them")
        }
        guard size1 > 0 else {
            throw LedgerError.badProof(
                "a consistency proof from the empty tree proves nothing; start from a checkpoint of size 1 or more")
        }
        if size1 == size2 {
            guard proof.isEmpty else {
                throw LedgerError.badProof("a consistency proof between equal sizes must be empty")
            }
            guard root1 == root2 else { throw LedgerError.rootMismatch("trees of equal size \(size1)") }
            return
        }
        guard !proof.isEmpty else {
            throw LedgerError.badProof("the consistency proof from \(size1) to \(size2) is empty")
        }
        let first = try digest(root1, "the first root")
        let second = try digest(root2, "the second root")
        var path = try proof.enumerated().map { try digest($0.element, "consistency proof hash \($0.offset)") }
        if size1.nonzeroBitCount == 1 { path.insert(first, at: 0) }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for hash in path.dropFirst() {
            guard sn != 0 else {
                throw LedgerError.badProof("the consistency proof from \(size1) to \(size2) has too many hashes")
            }
            if fn & 1 == 1 || fn == sn {
                fr = hasher.hashChildren(hash, fr)
                sr = hasher.hashChildren(hash, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = hasher.hashChildren(sr, hash)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw LedgerError.badProof("the consistency proof from \(size1) to \(size2) has too few hashes")
        }
        guard fr == first else { throw LedgerError.rootMismatch("consistency proof, first tree of \(size1)") }
        guard sr == second else { throw LedgerError.rootMismatch("consistency proof, second tree of \(size2)") }
    }

    static func digest(_ bytes: [UInt8], _ what: String) throws -> SHA256Digest {
        guard let digest = SHA256Digest(bytes: bytes) else { throw LedgerError.hashLength(what, bytes.count) }
        return digest
    }
}
