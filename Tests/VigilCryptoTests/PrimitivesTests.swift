import Testing
import VigilCrypto

@Suite struct ConstantTimeTests {
    @Test(
        "equals",
        arguments: [
            ([], [], true), ([1], [1], true), ([1, 2, 3], [1, 2, 3], true), ([1, 2, 3], [1, 2, 4], false),
            ([0, 2, 3], [1, 2, 3], false), ([1, 2], [1, 2, 3], false), ([], [0], false), ([0], [], false),
        ] as [([UInt8], [UInt8], Bool)])
    func equals(a: [UInt8], b: [UInt8], expected: Bool) {
        #expect(ConstantTime.equals(a, b) == expected)
        #expect(ConstantTime.equals(b, a) == expected)
    }
}

@Suite struct HexTests {
    @Test(
        "encode",
        arguments: [([], ""), ([0], "00"), ([0xff], "ff"), ([0x01, 0xab, 0xcd, 0xef], "01abcdef")]
            as [([UInt8], String)])
    func encode(bytes: [UInt8], text: String) {
        #expect(Hex.encode(bytes) == text)
        #expect(Hex.decode(text) == bytes)
        #expect(Hex.decode(text.uppercased()) == bytes)
    }

    @Test func allBytesRoundTrip() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        #expect(Hex.encode(bytes).count == 512)
    }

    @Test(
        "odd length and invalid characters",
        arguments: ["0", "abc", "0g", "g0", "zz", "0x00", " 00", "00 ", "é0", "-1"])
    func invalid(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }
}

@Suite struct SecureRandomTests {
    @Test func bytes() throws {
        #expect(try SecureRandom.bytes(0).isEmpty)
        let a = try SecureRandom.bytes(32)
        let b = try SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != b)
        let token = try SecureRandom.hexToken(byteCount: 16)
        #expect(token.count == 32)
        #expect(Hex.decode(token)?.count == 16)
    }
}
