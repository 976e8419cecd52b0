import Foundation
import Glibc
import Testing
import VigilAudit
import VigilAuditSensor
import VigilCore
import VigilSystem

/// The live audit sensor against the running kernel (root only): an exec rule is installed, a child runs
/// `/bin/true` with a known argument, the normalized event arrives with its argv, cwd and parent, and the
/// kernel's audit rules and status are exactly as before afterwards. Skips, saying why, where the audit
/// socket is unavailable (not root, no audit support, a container's user namespace, audit locked).
@Suite(.serialized) struct AuditSensorLiveTests {
    /// Why the live test cannot run here, or nil when it can.
    static func unavailableReason() -> String? {
        if geteuid() != 0 { return "not running as root (the audit socket needs CAP_AUDIT_CONTROL)" }
        do {
            let probe = try AuditNetlink()
            let status = try probe.status()
            if status.enabled == 2 { return "the kernel's audit configuration is locked (enabled=2) until reboot" }
        } catch {
            return "the audit netlink socket is unavailable: \(error)"
        }
        return nil
    }

    struct Snapshot: Equatable {
        var enabled, failure, pid, rateLimit, backlogLimit, backlogWaitTime: UInt32
        var rules: [[UInt8]]
    }

    static func snapshot() throws -> Snapshot {
        let control = try AuditNetlink()
        let s = try control.status()
        return Snapshot(
            enabled: s.enabled, failure: s.failure, pid: s.pid, rateLimit: s.rateLimit, backlogLimit: s.backlogLimit,
            backlogWaitTime: s.backlogWaitTime, rules: try control.rules())
    }

    @Test func execEventArrivesAndStateIsRestored() throws {
        if let reason = Self.unavailableReason() {
            print("SKIPPED: live audit sensor test: \(reason)")
            return
        }
        let before = try Self.snapshot()
        let marker = "vigil-live-\(UInt32.random(in: 0...UInt32.max))"
        let sensor = AuditSensor(
            configuration: .init(rules: ["-a always,exit -F arch=b64 -S execve,execveat -k vigil-live-test"]))
        sensor.normalizer.processes.seedFromProc()
        try sensor.start()
        var found: Event?
        var sensorError: (any Error)?
        do {
            #expect(try AuditNetlink().rules().count == before.rules.count + 1, "the exec rule is installed")
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/bin/true")
            child.arguments = [marker]
            child.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
            try child.run()
            let deadline = Date().addingTimeInterval(1.0)
            while found == nil && Date() < deadline {
                try sensor.poll(timeout: 50) { event in
                    if event.classUID == .processActivity, event.process?.cmdLine?.contains(marker) == true {
                        found = event
                    }
                }
            }
            child.waitUntilExit()
        } catch {
            sensorError = error
        }
        try sensor.stop()
        if let sensorError { throw sensorError }
        let after = try Self.snapshot()
        #expect(after == before, "the kernel's audit rules and status are restored")
        let event = try #require(
            found, "the exec event arrived within a second (mode \(sensor.mode.rawValue), \(sensor.statistics))")
        #expect(event.process?.cmdLine == "/bin/true \(marker)")
        #expect(event.process?.file?.path == "/usr/bin/true" || event.process?.file?.path == "/bin/true")
        #expect(event.process?.cwd == "/tmp")
        #expect(event.process?.parentProcess?.pid == Int(getpid()))
        let ownExe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(event.process?.parentProcess?.file?.path == ownExe, "the parent comes from the /proc-seeded table")
        #expect(event.unmapped?["key"] == "vigil-live-test")
        #expect(event.statusID == 1)
        print("live audit sensor: mode \(sensor.mode.rawValue), \(sensor.statistics)")
    }

    /// Read-only mode for hosts where auditd keeps the unicast socket: while another listener is registered
    /// as the audit pid (a running auditd, else a unicast socket of our own, registered as auditd would), the
    /// sensor joins AUDIT_NLGRP_READLOG, installs its rule, and the exec event arrives through the multicast
    /// group; the unicast listener is left registered and (when it is ours) gets the same records.
    /// Afterwards the kernel's rules and status are as before.
    @Test func multicastReceivesWhileAnotherProcessOwnsTheStream() throws {
        if let reason = Self.unavailableReason() {
            print("SKIPPED: live audit multicast test: \(reason)")
            return
        }
        var before = try Self.snapshot()
        var daemonRuns = before.pid != 0 && kill(pid_t(before.pid), 0) == 0
        // Our own unicast listener when no auditd holds the stream.
        var unicast: AuditNetlink?
        var changed: AuditStatus.Fields = []
        if !daemonRuns {
            let owner = try AuditNetlink()
            var status = AuditStatus()
            status.pid = UInt32(getpid())
            status.enabled = 1
            let fields: AuditStatus.Fields = before.enabled == 0 ? [.pid, .enabled] : [.pid]
            do {
                try owner.setStatus(status, fields: fields)
                changed = fields
                unicast = owner
            } catch let error as SystemError where error.errno == EEXIST {
                // Another process registered meanwhile: it is the other listener.
                before = try Self.snapshot()
                daemonRuns = true
            }
        }
        let marker = "vigil-mcast-\(UInt32.random(in: 0...UInt32.max))"
        let sensor = AuditSensor(
            configuration: .init(rules: ["-a always,exit -F arch=b64 -S execve -k vigil-mcast-test"], mode: .multicast))
        sensor.normalizer.processes.seedFromProc()
        var found: Event?
        var unicastSaw = false
        var ownerDuring: UInt32 = 0
        var failure: (any Error)?
        do {
            try sensor.start()
            ownerDuring = try AuditNetlink().status().pid
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/bin/true")
            child.arguments = [marker]
            try child.run()
            let deadline = Date().addingTimeInterval(2.0)
            while found == nil && Date() < deadline {
                try sensor.poll(timeout: 50) { event in
                    if event.classUID == .processActivity, event.process?.cmdLine?.contains(marker) == true {
                        found = event
                    }
                }
            }
            child.waitUntilExit()
            if let unicast {
                // The registered listener got the same record (multicast came in addition, not instead).
                let hex = Array(marker.utf8).map { String($0, radix: 16, uppercase: true) }.joined()
                let until = Date().addingTimeInterval(1.0)
                while !unicastSaw && Date() < until {
                    for message in try unicast.receiveRecords(timeout: 50) {
                        let text = String(decoding: message.payload, as: UTF8.self)
                        if text.contains(marker) || text.contains(hex) { unicastSaw = true }
                    }
                }
            }
        } catch {
            failure = error
        }
        try? sensor.stop()
        if let unicast, !changed.isEmpty {
            var restore = AuditStatus()
            restore.pid = before.pid
            restore.enabled = before.enabled
            try unicast.setStatus(restore, fields: changed)
        }
        if let failure { throw failure }
        let after = try Self.snapshot()
        #expect(after == before, "the kernel's audit rules and status are restored")
        #expect(sensor.mode == .multicast)
        #expect(
            ownerDuring == (daemonRuns ? before.pid : UInt32(getpid())),
            "the other listener stayed registered as the audit pid")
        let event = try #require(
            found, "the exec event arrived through AUDIT_NLGRP_READLOG within 2 s (\(sensor.statistics))")
        #expect(event.process?.cmdLine == "/bin/true \(marker)")
        #expect(event.unmapped?["key"] == "vigil-mcast-test")
        if unicast != nil { #expect(unicastSaw, "the unicast listener received the record too") }
        print(
            "live audit multicast: other listener \(daemonRuns ? "auditd pid \(before.pid)" : "own unicast socket"), \(sensor.statistics)"
        )
    }

    @Test func auditStatusAndRuleListRoundTrip() throws {
        if let reason = Self.unavailableReason() {
            print("SKIPPED: live audit status test: \(reason)")
            return
        }
        let control = try AuditNetlink()
        let status = try control.status()
        #expect(status.enabled <= 2)
        for bytes in try control.rules() {
            #expect(AuditRule.decode(bytes) != nil, "every kernel rule decodes")
        }
    }
}
