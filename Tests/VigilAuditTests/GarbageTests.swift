import Foundation
import Testing
import VigilAudit
import VigilCore
import VigilTestSupport

/// Bad input: every problem is reported with its line number, nothing crashes, and the good events
/// around it are all there.
@Suite struct GarbageTests {
    static let good = [
        "type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=5 auid=0 uid=0 comm=\"true\" exe=\"/bin/true\"",
        "type=EXECVE msg=audit(1700000000.100:10): argc=2 a0=\"true\" a1=\"x\"",
        "type=EOE msg=audit(1700000000.100:10):",
    ]

    static func goodEvent(_ serial: Int) -> [String] {
        good.map { $0.replacingOccurrences(of: ":10)", with: ":\(serial))") }
    }

    /// Runs the pipeline over the lines in several chunk sizes; returns events and diagnostics (the same for all).
    static func run(_ text: [UInt8]) -> ([Event], [AuditError]) {
        var results: [([Event], [AuditError])] = []
        // Byte-by-byte feeding of the 1 MB line would only slow the suite; big inputs get coarser chunks.
        let sizes = text.count < 100_000 ? [1, 13, 4096, max(1, text.count)] : [4093, 65_536, text.count]
        for chunk in sizes {
            var pipeline = AuditLogPipeline()
            var events: [Event] = []
            var offset = 0
            while offset < text.count {
                let end = min(text.count, offset + chunk)
                pipeline.feed(Array(text[offset..<end])) { events.append($0) }
                offset = end
            }
            pipeline.finish { events.append($0) }
            results.append((events, pipeline.diagnostics))
        }
        // The JSON path (unmapped written from the record bytes) gives the bytes EventJSON gives for them.
        #expect(FastJSONTests.jsonLines(text, chunk: 4093) == FastJSONTests.referenceLines(results[0].0))
        for other in results.dropFirst() {
            #expect(other.0 == results[0].0, "same events in every chunk size")
            #expect(other.1 == results[0].1, "same diagnostics in every chunk size")
        }
        return results[0]
    }

    static func processStarts(_ events: [Event]) -> [UInt64] {
        events.filter { $0.classUID == .processActivity }.compactMap(\.metadata.sequence)
    }

    @Test func truncatedRecords() {
        let lines =
            Self.goodEvent(10) + [
                "type=SYSCALL msg=audit(1700000000.1", "type=PATH msg=audit(1700000000.200:11): name=\"/etc/pa",
            ]
            + Self.goodEvent(12) + ["type=SYSC"] + Self.goodEvent(13)
        let (events, diagnostics) = Self.run(Array(lines.joined(separator: "\n").utf8))
        #expect(Self.processStarts(events) == [10, 12, 13])
        #expect(diagnostics.map(\.line) == [4, 5, 9])
        #expect(diagnostics.map(\.kind) == [.badTimestamp, .unterminatedQuote, .missingHeader])
    }

    @Test func invalidHex() {
        let lines =
            Self.goodEvent(10) + [
                "type=PROCTITLE msg=audit(1700000000.300:11): proctitle=6C73ZZ",
                "type=EXECVE msg=audit(1700000000.300:11): argc=1 a0=616",
            ] + Self.goodEvent(12)
        let (events, diagnostics) = Self.run(Array(lines.joined(separator: "\n").utf8))
        #expect(Self.processStarts(events) == [10, 12])
        #expect(diagnostics.map(\.line) == [4, 5])
        #expect(diagnostics.allSatisfy { $0.kind == .invalidHex })
        let generic = events.first { $0.metadata.sequence == 11 }
        #expect(generic?.unmapped?["proctitle"] == "6C73ZZ", "the value is kept as written")
    }

    @Test func hugeArgumentIndexIsNotAnArgvSlot() {
        // Without argc, a0 and a99999999 once meant a 100-million-entry argv; indices past ARG_MAX are ignored.
        let lines =
            Self.goodEvent(10) + [
                "type=SYSCALL msg=audit(1700000000.300:11): arch=c000003e syscall=59 success=yes exit=0 pid=7 comm=\"x\"",
                "type=EXECVE msg=audit(1700000000.300:11): a0=\"x\" a99999999=\"y\" a4294967296[0]=\"z\"",
                "type=EOE msg=audit(1700000000.300:11):",
            ] + Self.goodEvent(12)
        let (events, _) = Self.run(Array(lines.joined(separator: "\n").utf8))
        #expect(Self.processStarts(events) == [10, 11, 12])
        #expect(events.first { $0.metadata.sequence == 11 }?.process?.cmdLine == "x")
    }

    @Test func oneMegabyteLine() {
        let huge = "type=SYSCALL msg=audit(1700000000.300:11): comm=\"" + String(repeating: "A", count: 1 << 20) + "\""
        let lines = Self.goodEvent(10) + [huge] + Self.goodEvent(12)
        let (events, diagnostics) = Self.run(Array(lines.joined(separator: "\n").utf8))
        #expect(Self.processStarts(events) == [10, 12])
        #expect(diagnostics.map(\.line) == [4])
        #expect(diagnostics.map(\.kind) == [.lineTooLong])
    }

    @Test func binaryNoise() {
        var generator = SeededRandom(seed: 42)
        var bytes = Array((Self.goodEvent(10).joined(separator: "\n") + "\n").utf8)
        // Three lines of noise without newlines inside, one with NULs and 0x1D bytes.
        for _ in 0..<3 {
            bytes += (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }.map { $0 == 10 ? 0 : $0 }
            bytes.append(10)
        }
        bytes += Array("\u{1D}\u{0}type=\u{1D}\n".utf8)
        bytes += Array(Self.goodEvent(12).joined(separator: "\n").utf8)
        let (events, diagnostics) = Self.run(bytes)
        #expect(Self.processStarts(events) == [10, 12])
        #expect(diagnostics.map(\.line) == [4, 5, 6, 7])
    }

    @Test func streamCutMidEvent() {
        let lines = Self.goodEvent(10) + Self.goodEvent(11).dropLast()
        let (events, diagnostics) = Self.run(Array(lines.joined(separator: "\n").utf8))
        #expect(Self.processStarts(events) == [10, 11], "the cut event's records are kept")
        #expect(diagnostics.map(\.kind) == [.incompleteEvent])
        #expect(diagnostics.map(\.line) == [5])
    }

    @Test func enrichedRecordsSplitOnNewlineOnly() {
        let line =
            "type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=59 success=yes exit=0 pid=5 ppid=1 auid=1000 uid=0 key=(null)\u{1D}ARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"root\"\r"
        var diagnostics: [AuditError] = []
        var reader = AuditLogReader()
        var records: [AuditRecord] = []
        reader.feed(Array((line + "\ntype=EOE msg=audit(1700000000.100:10):\n").utf8)) { records.append($0) }
        reader.finish { records.append($0) }
        diagnostics = reader.diagnostics
        #expect(diagnostics.isEmpty)
        #expect(records.count == 2)
        #expect(records.first?["AUID"] == "alice" && records.first?["UID"] == "root")
        #expect(records.first?.keys == [])
        #expect(records.first?.syscallName == "execve")
    }

    @Test func nodePrefixUnknownTypeAndNetlinkPayload() {
        let parser = AuditRecordParser()
        var diagnostics: [AuditError] = []
        let record = parser.parse(
            line: "node=web-1 type=UNKNOWN[1999] msg=audit(1700000000.5:77): a=b", lineNumber: 1,
            diagnostics: &diagnostics)
        #expect(record?.node == "web-1" && record?.type == 1999 && record?.time == 1_700_000_000_500)
        #expect(record?.typeName == "UNKNOWN[1999]" && record?["a"] == "b")
        let payload = Array("audit(1700000000.123:78): pid=1 uid=0 msg='op=x res=success'\0".utf8)
        let netlink = payload.withUnsafeBufferPointer {
            parser.parse(kernelType: 1112, payload: $0, diagnostics: &diagnostics)
        }
        #expect(netlink?.typeName == "USER_LOGIN" && netlink?["op"] == "x" && netlink?.succeeded == true)
        #expect(diagnostics.isEmpty)
    }
}
