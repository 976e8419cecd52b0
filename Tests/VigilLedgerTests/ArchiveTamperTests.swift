import Foundation
import Testing
import VigilCrypto

@testable import VigilLedger

/// An archive of 100,000 entries under three checkpoints, and each kind of tampering the verifier
/// must detect and name. Mutations are applied to the files' bytes in memory (the verifier is pure);
/// `ArchiveDirectoryTests` does the same through real files.
struct ArchiveTamperTests {
    static let entryCount = 100_000

    /// The fixture: an archive built once per process in a temporary directory, its key, and its contents.
    final class Fixture: Sendable {
        let directory: String
        let key: NoteSignerKey
        let contents: ArchiveContents

        init(entries: Int, checkpoints: [Int]) throws {
            directory =
                FileManager.default.temporaryDirectory.appendingPathComponent(
                    "vigil-ledger-\(UUID().uuidString)"
                ).path
            key = try NoteSignerKey.generate(name: "test.example/archive")
            var appended = 0
            for size in checkpoints + [entries] where size > appended {
                let writer = try ArchiveWriter(directory: directory, signer: key)
                for i in appended..<size { try writer.append(Array(Fixture.entry(i).utf8)) }
                _ = try writer.finish()
                appended = size
            }
            contents = try ArchiveContents.read(directory: directory)
            // Everything the tests need is in `contents`; the files are not left behind.
            try? FileManager.default.removeItem(atPath: directory)
        }

        static func entry(_ i: Int) -> String { #"{"seq":\#(i),"msg":"event number \#(i)"}"# }

        /// The entries as the contents hold them.
        func entries() -> [[UInt8]] {
            var start = 0
            return stride(from: 0, to: contents.index.count, by: 8).map { offset in
                let end = Int(contents.index[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
                defer { start = end }
                return Array(contents.entries[start..<end])
            }
        }
    }

    static let big: Fixture? = try? Fixture(entries: entryCount, checkpoints: [40_000, 70_000])

    static func replacingEntries(_ contents: ArchiveContents, with entries: [[UInt8]]) -> ArchiveContents {
        var copy = contents
        copy.entries = []
        copy.index = []
        copy.index.reserveCapacity(entries.count * 8)
        for entry in entries {
            copy.entries.append(contentsOf: entry)
            withUnsafeBytes(of: UInt64(copy.entries.count).bigEndian) { copy.index.append(contentsOf: $0) }
        }
        return copy
    }

    func verify(_ contents: ArchiveContents, keys: [NoteVerifierKey]? = nil) throws -> ArchiveFailure {
        let fixture = try #require(Self.big)
        let report = ArchiveVerifier.verify(contents, keys: keys ?? [fixture.key.verifier])
        return try #require(report.failures.first, "the tampered archive verified")
    }

    @Test func untouchedArchiveVerifies() throws {
        let fixture = try #require(Self.big)
        let report = ArchiveVerifier.verify(fixture.contents, keys: [fixture.key.verifier])
        #expect(report.failures == [])
        #expect(report.entries == UInt64(Self.entryCount))
        #expect(report.checkpoints.map(\.size) == [40_000, 70_000, 100_000])
        let signer = "\(fixture.key.name)+\(NoteVerifierKey.hex(fixture.key.verifier.keyID))"
        #expect(report.checkpoints.allSatisfy { $0.signers == [signer] })
    }

    @Test(arguments: [40_000, 99_999])
    func modifiedEntryIsNamed(_ index: Int) throws {
        let fixture = try #require(Self.big)
        var entries = fixture.entries()
        entries[index][3] ^= 0x20
        let failure = try verify(Self.replacingEntries(fixture.contents, with: entries))
        #expect(failure.kind == .modified)
        #expect(failure.entry == UInt64(index))
    }

    @Test(arguments: [12_345])
    func deletedEntryIsNamed(_ index: Int) throws {
        let fixture = try #require(Self.big)
        var entries = fixture.entries()
        entries.remove(at: index)
        let failure = try verify(Self.replacingEntries(fixture.contents, with: entries))
        #expect(failure.kind == .missing)
        #expect(failure.entry == UInt64(index))
    }

    @Test(arguments: [39_999])
    func swappedEntriesAreNamed(_ index: Int) throws {
        let fixture = try #require(Self.big)
        var entries = fixture.entries()
        entries.swapAt(index, index + 1)
        let failure = try verify(Self.replacingEntries(fixture.contents, with: entries))
        #expect(failure.kind == .reordered)
        #expect(failure.entry == UInt64(index))
    }

    @Test func truncatedArchiveIsNamed() throws {
        let fixture = try #require(Self.big)
        let entries = Array(fixture.entries().prefix(Self.entryCount - 10))
        let failure = try verify(Self.replacingEntries(fixture.contents, with: entries))
        #expect(failure.kind == .truncated)
        #expect(failure.entry == UInt64(Self.entryCount - 10))
        // The entries file cut short, index untouched.
        var cut = fixture.contents
        cut.entries.removeLast(100)
        let second = try verify(cut)
        #expect(second.kind == .truncated)
        #expect(second.file == ArchiveLayout.entriesFile)
    }

    @Test func unsignedEntryIsNamed() throws {
        let fixture = try #require(Self.big)
        let entries = fixture.entries() + [Array("unsigned".utf8)]
        let failure = try verify(Self.replacingEntries(fixture.contents, with: entries))
        #expect(failure.kind == .extra)
        #expect(failure.entry == UInt64(Self.entryCount))
        // Inserted in the middle.
        var inserted = fixture.entries()
        inserted.insert(Array("forged".utf8), at: 5000)
        let second = try verify(Self.replacingEntries(fixture.contents, with: inserted))
        #expect(second.kind == .extra)
        #expect(second.entry == 5000)
    }

    @Test func forkedHistoryIsNamed() throws {
        let fixture = try #require(Self.big)
        var contents = fixture.contents
        let forged = Checkpoint(origin: fixture.key.name, size: 40_000, root: SHA256.hash("another history"))
        let note = try SignedNote(signing: forged.text, with: [fixture.key])
        let name = ArchiveLayout.checkpointName(size: 40_000)
        contents.checkpoints = contents.checkpoints.map { $0.name == name ? (name: name, bytes: note.bytes) : $0 }
        let failure = try verify(contents)
        #expect(failure.kind == .forkedHistory)
        #expect(failure.checkpoint == 40_000)
    }

    @Test func badSignatureAndUnknownKeyAreNamed() throws {
        let fixture = try #require(Self.big)
        var contents = fixture.contents
        var note = try SignedNote(parsing: contents.checkpoints[1].bytes)
        note.signatures[0].bytes[40] ^= 0x01
        contents.checkpoints[1].bytes = note.bytes
        let failure = try verify(contents)
        #expect(failure.kind == .badSignature)
        #expect(failure.checkpoint == 70_000)
        let stranger = try NoteSignerKey.generate(name: fixture.key.name)
        let unknown = try verify(fixture.contents, keys: [stranger.verifier])
        #expect(unknown.kind == .unknownKey)
        #expect(unknown.checkpoint == 40_000)
    }

    /// One byte changed at sampled places of every file is detected and located in that file.
    @Test func aChangedByteInAnyFileIsDetected() throws {
        let fixture = try #require(Self.big)
        let c = fixture.contents
        var cases: [(String, ArchiveContents)] = []
        for offset in [0, c.entries.count - 1] {
            var m = c
            m.entries[offset] ^= 0x01
            cases.append((ArchiveLayout.entriesFile, m))
        }
        for offset in [8 * 40_000 + 6, c.index.count - 1] {
            var m = c
            m.index[offset] ^= 0x01
            cases.append((ArchiveLayout.indexFile, m))
        }
        for offset in [32 * 5000 + 3, c.tree.count - 1] {
            var m = c
            m.tree[offset] ^= 0x01
            cases.append((ArchiveLayout.treeFile, m))
        }
        for (n, checkpoint) in c.checkpoints.enumerated() {
            for offset in [30, checkpoint.bytes.count - 2] {
                var m = c
                m.checkpoints[n].bytes[offset] ^= 0x01
                cases.append((ArchiveLayout.checkpointsDirectory + "/" + checkpoint.name, m))
            }
        }
        var format = c
        format.format?[3] ^= 0x01
        cases.append((ArchiveLayout.formatFile, format))
        for (file, contents) in cases {
            let report = ArchiveVerifier.verify(contents, keys: [fixture.key.verifier])
            #expect(!report.intact, "\(file)")
            let named = report.failures.contains {
                $0.file == file || (file == ArchiveLayout.indexFile && $0.entry != nil)
            }
            #expect(named, "\(file): \(report.failures)")
        }
    }
}
