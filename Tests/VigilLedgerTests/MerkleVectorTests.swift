import Foundation
import Testing
import VigilCrypto
import VigilTestSupport

@testable import VigilLedger

/// The transparency-dev/merkle vectors (RFC 6962/9162 proofs, each with its `wantErr` verdict).
struct MerkleVectorTests {
    static let corpus = "merkle/transparency-dev-merkle/testdata"

    /// One probe file, decoded (hashes as raw bytes: some are deliberately not 32 bytes).
    struct Vector: CustomTestStringConvertible, Sendable {
        var path = ""
        var desc = ""
        var wantErr = false
        var index: UInt64 = 0
        var treeSize: UInt64 = 0
        var size1: UInt64 = 0
        var size2: UInt64 = 0
        var leafHash: [UInt8] = []
        var root: [UInt8] = []
        var root1: [UInt8] = []
        var root2: [UInt8] = []
        var proof: [[UInt8]] = []
        var testDescription: String { path }
    }

    /// Every JSON file under one folder of the corpus, or nothing when the corpus is absent.
    static func vectors(_ folder: String) -> [Vector] {
        guard let root = Corpora.directory("\(corpus)/\(folder)") else { return [] }
        let files =
            FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" } ?? []
        return files.sorted { $0.path < $1.path }.compactMap { url in
            guard let data = try? Data(contentsOf: url),
                let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            func bytes(_ key: String) -> [UInt8] { Array(Data(base64Encoded: json[key] as? String ?? "") ?? Data()) }
            func number(_ key: String) -> UInt64 { (json[key] as? NSNumber)?.uint64Value ?? UInt64.max }
            var vector = Vector()
            vector.path = "\(folder)/\(url.path.dropFirst(root.path.count + 1))"
            vector.desc = json["desc"] as? String ?? ""
            vector.wantErr = json["wantErr"] as? Bool ?? false
            vector.index = number("leafIdx")
            vector.treeSize = number("treeSize")
            vector.size1 = number("size1")
            vector.size2 = number("size2")
            vector.leafHash = bytes("leafHash")
            vector.root = bytes("root")
            vector.root1 = bytes("root1")
            vector.root2 = bytes("root2")
            vector.proof = (json["proof"] as? [Any] ?? []).map {
                Array(Data(base64Encoded: $0 as? String ?? "") ?? Data())
            }
            return vector
        }
    }

    @Test func corpusIsPresentOrSkipped() {
        let inclusion = Self.vectors("inclusion")
        let consistency = Self.vectors("consistency")
        if Corpora.directory(Self.corpus) == nil {
            print(Corpora.skipMessage(Self.corpus))
            return
        }
        #expect(inclusion.count == 98)
        #expect(consistency.count == 98)
        #expect(inclusion.contains { $0.wantErr } && inclusion.contains { !$0.wantErr })
        #expect(consistency.contains { $0.wantErr } && consistency.contains { !$0.wantErr })
    }

    @Test(arguments: vectors("inclusion"))
    func inclusion(_ vector: Vector) {
        var failure: (any Error)?
        do {
            try MerkleVerifier.verifyInclusion(
                leafHash: vector.leafHash, index: vector.index, treeSize: vector.treeSize, proof: vector.proof,
                root: vector.root, hasher: RFC9162Hasher())
        } catch { failure = error }
        #expect((failure != nil) == vector.wantErr, "\(vector.path): \(vector.desc) → \(String(describing: failure))")
    }

    @Test(arguments: vectors("consistency"))
    func consistency(_ vector: Vector) {
        var failure: (any Error)?
        do {
            try MerkleVerifier.verifyConsistency(
                size1: vector.size1, size2: vector.size2, proof: vector.proof, root1: vector.root1,
                root2: vector.root2, hasher: RFC9162Hasher())
        } catch { failure = error }
        #expect((failure != nil) == vector.wantErr, "\(vector.path): \(vector.desc) → \(String(describing: failure))")
    }
}
