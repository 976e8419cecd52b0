import Foundation
import Testing
import VigilAudit
import VigilCore

@testable import VigilCLI

/// `vigil audit parse --json` hands batches to a writer thread: what it writes is byte for byte what the
/// single-threaded JSON path writes, in order, across many small batches.
@Suite struct AuditParseJSONTests {
    static let text =
        (0..<300).map { i in
            let serial = 100 + i
            return """
                type=SYSCALL msg=audit(1700000000.\(String(format: "%03d", i % 1000)):\(serial)): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=\(1000 + i) auid=1000 uid=0 euid=0 ses=3 tty=pts0 comm="sh" exe="/bin/sh" key="exec"
                type=EXECVE msg=audit(1700000000.\(String(format: "%03d", i % 1000)):\(serial)): argc=2 a0="sh" a1=2D632022782229
                type=CWD msg=audit(1700000000.\(String(format: "%03d", i % 1000)):\(serial)): cwd="/tmp"
                type=EOE msg=audit(1700000000.\(String(format: "%03d", i % 1000)):\(serial)):
                """
        }.joined(separator: "\n")
        + "\ntype=USER_LOGIN msg=audit(1700000001.000:900): pid=1 uid=0 msg='op=login acct=\"root\" res=failed'\n"

    @Test func writerThreadWritesWhatTheSingleThreadedPathWrites() throws {
        let bytes = Array(Self.text.utf8)
        var expected: [UInt8] = []
        var single = AuditLogPipeline()
        bytes.withUnsafeBufferPointer { single.feedJSON($0, into: &expected) }
        single.finishJSON(into: &expected)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-audit-json-\(getpid()).jsonl")
        let fd = open(path.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0, "temporary file opens")
        defer { try? FileManager.default.removeItem(at: path) }
        let stage = JSONWriterThread(fd: fd)
        var pipeline = AuditLogPipeline()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 700)
            var batch: [(Event, AuditEvent?)] = []
            bytes[offset..<end].withUnsafeBufferPointer {
                pipeline.feedDeferringUnmapped($0) { batch.append(($0, $1)) }
            }
            stage.send(batch)
            offset = end
        }
        var last: [(Event, AuditEvent?)] = []
        pipeline.finishDeferringUnmapped { last.append(($0, $1)) }
        stage.send(last)
        stage.finish()
        close(fd)
        let written = Array(try Data(contentsOf: path))
        #expect(written.count > 100_000)
        #expect(written == expected)
        // 300 exec events, the login, and the loss event for the serials between them (400…899).
        #expect(String(decoding: written, as: UTF8.self).split(separator: "\n").count == 302)
    }
}
