import Foundation
import VigilCrypto

extension Benchmarks {
    /// Prints `sha256_16k_mb_s` (one core, streaming 16 KiB blocks) and `sha256_200b_hashes_s`
    /// (one reused context, 200-byte messages).
    static func sha256(_ arguments: [String]) throws {
        let seconds = Double(arguments.first ?? "") ?? 1.0
        let block = [UInt8](repeating: 0x5a, count: 16 * 1024)
        let hasher = SHA256()
        // Streaming throughput.
        var blocks = 0
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let start = DispatchTime.now().uptimeNanoseconds
        block.withUnsafeBytes { raw in
            while DispatchTime.now().uptimeNanoseconds < deadline {
                for _ in 0..<64 { hasher.update(raw) }
                blocks += 64
            }
        }
        blackHole(hasher.finalize())
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("sha256_16k_mb_s \(String(format: "%.1f", Double(blocks * block.count) / elapsed / 1e6)) MB/s")
        // Small messages.
        let message = [UInt8](repeating: 0xa5, count: 200)
        var count = 0
        let deadline2 = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let start2 = DispatchTime.now().uptimeNanoseconds
        message.withUnsafeBytes { raw in
            while DispatchTime.now().uptimeNanoseconds < deadline2 {
                for _ in 0..<1024 { blackHole(hasher.hash(raw)) }
                count += 1024
            }
        }
        let elapsed2 = Double(DispatchTime.now().uptimeNanoseconds - start2) / 1e9
        print("sha256_200b_hashes_s \(String(format: "%.0f", Double(count) / elapsed2)) hashes/s")
    }
}
