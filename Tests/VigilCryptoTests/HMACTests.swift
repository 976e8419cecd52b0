import Testing
import VigilCrypto

@Suite struct HMACTests {
    @Test("RFC 4231 (SHA-256) and RFC 2202 (SHA-1) vectors", arguments: HMACVector.all)
    func vector(_ vector: HMACVector) throws {
        let algorithm = try #require(HMAC.Algorithm(rawValue: vector.algorithm))
        let mac = HMAC.authenticationCode(algorithm, key: vector.keyBytes, message: vector.message)
        // Truncated cases (4231 case 5, 2202 case 5) compare the leading bytes only.
        #expect(Hex.encode(mac.prefix(vector.mac.count / 2)) == vector.mac)
        #expect(mac.count == (algorithm == .sha1 ? 20 : 32))
        let shortcut =
            algorithm == .sha1
            ? HMAC.sha1(key: vector.keyBytes, message: vector.message)
            : HMAC.sha256(key: vector.keyBytes, message: vector.message)
        #expect(shortcut == mac)
    }

    @Test func emptyKeyAndMessage() {
        // Known HMAC-SHA256("", "").
        #expect(
            Hex.encode(HMAC.sha256(key: [UInt8](), message: [UInt8]()))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}
