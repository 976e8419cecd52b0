import Foundation
import Testing
import VigilStore

@Suite struct ZstdTests {
    /// Inputs of several shapes and sizes.
    static let inputs: [String: [UInt8]] = [
        "empty": [],
        "one byte": [42],
        "text": Array(String(repeating: "{\"class_uid\":1007,\"cmd_line\":\"/usr/bin/ls -la\"}\n", count: 300).utf8),
        "noise 200k": noise(count: 200_000, seed: 7),
        "zeros 1M": [UInt8](repeating: 0, count: 1 << 20),
    ]

    /// Deterministic incompressible bytes (an LCG; no clock, no randomness).
    static func noise(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test(arguments: inputs.keys.sorted(), [Int32(1), 3, 19])
    func roundTrips(name: String, level: Int32) throws {
        let input = try #require(Self.inputs[name])
        let compressed = Zstd.compress(input, level: level)
        #expect(!compressed.isEmpty)
        #expect(try Zstd.decompress(compressed, maxOutput: input.count) == input)
    }

    @Test func concatenatedFramesDecodeToTheConcatenation() throws {
        let a = Array("first frame ".utf8)
        let b = Self.noise(count: 10_000, seed: 3)
        #expect(try Zstd.decompress(Zstd.compress(a) + Zstd.compress(b), maxOutput: 1 << 20) == a + b)
    }

    @Test(arguments: [1, 2, 5, 10, 50])
    func aTruncatedFrameIsCorrupt(cut: Int) throws {
        let compressed = Zstd.compress(Self.noise(count: 50_000, seed: 11))
        let truncated = Array(compressed.dropLast(cut))
        let error = #expect(throws: StoreError.self) { try Zstd.decompress(truncated, maxOutput: 1 << 20) }
        #expect(error?.code == "zstd.corrupt")
    }

    @Test func onlyTheFrameHeaderIsCorrupt() throws {
        let compressed = Zstd.compress(Array("hello".utf8))
        for length in 1..<compressed.count {
            let error = #expect(throws: StoreError.self) {
                try Zstd.decompress(Array(compressed.prefix(length)), maxOutput: 1 << 20)
            }
            #expect(error?.code == "zstd.corrupt")
        }
    }

    static let garbage: [String: [UInt8]] = [
        "noise": noise(count: 4096, seed: 99),
        "json": Array(#"{"host":{"hostname":"x"},"events":[]}"#.utf8),
        "magic then noise": [0x28, 0xB5, 0x2F, 0xFD] + noise(count: 200, seed: 5),
        "trailing garbage": Zstd.compress(Array("ok".utf8)) + [1, 2, 3, 4, 5, 6, 7, 8],
        "reserved header bit": {
            var bytes = Zstd.compress(Array("hello hello hello".utf8))
            bytes[4] |= 0x08  // Frame_Header_Descriptor bit 3 is reserved and must be zero
            return bytes
        }(),
        "one byte": [0x28],
    ]

    @Test(arguments: garbage.keys.sorted())
    func garbageIsCorrupt(name: String) throws {
        let bytes = try #require(Self.garbage[name])
        let error = #expect(throws: StoreError.self) { try Zstd.decompress(bytes, maxOutput: 1 << 20) }
        #expect(error?.code == "zstd.corrupt")
        #expect(error?.message.contains("resend") == true)
    }

    @Test func emptyInputIsNoFrame() throws {
        let error = #expect(throws: StoreError.self) { try Zstd.decompress([], maxOutput: 1024) }
        #expect(error?.code == "zstd.corrupt")
    }

    @Test func aBombPastMaxOutputIsRefused() throws {
        let bomb = Zstd.compress([UInt8](repeating: 0, count: 8 << 20), level: 19)
        #expect(bomb.count < 4096)
        let error = #expect(throws: StoreError.self) { try Zstd.decompress(bomb, maxOutput: 1 << 20) }
        #expect(error?.code == "zstd.too-large")
        #expect(error?.message.contains("\(1 << 20)") == true)
    }

    @Test func outputExactlyAtTheLimitIsAccepted() throws {
        let input = Self.noise(count: 300_000, seed: 2)
        let compressed = Zstd.compress(input)
        #expect(try Zstd.decompress(compressed, maxOutput: input.count) == input)
        let error = #expect(throws: StoreError.self) { try Zstd.decompress(compressed, maxOutput: input.count - 1) }
        #expect(error?.code == "zstd.too-large")
    }
}
