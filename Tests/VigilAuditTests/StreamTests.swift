import Foundation
import Testing
import VigilAudit
import VigilCore
import VigilTestSupport

/// go-libaudit's record streams: normal, with lost serials, out of order, and wrapping at 2^32.
/// Each is fed in several chunk sizes; grouping and loss counts must not depend on the chunking.
@Suite struct StreamTests {
    struct Expectation: Sendable, CustomStringConvertible {
        var file: String
        var serials: [UInt32]
        var lost: UInt64
        var description: String { file }
    }

    static let streams = [
        Expectation(file: "normal.log", serials: [58, 59, 60, 61, 62], lost: 0),
        Expectation(file: "lost_messages.log", serials: [49, 59, 60, 61, 62], lost: 9),
        Expectation(file: "out_of_order.log", serials: [58, 59, 60, 61, 62], lost: 0),
        Expectation(file: "rollover.log", serials: [4_294_967_294, 4_294_967_295, 0, 1, 2], lost: 0),
    ]

    static func assemble(_ bytes: [UInt8], chunk: Int) -> ([AuditEvent], [AuditLoss], [AuditError]) {
        var reader = AuditLogReader()
        var assembler = AuditAssembler(clock: FakeClock())
        var events: [AuditEvent] = []
        var losses: [AuditLoss] = []
        let sink: (AuditAssembler.Output) -> Void = {
            switch $0 {
            case .event(let e): events.append(e)
            case .loss(let l): losses.append(l)
            }
        }
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            reader.feed(Array(bytes[offset..<end])) { assembler.add($0, sink) }
            offset = end
        }
        reader.finish { assembler.add($0, sink) }
        assembler.flush(sink)
        return (events, losses, reader.diagnostics)
    }

    @Test(arguments: streams, [1, 7, 100, 4096, 1 << 20])
    func stream(_ expected: Expectation, chunk: Int) throws {
        guard let dir = GoldenSupport.directory("testdata") else {
            print(Corpora.skipMessage("\(GoldenSupport.corpus)/testdata"))
            return
        }
        let bytes = Array(try Data(contentsOf: dir.appendingPathComponent(expected.file)))
        let (events, losses, diagnostics) = Self.assemble(bytes, chunk: chunk)
        #expect(diagnostics.isEmpty)
        #expect(Set(events.map(\.serial)) == Set(expected.serials))
        #expect(events.count == expected.serials.count, "one event per serial, however interleaved")
        #expect(losses.reduce(0) { $0 + $1.count } == expected.lost)
        let lineCount = String(decoding: bytes, as: UTF8.self).split(separator: "\n").count
        #expect(events.reduce(0) { $0 + $1.records.count } == lineCount, "no record dropped")
        if expected.file == "lost_messages.log" {
            #expect(losses.map(\.firstSerial) == [50] && losses.map(\.lastSerial) == [58])
        }
    }

    @Test func outOfOrderGroupsLikeNormal() throws {
        guard let dir = GoldenSupport.directory("testdata") else {
            print(Corpora.skipMessage("\(GoldenSupport.corpus)/testdata"))
            return
        }
        func grouped(_ name: String) throws -> [UInt32: Set<String>] {
            let bytes = Array(try Data(contentsOf: dir.appendingPathComponent(name)))
            var out: [UInt32: Set<String>] = [:]
            for event in Self.assemble(bytes, chunk: 4096).0 {
                out[event.serial] = Set(event.records.map(\.description))
            }
            return out
        }
        #expect(try grouped("out_of_order.log") == grouped("normal.log"))
    }

    @Test func lateSerialWithinTimeoutIsNotLost() {
        let clock = FakeClock()
        var assembler = AuditAssembler(clock: clock, timeout: 1000)
        var losses: [AuditLoss] = []
        let sink: (AuditAssembler.Output) -> Void = { if case .loss(let l) = $0 { losses.append(l) } }
        func record(_ serial: UInt32) -> AuditRecord { AuditRecord(type: 1100, time: 0, serial: serial) }
        assembler.add(record(10), sink)
        assembler.add(record(13), sink)
        assembler.add(record(11), sink)
        clock.advance(by: 999)
        assembler.expire(sink)
        #expect(losses.isEmpty)
        clock.advance(by: 1)
        assembler.expire(sink)
        #expect(losses == [AuditLoss(count: 1, firstSerial: 12, lastSerial: 12, time: clock.nowMilliseconds())])
        #expect(assembler.lost == 1)
    }

    @Test func restartedSequenceIsNotLoss() {
        var assembler = AuditAssembler(clock: FakeClock(), gapWindow: 100)
        var losses: [AuditLoss] = []
        let sink: (AuditAssembler.Output) -> Void = { if case .loss(let l) = $0 { losses.append(l) } }
        for serial: UInt32 in [90_000, 90_001, 5, 6, 8] {
            assembler.add(AuditRecord(type: 1100, time: 0, serial: serial), sink)
        }
        assembler.flush(sink)
        #expect(losses.map(\.firstSerial) == [7] && assembler.lost == 1)
    }

    @Test func eventsCompleteOnEOEStandaloneAndTimeout() {
        let clock = FakeClock()
        var assembler = AuditAssembler(clock: clock, timeout: 500)
        var events: [AuditEvent] = []
        let sink: (AuditAssembler.Output) -> Void = { if case .event(let e) = $0 { events.append(e) } }
        assembler.add(AuditRecord(type: 1300, time: 1, serial: 1), sink)
        assembler.add(AuditRecord(type: 1307, time: 1, serial: 1), sink)
        assembler.add(AuditRecord(type: 1112, time: 1, serial: 2), sink)
        #expect(events.map(\.completion) == [.standalone])
        assembler.add(AuditRecord(type: 1320, time: 1, serial: 1), sink)
        #expect(events.map(\.completion) == [.standalone, .endOfEvent])
        #expect(events[1].records.count == 2)
        assembler.add(AuditRecord(type: 1300, time: 1, serial: 3), sink)
        clock.advance(by: 500)
        assembler.expire(sink)
        #expect(events.last?.completion == .timeout)
        #expect(assembler.inFlight == 0)
    }
}
