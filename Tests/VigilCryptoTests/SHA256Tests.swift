import Foundation
import Testing
import VigilCrypto

@Suite struct SHA256Tests {
    @Test("NIST known answers, one-shot", arguments: SHA256Vector.all)
    func knownAnswer(_ vector: SHA256Vector) {
        #expect(SHA256.hash(vector.bytes).hex == vector.digest)
        #expect(SHA256().hash(vector.bytes).hex == vector.digest)
    }

    @Test("NIST known answers via the String entry point", arguments: SHA256Vector.all)
    func knownAnswerString(_ vector: SHA256Vector) {
        #expect(SHA256.hash(String(repeating: vector.message, count: vector.repeat)).hex == vector.digest)
    }

    @Test("streaming in chunks equals one-shot", arguments: [1, 3, 55, 63, 64, 65, 1000, 4096, 1_000_000])
    func streaming(chunkSize: Int) throws {
        for vector in SHA256Vector.all {
            let bytes = vector.bytes
            let hasher = SHA256()
            var start = 0
            while start < bytes.count {
                let end = min(start + chunkSize, bytes.count)
                hasher.update(bytes[start..<end])
                start = end
            }
            #expect(hasher.finalize().hex == vector.digest, "\(vector.name) in chunks of \(chunkSize)")
        }
    }

    @Test func oneInstanceReusedForManyMessages() {
        let hasher = SHA256()
        var seen = Set<SHA256Digest>()
        for length in 0..<300 {
            let message = [UInt8]((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ length) })
            let reused = hasher.hash(message)
            #expect(reused == SHA256.hash(message), "message of \(length) bytes")
            seen.insert(reused)
        }
        #expect(seen.count == 300)
        // Interleaved with the known answers: no state leaks from one message to the next.
        for vector in SHA256Vector.all {
            hasher.update([0xde, 0xad])
            hasher.reset()
            #expect(hasher.hash(vector.bytes).hex == vector.digest)
        }
    }

    @Test func finalizeStartsANewMessage() {
        let hasher = SHA256()
        hasher.update("abc")
        #expect(hasher.finalize().hex == SHA256Vector.all[0].digest)
        #expect(hasher.finalize().hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("hash(fileDescriptor:) on a temp file", arguments: [1, 4096, 256 * 1024])
    func fileDescriptor(bufferSize: Int) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sha256-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let million = SHA256Vector.all.first { $0.repeat == 1_000_000 }
        let vector = try #require(million)
        try Data(vector.bytes).write(to: url)
        let fd = open(url.path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let hasher = SHA256()
        hasher.update("left over from an earlier message")
        #expect(try hasher.hash(fileDescriptor: fd, bufferSize: bufferSize).hex == vector.digest)
    }

    @Test func fileDescriptorReadErrorThrows() {
        // A directory opens but cannot be read: read(2) fails with EISDIR.
        let fd = open(FileManager.default.temporaryDirectory.path, O_RDONLY | O_DIRECTORY)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(throws: CryptoError.self) { try SHA256().hash(fileDescriptor: fd) }
    }

    @Test func digestValue() throws {
        let digest = SHA256.hash("abc")
        #expect(digest.bytes.count == 32)
        #expect(SHA256Digest(bytes: digest.bytes) == digest)
        #expect(SHA256Digest(bytes: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(SHA256Digest(bytes: [UInt8](repeating: 0, count: 33)) == nil)
        #expect(digest.description == digest.hex)
        let low = try #require(SHA256Digest(bytes: [0x00] + [UInt8](repeating: 0xff, count: 31)))
        let high = try #require(SHA256Digest(bytes: [0x01] + [UInt8](repeating: 0x00, count: 31)))
        #expect(low < high)
        #expect(!(high < low))
        #expect(digest.withUnsafeBytes { Array($0) } == digest.bytes)
    }
}
