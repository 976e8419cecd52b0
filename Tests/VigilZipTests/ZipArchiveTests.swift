import Foundation
import Testing
import VigilTestSupport
import VigilZip

struct ZipArchiveTests {
    func archive(_ name: String, limits: ZipLimits = ZipLimits()) throws -> ZipArchive {
        try ZipArchive(try Fixtures.data(name), name: name, limits: limits)
    }

    func entry(_ archive: ZipArchive, _ name: String) throws -> ZipEntry {
        try #require(archive.entries.first { $0.name == name })
    }

    /// Python's zipfile at every DEFLATE level, stored entries, empty files and a directory.
    @Test func readsEveryLevelStoredAndEmptyEntries() throws {
        let zip = try archive("levels.zip")
        let content = [UInt8](try Fixtures.data("levels-content.txt"))
        #expect(zip.entries.count == 14)
        for level in 0...9 {
            #expect(try zip.contents(of: entry(zip, "deflate-\(level).txt")) == content, "level \(level)")
        }
        #expect(try zip.contents(of: entry(zip, "stored.txt")) == content)
        #expect(try entry(zip, "stored.txt").method == 0)
        #expect(try zip.contents(of: entry(zip, "empty-stored.txt")).isEmpty)
        #expect(try zip.contents(of: entry(zip, "empty-deflated.txt")).isEmpty)
        #expect(try entry(zip, "dir/").isDirectory)
    }

    @Test func readsZip64AndInfoZipArchives() throws {
        let zip64 = try archive("zip64.zip")
        let content = [UInt8](try Fixtures.data("levels-content.txt"))
        #expect(zip64.entries.map(\.name) == ["a.json", "b.txt"])
        #expect(try zip64.contents(of: entry(zip64, "b.txt")) == content)
        #expect(try zip64.contents(of: entry(zip64, "a.json")).first == UInt8(ascii: "{"))
        // Info-ZIP's zip (the fixture script writes these when zip is installed).
        let infozip = try archive("infozip.zip")
        #expect(try infozip.contents(of: entry(infozip, "content.txt")) == content)
        #expect(try infozip.contents(of: entry(infozip, "empty.txt")).isEmpty)
        // From stdin: a ZIP64 local header and a data descriptor after the data.
        let stream = try archive("infozip-stream.zip")
        #expect(stream.entries.count == 1 && stream.entries[0].flags & 0x08 != 0)
        #expect(try stream.contents(of: stream.entries[0]) == content)
    }

    @Test func refusesEncryptedEntriesAndOtherMethods() throws {
        let encrypted = try archive("encrypted.zip")
        let error = #expect(throws: ZipError.self) { try encrypted.contents(of: encrypted.entries[0]) }
        #expect(error?.code == "zip.encrypted")
        #expect(error?.description.hasPrefix("encrypted.zip, field 'content.txt'") == true)
        let methods = try archive("methods.zip")
        for name in ["bzip2.txt", "lzma.txt"] {
            let error = #expect(throws: ZipError.self) { try methods.contents(of: entry(methods, name)) }
            #expect(error?.code == "zip.method" && error?.location?.field == name)
        }
        #expect(try methods.contents(of: entry(methods, "plain.txt")) == [UInt8]("plain".utf8))
    }

    /// Names are labels: a path-like name is read like any other, a control character is escaped in errors,
    /// and two entries with one name are both refused.
    @Test func namesAreLabelsNotPaths() throws {
        let zip = try archive("names.zip")
        #expect(try zip.contents(of: entry(zip, "../../etc/passwd.json")).count > 100)
        #expect(try zip.contents(of: entry(zip, "/abs/record.json")).count > 100)
        let evil = try #require(zip.entries.first { $0.name.hasPrefix("evil-") })
        #expect(evil.displayName == "evil-\\u{1b}[31m-name.json")
        let twice = zip.entries.filter { $0.name == "twice.json" }
        #expect(twice.count == 2)
        for entry in twice {
            let error = #expect(throws: ZipError.self) { try zip.contents(of: entry) }
            #expect(error?.code == "zip.duplicate-name")
        }
    }

    @Test func refusesZipBombs() throws {
        // Over the ratio: refused before inflating; the entry beside it still reads.
        let ratio = try archive("bomb-ratio.zip")
        let error = #expect(throws: ZipError.self) { try ratio.contents(of: entry(ratio, "bomb.json")) }
        #expect(error?.code == "zip.ratio" && error?.location?.file == "bomb-ratio.zip")
        #expect(try ratio.contents(of: entry(ratio, "fine.json")).count > 100)
        // Over the per-entry size, with a ratio limit that would let it through.
        let small = try archive("bomb-ratio.zip", limits: ZipLimits(maxEntrySize: 1 << 20, maxRatio: 10_000))
        let large = #expect(throws: ZipError.self) { try small.contents(of: entry(small, "bomb.json")) }
        #expect(large?.code == "zip.entry-too-large")
        // 42.zip-style nesting: each layer is small; the bottom entry is refused, and nothing recurses by itself.
        var layers = [try archive("bomb-nested.zip")]
        var refused = 0
        var inflated = 0
        while let zip = layers.popLast() {
            for entry in zip.entries {
                do {
                    let bytes = try zip.contents(of: entry)
                    inflated += bytes.count
                    if entry.name.hasSuffix(".zip") { layers.append(try ZipArchive(Data(bytes), name: entry.name)) }
                } catch {
                    #expect(error.code == "zip.ratio")
                    refused += 1
                }
            }
        }
        #expect(refused == 16)
        #expect(inflated < 200_000)
        // Declaring 100 bytes while the stream holds 2 MiB: stopped at the declared size.
        let liar = try archive("bomb-liar.zip")
        let lie = #expect(throws: ZipError.self) { try liar.contents(of: liar.entries[0]) }
        #expect(lie?.code == "zip.size-mismatch" && lie?.location?.field == "liar.json")
        // Entries sharing bytes (a non-recursive bomb): the whole archive is refused.
        let overlap = #expect(throws: ZipError.self) { try archive("overlap.zip") }
        #expect(overlap?.code == "zip.overlap")
        #expect(overlap?.description.contains("b.json") == true && overlap?.description.contains("a.json") == true)
    }

    @Test func limitsOnEntriesAndTotal() throws {
        let many = #expect(throws: ZipError.self) { try archive("levels.zip", limits: ZipLimits(maxEntries: 13)) }
        #expect(many?.code == "zip.too-many-entries")
        let total = #expect(throws: ZipError.self) {
            try archive("levels.zip", limits: ZipLimits(maxTotalSize: 50_000))
        }
        #expect(total?.code == "zip.total-limit" && total?.location?.field != nil)
    }

    @Test func everyTruncationIsRefused() throws {
        let bytes = try Fixtures.data("names.zip")
        for cut in 0..<bytes.count {
            let error = #expect(throws: ZipError.self) { try ZipArchive(bytes.prefix(cut), name: "cut.zip") }
            #expect(error?.location?.file == "cut.zip")
        }
    }

    /// Offset of the central directory header of the entry named `name`.
    func centralHeader(of name: String, in data: Data) throws -> Int {
        let bytes = [UInt8](data)
        let pattern: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let found = (0...(bytes.count - 46)).first { start in
            guard Array(bytes[start..<start + 4]) == pattern else { return false }
            let length = Int(bytes[start + 28]) | Int(bytes[start + 29]) << 8
            return start + 46 + length <= bytes.count
                && Array(bytes[start + 46..<start + 46 + length]) == Array(name.utf8)
        }
        return try #require(found)
    }

    @Test func corruptDataAndCRCsAreRefused() throws {
        let original = try Fixtures.data("levels.zip")
        let zip = try archive("levels.zip")
        let stored = try entry(zip, "stored.txt")
        // A changed byte in stored data: the CRC-32 does not match.
        var changed = original
        changed[stored.dataOffset + 10] ^= 0x20
        let crc = #expect(throws: ZipError.self) {
            let damaged = try ZipArchive(changed, name: "levels.zip")
            _ = try damaged.contents(of: damaged.entries[stored.index])
        }
        #expect(crc?.code == "zip.crc" && crc?.location?.field == "stored.txt")
        // The CRC changed in both headers alike: still refused against the content.
        var both = original
        both[stored.localHeaderOffset + 14] ^= 0xFF
        let central = try centralHeader(of: "stored.txt", in: original)
        both[central + 16] ^= 0xFF
        let crcBoth = #expect(throws: ZipError.self) {
            let damaged = try ZipArchive(both, name: "levels.zip")
            _ = try damaged.contents(of: damaged.entries[stored.index])
        }
        #expect(crcBoth?.code == "zip.crc")
        // Only the central directory's CRC changed: the headers disagree, the archive is refused.
        var one = original
        one[central + 16] ^= 0xFF
        let disagree = #expect(throws: ZipError.self) { try ZipArchive(one, name: "levels.zip") }
        #expect(disagree?.code == "zip.local-header" && disagree?.location?.field == "stored.txt")
        // A DEFLATE entry whose first block is of the reserved type: named by archive, entry and offset.
        let deflated = try entry(zip, "deflate-6.txt")
        var bad = original
        bad[deflated.dataOffset] = 0xFF
        let block = #expect(throws: ZipError.self) {
            let damaged = try ZipArchive(bad, name: "levels.zip")
            _ = try damaged.contents(of: damaged.entries[deflated.index])
        }
        #expect(block?.code == "zip.deflate")
        #expect(block?.location == .init(file: "levels.zip", field: "deflate-6.txt", offset: deflated.dataOffset))
    }

    @Test func garbageIsRefusedWithoutCrashing() throws {
        var random = SeededRandom(seed: 3)
        for length in [0, 1, 21, 22, 100, 5000] {
            let bytes = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
            #expect(throws: ZipError.self) { try ZipArchive(bytes, name: "noise.zip") }
        }
        // An end record alone, claiming entries it does not have; and one of a split archive.
        let empty = Data([0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18))
        #expect(try ZipArchive(empty, name: "empty.zip").entries.isEmpty)
        var claims = [UInt8](empty)
        claims[8] = 3
        claims[10] = 3
        let claim = #expect(throws: ZipError.self) { try ZipArchive(Data(claims), name: "claims.zip") }
        #expect(claim?.code == "zip.central-directory")
        var split = [UInt8](empty)
        split[4] = 1
        let disk = #expect(throws: ZipError.self) { try ZipArchive(Data(split), name: "split.zip") }
        #expect(disk?.code == "zip.multi-disk")
        // Random byte changes anywhere: refused, or read with every CRC checked.
        for (name, rounds) in [("names.zip", 1500), ("zip64.zip", 700), ("infozip-stream.zip", 700)] {
            let original = try Fixtures.data(name)
            for _ in 0..<rounds {
                var bytes = original
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                guard let zip = try? ZipArchive(bytes, name: "mutated.zip") else { continue }
                for entry in zip.entries {
                    if let content = try? zip.contents(of: entry) {
                        #expect(content.count == entry.uncompressedSize && CRC32.checksum(content) == entry.crc32)
                    }
                }
            }
        }
    }
}
