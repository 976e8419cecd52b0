import Foundation
import Testing
import VigilCrypto

@testable import VigilLedger

/// The directory format through real files: reopening, crash recovery, proofs, and every single
/// byte of every file of a small archive changed in turn.
struct ArchiveDirectoryTests {
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-ledger-\(UUID().uuidString)").path
    }

    static func build(_ path: String, key: NoteSignerKey, sizes: [Int]) throws {
        var appended = 0
        for size in sizes {
            let writer = try ArchiveWriter(directory: path, signer: key, batchSize: 7)
            for i in appended..<size { try writer.append(Array("entry \(i)".utf8)) }
            _ = try writer.finish()
            appended = size
        }
    }

    @Test func reopenedArchiveContinuesTheSameTree() throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = try NoteSignerKey.generate(name: "test.example/dir")
        try Self.build(path, key: key, sizes: [5, 23, 64, 65])
        let memory = try Ledger(storage: MemoryLedgerStorage())
        try memory.append((0..<65).map { Array("entry \($0)".utf8) })
        let disk = try Ledger(storage: try DirectoryLedgerStorage(path: path, writable: false))
        #expect(disk.root == memory.root)
        #expect(try disk.inclusionProof(index: 17, treeSize: 64) == memory.inclusionProof(index: 17, treeSize: 64))
        #expect(try disk.consistencyProof(from: 5, to: 65) == memory.consistencyProof(from: 5, to: 65))
        #expect(try disk.storage.entry(64) == Array("entry 64".utf8))
        #expect(try Archive.verify(directory: path, keys: [key.verifier]).intact)
        let bundle = try Archive.prove(directory: path, index: 12)
        let parsed = try ProofBundle(parsing: bundle.bytes)
        #expect(parsed == bundle)
        #expect(try parsed.verify(keys: [key.verifier]).checkpoint.size == 65)
    }

    /// Proofs from a directory being appended to (the tree mapping is remapped as the file grows).
    @Test func proofsWhileAppending() throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let disk = try Ledger(storage: try DirectoryLedgerStorage(path: path, writable: true))
        let memory = try Ledger(storage: MemoryLedgerStorage())
        for round in 0..<6 {
            let batch = (0..<(round * 37 + 1)).map { Array("round \(round) entry \($0)".utf8) }
            try disk.append(batch)
            try memory.append(batch)
            let size = disk.size
            for index in [0, size / 2, size - 1] {
                #expect(
                    try disk.inclusionProof(index: index, treeSize: size)
                        == memory.inclusionProof(index: index, treeSize: size))
            }
            #expect(try disk.root(treeSize: size - 1) == memory.root(treeSize: size - 1))
        }
    }

    @Test func anUncommittedBatchIsCutOffOnReopen() throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = try NoteSignerKey.generate(name: "test.example/crash")
        try Self.build(path, key: key, sizes: [10])
        // A crash after entries and tree were written but before the index: extra bytes in both.
        for file in [ArchiveLayout.entriesFile, ArchiveLayout.treeFile, ArchiveLayout.indexFile] {
            let handle = try #require(FileHandle(forWritingAtPath: path + "/" + file))
            handle.seekToEndOfFile()
            handle.write(Data([1, 2, 3]))
            handle.closeFile()
        }
        #expect(!(try Archive.verify(directory: path, keys: [key.verifier]).intact))
        let writer = try ArchiveWriter(directory: path, signer: key)
        try writer.append(Array("entry 10".utf8))
        _ = try writer.finish()
        #expect(try Archive.verify(directory: path, keys: [key.verifier]).failures == [])
    }

    /// A crash that left whole index records naming entries whose bytes or hashes never reached the disk.
    @Test(arguments: [false, true])
    func aTornBatchIsCutOffAtTheFirstEntryThatDoesNotMatch(entryWritten: Bool) throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = try NoteSignerKey.generate(name: "test.example/torn")
        try Self.build(path, key: key, sizes: [10])
        // Two unsigned entries written properly, then a third whose data is torn.
        do {
            let storage = try DirectoryLedgerStorage(path: path, writable: true)
            try Ledger(storage: storage).append([Array("entry 10".utf8), Array("entry 11".utf8)])
        }
        let entriesLength = try Data(contentsOf: URL(fileURLWithPath: path + "/entries")).count
        func append(_ file: String, _ bytes: [UInt8]) throws {
            let handle = try #require(FileHandle(forWritingAtPath: path + "/" + file))
            handle.seekToEndOfFile()
            handle.write(Data(bytes))
            handle.closeFile()
        }
        try append(ArchiveLayout.indexFile, withUnsafeBytes(of: UInt64(entriesLength + 8).bigEndian) { Array($0) })
        try append(ArchiveLayout.entriesFile, entryWritten ? Array("entry 12".utf8) : [UInt8](repeating: 0, count: 8))
        try append(ArchiveLayout.treeFile, [UInt8](repeating: 0, count: 32 * 3))
        let reopened = try DirectoryLedgerStorage(path: path, writable: true)
        #expect(reopened.size == 12)
        #expect(reopened.recoveredEntries == 1)
        #expect(try reopened.entry(11) == Array("entry 11".utf8))
    }

    @Test func signedEntriesAreNeverCut() throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = try NoteSignerKey.generate(name: "test.example/signed")
        try Self.build(path, key: key, sizes: [10])
        let index = path + "/" + ArchiveLayout.indexFile
        let bytes = try Data(contentsOf: URL(fileURLWithPath: index))
        try bytes.prefix(bytes.count - 8).write(to: URL(fileURLWithPath: index))
        #expect(throws: LedgerError.self) { try DirectoryLedgerStorage(path: path, writable: true) }
    }

    @Test func aSecondWriterIsRefused() throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = try NoteSignerKey.generate(name: "test.example/lock")
        try Self.build(path, key: key, sizes: [10])
        let first = try ArchiveWriter(directory: path, signer: key)
        #expect(throws: LedgerError.self) { try ArchiveWriter(directory: path, signer: key) }
        withExtendedLifetime(first) {}
    }

    @Test func refusesToAppendOverTampering() throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = try NoteSignerKey.generate(name: "test.example/refuse")
        try Self.build(path, key: key, sizes: [10])
        let tree = path + "/" + ArchiveLayout.treeFile
        var bytes = try Data(contentsOf: URL(fileURLWithPath: tree))
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: URL(fileURLWithPath: tree))
        #expect(throws: LedgerError.self) { try ArchiveWriter(directory: path, signer: key) }
        let stranger = try NoteSignerKey.generate(name: "test.example/refuse")
        try bytes.write(to: URL(fileURLWithPath: tree))
        #expect(throws: LedgerError.self) { try ArchiveWriter(directory: path, signer: stranger) }
    }

    /// Every byte of every file, flipped one at a time, on a 40-entry archive with three checkpoints.
    @Test func everyByteOfEveryFileMatters() throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = try NoteSignerKey.generate(name: "test.example/bytes")
        try Self.build(path, key: key, sizes: [13, 32, 40])
        let original = try ArchiveContents.read(directory: path)
        #expect(ArchiveVerifier.verify(original, keys: [key.verifier]).failures == [])
        var undetected: [String] = []
        func check(_ name: String, _ offset: Int, _ contents: ArchiveContents) {
            if ArchiveVerifier.verify(contents, keys: [key.verifier]).intact { undetected.append("\(name)@\(offset)") }
        }
        for bit in [0x01] {
            for offset in original.entries.indices {
                var m = original
                m.entries[offset] ^= UInt8(bit)
                check("entries", offset, m)
            }
            for offset in original.index.indices {
                var m = original
                m.index[offset] ^= UInt8(bit)
                check("entries.idx", offset, m)
            }
            for offset in original.tree.indices {
                var m = original
                m.tree[offset] ^= UInt8(bit)
                check("tree", offset, m)
            }
            for (n, checkpoint) in original.checkpoints.enumerated() {
                for offset in checkpoint.bytes.indices {
                    var m = original
                    m.checkpoints[n].bytes[offset] ^= UInt8(bit)
                    check(checkpoint.name, offset, m)
                }
            }
            for offset in ArchiveLayout.formatContents.indices {
                var m = original
                m.format?[offset] ^= UInt8(bit)
                check("FORMAT", offset, m)
            }
        }
        #expect(undetected == [])
        // Removing or adding files is detected too.
        var noCheckpoints = original
        noCheckpoints.checkpoints = []
        #expect(!ArchiveVerifier.verify(noCheckpoints, keys: [key.verifier]).intact)
        var dropLatest = original
        dropLatest.checkpoints.removeLast()
        #expect(ArchiveVerifier.verify(dropLatest, keys: [key.verifier]).failures.first?.kind == .extra)
        var stray = original
        stray.strayFiles = ["notes.txt"]
        #expect(ArchiveVerifier.verify(stray, keys: [key.verifier]).failures.first?.file == "notes.txt")
    }

    @Test(arguments: [0, 1, 10, 50, 100, 200, 250])
    func truncatedOrCorruptedProofFilesAreRejected(_ cut: Int) throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = try NoteSignerKey.generate(name: "test.example/proof")
        try Self.build(path, key: key, sizes: [20])
        let bytes = try Archive.prove(directory: path, index: 9).bytes
        #expect(throws: LedgerError.self) {
            try ProofBundle(parsing: Array(bytes.prefix(cut))).verify(keys: [key.verifier])
        }
        var flipped = bytes
        flipped[min(cut, bytes.count - 1)] ^= 0x04
        #expect(throws: LedgerError.self) { try ProofBundle(parsing: flipped).verify(keys: [key.verifier]) }
    }
}

/// Exporting a log kept elsewhere (here in memory, later the server's database) to a directory.
struct ArchiveExportTests {
    @Test func anExportedLogVerifiesWithOnlyTheDirectory() throws {
        let key = try NoteSignerKey.generate(name: "test.example/export")
        let memory = MemoryLedgerStorage()
        let ledger = try Ledger(storage: memory)
        for size in [0, 1, 17, 300] {
            try ledger.append((Int(ledger.size)..<size).map { Array("event \($0)".utf8) })
            let checkpoint = Checkpoint(origin: key.name, size: ledger.size, root: ledger.root)
            try memory.addCheckpoint(
                size: ledger.size, note: try SignedNote(signing: checkpoint.text, with: [key]).bytes)
        }
        let path = ArchiveDirectoryTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Archive.export(from: memory, to: path, batchSize: 64)
        let report = try Archive.verify(directory: path, keys: [key.verifier])
        #expect(report.failures == [])
        #expect(report.checkpoints.map(\.size) == [0, 1, 17, 300])
        #expect(throws: LedgerError.self) { try Archive.export(from: memory, to: path) }
    }
}
