import Foundation
import Testing
import VigilCrypto
import VigilTestSupport

@testable import VigilLedger

/// Signed notes, vkeys and checkpoints against the Go sumdb/note and C2SP vectors, plus garbage.
struct SignedNoteTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var desc: String
        var skey: String?
        var vkey: String?
        var signedNote: String
        var wantValid: Bool?
        var testDescription: String { desc }
    }

    static func vectors(_ file: String) -> [Vector] {
        let folder = file.hasPrefix("note_vectors") ? "merkle/golang-sumdb-note" : "merkle/c2sp-examples"
        guard let directory = Corpora.directory(folder),
            let data = try? Data(contentsOf: directory.appendingPathComponent(file)),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let list = json["vectors"] as? [[String: Any]]
        else { return [] }
        return list.map {
            Vector(
                desc: $0["desc"] as? String ?? "", skey: $0["skey"] as? String, vkey: $0["vkey"] as? String,
                signedNote: $0["signed_note"] as? String ?? "", wantValid: $0["wantValid"] as? Bool)
        }
    }

    static let all = vectors("note_vectors.json") + vectors("note_examples.json")

    @Test func corpusIsPresentOrSkipped() {
        if Self.all.isEmpty {
            print(Corpora.skipMessage("merkle/golang-sumdb-note"))
            return
        }
        #expect(Self.all.count == 6)
    }

    @Test(arguments: all)
    func vector(_ vector: Vector) throws {
        let note = try SignedNote(parsing: Array(vector.signedNote.utf8))
        #expect(note.bytes == Array(vector.signedNote.utf8), "round trip")
        guard let wantValid = vector.wantValid, let vkey = vector.vkey else {
            // Parse-only: a checkpoint whose public key is not published.
            let checkpoint = try Checkpoint(text: note.text)
            #expect(checkpoint.origin == "example.com/behind-the-sofa")
            #expect(checkpoint.size == 20_852_163)
            #expect(checkpoint.text == note.text)
            #expect(throws: LedgerError.self) { try note.verify(keys: []) }
            return
        }
        let key = try NoteVerifierKey(vkey)
        #expect(key.description == vkey)
        if wantValid {
            let result = try note.verify(keys: [key])
            #expect(result.signers.map(\.key) == [key])
        } else {
            #expect(throws: LedgerError.self) { try note.verify(keys: [key]) }
        }
    }

    @Test func signerKeyReproducesTheGoSignature() throws {
        guard let vector = Self.all.first(where: { $0.skey != nil }), let skey = vector.skey, let vkey = vector.vkey
        else {
            print(Corpora.skipMessage("merkle/golang-sumdb-note"))
            return
        }
        let signer = try NoteSignerKey(skey)
        #expect(signer.verifier.description == vkey)
        #expect(signer.encodedSecret() == skey)
        #expect(!signer.description.contains(skey))
        let parsed = try SignedNote(parsing: Array(vector.signedNote.utf8))
        let note = try SignedNote(signing: parsed.text, with: [signer])
        #expect(note.bytes == Array(vector.signedNote.utf8))
    }

    @Test func multipleSignaturesAndCosignaturesSayWhoSigned() throws {
        let log = try NoteSignerKey.generate(name: "example.com/log")
        let second = try NoteSignerKey.generate(name: "example.com/second")
        let witness = try NoteSignerKey.generate(name: "witness.example/w1", type: .cosignatureV1)
        let stranger = try NoteSignerKey.generate(name: "stranger.example")
        let checkpoint = Checkpoint(origin: "example.com/log", size: 3, root: SHA256.hash("x"))
        let note = try SignedNote(
            signing: checkpoint.text, with: [log, second, witness, stranger], timestamp: 1_679_315_147)
        let reparsed = try SignedNote(parsing: note.bytes)
        #expect(reparsed == note)
        let result = try reparsed.verify(keys: [log.verifier, witness.verifier, second.verifier])
        #expect(Set(result.signers.map(\.key)) == [log.verifier, second.verifier, witness.verifier])
        #expect(result.signers.first { $0.key == witness.verifier }?.timestamp == 1_679_315_147)
        #expect(result.ignored.map(\.name) == ["stranger.example"])
        // A known key with a bad signature rejects the whole note.
        var tampered = reparsed
        tampered.signatures[1].bytes[20] ^= 1
        #expect(throws: LedgerError.self) { try tampered.verify(keys: [log.verifier, second.verifier]) }
        // Same name, other key: ignored, so nothing trusted signed.
        let impostor = try NoteSignerKey.generate(name: "example.com/log")
        #expect(throws: LedgerError.self) { try reparsed.verify(keys: [impostor.verifier]) }
    }

    @Test(arguments: [
        "", "\n", "no blank line\n— a AAAA\n", "text\n\n", "text\n\n— name\n", "text\n\n— name !!!!\n",
        "text\n\n— name AAAAAA==\n", "text\n\n- name AAAAAAAA\n", "text\n\n— na+me AAAAAAAA\n",
        "text\r\n\n— name AAAAAAAA\n", "text\n\n— name AAAAAAAA", "text\n\n— name AAAAAAAA\nAAAA\n",
    ])
    func garbageNotesAreRejected(_ text: String) {
        #expect(throws: LedgerError.self) { try SignedNote(parsing: Array(text.utf8)) }
    }

    @Test func binaryNoiseIsRejected() {
        var generator = SystemRandomNumberGenerator()
        for length in [1, 7, 64, 500, 4096] {
            let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: LedgerError.self) { try SignedNote(parsing: noise) }
            #expect(throws: LedgerError.self) { try Checkpoint(text: noise + [0x0a, 0x0a]) }
        }
        let huge = [UInt8](repeating: 0x41, count: 1 << 20) + Array("\n\n— a AAAAAAAA\n".utf8)
        #expect((try? SignedNote(parsing: huge)) != nil)
        #expect(throws: LedgerError.self) { try Checkpoint(text: Array(huge.prefix(1 << 20)) + [0x0a]) }
    }

    @Test(arguments: [
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", "example.com/foo+530d903a",
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/f o+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+Aeky+Rrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "garbage", "",
    ])
    func badVerifierKeysAreRejected(_ text: String) {
        #expect(throws: LedgerError.self) { try NoteVerifierKey(text) }
    }

    @Test func aVerifierKeyWithPlusInItsBase64Parses() throws {
        // The Go EnochRoot-style key material can contain '+': split on the first two only.
        var found = false
        for _ in 0..<64 {
            let key = try NoteSignerKey.generate(name: "example.com/plus")
            let text = key.verifier.description
            guard text.split(separator: "+").count > 3 else { continue }
            #expect(try NoteVerifierKey(text) == key.verifier)
            found = true
            break
        }
        #expect(found)
    }

    @Test(arguments: [
        "origin\n12\n", "origin\n012\nAAAA\n", "origin\n-1\n" + String(repeating: "A", count: 43) + "=\n",
        "origin\n1\nnot base64\n", "origin\n1\nAAAA\n", "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n",
        "origin\n18446744073709551616\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    ])
    func badCheckpointsAreRejected(_ text: String) {
        #expect(throws: LedgerError.self) { try Checkpoint(text: Array(text.utf8)) }
    }
}

/// Binary noise, truncation at every length and huge lines for the other text parsers.
struct ParserGarbageTests {
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test(arguments: [1, 9, 64, 700, 70_000])
    func keysAndProofsRejectNoise(_ count: Int) {
        let bytes = Self.noise(count, seed: UInt64(count))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(throws: LedgerError.self) { try NoteVerifierKey(text) }
        #expect(throws: LedgerError.self) { try NoteSignerKey(text) }
        #expect(throws: LedgerError.self) { try ProofBundle(parsing: bytes) }
        #expect(throws: LedgerError.self) { try ProofBundle(parsing: Array("c2sp.org/tlog-proof@v1\n".utf8) + bytes) }
    }

    @Test(arguments: [1, 1 << 20])
    func everyTruncationOfAProofIsRejected(entrySize: Int) throws {
        let key = try NoteSignerKey.generate(name: "test.example/parsers")
        let ledger = try Ledger(storage: MemoryLedgerStorage())
        let entry = [UInt8](repeating: 0x41, count: entrySize)
        try ledger.append([Array("a".utf8), entry, Array("c".utf8)])
        let checkpoint = Checkpoint(origin: key.name, size: 3, root: ledger.root)
        let note = try SignedNote(signing: checkpoint.text, with: [key])
        let bundle = ProofBundle(
            entry: entry, index: 1, proof: try ledger.inclusionProof(index: 1, treeSize: 3), checkpoint: note)
        let bytes = bundle.bytes
        #expect(try ProofBundle(parsing: bytes).verify(keys: [key.verifier]).checkpoint == checkpoint)
        // Every cut of a small proof; a few of one whose entry line is a megabyte long.
        let cuts = entrySize == 1 ? Array(0..<bytes.count) : [0, 30, 1 << 19, bytes.count - 100, bytes.count - 1]
        for cut in cuts {
            #expect(throws: LedgerError.self) {
                try ProofBundle(parsing: Array(bytes.prefix(cut))).verify(keys: [key.verifier])
            }
        }
    }
}
