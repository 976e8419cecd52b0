import Foundation
import Testing
import VigilCore
import VigilFIM
import VigilSystem
import VigilTestSupport

@testable import VigilAgent

/// FIM (real-time and scheduled), package inventory and auth-log sensors.
@Suite(.serialized) struct HostSensorTests {
    static let host = HostFacts(hostname: "h", machineID: "m0123456789abcdef", os: "Linux", bootID: "b")

    static func temp(_ name: String, base: String = NSTemporaryDirectory()) -> String {
        let path = (base as NSString).appendingPathComponent("vigil-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func append(_ path: String, _ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    // MARK: FIM settings and scheduled checks

    @Test func fimSettingsDefaultsPolicyAndCleaning() {
        let defaults = FIMSettings.defaults(agentBinary: "/usr/local/bin/vigil")
        #expect(defaults.watch == ["/etc", "/usr/bin", "/usr/sbin", "/boot", "/usr/local/bin/vigil"])
        #expect(defaults.sensitive.contains("/etc/shadow") && defaults.sensitive.contains("/etc/ssh/sshd_config"))
        let config = defaults.config
        #expect(config.rules.first { $0.path == BytePath("/etc") }?.groupName == "all")
        #expect(config.rules.first { $0.path == BytePath("/usr/bin") }?.groupName == "content+permissions")
        #expect(config.isSensitive(BytePath("/etc/sudoers.d/admins")))
        #expect(!config.isSensitive(BytePath("/etc/hosts")))

        var policy = AgentPolicy()
        policy.version = 3
        policy.fimWatch = ["/srv/app"]
        policy.fimScanIntervalSeconds = 600
        let applied = defaults.applying(policy)
        #expect(applied.watch == ["/srv/app"])
        #expect(applied.sensitive == defaults.sensitive)  // empty in the policy: the configured list stays
        #expect(applied.scanIntervalSeconds == 600)

        let messy = FIMSettings(
            watch: ["/srv/", "/srv", "relative", "", "/opt"], sensitive: ["x"], scanIntervalSeconds: 60)
        #expect(messy.config.rules.map(\.path.description) == ["/srv", "/opt"])
        #expect(messy.config.sensitive.isEmpty)
    }

    @Test func scheduledChecksTakeABaselineThenReportEachChangeOnce() throws {
        let root = Self.temp("fim-tree")
        let state = Self.temp("fim-state")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: state)
        }
        try Self.write(root + "/config", "a = 1\n")
        try Self.write(root + "/gone", "bye\n")
        try Self.write(root + "/secret", "token\n")
        let clock = FakeClock()
        let sensor = try FIMScanSensor(
            host: Self.host,
            settings: FIMSettings(watch: [root], sensitive: [root + "/secret"], scanIntervalSeconds: 600),
            stateDirectory: state, clock: clock)

        let first = try sensor.poll()
        #expect(first.count == 1)
        #expect(first[0].message?.hasPrefix("FIM baseline taken") == true)
        #expect(first[0].unmapped?["fim.entries"] == "4")
        #expect(FileManager.default.fileExists(atPath: state + "/fim/baseline.db"))
        #expect(try sensor.poll().isEmpty)  // not due yet

        try Self.write(root + "/config", "a = 2\n")
        try FileManager.default.removeItem(atPath: root + "/gone")
        try Self.write(root + "/new", "hello\n")
        chmod(root + "/secret", 0o600)
        clock.advance(by: 600_000)
        let second = try sensor.poll()
        let changes = second.filter { $0.classUID == .fileSystemActivity }
        let byPath = Dictionary(uniqueKeysWithValues: changes.map { ($0.file?.path ?? "", $0) })
        #expect(byPath[root + "/config"]?.activityID == Activity.File.update)
        #expect(byPath[root + "/config"]?.unmapped?["fim.attributes"]?.contains("sha256") == true)
        #expect(byPath[root + "/gone"]?.activityID == Activity.File.delete)
        #expect(byPath[root + "/new"]?.activityID == Activity.File.create)
        #expect(byPath[root + "/secret"]?.unmapped?["fim.sensitive"] == "true")
        #expect(byPath[root + "/secret"]?.severityID == .high)
        #expect(
            byPath[root + "/secret"]?.unmapped?["fim.old.mode"] != byPath[root + "/secret"]?.unmapped?["fim.new.mode"])
        let summary = try #require(second.first { $0.classUID == .configStateChange })
        #expect(summary.unmapped?["fim.added"] == "1")
        #expect(summary.unmapped?["fim.removed"] == "1")
        #expect(Set(changes.map(\.id)).count == changes.count)
        #expect(changes.allSatisfy { $0.device?.uid == Self.host.device.uid })

        clock.advance(by: 600_000)
        let third = try sensor.poll()
        #expect(third.filter { $0.classUID == .fileSystemActivity }.isEmpty, "a change is reported once")

        // A policy naming other paths: the baseline is taken again, not diffed against the old paths.
        var policy = AgentPolicy()
        policy.version = 2
        policy.fimWatch = [root + "/config"]
        let fixed = policy
        sensor.follow(policy: { fixed })
        clock.advance(by: 600_000)
        let retaken = try sensor.poll()
        #expect(retaken.count == 1)
        #expect(retaken[0].message?.contains("taken again") == true)
    }

    @Test func aDamagedBaselineIsAnErrorNamingTheFileNotACrash() throws {
        let state = Self.temp("fim-bad")
        defer { try? FileManager.default.removeItem(atPath: state) }
        try FileManager.default.createDirectory(atPath: state + "/fim", withIntermediateDirectories: true)
        try Self.write(state + "/fim/baseline.db", String(repeating: "garbage\u{0}\u{7f}", count: 500))
        let sensor = try FIMScanSensor(
            host: Self.host, settings: FIMSettings(watch: [state], sensitive: [], scanIntervalSeconds: 60),
            stateDirectory: state)
        do {
            _ = try sensor.poll()
            Issue.record("a garbage baseline database was accepted")
        } catch {
            #expect("\(error)".contains("baseline.db"), "\(error)")
        }
    }

    // MARK: FIM real time (live kernel)

    @Test func realTimeFIMReportsAChildsWriteAndASensitiveReadWithUserAndProcess() throws {
        guard geteuid() == 0 else {
            print("SKIPPED: the live fanotify test needs root (euid \(geteuid()))")
            return
        }
        // A filesystem mark sees every change on its file system: use the quiet tmpfs where there is one.
        let root = Self.temp("fim-live", base: access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.write(root + "/secret", "do not read\n")
        let sensor = try FIMRealtimeSensor(
            host: Self.host,
            settings: FIMSettings(watch: [root], sensitive: [root + "/secret"], scanIntervalSeconds: 60),
            coalesceWindow: 50)
        defer { sensor.shutdown() }
        guard sensor.backend == .fanotify else {
            print("SKIPPED: fanotify unavailable here (\(sensor.warnings.joined(separator: "; ")))")
            return
        }
        _ = try sensor.poll()  // starts the reader
        let child = Foundation.Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "echo changed > '\(root)/written'; sleep 1"]
        try child.run()
        // A reader that stays alive long enough for its /proc entry to be read.
        let reader = Foundation.Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/tail")
        reader.arguments = ["-f", root + "/secret"]
        reader.standardOutput = FileHandle.nullDevice
        try reader.run()
        defer {
            // SIGKILL: the test process may block SIGTERM, and a child inherits the mask.
            kill(reader.processIdentifier, SIGKILL)
            reader.waitUntilExit()
            child.waitUntilExit()
        }
        var seen: [Event] = []
        _ = try eventually(5) {
            seen += try sensor.poll()
            return seen.contains { $0.file?.path == root + "/secret" && $0.activityID == Activity.File.read }
                && seen.contains { $0.file?.path == root + "/written" && $0.activityID != Activity.File.read }
        }
        let write = try #require(seen.first { $0.file?.path == root + "/written" }, "\(seen.map(\.message))")
        #expect(write.actor?.process?.pid == Int(child.processIdentifier))
        #expect(write.actor?.user?.uid == "0")
        #expect(write.unmapped?["fim.attribution"] == "fanotify")
        let read = try #require(
            seen.first { $0.file?.path == root + "/secret" && $0.activityID == Activity.File.read },
            "\(seen.map(\.message))")
        #expect(read.unmapped?["fim.sensitive"] == "true")
        #expect(read.actor?.process?.pid == Int(reader.processIdentifier))
        #expect(read.actor?.process?.file?.path == "/usr/bin/tail")
        #expect(read.actor?.user?.name == "root")
        #expect(read.device?.uid == Self.host.device.uid)
        #expect(Set(seen.map(\.id)).count == seen.count)
    }

    @Test func aNewPolicyRebuildsTheRealTimeWatcherOnTheNewPaths() throws {
        guard geteuid() == 0 else {
            print("SKIPPED: the live fanotify test needs root (euid \(geteuid()))")
            return
        }
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let first = Self.temp("fim-first", base: base)
        let second = Self.temp("fim-second", base: base)
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        let sensor = try FIMRealtimeSensor(
            host: Self.host, settings: FIMSettings(watch: [first], sensitive: [], scanIntervalSeconds: 60),
            coalesceWindow: 50)
        defer { sensor.shutdown() }
        guard sensor.backend == .fanotify else {
            print("SKIPPED: fanotify unavailable here (\(sensor.warnings.joined(separator: "; ")))")
            return
        }
        var policy = AgentPolicy()
        policy.version = 7
        policy.fimWatch = [second]
        let fixed = policy
        sensor.follow(policy: { fixed })
        _ = try sensor.poll()  // applies the policy, starts the reader
        let child = Foundation.Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "echo a > '\(first)/old'; echo b > '\(second)/new'; sleep 1"]
        try child.run()
        defer { child.waitUntilExit() }
        var seen: [Event] = []
        _ = try eventually(5) {
            seen += try sensor.poll()
            return seen.contains { $0.file?.path == second + "/new" }
        }
        #expect(seen.contains { $0.file?.path == second + "/new" }, "\(seen.map(\.message))")
        #expect(!seen.contains { $0.file?.path == first + "/old" }, "the old path is no longer watched")
    }

    @Test func agentConfigTakesSensorKeysAndNamesBadOnes() throws {
        let head = "server = http://127.0.0.1:1/\nagent_id = a\nsecret = s\npolicy_key = k\nstate_dir = /var/lib/v\n"
        let config = try AgentConfig.parse(
            head + "fim_watch = /srv, /opt/app\nfim_sensitive = /srv/key\nauth_log = /var/log/secure\n"
                + "fim_scan_interval_seconds = 5\ninventory_interval_seconds = 7200\n", file: "agent.conf")
        #expect(config.fimWatch == ["/srv", "/opt/app"])
        #expect(config.fimSensitive == ["/srv/key"])
        #expect(config.authLogs == ["/var/log/secure"])
        #expect(config.fimScanIntervalSeconds == 60)  // raised to the minimum
        #expect(config.inventoryIntervalSeconds == 7200)
        #expect(try AgentConfig.parse(config.text, file: "again") == config)
        for (line, expected) in [
            ("fim_watch = /etc,etc/passwd", "agent.conf:6: 'fim_watch'"), ("auth_log = auth.log", "agent.conf:6"),
            ("inventory_interval_seconds = soon", "agent.conf:6"), ("fim_paths = /etc", "unknown key 'fim_paths'"),
        ] {
            #expect {
                try AgentConfig.parse(head + line + "\n", file: "agent.conf")
            } throws: { error in
                "\(error)".contains(expected)
            }
        }
    }

    // MARK: Package inventory

    @Test func aLongInventoryIsSentInPartsOfOneSnapshot() throws {
        let root = Self.temp("inv-parts-root")
        let state = Self.temp("inv-parts-state")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: state)
        }
        try FileManager.default.createDirectory(atPath: root + "/var/lib/dpkg", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try Fixtures.data("inventory/dpkg-status-before").write(
            to: URL(fileURLWithPath: root + "/var/lib/dpkg/status"))
        try Fixtures.data("inventory/os-release").write(to: URL(fileURLWithPath: root + "/etc/os-release"))
        let sensor = InventorySensor(
            host: Self.host, stateDirectory: state, root: root, clock: FakeClock(), packagesPerEvent: 2)
        let parts = try sensor.poll()
        #expect(parts.count == 2)
        #expect(parts.map { $0.unmapped?["inventory.part"] } == ["1/2", "2/2"])
        #expect(Set(parts.map(\.id)).count == 2)
        #expect(Set(parts.compactMap { $0.unmapped?["inventory.sha256"] }).count == 1)
        #expect(parts.allSatisfy { $0.unmapped?["inventory.count"] == "3" })
        struct Entry: Decodable { var name: String }
        let names = try parts.flatMap {
            try JSONDecoder().decode([Entry].self, from: Data(($0.unmapped?["inventory.packages"] ?? "").utf8))
                .map(\.name)
        }
        #expect(names == ["libssl3", "openssl", "sudo"])
    }

    @Test func inventoryAtStartOnDatabaseChangeAndOnSchedule() throws {
        let root = Self.temp("inv-root")
        let state = Self.temp("inv-state")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: state)
        }
        try FileManager.default.createDirectory(atPath: root + "/var/lib/dpkg", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        let status = root + "/var/lib/dpkg/status"
        try Fixtures.data("inventory/dpkg-status-before").write(to: URL(fileURLWithPath: status))
        try Fixtures.data("inventory/os-release").write(to: URL(fileURLWithPath: root + "/etc/os-release"))
        let clock = FakeClock()
        let sensor = InventorySensor(host: Self.host, stateDirectory: state, root: root, clock: clock)

        let start = try #require(try sensor.poll().first)
        #expect(start.classUID == .deviceInventoryInfo)
        #expect(start.unmapped?["inventory.trigger"] == "start")
        #expect(start.unmapped?["inventory.count"] == "3")  // config-files only is not installed
        #expect(start.device?.os == "Debian GNU/Linux 12 (bookworm)")
        #expect(start.unmapped?["inventory.os.id"] == "debian")
        struct Entry: Decodable, Equatable {
            var name: String
            var version: String
            var source: String
        }
        let list = try JSONDecoder().decode(
            [Entry].self, from: Data((start.unmapped?["inventory.packages"] ?? "").utf8))
        #expect(list.map(\.name) == ["libssl3", "openssl", "sudo"])
        #expect(list[0] == Entry(name: "libssl3", version: "3.0.11-1~deb12u1", source: "openssl"))
        #expect(try sensor.poll().isEmpty)
        var info = stat()
        #expect(stat(state + "/inventory.json", &info) == 0 && info.st_mode & 0o777 == 0o600)

        // Touched but identical: nothing is sent.
        clock.advance(by: 1000)
        try Fixtures.data("inventory/dpkg-status-before").write(to: URL(fileURLWithPath: status), options: .atomic)
        #expect(try sensor.poll().isEmpty)

        try Fixtures.data("inventory/dpkg-status-after").write(to: URL(fileURLWithPath: status), options: .atomic)
        let change = try #require(try sensor.poll().first)
        #expect(change.unmapped?["inventory.trigger"] == "database-change")
        #expect(change.unmapped?["inventory.added"] == "curl:amd64")
        #expect(change.unmapped?["inventory.removed"] == "sudo:amd64")
        #expect(
            change.unmapped?["inventory.changed"]?.contains("openssl:amd64 3.0.11-1~deb12u1 → 3.0.13-1~deb12u1") == true
        )
        #expect(change.id != start.id)

        // A restart diffs against the saved inventory; the policy's interval replaces the configured one.
        let restarted = InventorySensor(host: Self.host, stateDirectory: state, root: root, clock: clock)
        var policy = AgentPolicy()
        policy.version = 1
        policy.inventoryIntervalSeconds = 3600
        let fixed = policy
        restarted.follow(policy: { fixed })
        let again = try #require(try restarted.poll().first)
        #expect(again.unmapped?["inventory.added"] == "")
        clock.advance(by: 3_599_000)
        #expect(try restarted.poll().isEmpty)
        clock.advance(by: 1000)
        #expect(try restarted.poll().first?.unmapped?["inventory.trigger"] == "scheduled")
    }

    @Test func aGarbagePackageDatabaseGivesProblemsNotACrash() throws {
        let root = Self.temp("inv-garbage")
        let state = Self.temp("inv-garbage-state")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: state)
        }
        try FileManager.default.createDirectory(atPath: root + "/var/lib/dpkg", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/var/lib/rpm", withIntermediateDirectories: true)
        var random = SeededRandom(seed: 8)
        let noise = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        try Data(noise).write(to: URL(fileURLWithPath: root + "/var/lib/dpkg/status"))
        try Data(noise.reversed()).write(to: URL(fileURLWithPath: root + "/var/lib/rpm/rpmdb.sqlite"))
        try Data("Package: half\nVersion\n\n".utf8).write(to: URL(fileURLWithPath: state + "/inventory.json"))
        let sensor = InventorySensor(host: Self.host, stateDirectory: state, root: root)
        let event = try #require(try sensor.poll().first)
        #expect(event.unmapped?["inventory.count"] == "0")
        #expect(Int(event.unmapped?["inventory.problems"] ?? "0")! >= 1)
        #expect(event.unmapped?["inventory.problem_examples"]?.contains("rpmdb.sqlite") == true)
        #expect(event.unmapped?["inventory.added"] == nil)  // the damaged saved inventory was not trusted
    }

    // MARK: Auth log

    @Test func authLogIsParsedAndFollowedAcrossRenameAndTruncation() throws {
        let dir = Self.temp("authlog")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/auth.log"
        try Self.write(log, "Dec  4 09:00:00 web1 sshd[1]: history before the agent\n")
        let clock = FakeClock(milliseconds: 1_764_842_400_000)  // 2025-12-04
        var sensor = AuthLogSensor(host: Self.host, stateDirectory: dir, paths: [dir + "/missing", log], clock: clock)
        #expect(try sensor.poll().isEmpty, "history before the first start is not sent")

        try Self.append(log, try Fixtures.string("auth.log"))
        let events = try sensor.poll()
        #expect(events.count == 4)
        #expect(events[0].classUID == .authentication)
        #expect(events[0].user?.name == "alice")
        #expect(events[0].srcEndpoint?.ip == "203.0.113.9")
        #expect(events[1].statusID == 2)
        #expect(events[2].rawData?.contains("--password=hunter2") == true)  // raw here; the agent redacts
        #expect(events.allSatisfy { $0.device?.uid == Self.host.device.uid })
        #expect(Set(events.map(\.id)).count == 4)

        // A partial line waits for its end.
        try Self.append(log, "Dec  4 10:01:00 web1 sshd[7]: Accepted password for bob from 192.0.2.1 po")
        #expect(try sensor.poll().isEmpty)
        try Self.append(log, "rt 22 ssh2\n")
        let finished = try sensor.poll()
        #expect(finished.count == 1)
        #expect(finished.first?.user?.name == "bob")

        // logrotate: rename, a last line into the old file, a new file.
        try Self.append(log, "Dec  4 10:02:00 web1 sshd[8]: Accepted password for carol from 192.0.2.2 port 22 ssh2\n")
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try Self.write(log, "Dec  4 10:03:00 web1 sshd[9]: Accepted password for dave from 192.0.2.3 port 22 ssh2\n")
        let rotated = try sensor.poll()
        #expect(rotated.compactMap(\.user?.name) == ["carol", "dave"])
        #expect(sensor.rotations == 1)

        // A restart resumes after the last line handed out (the position was saved at the next poll).
        #expect(try sensor.poll().isEmpty)
        sensor.shutdown()
        try Self.append(log, "Dec  4 10:04:00 web1 sshd[10]: Accepted password for erin from 192.0.2.4 port 22 ssh2\n")
        sensor = AuthLogSensor(host: Self.host, stateDirectory: dir, paths: [log], clock: clock)
        #expect(try sensor.poll().compactMap(\.user?.name) == ["erin"])

        // copytruncate: the file shrinks under the reader.
        try Self.write(log, "Dec  4 10:05:00 web1 su[11]: FAILED su for root by mallory\n")
        let truncated = try sensor.poll()
        #expect(truncated.count == 1)
        #expect(
            truncated.first?.message?.contains("mallory") == true
                || truncated.first?.rawData?.contains("mallory") == true)
    }

    @Test func garbageInTheAuthLogIsCountedAndSkipped() throws {
        let dir = Self.temp("authlog-garbage")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/secure"
        try Self.write(log, "")
        let sensor = AuthLogSensor(host: Self.host, stateDirectory: dir, paths: [log], readLimit: 1 << 20)
        _ = try sensor.poll()
        var random = SeededRandom(seed: 21)
        var noise = (0..<200_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        noise += Array(String(repeating: "x", count: 100_000).utf8)  // a line longer than the parser takes
        noise += [0, 0, 0, 10]
        noise += Array("Dec  4 10:00:01 web1 sshd[1]: Accepted publickey for alice from 203.0.113.9 port 1 ssh2\n".utf8)
        try Data(noise).write(to: URL(fileURLWithPath: log))
        var events: [Event] = []
        for _ in 0..<5 { events += try sensor.poll() }
        #expect(events.last?.user?.name == "alice")
        #expect(sensor.malformed > 0)
        #expect(events.allSatisfy { ($0.rawData?.utf8.count ?? 0) <= SyslogParserLimit.bytes + 8 })
    }
}

enum SyslogParserLimit {
    static let bytes = 64 * 1024
}
