import Foundation
import Testing
import VigilAudit
import VigilCore
import VigilTestSupport

/// Normalization of each kind of audit event into its OCSF class (fixture: Fixtures/events.log).
@Suite struct NormalizerTests {
    static let parentExec =
        "type=SYSCALL msg=audit(1699999999.000:499): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=1 ppid=1 pid=1000 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=7 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"exec\"\ntype=EXECVE msg=audit(1699999999.000:499): argc=1 a0=\"-bash\"\ntype=EOE msg=audit(1699999999.000:499):\n"

    static func events() throws -> ([Event], AuditLogPipeline) {
        var pipeline = AuditLogPipeline(hostname: "h1")
        pipeline.normalizer.processes.insert(ProcessEntry(pid: 1, executable: "/sbin/init"))
        var out: [Event] = []
        pipeline.feed(Array(parentExec.utf8)) { out.append($0) }
        pipeline.feed(Array(try Fixtures.data("events.log"))) { out.append($0) }
        pipeline.finish { out.append($0) }
        return (out, pipeline)
    }

    static func event(_ serial: UInt64, _ events: [Event]) throws -> Event {
        try #require(events.first { $0.metadata.sequence == serial })
    }

    @Test func processStart() throws {
        let (events, pipeline) = try Self.events()
        #expect(pipeline.diagnostics.isEmpty, "\(pipeline.diagnostics)")
        let e = try Self.event(500, events)
        #expect(e.classUID == .processActivity && e.activityID == Activity.Process.launch)
        #expect(e.statusID == 1)
        let p = try #require(e.process)
        #expect(p.cmdLine == "sudo \"hello world!\" \"/tmp/a b c\"")
        #expect(p.file?.path == "/usr/bin/sudo")
        #expect(p.cwd == "/home/alice")
        #expect(p.pid == 1001)
        #expect(p.parentProcess?.pid == 1000)
        #expect(p.parentProcess?.file?.path == "/usr/bin/bash")
        #expect(p.parentProcess?.cmdLine == "-bash")
        #expect(p.lineage == ["/usr/bin/bash", "/sbin/init"])
        #expect(p.user?.uid == "1000" && p.effectiveUser?.uid == "0" && p.loginUser?.uid == "1000")
        #expect(p.session?.uid == "7" && p.tty == "pts0")
        #expect(e.unmapped?["key"] == "exec")
        #expect(e.unmapped?["proctitle"] == "sudo hello world!")
        #expect(e.device?.hostname == "h1")
    }

    @Test func networkConnect() throws {
        let e = try Self.event(501, try Self.events().0)
        #expect(e.classUID == .networkActivity)
        #expect(e.activityID == Activity.Network.fail, "connect failed with ECONNREFUSED")
        #expect(e.dstEndpoint == Endpoint(ip: "127.0.0.1", port: 80))
        #expect(e.unmapped?["exit"] == "ECONNREFUSED")
        #expect(e.actor?.process?.parentProcess?.pid == 1001)
    }

    @Test func watchedFileOnAarch64WithEnrichedFields() throws {
        let e = try Self.event(502, try Self.events().0)
        #expect(e.classUID == .fileSystemActivity && e.activityID == Activity.File.open)
        #expect(e.file?.path == "/etc/shadow")
        #expect(e.unmapped?["syscall"] == "openat")
        #expect(e.unmapped?["arch"] == "aarch64")
        #expect(e.unmapped?["key"] == "identity")
        #expect(e.unmapped?["UID"] == "root", "enriched fields after 0x1D are kept")
        #expect(e.actor?.process?.loginUser == nil, "auid unset")
    }

    @Test func sudoCommandAccountLoginModuleConfigDaemon() throws {
        let events = try Self.events().0
        let sudo = try Self.event(503, events)
        #expect(sudo.classUID == .authentication)
        #expect(sudo.process?.cmdLine == "ls -la /root" && sudo.process?.cwd == "/home/alice")
        let add = try Self.event(504, events)
        #expect(add.classUID == .accountChange && add.activityID == Activity.AccountChange.create)
        #expect(add.user?.uid == "1001")
        let login = try Self.event(505, events)
        #expect(login.classUID == .authentication && login.activityID == Activity.Authentication.logon)
        #expect(login.statusID == 2 && login.user?.name == "root" && login.srcEndpoint?.ip == "203.0.113.9")
        let module = try Self.event(506, events)
        #expect(module.classUID == .kernelExtensionActivity && module.file?.name == "dummy")
        let config = try Self.event(507, events)
        #expect(config.classUID == .configStateChange && config.unmapped?["op"] == "add_rule")
        let daemon = try Self.event(508, events)
        #expect(daemon.classUID == .configStateChange && daemon.unmapped?["type"] == "DAEMON_START")
        let bpf = try Self.event(509, events)
        #expect(bpf.classUID == .baseEvent)
        #expect(bpf.unmapped?["prog-id"] == "42" && bpf.unmapped?["op"] == "LOAD" && bpf.unmapped?["type"] == "BPF")
    }

    @Test func everyEventEncodesAsJSON() throws {
        let (events, pipeline) = try Self.events()
        #expect(events.count == 11)
        #expect(pipeline.summary.events == 11 && pipeline.summary.lostSerials == 0)
        for event in events {
            let line = try JSON.line(event)
            let back = try JSON.decoder().decode(Event.self, from: Data(line.utf8))
            #expect(back == event)
        }
    }
}
