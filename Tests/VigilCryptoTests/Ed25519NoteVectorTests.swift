import Foundation
import Testing
import VigilCrypto
import VigilTestSupport

/// Ed25519 against golang.org/x/mod sumdb/note's vectors: the seed in the signer key must give the
/// byte-identical signature, and the corrupted signature must be rejected.
struct Ed25519NoteVectorTests {
    static let corpus = "merkle/golang-sumdb-note"

    struct Vector: Sendable {
        var desc: String
        var skey: String?
        var vkey: String
        var text: String
        var signedNote: String
        var wantValid: Bool
    }

    static func vectors() -> [Vector] {
        guard let folder = Corpora.directory(corpus),
            let data = try? Data(contentsOf: folder.appendingPathComponent("note_vectors.json")),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let list = json["vectors"] as? [[String: Any]]
        else { return [] }
        return list.map {
            Vector(
                desc: $0["desc"] as? String ?? "", skey: $0["skey"] as? String, vkey: $0["vkey"] as? String ?? "",
                text: $0["text"] as? String ?? "", signedNote: $0["signed_note"] as? String ?? "",
                wantValid: $0["wantValid"] as? Bool ?? false)
        }
    }

    /// The last '+'-separated part of a key, base64-decoded, without its type byte.
    static func keyMaterial(_ key: String) -> [UInt8] {
        let last = key.split(separator: "+", maxSplits: key.hasPrefix("PRIVATE+KEY+") ? 4 : 2).last ?? ""
        return Array((Data(base64Encoded: String(last)) ?? Data()).dropFirst())
    }

    /// The signature bytes of the note's single signature line, without the 4-byte key ID.
    static func signature(_ note: String) -> [UInt8] {
        let line = note.split(separator: "\n").last ?? ""
        let encoded = line.split(separator: " ").last ?? ""
        return Array((Data(base64Encoded: String(encoded)) ?? Data()).dropFirst(4))
    }

    @Test func vectorsVerifyOrFailAsMarked() throws {
        let vectors = Self.vectors()
        guard !vectors.isEmpty else {
            print(Corpora.skipMessage(Self.corpus))
            return
        }
        #expect(vectors.count == 3)
        for vector in vectors {
            let key = try Ed25519PublicKey(rawRepresentation: Self.keyMaterial(vector.vkey))
            let valid = key.isValidSignature(Self.signature(vector.signedNote), for: Array(vector.text.utf8))
            #expect(valid == vector.wantValid, "\(vector.desc)")
        }
    }

    @Test func seedGivesTheByteIdenticalSignature() throws {
        guard let vector = Self.vectors().first(where: { $0.skey != nil }), let skey = vector.skey else {
            print(Corpora.skipMessage(Self.corpus))
            return
        }
        let key = try Ed25519PrivateKey(seed: Self.keyMaterial(skey))
        #expect(key.publicKey.rawRepresentation == Self.keyMaterial(vector.vkey))
        let signature = try key.signature(for: Array(vector.text.utf8))
        #expect(signature == Self.signature(vector.signedNote))
        #expect(key.publicKey.isValidSignature(signature, for: Array(vector.text.utf8)))
        var flipped = signature
        flipped[10] ^= 0x01
        #expect(!key.publicKey.isValidSignature(flipped, for: Array(vector.text.utf8)))
    }
}
