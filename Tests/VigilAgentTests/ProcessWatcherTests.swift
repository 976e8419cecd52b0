import Foundation
import Testing
import VigilAgent
import VigilCore
import VigilTestSupport

@Suite struct ProcessWatcherTests {
    static let host = HostFacts.read(root: Fixtures.url("hostroot").path)

    static func watcher(_ proc: FakeProcfs, reportExisting: Bool = false) throws -> ProcessWatcher {
        ProcessWatcher(
            reader: ProcReader(root: proc.path), host: host,
            users: UserDirectory(passwd: try Fixtures.string("passwd")),
            reportExisting: reportExisting, clock: FakeClock())
    }

    static func baseTree() throws -> FakeProcfs {
        let proc = try FakeProcfs()
        try proc.add(
            pid: 1, ppid: 0, start: 5, name: "systemd", argv: ["/sbin/init"], uid: 0, exe: "/usr/lib/systemd/systemd",
            cwd: "/")
        try proc.add(pid: 2, ppid: 0, start: 6, name: "kthreadd", argv: [], uid: 0, exe: nil, cwd: nil)
        try proc.add(
            pid: 500, ppid: 1, start: 100, name: "sshd", argv: ["sshd: alice [priv]"], uid: 0, exe: "/usr/sbin/sshd")
        try proc.add(pid: 600, ppid: 500, start: 200, name: "bash", argv: ["-bash"], exe: "/usr/bin/bash")
        return proc
    }

    @Test func processesRunningAtStartAreNotReported() throws {
        let proc = try Self.baseTree()
        let watcher = try Self.watcher(proc)
        #expect(watcher.scan().isEmpty)
        #expect(watcher.scan().isEmpty)
    }

    @Test func reportExistingReportsThemOnceSkippingKernelThreads() throws {
        let proc = try Self.baseTree()
        let watcher = try Self.watcher(proc, reportExisting: true)
        let events = watcher.scan()
        #expect(Set(events.compactMap(\.process?.pid)) == [1, 500, 600])
        #expect(watcher.scan().isEmpty)
    }

    @Test func aNewProcessIsOneLaunchEventWithArgvCwdUserAndParent() throws {
        let proc = try Self.baseTree()
        let watcher = try Self.watcher(proc)
        try proc.add(
            pid: 700, ppid: 600, start: 300, name: "sudo", argv: ["sudo", "-u", "www-data", "ls", "/var/www"],
            uid: 1000, euid: 0, exe: "/usr/bin/sudo", cwd: "/home/alice/src", loginUID: 1000, session: 3)
        let events = watcher.scan()
        try #require(events.count == 1)
        let event = events[0]
        #expect(event.classUID == .processActivity)
        #expect(event.activityID == Activity.Process.launch)
        #expect(event.id == "proc-\(Self.host.bootID)-700-300")
        #expect(event.device == Self.host.device)
        let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
        #expect(event.time == 1_700_000_000_000 + 300 * 1000 / ticks)
        let process = try #require(event.process)
        #expect(process.pid == 700)
        #expect(process.name == "sudo")
        #expect(process.cmdLine == "sudo -u www-data ls /var/www")
        #expect(process.file?.path == "/usr/bin/sudo")
        #expect(process.cwd == "/home/alice/src")
        #expect(process.user == User(uid: "1000", name: "alice"))
        #expect(process.effectiveUser == User(uid: "0", name: "root"))
        #expect(process.loginUser == User(uid: "1000", name: "alice"))
        #expect(process.session?.uid == "3")
        #expect(process.parentProcess?.pid == 600)
        #expect(process.parentProcess?.name == "bash")
        #expect(process.parentProcess?.file?.path == "/usr/bin/bash")
        #expect(process.lineage == ["/usr/bin/bash", "/usr/sbin/sshd"])
        #expect(event.actor?.user == User(uid: "1000", name: "alice"))
        // Seen once, reported once.
        #expect(watcher.scan().isEmpty)
    }

    @Test func aReusedPidWithANewStartTimeIsANewEvent() throws {
        let proc = try Self.baseTree()
        let watcher = try Self.watcher(proc)
        try proc.add(pid: 800, ppid: 600, start: 400, name: "sleep", argv: ["sleep", "1"], exe: "/usr/bin/sleep")
        let first = watcher.scan()
        #expect(first.map(\.id) == ["proc-\(Self.host.bootID)-800-400"])
        try proc.add(pid: 800, ppid: 600, start: 900, name: "cat", argv: ["cat", "/etc/hosts"], exe: "/usr/bin/cat")
        let second = watcher.scan()
        #expect(second.map(\.id) == ["proc-\(Self.host.bootID)-800-900"])
        #expect(second.first?.process?.cmdLine == "cat /etc/hosts")
        // Gone, then back with the same start time as before it went: treated as new (its entry was forgotten).
        proc.remove(pid: 800)
        #expect(watcher.scan().isEmpty)
        try proc.add(pid: 800, ppid: 600, start: 950, name: "true", argv: ["true"], exe: "/usr/bin/true")
        #expect(watcher.scan().map(\.id) == ["proc-\(Self.host.bootID)-800-950"])
    }

    @Test func cardNumbersAndSecretsInArgvAreMaskedInTheEvent() throws {
        let proc = try Self.baseTree()
        let watcher = try Self.watcher(proc)
        try proc.add(
            pid: 900, ppid: 600, start: 500, name: "pay",
            argv: ["/opt/pay/bin/charge", "--card", "4111 1111 1111 1111", "--password=hunter2"],
            exe: "/opt/pay/bin/charge", cwd: "/srv/4111111111111111")
        let event = try #require(watcher.scan().first)
        let json = String(decoding: try JSON.encoder().encode(event), as: UTF8.self)
        #expect(event.process?.cmdLine == "/opt/pay/bin/charge --card 411111******1111 --password=********")
        #expect(event.process?.cwd == "/srv/411111******1111")
        #expect(!json.contains("4111 1111 1111 1111"))
        #expect(!json.contains("4111111111111111"))
        #expect(!json.contains("hunter2"))
    }

    @Test func cardNumbersInPathsAndNamesOfTheProcessAndItsAncestorsAreMasked() throws {
        let proc = try Self.baseTree()
        let watcher = try Self.watcher(proc)
        try proc.add(
            pid: 950, ppid: 600, start: 510, name: "4222222222222", argv: ["runner"],
            exe: "/srv/4111111111111111/bin/runner")
        #expect(watcher.scan().count == 1)
        try proc.add(
            pid: 951, ppid: 950, start: 511, name: "4222222222222", argv: ["child"],
            exe: "/srv/4111111111111111/bin/child")
        let event = try #require(watcher.scan().first)
        let json = String(decoding: try JSON.encoder().encode(event), as: UTF8.self)
        #expect(!json.contains("4111111111111111"), "\(json)")
        #expect(!json.contains("4222222222222"), "\(json)")
        #expect(event.process?.parentProcess?.file?.path == "/srv/411111******1111/bin/runner")
        #expect(event.process?.lineage?.first == "/srv/411111******1111/bin/runner")
        #expect(event.message == "process started: /srv/411111******1111/bin/child")
    }

    @Test func aParentThatExitedIsStillNamedFromTheCache() throws {
        let proc = try Self.baseTree()
        let watcher = try Self.watcher(proc)
        try proc.add(pid: 1000, ppid: 600, start: 600, name: "make", argv: ["make"], exe: "/usr/bin/make")
        #expect(watcher.scan().count == 1)
        try proc.add(pid: 1001, ppid: 1000, start: 601, name: "cc", argv: ["cc", "-c", "x.c"], exe: "/usr/bin/cc")
        proc.remove(pid: 1000)
        let event = try #require(watcher.scan().first)
        #expect(event.process?.parentProcess?.pid == 1000)
        #expect(event.process?.parentProcess?.name == "make")
    }

    @Test func garbageInProcIsSkipped() throws {
        let proc = try Self.baseTree()
        let watcher = try Self.watcher(proc)
        let bad = proc.root.appendingPathComponent("1234")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        try Data([0, 1, 2, 3, 0xFF]).write(to: bad.appendingPathComponent("stat"))
        try FileManager.default.createDirectory(
            at: proc.root.appendingPathComponent("notapid"), withIntermediateDirectories: true)
        #expect(watcher.scan().isEmpty)
    }
}
