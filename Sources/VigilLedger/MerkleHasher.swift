import VigilCrypto

/// The two hash functions of a Merkle tree (RFC 9162 §2.1.1), injected into everything that builds
/// or checks a tree so that the tree code itself is plain arithmetic.
public protocol MerkleHasher: AnyObject {
    /// The root of the empty tree.
    var emptyRoot: SHA256Digest { get }
    /// The hash of one leaf from the entry's bytes.
    func hashLeaf(_ entry: UnsafeRawBufferPointer) -> SHA256Digest
    /// The hash of an interior node from its two children.
    func hashChildren(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest
}

extension MerkleHasher {
    /// The hash of one leaf from the entry's bytes.
    public func hashLeaf(_ entry: [UInt8]) -> SHA256Digest { entry.withUnsafeBytes { hashLeaf($0) } }
}

/// RFC 9162 (and RFC 6962) hashing: leaf `SHA-256(0x00 ‖ entry)`, node `SHA-256(0x01 ‖ left ‖ right)`,
/// empty tree `SHA-256("")`. Reuses one SHA-256 context, so an instance is not thread-safe: give each
/// thread its own.
public final class RFC9162Hasher: MerkleHasher {
    private let sha = SHA256()
    /// `0x01 ‖ left ‖ right`, filled in place for each node so a node is one digest update.
    private let nodeBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65, alignment: 8)
    public let emptyRoot: SHA256Digest

    public init() {
        emptyRoot = sha.hash([UInt8]())
        nodeBuffer[0] = 0x01
    }

    deinit { nodeBuffer.deallocate() }

    public func hashLeaf(_ entry: UnsafeRawBufferPointer) -> SHA256Digest {
        withUnsafeBytes(of: UInt8(0)) { sha.update($0) }
        sha.update(entry)
        return sha.finalize()
    }

    public func hashChildren(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: nodeBuffer[1..<33]).copyMemory(from: $0) }
        right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: nodeBuffer[33..<65]).copyMemory(from: $0) }
        return sha.hash(UnsafeRawBufferPointer(nodeBuffer))
    }
}
