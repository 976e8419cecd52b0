import Testing
import VigilCrypto

@Suite struct Ed25519Tests {
    @Test("RFC 8032 vectors: public key and byte-identical signature", arguments: Ed25519Vector.all)
    func rfc8032(_ vector: Ed25519Vector) throws {
        let key = try Ed25519PrivateKey(seed: try #require(Hex.decode(vector.secret)))
        let message = try #require(Hex.decode(vector.message))
        #expect(Hex.encode(key.publicKey.rawRepresentation) == vector.public)
        #expect(Hex.encode(try key.signature(for: message)) == vector.signature)
        let publicKey = try Ed25519PublicKey(rawRepresentation: try #require(Hex.decode(vector.public)))
        #expect(publicKey.isValidSignature(try #require(Hex.decode(vector.signature)), for: message))
        #expect(key.withSeed { Hex.encode($0) } == vector.secret)
    }

    @Test("sign and verify round trip", arguments: [0, 1, 64, 1000, 100_000])
    func roundTrip(length: Int) throws {
        let key = try Ed25519PrivateKey.generate()
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        let signature = try key.signature(for: message)
        #expect(signature.count == 64)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        // Deterministic.
        #expect(try key.signature(for: message) == signature)
    }

    @Test func wrongKeyRejected() throws {
        let key = try Ed25519PrivateKey.generate()
        let other = try Ed25519PrivateKey.generate()
        #expect(key.publicKey != other.publicKey)
        let signature = try key.signature(for: Array("checkpoint".utf8))
        #expect(!other.publicKey.isValidSignature(signature, for: Array("checkpoint".utf8)))
    }

    @Test func everyFlippedBitRejected() throws {
        let key = try Ed25519PrivateKey.generate()
        let message = Array("tree size 42".utf8)
        let signature = try key.signature(for: message)
        for bit in 0..<(signature.count * 8) {
            var bad = signature
            bad[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!key.publicKey.isValidSignature(bad, for: message), "signature bit \(bit)")
        }
        for bit in 0..<(message.count * 8) {
            var bad = message
            bad[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!key.publicKey.isValidSignature(signature, for: bad), "message bit \(bit)")
        }
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
    }

    @Test("wrong lengths rejected", arguments: [0, 1, 31, 33, 64])
    func wrongLengths(length: Int) throws {
        let bytes = [UInt8](repeating: 7, count: length)
        #expect(throws: CryptoError.self) { try Ed25519PublicKey(rawRepresentation: bytes) }
        #expect(throws: CryptoError.self) { try Ed25519PrivateKey(seed: bytes) }
        let key = try Ed25519PrivateKey.generate()
        let signature = try key.signature(for: [1, 2, 3])
        if length < 64 {
            #expect(!key.publicKey.isValidSignature(Array(signature.prefix(length)), for: [1, 2, 3]))
        }
        if length > 0 {
            #expect(!key.publicKey.isValidSignature(signature + bytes, for: [1, 2, 3]))
        }
    }

    @Test func lengthErrorIsClear() {
        do {
            _ = try Ed25519PublicKey(rawRepresentation: [1, 2, 3])
            Issue.record("a 3-byte public key was accepted")
        } catch let error as CryptoError {
            #expect(error.code == "ed25519.key-length")
            #expect(error.message.contains("32 bytes"))
            #expect(error.message.contains("3"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func invalidPublicKeyPointDoesNotVerify() throws {
        // All-0xff is not the encoding of a point on the curve; nothing may verify under it.
        let key = try Ed25519PublicKey(rawRepresentation: [UInt8](repeating: 0xff, count: 32))
        #expect(!key.isValidSignature([UInt8](repeating: 0, count: 64), for: [UInt8]()))
    }
}
