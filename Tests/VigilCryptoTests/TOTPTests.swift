import Testing
import VigilCrypto

@Suite struct TOTPTests {
    /// RFC 6238 appendix B seeds: the ASCII digits "1234567890" repeated to 20, 32 and 64 bytes.
    static func seed(_ algorithm: HMAC.Algorithm) -> [UInt8] {
        let length =
            switch algorithm {
            case .sha1: 20
            case .sha256: 32
            case .sha512: 64
            }
        return Array(String(repeating: "1234567890", count: 7).utf8.prefix(length))
    }

    @Test("RFC 6238 appendix B", arguments: TOTPVector.all)
    func rfc6238(_ vector: TOTPVector) throws {
        let algorithm = try #require(HMAC.Algorithm(rawValue: vector.algorithm))
        let totp = TOTP(secret: Self.seed(algorithm), digits: 8, algorithm: algorithm)
        #expect(totp.code(at: vector.time) == vector.code)
        #expect(totp.verify(vector.code, at: vector.time))
    }

    @Test func sixDigitsIsTheLastSixOfEight() throws {
        for vector in TOTPVector.all where vector.algorithm == "SHA1" {
            let totp = TOTP(secret: Self.seed(.sha1))
            #expect(totp.code(at: vector.time) == String(vector.code.suffix(6)))
        }
    }

    @Test("verify() accepts codes within the window only", arguments: [0, 1, 2])
    func window(window: Int) {
        let totp = TOTP(secret: Self.seed(.sha1), digits: 8)
        let now: Int64 = 1_234_567_890
        for step in -4...4 {
            let code = totp.code(at: now + Int64(step) * 30)
            let expected = abs(step) <= window
            #expect(totp.verify(code, at: now, window: window) == expected, "step \(step), window \(window)")
        }
    }

    @Test func verifyRejectsMalformedCandidates() {
        let totp = TOTP(secret: Self.seed(.sha1), digits: 8)
        let code = totp.code(at: 59)
        #expect(!totp.verify(String(code.dropLast()), at: 59))
        #expect(!totp.verify(code + "0", at: 59))
        #expect(!totp.verify("", at: 59))
        #expect(!totp.verify("９４２８７０８２", at: 59))  // full-width digits
        #expect(!totp.verify(" 4287082", at: 59))
    }

    @Test func timeNearZeroAndNegative() {
        let totp = TOTP(secret: Self.seed(.sha1), digits: 8)
        // Counter 0 has no earlier window to wrap into.
        #expect(totp.verify(totp.code(at: 0), at: 0, window: 3))
        #expect(totp.code(at: -5) == totp.code(at: 0))
    }

    @Test func provisioningURI() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let uri = totp.provisioningURI(issuer: "Vigil Co", account: "ann@example.org")
        #expect(uri.hasPrefix("otpauth://totp/Vigil%20Co%3Aann%40example.org?"))
        #expect(uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"))
        #expect(uri.contains("issuer=Vigil%20Co"))
        #expect(uri.contains("algorithm=SHA1&digits=6&period=30"))
    }
}

@Suite struct TOTPProvisioningTests {
    @Test(
        "labels are percent-encoded as ASCII",
        arguments: [
            ("Müller GmbH", "bob", "M%C3%BCller%20GmbH%3Abob", "M%C3%BCller%20GmbH"),
            ("Vigil", "名前", "Vigil%3A%E5%90%8D%E5%89%8D", "Vigil"),
            ("a&b=c", "x?y#z", "a%26b%3Dc%3Ax%3Fy%23z", "a%26b%3Dc"),
        ])
    func encoding(issuer: String, account: String, label: String, issuerParam: String) {
        let uri = TOTP(secret: [1, 2, 3, 4, 5]).provisioningURI(issuer: issuer, account: account)
        #expect(uri.hasPrefix("otpauth://totp/\(label)?secret="))
        #expect(uri.contains("&issuer=\(issuerParam)&"))
        #expect(uri.allSatisfy { $0.isASCII })
    }
}
