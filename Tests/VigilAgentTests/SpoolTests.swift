import Foundation
import Synchronization
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilAgent

@Suite struct SpoolTests {
    static let device = Device(hostname: "h", uid: "machine-1")

    static func directory() -> String {
        let path = NSTemporaryDirectory() + "vigil-spool-\(UUID().uuidString)"
        return path
    }

    static func events(_ count: Int, prefix: String = "e", size: Int = 0) -> [Event] {
        (0..<count).map { index in
            Event(
                id: "\(prefix)-\(index)", classUID: .processActivity, activityID: 1, time: 1_764_787_800_000,
                message: String(repeating: "x", count: size), metadata: EventMetadata(logName: "test"), device: device)
        }
    }

    static func decode(_ record: Spool.Record) throws -> Event {
        try JSONDecoder().decode(Event.self, from: Data(record.json))
    }

    @Test func appendedEventsGetSequenceNumbersAndSurviveAReopen() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let spool = try Spool(directory: dir)
            #expect(try spool.append(Self.events(3)) == [1, 2, 3])
            try spool.acknowledge(through: 1)
        }
        let reopened = try Spool(directory: dir)
        let pending = try reopened.pending(limit: 10)
        #expect(pending.map(\.sequence) == [2, 3])
        #expect(try pending.map { try Self.decode($0).id } == ["e-1", "e-2"])
        #expect(try Self.decode(pending[0]).metadata.sequence == 2)
        #expect(reopened.nextSequence == 4)
        #expect(try reopened.append(Self.events(1, prefix: "f")) == [4])
    }

    @Test func acknowledgedSegmentsAreDeletedAndNumberingContinues() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try Spool(directory: dir, maxBytes: 1 << 20, segmentBytes: 2048)
        for _ in 0..<20 { try spool.append(Self.events(5, size: 100)) }
        let before = spool.statistics.segments
        #expect(before > 3)
        try spool.acknowledge(through: 100)
        #expect(spool.statistics.segments == 1)
        #expect(try spool.pending(limit: 10).isEmpty)
        #expect(spool.pendingCount == 0)
        let reopened = try Spool(directory: dir, maxBytes: 1 << 20, segmentBytes: 2048)
        #expect(reopened.nextSequence == 101)
        #expect(try reopened.pending(limit: 10).isEmpty)
    }

    @Test func aTornTailIsCutAtTheLastWholeRecordWithALogLine() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let spool = try Spool(directory: dir)
            try spool.append(Self.events(3))
        }
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("seg-") })
        let handle = try #require(FileHandle(forWritingAtPath: dir + "/" + segment))
        handle.seekToEndOfFile()
        handle.write(Data("4 0123456789abcdef {\"half".utf8))  // a crash mid-write
        handle.closeFile()
        let lines = Mutex<[String]>([])
        let spool = try Spool(directory: dir, log: { line in lines.withLock { $0.append(line) } })
        #expect(try spool.pending(limit: 10).map(\.sequence) == [1, 2, 3])
        #expect(spool.nextSequence == 4)
        let logged = lines.withLock { $0 }
        #expect(logged.count == 1)
        #expect(logged.first?.contains("torn or corrupt tail of 25 bytes after sequence 3") == true)
        // The file is whole again: appending continues cleanly.
        try spool.append(Self.events(1, prefix: "after"))
        #expect(try Spool(directory: dir).pending(limit: 10).map(\.sequence) == [1, 2, 3, 4])
    }

    @Test func aCorruptRecordInTheMiddleIsSkippedNotTrusted() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do { try Spool(directory: dir).append(Self.events(3)) }
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("seg-") })
        var bytes = Array(try #require(FileManager.default.contents(atPath: dir + "/" + name)))
        // Flip one byte of the second record's JSON (checksum no longer matches).
        let secondLine = try #require(bytes.firstIndex(of: 10)) + 1
        bytes[secondLine + 30] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
        let spool = try Spool(directory: dir)
        #expect(try spool.pending(limit: 10).map(\.sequence) == [1, 3])
        #expect(spool.statistics.corruptRecords >= 1)
    }

    @Test func garbageSegmentsNeverCrashAndYieldOnlyValidRecords() throws {
        var random = SeededRandom(seed: 8)
        for _ in 0..<200 {
            let length = Int(random.next() % 400)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let parsed = Spool.parse(bytes)
            for record in parsed.records { #expect(Spool.fnv1a(record.json) == Spool.fnv1a(record.json)) }
            #expect(parsed.validLength <= bytes.count)
        }
        let valid = Spool.recordLine(sequence: 7, json: Array("{}".utf8))
        #expect(Spool.parse(valid).records == [Spool.Record(sequence: 7, json: Array("{}".utf8))])
        #expect(Spool.parse(Array(valid.dropLast())).records.isEmpty)
        #expect(Spool.parse(Array("x y z\n".utf8)).corrupt == 1)
    }

    @Test func overTheBoundTheOldestUnsentAreDroppedAndTheExactCountReported() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logged = Mutex<[String]>([])
        let spool = try Spool(
            directory: dir, maxBytes: 8192, segmentBytes: 2048, device: Self.device,
            clock: FakeClock(milliseconds: 1_764_787_800_000), log: { line in logged.withLock { $0.append(line) } })
        var appended: [UInt64] = []
        for _ in 0..<40 { appended += try spool.append(Self.events(2, size: 150)) }
        try spool.acknowledge(through: 3)  // a few were sent before the server went away
        let stats = spool.statistics
        #expect(stats.dropped > 0)
        #expect(stats.bytes <= 8192 + 2048)
        // Every sequence number is either still pending or counted as dropped (or was acknowledged).
        let pending = try spool.pending(limit: 10_000)
        let reports = try pending.map(Self.decode).filter { $0.unmapped?["vigil.spool.dropped"] != nil }
        // Each drop is logged once with its count and spooled as one report event.
        let dropLines = logged.withLock { $0.filter { $0.contains("dropped the") } }
        let loggedCounts = dropLines.compactMap { line -> UInt64? in
            guard let range = line.range(of: "dropped the ") else { return nil }
            return UInt64(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(!dropLines.isEmpty)
        #expect(loggedCounts.reduce(0, +) == stats.dropped)
        #expect(reports.allSatisfy { $0.severityID == .high && $0.message?.contains("unsent events dropped") == true })
        for report in reports {
            #expect(loggedCounts.contains(UInt64(report.unmapped?["vigil.spool.dropped"] ?? "") ?? 0))
        }
        // Exact accounting: every event ever appended (80 sensor events and one report per drop) is either still
        // pending, acknowledged, or counted as dropped.
        let total = UInt64(80 + dropLines.count)
        #expect(UInt64(pending.count) + stats.dropped + stats.acknowledged == total)
        #expect(appended.count == 80 + dropLines.count)  // append returns the reports' numbers too
    }

    @Test func aSpoolThatCannotBeCreatedSaysWhere() {
        #expect(throws: (any Error).self) { try Spool(directory: "/proc/vigil-cannot-exist/spool") }
    }
}
