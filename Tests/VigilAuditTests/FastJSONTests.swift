import Foundation
import Testing
import VigilAudit
import VigilCore
import VigilTestSupport

/// `AuditLogPipeline.feedJSON` (records kept as bytes, `unmapped` written without a dictionary) writes
/// exactly the bytes `EventJSON` writes for the events `feed` gives, which the EventJSON tests tie to
/// Foundation's encoder.
@Suite struct FastJSONTests {
    /// The JSON path's output, fed in chunks of `chunk` bytes.
    static func jsonLines(_ text: [UInt8], chunk: Int, hostname: String? = nil) -> [UInt8] {
        var pipeline = AuditLogPipeline(hostname: hostname)
        var out: [UInt8] = []
        var offset = 0
        text.withUnsafeBufferPointer { bytes in
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                pipeline.feedJSON(UnsafeBufferPointer(rebasing: bytes[offset..<end]), into: &out)
                offset = end
            }
        }
        pipeline.finishJSON(into: &out)
        return out
    }

    /// EventJSON of events from `feed`.
    static func referenceLines(_ text: [UInt8], hostname: String? = nil) -> [UInt8] {
        var pipeline = AuditLogPipeline(hostname: hostname)
        var events: [Event] = []
        pipeline.feed(text) { events.append($0) }
        pipeline.finish { events.append($0) }
        return referenceLines(events)
    }

    static func referenceLines(_ events: [Event]) -> [UInt8] {
        var out: [UInt8] = []
        for event in events {
            EventJSON.append(event, to: &out)
            out.append(10)
        }
        return out
    }

    static func check(_ text: String, _ comment: Comment? = nil) {
        let bytes = Array(text.utf8)
        let fast = jsonLines(bytes, chunk: 977, hostname: "h")
        let reference = referenceLines(bytes, hostname: "h")
        let a = String(decoding: fast, as: UTF8.self).split(separator: "\n")
        let b = String(decoding: reference, as: UTF8.self).split(separator: "\n")
        let differing = zip(a, b).first { $0 != $1 }
        #expect(
            fast == reference,
            "\(comment?.description ?? ""): \(a.count) vs \(b.count) lines; first differing:\nfast:      \(differing?.0 ?? "")\nreference: \(differing?.1 ?? "")"
        )
    }

    @Test func agreesOnCorpusAndFixture() throws {
        Self.check(try Fixtures.string("events.log"), "fixture")
        var files = 0
        for sub in ["auparse/testdata", "aucoalesce/testdata", "testdata"] {
            guard let dir = GoldenSupport.directory(sub) else {
                print(Corpora.skipMessage("\(GoldenSupport.corpus)/\(sub)"))
                continue
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            where name.hasSuffix(".log") {
                Self.check(try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8), "\(sub)/\(name)")
                files += 1
            }
        }
        print("fast JSON path checked on the fixture and \(files) corpus logs")
    }

    @Test func repeatedNamesAndCollisions() {
        // The same name with equal and different values in one record and across records of a type, a field
        // named like the event's own "type"/"key" entries, and interpreted names meeting raw ones ("addr").
        Self.check(
            """
            type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=42 success=no exit=-111 pid=5 pid=5 pid=6 type=x key="k1" uid=0 auid=4294967295 ses=-1
            type=SOCKADDR msg=audit(1700000000.100:10): saddr=02000050C0A80001000000000000000000 addr=other
            type=PATH msg=audit(1700000000.100:10): item=0 name="/a" nametype=NORMAL mode=0100644
            type=PATH msg=audit(1700000000.100:10): item=1 name="/b" nametype=NORMAL mode=0100644 pid=5
            type=PATH msg=audit(1700000000.100:10): item=2 name="/c" nametype=CREATE mode=0100600 pid=7 pid=8
            type=EOE msg=audit(1700000000.100:10):
            type=USER_AUTH msg=audit(1700000000.200:11): pid=1 uid=0 auid=0 ses=1 subj=a:b:c:s0 msg='op=PAM:auth acct="r\\"o ot" exe="/usr/bin/su" hostname=? addr=? terminal=pts/0 res=failed'
            """)
    }

    @Test func escapingAndInvalidUTF8() {
        // Hex values decoding to quotes, backslashes, control bytes, invalid UTF-8 and NULs; raw UTF-8 text.
        Self.check(
            """
            type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=59 success=yes exit=0 pid=5 comm=22215C0A01 exe="/bin/é✓"
            type=EXECVE msg=audit(1700000000.100:10): argc=3 a0=FF61 a1=2200 a2="x\\y"
            type=PROCTITLE msg=audit(1700000000.100:10): proctitle=6100620009C3A90000
            type=EOE msg=audit(1700000000.100:10):
            """)
        var bytes = Array("type=USER_CMD msg=audit(1700000000.300:12): pid=1 uid=0 msg='cmd=".utf8)
        bytes += [0xC3, 0x28, 0xFF] + Array(" cwd=\"/\u{7F}\" res=success'\n".utf8)
        #expect(Self.jsonLines(bytes, chunk: 5) == Self.referenceLines(bytes))
    }
}
