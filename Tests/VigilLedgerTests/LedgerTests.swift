import Foundation
import Testing
import VigilCrypto

@testable import VigilLedger

/// The log against a direct transcription of RFC 9162 §2.1's recursive definitions.
struct LedgerTests {
    /// The reference tree of the transparency-dev vectors (hex entries).
    static let referenceEntries: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map { Hex.decode($0) ?? [] }

    /// RFC 9162 MTH, recursively.
    static func mth(_ leaves: ArraySlice<[UInt8]>, _ hasher: RFC9162Hasher) -> SHA256Digest {
        if leaves.isEmpty { return hasher.emptyRoot }
        if leaves.count == 1 { return hasher.hashLeaf(leaves.first ?? []) }
        let k = ProofPlan.largestPowerOfTwo(below: UInt64(leaves.count))
        let split = leaves.startIndex + Int(k)
        return hasher.hashChildren(mth(leaves[..<split], hasher), mth(leaves[split...], hasher))
    }

    /// RFC 9162 PATH(m, D[n]).
    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ hasher: RFC9162Hasher) -> [SHA256Digest] {
        if leaves.count <= 1 { return [] }
        let k = Int(ProofPlan.largestPowerOfTwo(below: UInt64(leaves.count)))
        let split = leaves.startIndex + k
        if m < k { return path(m, leaves[..<split], hasher) + [mth(leaves[split...], hasher)] }
        return path(m - k, leaves[split...], hasher) + [mth(leaves[..<split], hasher)]
    }

    /// RFC 9162 SUBPROOF(m, D[n], b).
    static func subproof(
        _ m: Int, _ leaves: ArraySlice<[UInt8]>, _ b: Bool, _ hasher: RFC9162Hasher
    )
        -> [SHA256Digest]
    {
        if m == leaves.count { return b ? [] : [mth(leaves, hasher)] }
        let k = Int(ProofPlan.largestPowerOfTwo(below: UInt64(leaves.count)))
        let split = leaves.startIndex + k
        if m <= k { return subproof(m, leaves[..<split], b, hasher) + [mth(leaves[split...], hasher)] }
        return subproof(m - k, leaves[split...], false, hasher) + [mth(leaves[..<split], hasher)]
    }

    static func entries(_ count: Int) -> [[UInt8]] { (0..<count).map { Array("entry \($0)".utf8) } }

    @Test func referenceTreeRoot() throws {
        let ledger = try Ledger(storage: MemoryLedgerStorage())
        #expect(ledger.root.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        try ledger.append(Self.referenceEntries)
        #expect(ledger.root.hex == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
    }

    @Test func rootsAndProofsMatchTheRecursiveDefinition() throws {
        let hasher = RFC9162Hasher()
        let all = Self.entries(70)
        let ledger = try Ledger(storage: MemoryLedgerStorage())
        // Uneven batches, so batch boundaries fall everywhere.
        var appended = 0
        for batch in [1, 2, 3, 1, 7, 16, 5, 35] {
            try ledger.append(all[appended..<appended + batch])
            appended += batch
        }
        #expect(ledger.size == 70)
        for n in 0...70 {
            let root = try ledger.root(treeSize: UInt64(n))
            #expect(root == Self.mth(all[0..<n], hasher), "root at \(n)")
            for m in 0..<n {
                let proof = try ledger.inclusionProof(index: UInt64(m), treeSize: UInt64(n))
                #expect(proof == Self.path(m, all[0..<n], hasher), "inclusion \(m) in \(n)")
                try MerkleVerifier.verifyInclusion(
                    leafHash: hasher.hashLeaf(all[m]).bytes, index: UInt64(m), treeSize: UInt64(n),
                    proof: proof.map(\.bytes), root: root.bytes, hasher: hasher)
                guard m > 0 else { continue }
                let consistency = try ledger.consistencyProof(from: UInt64(m), to: UInt64(n))
                if m < n { #expect(consistency == Self.subproof(m, all[0..<n], true, hasher), "consistency \(m)→\(n)") }
                try MerkleVerifier.verifyConsistency(
                    size1: UInt64(m), size2: UInt64(n), proof: consistency.map(\.bytes),
                    root1: try ledger.root(treeSize: UInt64(m)).bytes, root2: root.bytes, hasher: hasher)
            }
        }
    }

    @Test func wrongLeafOrRootIsRejected() throws {
        let hasher = RFC9162Hasher()
        let ledger = try Ledger(storage: MemoryLedgerStorage())
        try ledger.append(Self.entries(11))
        let proof = try ledger.inclusionProof(index: 4, treeSize: 11).map(\.bytes)
        #expect(throws: LedgerError.self) {
            try MerkleVerifier.verifyInclusion(
                leafHash: hasher.hashLeaf(Array("entry 5".utf8)).bytes, index: 4, treeSize: 11, proof: proof,
                root: ledger.root.bytes, hasher: hasher)
        }
        #expect(throws: LedgerError.self) {
            try MerkleVerifier.verifyInclusion(
                leafHash: hasher.hashLeaf(Array("entry 4".utf8)).bytes, index: 4, treeSize: 11,
                proof: proof + [proof[0]], root: ledger.root.bytes, hasher: hasher)
        }
    }

    @Test func outOfRangeRequestsThrow() throws {
        let ledger = try Ledger(storage: MemoryLedgerStorage())
        try ledger.append(Self.entries(5))
        #expect(throws: LedgerError.self) { try ledger.inclusionProof(index: 5, treeSize: 5) }
        #expect(throws: LedgerError.self) { try ledger.inclusionProof(index: 0, treeSize: 6) }
        #expect(throws: LedgerError.self) { try ledger.consistencyProof(from: 0, to: 3) }
        #expect(throws: LedgerError.self) { try ledger.consistencyProof(from: 4, to: 3) }
        #expect(throws: LedgerError.self) { try ledger.root(treeSize: 6) }
        #expect(try ledger.consistencyProof(from: 5, to: 5).isEmpty)
    }

    @Test func reopeningReadsOnlyTheRightEdge() throws {
        let storage = CountingStorage()
        let first = try Ledger(storage: storage)
        try first.append(Self.entries(1000))
        storage.reads = 0
        let reopened = try Ledger(storage: storage)
        #expect(reopened.root == first.root)
        #expect(storage.reads == UInt64(1000).nonzeroBitCount)
        storage.reads = 0
        _ = try reopened.inclusionProof(index: 777, treeSize: 999)
        #expect(storage.reads <= 2 * 10)
    }

    /// At 10⁸ leaves (and at the largest sizes) a proof names O(log n) stored nodes: at most two per level.
    @Test(arguments: [UInt64(100_000_000), 100_000_007, 1 << 40, UInt64.max >> 2])
    func proofPlansStayLogarithmic(_ size: UInt64) {
        let levels = 64 - size.leadingZeroBitCount
        for index in [0, 1, size / 3, size / 2, size - 2, size - 1] {
            let plan = ProofPlan.inclusion(index: index, treeSize: size)
            #expect(plan.flatMap { $0 }.count <= 2 * levels, "inclusion \(index) of \(size)")
            #expect(plan.flatMap { $0 }.allSatisfy { $0.endLeaf <= size })
        }
        for from in [1, 2, size / 3, size - 1] {
            let plan = ProofPlan.consistency(from: from, to: size)
            #expect(plan.flatMap { $0 }.count <= 2 * levels, "consistency \(from) to \(size)")
            #expect(plan.flatMap { $0 }.allSatisfy { $0.endLeaf <= size })
        }
    }

    @Test func postOrderPositionsAreDense() {
        var seen = Set<UInt64>()
        var frontier = MerkleFrontier()
        let hasher = RFC9162Hasher()
        var expected: UInt64 = 0
        for leaf in 0..<300 {
            frontier.append(leafHash: hasher.hashLeaf([UInt8(leaf & 0xff)]), hasher: hasher) { id, _ in
                #expect(id.position == expected, "\(id)")
                seen.insert(id.position)
                expected += 1
            }
        }
        #expect(UInt64(seen.count) == NodeID.nodeCount(treeSize: 300))
    }
}

/// Memory storage that counts node reads.
final class CountingStorage: LedgerStorage {
    let inner = MemoryLedgerStorage()
    var reads: UInt64 = 0
    var size: UInt64 { inner.size }
    func nodes(_ ids: [NodeID]) throws -> [SHA256Digest] {
        reads += UInt64(ids.count)
        return try inner.nodes(ids)
    }
    func entry(_ index: UInt64) throws -> [UInt8] { try inner.entry(index) }
    func append(_ batch: LedgerBatch) throws { try inner.append(batch) }
    func checkpoints() throws -> [(size: UInt64, note: [UInt8])] { try inner.checkpoints() }
    func addCheckpoint(size: UInt64, note: [UInt8]) throws { try inner.addCheckpoint(size: size, note: note) }
}
