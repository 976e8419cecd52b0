import Testing

@testable import VigilCrypto

@Suite struct PasswordHashTests {
    @Test("RFC 7914 section 12 vectors through derive", arguments: ScryptVector.all)
    func rfc7914(_ vector: ScryptVector) throws {
        let key = try PasswordHash.derive(
            password: vector.password, salt: Array(vector.salt.utf8), logN: vector.logN, r: vector.r, p: vector.p,
            length: 64)
        #expect(Hex.encode(key) == vector.key)
    }

    @Test func hashAndVerifyRoundTrip() throws {
        let cheap = PasswordHash(logN: 10, r: 8, p: 1)
        let encoded = try cheap.hash(password: "correct horse battery staple")
        #expect(encoded.hasPrefix("scrypt$10$8$1$"))
        #expect(!encoded.contains("correct"))
        #expect(PasswordHash.verify(password: "correct horse battery staple", against: encoded))
        #expect(!PasswordHash.verify(password: "correct horse battery stapler", against: encoded))
        #expect(!PasswordHash.verify(password: "", against: encoded))
        // A fresh salt every time.
        #expect(try cheap.hash(password: "same") != cheap.hash(password: "same"))
    }

    @Test func verifyAcceptsAStoredRFCVector() {
        // RFC 7914 vector 2 written in the stored format: base64("NaCl") and the first 32 key bytes.
        let encoded = "scrypt$10$8$16$TmFDbA==$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI="
        #expect(PasswordHash.verify(password: "password", against: encoded))
        #expect(!PasswordHash.verify(password: "Password", against: encoded))
    }

    static let malformed = [
        "", "scrypt", "scrypt$$$$$", "bcrypt$10$8$1$c2FsdA==$aGFzaA==", "scrypt$10$8$1$c2FsdA==",
        "scrypt$10$8$1$c2FsdA==$aGFzaA==$extra", "scrypt$x$8$1$c2FsdA==$aGFzaA==", "scrypt$0$8$1$c2FsdA==$aGFzaA==",
        "scrypt$23$8$1$c2FsdA==$aGFzaA==", "scrypt$255$8$1$c2FsdA==$aGFzaA==", "scrypt$256$8$1$c2FsdA==$aGFzaA==",
        "scrypt$-1$8$1$c2FsdA==$aGFzaA==", "scrypt$10$0$1$c2FsdA==$aGFzaA==", "scrypt$10$8$0$c2FsdA==$aGFzaA==",
        "scrypt$10$-8$1$c2FsdA==$aGFzaA==", "scrypt$10$8$1$not base64!$aGFzaA==", "scrypt$10$8$1$c2FsdA==$",
        "scrypt$10$8$1$c2FsdA==$%%%%",
        // r·p overflows 32 bits.
        "scrypt$10$4294967295$2$c2FsdA==$aGFzaA==", "scrypt$10$65536$65536$c2FsdA==$aGFzaA==",
        // Parameters that would need terabytes of memory.
        "scrypt$22$1048575$1$c2FsdA==$aGFzaA==", "scrypt$22$65535$1$c2FsdA==$aGFzaA==",
        "scrypt$10$99999999999$1$c2FsdA==$aGFzaA==", "scrypt\u{0}$10$8$1$c2FsdA==$aGFzaA==",
    ]

    @Test("verify() rejects malformed strings without crashing", arguments: malformed)
    func malformedRejected(_ encoded: String) {
        #expect(!PasswordHash.verify(password: "password", against: encoded))
    }
}
