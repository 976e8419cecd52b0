import Foundation
import VigilFIM
import VigilSystem

extension Benchmarks {
    /// `vigil-bench fim generate DIR FILES SEED`: a reproducible tree of FILES small files (0–64 KiB,
    ///   names from the seed, 100 files per directory, two levels) plus four 256 MiB files.
    /// `vigil-bench fim mutate DIR SEED`: the change set of BENCHMARKS.md: 1,000 files appended, 78 rewritten
    ///   at the same size with mtime restored, 100 added, 100 removed. Prints the counts.
    /// `vigil-bench fim scan PATH [full|fast]`: one in-process scan (no storage), prints entries/s.
    static func fim(_ arguments: [String]) throws {
        guard let command = arguments.first else { throw BenchUsage("fim generate|mutate|scan …") }
        switch command {
        case "generate":
            guard arguments.count >= 4, let count = Int(arguments[2]), let seed = UInt64(arguments[3]) else {
                throw BenchUsage("fim generate DIR FILES SEED")
            }
            try generateTree(
                at: arguments[1], files: count, seed: seed, bigFiles: arguments.count > 4 ? Int(arguments[4]) ?? 4 : 4)
        case "mutate":
            guard arguments.count >= 3, let seed = UInt64(arguments[2]) else { throw BenchUsage("fim mutate DIR SEED") }
            try mutateTree(at: arguments[1], seed: seed)
        case "scan":
            guard arguments.count >= 2 else { throw BenchUsage("fim scan PATH") }
            let scanner = FIMScanner(config: .watching([BytePath(arguments[1])]))
            let start = DispatchTime.now().uptimeNanoseconds
            let result = scanner.scan()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print("fim_scan_entries \(result.records.count)")
            print("fim_scan_seconds \(String(format: "%.3f", seconds)) s")
            print("fim_scan_mb_s \(String(format: "%.1f", Double(result.hashedBytes) / seconds / 1e6)) MB/s")
        default:
            throw BenchUsage("fim generate|mutate|scan …")
        }
    }

    struct BenchUsage: Error, CustomStringConvertible {
        var description: String
        init(_ usage: String) { description = "usage: vigil-bench \(usage)" }
    }

    /// SplitMix64: a small seeded generator so the tree is the same on every machine.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func filePath(_ root: String, _ index: Int) -> String {
        "\(root)/d\(index / 10_000)/e\((index / 100) % 100)/f\(index).dat"
    }

    static func generateTree(at root: String, files: Int, seed: UInt64, bigFiles: Int) throws {
        var random = SeededRandom(state: seed)
        let manager = FileManager.default
        var block = [UInt8](repeating: 0, count: 65_536)
        for index in 0..<files {
            if index % 100 == 0 {
                try manager.createDirectory(
                    atPath: (filePath(root, index) as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true)
            }
            let size = Int(random.next() % 65_537)
            for offset in stride(from: 0, to: size, by: 8) {
                let word = random.next()
                for byte in 0..<min(8, size - offset) {
                    block[offset + byte] = UInt8(truncatingIfNeeded: word >> (8 * byte))
                }
            }
            guard manager.createFile(atPath: filePath(root, index), contents: Data(block[0..<size])) else {
                throw BenchUsage("cannot write \(filePath(root, index))")
            }
        }
        for big in 0..<bigFiles {
            let path = "\(root)/big\(big).bin"
            guard manager.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path)
            else {
                throw BenchUsage("cannot write \(path)")
            }
            for _ in 0..<(256 * 1024 * 1024 / block.count) {
                for offset in stride(from: 0, to: block.count, by: 8) {
                    let word = random.next()
                    for byte in 0..<8 { block[offset + byte] = UInt8(truncatingIfNeeded: word >> (8 * byte)) }
                }
                handle.write(Data(block))
            }
            try handle.close()
        }
        print("fim_tree_files \(files + bigFiles)")
    }

    static func mutateTree(at root: String, seed: UInt64) throws {
        var random = SeededRandom(state: seed)
        let manager = FileManager.default
        var index = 0
        while manager.fileExists(atPath: filePath(root, index)) { index += 1 }
        let count = index
        guard count >= 2_000 else { throw BenchUsage("the tree at \(root) has too few files to mutate") }
        var chosen = Set<Int>()
        while chosen.count < 1_278 { chosen.insert(Int(random.next() % UInt64(count))) }
        let files = Array(chosen).sorted()
        let appended = files[0..<1_000], rewritten = files[1_000..<1_078], removed = files[1_078..<1_178]
        for index in appended {
            guard let handle = FileHandle(forWritingAtPath: filePath(root, index)) else { continue }
            handle.seekToEndOfFile()
            handle.write(Data("appended\n".utf8))
            try handle.close()
        }
        for index in rewritten {
            let path = filePath(root, index)
            let attributes = try manager.attributesOfItem(atPath: path)
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            if data.isEmpty { data = Data([0]) }
            data[0] ^= 0xFF
            try data.write(to: URL(fileURLWithPath: path))
            if let date = attributes[.modificationDate] as? Date {
                try manager.setAttributes([.modificationDate: date], ofItemAtPath: path)
            }
        }
        for index in removed { try manager.removeItem(atPath: filePath(root, index)) }
        for extra in 0..<100 {
            let path = "\(root)/d0/e0/added\(extra).dat"
            guard manager.createFile(atPath: path, contents: Data("new \(extra)\n".utf8)) else {
                throw BenchUsage("cannot write \(path)")
            }
        }
        print("fim_mutated appended=1000 rewritten=78 removed=100 added=100")
    }
}
