import Foundation
import Testing
import VigilTestSupport
import VigilZip

/// The streams of Fixtures/inflate (made by make-fixtures.py with Python's zlib, or built bit by bit and
/// checked with it), with zlib's verdict: its output's size and CRC-32, or '-' where zlib refuses them.
struct InflateCase: CustomStringConvertible, Sendable {
    var name: String
    var size: Int?
    var crc: UInt32?
    var description: String { name }

    static let all: [InflateCase] = {
        guard let text = try? Fixtures.string("inflate/cases.tsv") else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t").map(String.init)
            return InflateCase(name: fields[0], size: Int(fields[1]), crc: UInt32(fields[2], radix: 16))
        }
    }()

    var stream: [UInt8] { (try? [UInt8](Fixtures.data("inflate/\(name).deflate"))) ?? [] }
}

struct InflateTests {
    /// The code each refused stream must be refused with.
    static let refusals = [
        "bad-block-type": "zip.deflate", "bad-stored-length": "zip.deflate",
        "bad-code-lengths-oversubscribed": "zip.huffman", "bad-literals-incomplete": "zip.huffman",
        "bad-repeat-first": "zip.huffman", "bad-no-end-of-block": "zip.huffman",
        "bad-distance-too-far": "zip.deflate", "bad-truncated": "zip.truncated",
    ]

    @Test func theManifestIsThere() {
        #expect(InflateCase.all.count >= 39)
        #expect(Set(InflateCase.all.filter { $0.size == nil }.map(\.name)) == Set(Self.refusals.keys))
    }

    @Test(arguments: InflateCase.all)
    func agreesWithPythonsZlib(_ test: InflateCase) throws {
        let stream = test.stream
        #expect(!stream.isEmpty)
        guard let size = test.size, let crc = test.crc else {
            let error = #expect(throws: ZipError.self) { try Inflate.inflate(stream, size: 1 << 16) }
            #expect(error?.code == Self.refusals[test.name], "\(error?.description ?? "")")
            #expect(error?.location?.offset != nil)
            return
        }
        let output = try Inflate.inflate(stream, size: size)
        #expect(output.count == size)
        #expect(CRC32.checksum(output) == crc)
        // The zlib-KIND-* streams: byte for byte against the data Python compressed.
        let parts = test.name.split(separator: "-")
        if parts.first == "zlib" {
            #expect(output == [UInt8](try Fixtures.data("inflate/\(parts[1]).out")))
        }
    }

    @Test func aWrongExpectedSizeIsRefused() throws {
        let test = try #require(InflateCase.all.first { $0.name == "zlib-text-6" })
        let size = try #require(test.size)
        for wrong in [0, 1, size - 1, size + 1] {
            let error = #expect(throws: ZipError.self) { try Inflate.inflate(test.stream, size: wrong) }
            #expect(error?.code == "zip.size-mismatch")
        }
        let trailing = #expect(throws: ZipError.self) { try Inflate.inflate(test.stream + [0], size: size) }
        #expect(trailing?.code == "zip.trailing-data")
    }

    @Test func everyCutOfAStreamIsRefused() throws {
        for name in ["zlib-text-6", "zlib-alphabet-fixed", "dynamic-only-end", "zlib-runs-rle"] {
            let test = try #require(InflateCase.all.first { $0.name == name })
            let stream = test.stream
            for cut in 0..<stream.count {
                let error = #expect(throws: ZipError.self) {
                    try Inflate.inflate(Array(stream[..<cut]), size: test.size ?? 0)
                }
                #expect(
                    error?.code == "zip.truncated" || error?.code == "zip.size-mismatch",
                    "\(name) cut \(cut): \(error?.description ?? "")")
            }
        }
        // The long streams, cut every few hundred bytes (stored and dynamic blocks).
        for name in ["all-block-types", "dynamic-edges"] {
            let test = try #require(InflateCase.all.first { $0.name == name })
            let stream = test.stream
            for cut in stride(from: 0, to: stream.count, by: 397) {
                #expect(throws: ZipError.self) { try Inflate.inflate(Array(stream[..<cut]), size: test.size ?? 0) }
            }
        }
    }

    @Test func randomBytesAndFlippedBitsNeverCrash() throws {
        var random = SeededRandom(seed: 1951)
        for _ in 0..<2000 {
            let stream = (0..<Int.random(in: 0..<300, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            let size = Int.random(in: 0..<4096, using: &random)
            do {
                #expect(try Inflate.inflate(stream, size: size).count == size)
            } catch {
                #expect(!error.code.isEmpty)
            }
        }
        let test = try #require(InflateCase.all.first { $0.name == "zlib-text-9" })
        let original = test.stream
        var refused = 0
        for _ in 0..<1000 {
            var stream = original
            let bit = Int.random(in: 0..<stream.count * 8, using: &random)
            stream[bit / 8] ^= 1 << UInt8(bit % 8)
            do {
                let output = try Inflate.inflate(stream, size: test.size ?? 0)
                #expect(output.count == test.size)
            } catch {
                refused += 1
            }
        }
        #expect(refused > 0)
    }

    @Test func crc32OfKnownValues() {
        #expect(CRC32.checksum([UInt8]("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum([UInt8]("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        // Continuing a checksum equals checksumming the whole.
        let bytes = [UInt8]("The quick brown fox jumps over the lazy dog".utf8)
        let first = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[..<13])) }
        let whole = bytes.withUnsafeBytes {
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[13...]), continuing: first)
        }
        #expect(whole == 0x414F_A339)
    }
}
