import Testing
import VigilCrypto

@Suite struct Base32Tests {
    /// RFC 4648 section 10.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="), ("foob", "MZXW6YQ="),
        ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
    ]

    @Test("RFC 4648 vectors", arguments: vectors)
    func rfc4648(plain: String, encoded: String) {
        let unpadded = encoded.replacingOccurrences(of: "=", with: "")
        #expect(Base32.encode(Array(plain.utf8)) == unpadded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
        #expect(Base32.decode(unpadded) == Array(plain.utf8))
        #expect(Base32.decode(unpadded.lowercased()) == Array(plain.utf8))
    }

    @Test("round trip", arguments: [0, 1, 2, 3, 4, 5, 6, 19, 20, 21, 64, 255])
    func roundTrip(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 73 &+ 11) }
        #expect(Base32.decode(Base32.encode(bytes)) == bytes)
    }

    @Test(
        "invalid characters and impossible lengths are rejected",
        arguments: ["MZXW1", "MZ!W6", "MZXW6YT8", "ÄÖÜ", "MZ\u{0}X", "M", "MZX", "MZXW6Y", "MZXW6YTBO"])
    func invalid(_ text: String) {
        #expect(Base32.decode(text) == nil)
    }
}
