import Foundation
import VigilCrypto
import VigilLedger

extension Benchmarks {
    /// The archive: appends per second (memory, and a directory with fdatasync per batch of 1,000),
    /// inclusion-proof generation and verification at 10⁶ and 10⁷ leaves, `verify` of 10⁶ entries, and
    /// the single-core SHA-256 rate on the tree's message sizes measured in the same run (the limit).
    ///
    /// Arguments: `[SCRATCH_DIR] [LARGE_LEAVES]` (default `.build/bench-ledger`, 10000000).
    /// Prints `key value unit` lines.
    static func ledger(_ arguments: [String]) throws {
        if arguments.first == "--memory-only" {
            // For profiling: in-memory appends only, 10 batches of 10⁶.
            var batch = LedgerBatch(firstIndex: 0)
            for i in 0..<1_000 {
                batch.bytes.append(contentsOf: entry(i))
                batch.ends.append(batch.bytes.count)
            }
            let ledger = try Ledger(storage: MemoryLedgerStorage())
            let seconds = try median(runs: 1) {
                for _ in 0..<10_000 {
                    batch.firstIndex = ledger.size
                    try ledger.append(batch: batch)
                }
            }
            print("append_memory_s \(Int(1e7 / seconds)) appends/s")
            return
        }
        let scratch = arguments.first ?? ".build/bench-ledger"
        let large = arguments.count > 1 ? (Int(arguments[1]) ?? 10_000_000) : 10_000_000
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        // The hashing limit: one leaf (0x00 + 100-byte entry) and about one node (65 bytes) per append.
        let sha = SHA256()
        let leafMessage = [UInt8](repeating: 0x5a, count: 101)
        let nodeMessage = [UInt8](repeating: 0xa5, count: 65)
        let perPair = median(runs: 3) {
            leafMessage.withUnsafeBytes { leaf in
                nodeMessage.withUnsafeBytes { node in
                    for _ in 0..<500_000 {
                        blackHole(sha.hash(leaf))
                        blackHole(sha.hash(node))
                    }
                }
            }
        }
        let hashRate = 1_000_000 / perPair
        print("sha256_small_hashes_s \(Int(hashRate)) hashes/s")
        print("hash_limit_appends_s \(Int(hashRate / 2)) appends/s")

        let entries = 1_000_000
        let batchSize = 1_000
        var batches: [LedgerBatch] = []
        for start in stride(from: 0, to: entries, by: batchSize) {
            var batch = LedgerBatch(firstIndex: UInt64(start))
            for i in start..<start + batchSize {
                batch.bytes.append(contentsOf: entry(i))
                batch.ends.append(batch.bytes.count)
            }
            batches.append(batch)
        }

        // In memory.
        let memorySeconds = try median(runs: 3) {
            let ledger = try Ledger(storage: MemoryLedgerStorage())
            for batch in batches { try ledger.append(batch: batch) }
            blackHole(ledger.root)
        }
        print("append_memory_s \(Int(Double(entries) / memorySeconds)) appends/s")

        // Durable, into a directory: fdatasync per batch of 1,000.
        let key = try NoteSignerKey.generate(name: "bench.example/ledger")
        let directory = scratch + "/archive"
        var durable: [Double] = []
        for run in 0..<3 {
            try? FileManager.default.removeItem(atPath: directory)
            let start = DispatchTime.now().uptimeNanoseconds
            let storage = try DirectoryLedgerStorage(path: directory, writable: true)
            let ledger = try Ledger(storage: storage)
            for batch in batches { try ledger.append(batch: batch) }
            let note = try SignedNote(
                signing: Checkpoint(origin: key.name, size: ledger.size, root: ledger.root).text, with: [key])
            try storage.addCheckpoint(size: ledger.size, note: note.bytes)
            durable.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            _ = run
        }
        durable.sort()
        print("append_durable_s \(Int(Double(entries) / durable[1])) appends/s")

        // verify of 10⁶ entries (reading every file, recomputing everything).
        let verifySeconds = try median(runs: 3) {
            let report = try Archive.verify(directory: directory, keys: [key.verifier])
            precondition(report.intact, "the benchmark archive must verify: \(report.failures)")
        }
        print("verify_1e6_s \(String(format: "%.3f", verifySeconds)) s")

        // Proofs at 10⁶ (directory, pread) and 10⁶ / 10⁷ (memory).
        let onDisk = try Ledger(storage: try DirectoryLedgerStorage(path: directory, writable: false))
        try proofs(onDisk, label: "1e6_dir")
        let memory = try Ledger(storage: MemoryLedgerStorage())
        for batch in batches { try memory.append(batch: batch) }
        try proofs(memory, label: "1e6_mem")
        batches.removeAll()
        var appended = memory.size
        while appended < UInt64(large) {
            var batch = LedgerBatch(firstIndex: appended)
            for i in Int(appended)..<min(Int(appended) + 10_000, large) {
                batch.bytes.append(contentsOf: entry(i))
                batch.ends.append(batch.bytes.count)
            }
            appended = try memory.append(batch: batch)
        }
        try proofs(memory, label: large == 10_000_000 ? "1e7_mem" : "\(large)_mem")
    }

    /// A 100-byte entry, different for each `i`.
    private static func entry(_ i: Int) -> [UInt8] {
        var bytes = Array(#"{"seq":\#(i),"class_uid":1007,"msg":"benchmark event"}"#.utf8)
        bytes += [UInt8](repeating: 0x20, count: max(0, 100 - bytes.count))
        return bytes
    }

    /// Median microseconds to generate, and to verify, inclusion proofs for pseudo-random leaves.
    private static func proofs(_ ledger: Ledger, label: String) throws {
        let size = ledger.size
        let root = ledger.root.bytes
        let hasher = RFC9162Hasher()
        let count = 20_000
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let indexes = (0..<count).map { _ -> UInt64 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 11) % size
        }
        var proofs: [[[UInt8]]] = []
        proofs.reserveCapacity(count)
        let generate = try median(runs: 3) {
            proofs.removeAll(keepingCapacity: true)
            for index in indexes { proofs.append(try ledger.inclusionProof(index: index, treeSize: size).map(\.bytes)) }
        }
        let leaves = try indexes.map { hasher.hashLeaf(try ledger.storage.entry($0)).bytes }
        let verify = try median(runs: 3) {
            for (n, index) in indexes.enumerated() {
                try MerkleVerifier.verifyInclusion(
                    leafHash: leaves[n], index: index, treeSize: size, proof: proofs[n], root: root, hasher: hasher)
            }
        }
        print("proof_gen_\(label)_us \(String(format: "%.2f", generate / Double(count) * 1e6)) us")
        print("proof_verify_\(label)_us \(String(format: "%.2f", verify / Double(count) * 1e6)) us")
    }
}
