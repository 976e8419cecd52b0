import Foundation
import Testing
import VigilCore
import VigilSystem

@testable import VigilAgent

/// The built `vigil agent`, hardened, with the FIM, inventory and auth-log sensors, against a real server on
/// loopback: an event of each kind arrives redacted, and no raw secret is written to the spool, the agent's
/// state, its log or the server's database.
@Suite(.serialized) struct HostSensorsEndToEndTests {
    @Test func fimInventoryAndAuthLogEventsArriveRedactedFromTheHardenedAgent() throws {
        guard getuid() == 0 else {
            print("SKIPPED: the agent's hardening and fanotify need root (euid \(geteuid()))")
            return
        }
        guard VigilBinary.path != nil else {
            print("SKIPPED: the vigil executable is not built beside the tests (swift build --build-tests)")
            return
        }
        let server = try V1TestServer()
        let state = AgentEndToEndTests.tempDirectory("sensors-state")
        let logs = AgentEndToEndTests.tempDirectory("sensors-logs")
        let watched = HostSensorTests.temp("sensors-fim", base: access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp")
        defer {
            for path in [state, logs, watched] { try? FileManager.default.removeItem(atPath: path) }
        }
        try HostSensorTests.write(watched + "/secret", "not for reading\n")
        let authLog = logs + "/auth.log"
        try HostSensorTests.write(authLog, "Dec  4 09:00:00 web1 sshd[1]: before the agent\n")
        let config = try AgentEndToEndTests.enrolled(server, state: state)
        try HostSensorTests.append(
            config,
            "fim_watch = \(watched)\nfim_sensitive = \(watched)/secret\nauth_log = \(authLog)\n"
                + "fim_scan_interval_seconds = 3600\n")
        let log = logs + "/agent.log"
        let pid = try VigilBinary.spawn(
            ["agent", "--config", config, "--sensors", "fim,inventory,authlog", "--heartbeat", "30"], log: log)
        defer {
            kill(pid, SIGKILL)
            _ = VigilBinary.wait(pid, seconds: 5)
        }
        #expect(eventually(20) { AgentEndToEndTests.logText(log).contains("reporting to") })
        let text = AgentEndToEndTests.logText(log)
        guard !text.contains("fanotify is unavailable") else {
            print("SKIPPED: fanotify unavailable here: \(text)")
            return
        }

        // Hardened on every thread, keeping CAP_SYS_ADMIN (fanotify), CAP_DAC_READ_SEARCH (reads, handles) and
        // CAP_SYS_PTRACE (/proc/<pid>/exe of the process behind a file event) only.
        let expectedCaps = String(format: "%016llx", Hardening.mask([.dacReadSearch, .sysAdmin, .sysPtrace]))
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        #expect(!tasks.isEmpty)
        for task in tasks {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)) ?? ""
            #expect(status.contains("Seccomp:\t2"), "thread \(task)")
            #expect(status.contains("CapEff:\t\(expectedCaps)"), "thread \(task)")
        }

        // The inventory at start (this host's real package databases).
        var inventory: Event?
        #expect(
            try eventually(30) {
                inventory = try server.store.recentEvents(classUID: .deviceInventoryInfo, limit: 200).map(\.event)
                    .first { $0.metadata.logName == "inventory" }
                return inventory != nil
            }, "no inventory event; agent log: \(AgentEndToEndTests.logText(log))")
        #expect(inventory?.unmapped?["inventory.trigger"] == "start")
        #expect(inventory?.unmapped?["inventory.packages"]?.hasPrefix("[") == true)

        // An auth-log line with a password and a card number; a file whose name holds a card number; a read of
        // the sensitive file.
        try HostSensorTests.append(
            authLog,
            "Dec  4 10:00:09 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
                + "COMMAND=/usr/bin/mysql --password=hunter2 -e 4111 1111 1111 1111\n")
        let writer = Foundation.Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "echo x > '\(watched)/card 4111-1111-1111-1111.txt'; sleep 1"]
        try writer.run()
        let reader = Foundation.Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/tail")
        reader.arguments = ["-f", watched + "/secret"]
        reader.standardOutput = FileHandle.nullDevice
        try reader.run()
        defer {
            kill(reader.processIdentifier, SIGKILL)
            reader.waitUntilExit()
            writer.waitUntilExit()
        }

        var sudo: Event?
        var created: Event?
        var read: Event?
        #expect(
            try eventually(30) {
                let auth = try server.store.recentEvents(classUID: .authentication, limit: 200).map(\.event)
                sudo = auth.first { $0.unmapped?["action"] == "sudo" }
                let files = try server.store.recentEvents(classUID: .fileSystemActivity, limit: 500).map(\.event)
                created = files.first { $0.file?.path?.hasPrefix(watched + "/card") == true }
                read = files.first {
                    $0.file?.path == watched + "/secret" && $0.activityID == Activity.File.read
                        && $0.actor?.process?.pid == Int(reader.processIdentifier)
                }
                return sudo != nil && created != nil && read != nil
            }, "agent log: \(AgentEndToEndTests.logText(log))")
        #expect(sudo?.rawData?.contains("--password=\(Redactor.mask)") == true, "\(String(describing: sudo))")
        #expect(sudo?.rawData?.contains("411111******1111") == true)
        #expect(sudo?.user?.name == "root")
        #expect(created?.file?.path?.contains("411111******1111") == true, "\(String(describing: created))")
        #expect(created?.actor?.process?.pid == Int(writer.processIdentifier))
        #expect(read?.unmapped?["fim.sensitive"] == "true")
        #expect(read?.actor?.user?.uid == "0")
        #expect(read?.actor?.process?.name == "tail")
        // Landlock's ptrace scoping denies /proc/<pid>/exe of processes outside the agent's domain (even with
        // CAP_SYS_PTRACE), so the hardened agent names the process by comm only; where Landlock is absent the
        // executable is there too.
        if AgentEndToEndTests.logText(log).contains("no Landlock") {
            #expect(read?.actor?.process?.file?.path == "/usr/bin/tail")
        } else {
            #expect(read?.actor?.process?.file == nil)
        }

        kill(pid, SIGTERM)
        #expect(VigilBinary.wait(pid, seconds: 10) != nil)
        #expect(FileManager.default.fileExists(atPath: state + "/authlog.position"))
        #expect(FileManager.default.fileExists(atPath: state + "/inventory.json"))
        #expect(FileManager.default.fileExists(atPath: state + "/fim/baseline.db"))
        for needle in ["hunter2", "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"] {
            #expect(filesContaining(needle, under: state).isEmpty, "\(needle) in the agent's state")
            #expect(filesContaining(needle, under: server.directory).isEmpty, "\(needle) in the server's database")
            #expect(!AgentEndToEndTests.logText(log).contains(needle), "\(needle) in the agent's log")
        }
    }
}
