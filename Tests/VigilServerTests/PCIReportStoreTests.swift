import Foundation
import Testing
import VigilCompliance
import VigilCore
import VigilServer
import VigilStore
import VigilTestSupport

/// The PCI DSS report built from a seeded store, on both engines: four hosts over ten days, with known gaps
/// (one host silent for two hours and losing events, one host's FIM stopping eight days before the end, one
/// host with kernel auditing switched off for an hour), real
/// archive checkpoints signed every day, alerts and users. Each gap lands on its requirement and nothing else
/// moves; then users and alerts are changed to show the transitions.
@Suite struct PCIReportStoreTests {
    static let day = UTCTime.day
    static let until = UTCTime.milliseconds(year: 2026, month: 11, day: 30)!
    static let from = until - 10 * day

    @Test func sqlite() throws {
        let directory = NSTemporaryDirectory() + "vigil-pci-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.check(try SQLiteEventStore(path: "\(directory)/vigil.db"))
    }

    @Test func postgres() throws {
        guard let cluster = try PostgresCluster.start() else {
            print("PCIReportStoreTests.postgres skipped: \(PostgresCluster.unavailableReason)")
            return
        }
        defer { cluster.stop() }
        try Self.check(try PostgresEventStore(conninfo: cluster.conninfo))
    }

    static func statuses(_ report: PCIReport) -> [String: RequirementStatus] {
        Dictionary(uniqueKeysWithValues: report.requirements.map { ($0.requirement, $0.status) })
    }

    static func hosts(_ report: PCIReport, _ id: String) -> [RequirementStatus] {
        report.requirements.first { $0.requirement == id }?.hosts.map(\.status) ?? []
    }

    static func check(_ store: any ServerStore) throws {
        let builder = PCISnapshotBuilder(store: store, retentionDays: 396, detectionRules: 12)
        // Nothing stored yet: every requirement says no evidence (a status, not an error).
        let empty = try builder.report(from: from, until: until, now: until)
        #expect(empty.requirements.allSatisfy { $0.status == .noEvidence }, "\(statuses(empty))")
        #expect(empty.checkpoint == nil)

        let fleet = FleetGenerator(seed: 11, hosts: 4, now: until)
        let archivist = try Archivist(store: store)
        let silence = (start: from + 5 * day + 3_600_000, end: from + 5 * day + 3 * 3_600_000)
        for dayIndex in 0..<10 {
            let dayStart = from + Int64(dayIndex) * day
            for (host, device) in fleet.devices.enumerated() {
                var events: [Event] = []
                var time = dayStart + 60_000
                var n = 0
                while time < dayStart + day {
                    defer {
                        time += 10 * 60_000
                        n += 1
                    }
                    if host == 1, time >= silence.start, time < silence.end { continue }
                    let fimStopped = host == 2 && time >= until - 8 * day
                    events.append(event(n, host: device, time: time, fim: !fimStopped))
                }
                if host == 1, dayIndex == 6 {
                    events.append(
                        Event(
                            id: "drop-\(dayIndex)", classUID: .baseEvent, activityID: 99, time: dayStart + 7_000,
                            severityID: .high, statusID: 2, message: "agent spool full: 12 unsent events dropped",
                            metadata: EventMetadata(logName: "agent"), device: device,
                            unmapped: ["vigil.spool.dropped": "12"]))
                }
                if host == 3, dayIndex == 3 {
                    for (offset, enabled) in [(10, "0"), (11, "1")] {
                        events.append(
                            Event(
                                id: "audit-enabled-\(offset)", classUID: .configStateChange, activityID: 99,
                                time: dayStart + Int64(offset) * 3_600_000 + 30_000, severityID: .low,
                                message: "audit CONFIG_CHANGE: op=set", metadata: EventMetadata(logName: "audit"),
                                device: device, unmapped: ["type": "CONFIG_CHANGE", "audit_enabled": enabled]))
                    }
                }
                _ = try store.ingest(
                    events, json: try events.map { try JSON.line($0) }, host: device, receivedAt: events[0].time,
                    detect: { _ in ([], []) })
            }
            while try archivist.drain() > 0 {}
            try archivist.checkpointIfDue(now: dayStart + day - 1, seconds: 0)
        }
        try store.withSQL { sql in
            try sql.run(
                "INSERT INTO users (name, role, password_hash, totp_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                values("alice", "admin", "scrypt$x", "JBSWY3DPEHPK3PXP", from, from))
            try sql.run(
                """
                INSERT INTO alerts (rule_id, rule_title, level, host_uid, event_uids, last_event_uids, time, last_time,
                    status, fields, dedup_key, acknowledged_by, acknowledged_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                values(
                    "r1", "Reverse shell", "high", fleet.devices[0].uid!, "[]", "[]", from + day, from + day,
                    "acknowledged", "{}", "k1", "alice", from + day + 7_200_000
                ))
        }

        var report = try builder.report(from: from, until: until, now: until)
        let expected: [String: RequirementStatus] = [
            "8.4": .met, "10.2.2": .met, "10.3.2": .met, "10.3.3": .met, "10.4.1": .met, "10.5.1": .met,
            "10.7": .notMet, "11.5.1": .notMet, "11.5.2": .notMet,
        ]
        var got = statuses(report)
        for (id, status) in expected { #expect(got[id] == status, "\(id): \(got[id]?.rawValue ?? "missing")") }
        for kind in 1...7 {
            // Host 1's two silent hours and host 3's hour with auditing off break every event kind on those hosts.
            #expect(got["10.2.1.\(kind)"] == .notMet)
            #expect(hosts(report, "10.2.1.\(kind)") == [.met, .notMet, .met, .notMet], "10.2.1.\(kind)")
        }
        #expect(hosts(report, "10.7") == [.met, .notMet, .met, .notMet])
        #expect(hosts(report, "11.5.1") == [.met, .notMet, .met, .notMet])
        #expect(hosts(report, "11.5.2") == [.met, .met, .notMet, .met])
        let disabled = try #require(report.requirements.first { $0.requirement == "10.7" }?.hosts[3].evidence)
        #expect(disabled == "audit disabled 2026-11-23T10:00:30Z–2026-11-23T11:00:30Z (1h 0m)", "\(disabled)")
        let failures = try #require(report.requirements.first { $0.requirement == "10.7" }?.hosts[1].evidence)
        #expect(
            failures.contains("2026-11-25T00:51:00Z–2026-11-25T03:01:00Z (2h 10m)")
                && failures.contains("12 event(s) lost (agent spool)"))
        let fim = try #require(report.requirements.first { $0.requirement == "11.5.2" }?.hosts[2].evidence)
        #expect(fim.contains("none from 2026-11-21 to 2026-11-29"), "\(fim)")
        #expect(report.checkpoint?.hasPrefix(Archivist.defaultOrigin) == true)
        #expect(report.html().contains("<pre>\(Archivist.defaultOrigin)"))

        // One host only: its own results, the fleet's alerts narrowed to it; an unknown host is an error.
        let one = try PCISnapshotBuilder(
            store: store, retentionDays: 396, detectionRules: 12, host: fleet.devices[2].hostname
        ).report(from: from, until: until, now: until)
        #expect(hosts(one, "11.5.2") == [.notMet] && statuses(one)["10.7"] == .met)
        #expect(statuses(one)["10.4.1"] == .noEvidence)
        #expect(throws: StoreError.self) {
            try PCISnapshotBuilder(store: store, retentionDays: 396, detectionRules: 12, host: "nope")
                .report(from: from, until: until, now: until)
        }

        // Transitions: an account without TOTP, and an alert from yesterday nobody looked at.
        try store.withSQL { sql in
            try sql.run(
                "INSERT INTO users (name, role, password_hash, totp_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                values("bob", "auditor", "scrypt$x", "", from, from))
            try sql.run(
                """
                INSERT INTO alerts (rule_id, rule_title, level, host_uid, event_uids, last_event_uids, time, last_time,
                    status, fields, dedup_key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                values(
                    "r2", "Sudo to root", "medium", fleet.devices[2].uid!, "[]", "[]", until - 30 * 3_600_000,
                    until - 30 * 3_600_000, "open", "{}", "k2"
                ))
        }
        report = try builder.report(from: from, until: until, now: until)
        got = statuses(report)
        #expect(got["8.4"] == .notMet)
        #expect(got["10.4.1"] == .notMet)
        #expect(
            report.requirements.first { $0.requirement == "10.4.1" }?.evidence.joined().contains("never reviewed")
                == true)

        // A command run through sudo (USER_CMD → authentication with a command line) counts as an admin action.
        let sudoHost = Device(hostname: "sudo-host", uid: "sudo-host-id")
        let sudo = Event(
            id: "sudo-1", classUID: .authentication, activityID: 99, time: from + 2 * day, statusID: 1,
            metadata: EventMetadata(logName: "audit"), device: sudoHost, actor: Actor(user: User(name: "alice")),
            process: Process(cmdLine: "/usr/bin/systemctl restart nginx"))
        _ = try store.ingest(
            [sudo], json: [try JSON.line(sudo)], host: sudoHost, receivedAt: from + 2 * day, detect: { _ in ([], []) })
        let counted = try builder.snapshot(from: from, until: until).hosts.first { $0.hostname == "sudo-host" }
        #expect(counted?.kinds[.adminActions] == 1 && counted?.kinds[.failedLogins] == 0)

        // A period with no data at all: no evidence for the event requirements, not an error.
        let old = try builder.report(from: from - 400 * day, until: from - 300 * day, now: until)
        #expect(statuses(old)["10.2.1.1"] == .noEvidence)
        #expect(statuses(old)["11.5.2"] == .noEvidence)
        #expect(
            !statuses(old).values.contains(.met)
                || statuses(old).filter { $0.value == .met }.keys.sorted() == ["10.3.2", "10.5.1"])
    }

    static func values(_ items: any SQLValueConvertible...) -> [SQLValue] { items.map(\.sqlValue) }

    /// The n-th event of a host: a rotation through every kind the 10.2.1.x requirements count.
    static func event(_ n: Int, host: Device, time: Int64, fim: Bool) -> Event {
        let id = "\(host.uid ?? host.hostname)-\(time)"
        let root = User(uid: "0", name: "root")
        switch n % 6 {
        case 0:
            return Event(
                id: id, classUID: .authentication, activityID: Activity.Authentication.logon, time: time,
                statusID: 2, metadata: EventMetadata(logName: "audit"), device: host, actor: Actor(user: root),
                user: User(name: "mallory"))
        case 1:
            return Event(
                id: id, classUID: .accountChange, activityID: 3, time: time, statusID: 1,
                metadata: EventMetadata(logName: "audit"), device: host, actor: Actor(user: root),
                user: User(name: "deploy"))
        case 2:
            return Event(
                id: id, classUID: .configStateChange, activityID: 99, time: time,
                metadata: EventMetadata(logName: "audit"), device: host)
        case 3:
            return Event(
                id: id, classUID: .fileSystemActivity, activityID: Activity.File.create, time: time,
                metadata: EventMetadata(logName: "audit"), device: host, actor: Actor(user: root),
                file: FileObject(path: "/var/log/auth.log"))
        case 4 where fim:
            return Event(
                id: id, classUID: .fileSystemActivity, activityID: Activity.File.update, time: time,
                metadata: EventMetadata(logName: "fim"), device: host, file: FileObject(path: "/etc/passwd"))
        default:
            return Event(
                id: id, classUID: .processActivity, activityID: Activity.Process.launch, time: time,
                metadata: EventMetadata(logName: "audit"), device: host,
                process: Process(
                    cmdLine: "systemctl restart nginx", file: FileObject(path: "/usr/bin/systemctl"), user: root))
        }
    }
}

/// `GET /api/v1/reports/pci` over HTTP: readable by an auditor in every format, refused to agents, with clear
/// 400s and 404s for bad input, and recorded in the access log.
@Suite struct PCIReportRouteTests {
    @Test(arguments: [Engine.sqlite, .postgres])
    func auditorReadsTheReport(engine: Engine) throws {
        guard let f = try PeopleFixture.make(engine) else { return }
        let auditor = try f.addUser("audrey", .auditor)
        let session = try f.login(auditor)
        let reply = try f.request("GET", "/api/v1/reports/pci?from=2025-01-01&to=2025-12-31", session: session)
        #expect(reply.status == 200, "\(reply.text)")
        let body = try PeopleFixture.object(reply)
        let requirements = try #require(body["requirements"] as? [[String: Any]])
        let mfa = try #require(requirements.first { $0["requirement"] as? String == "8.4" })
        #expect(mfa["status"] as? String == "met")
        #expect(requirements.contains { $0["requirement"] as? String == "10.2.1.4" && $0["evidence"] is [String] })
        let csv = try f.request("GET", "/api/v1/reports/pci?format=csv", session: session)
        #expect(csv.status == 200 && csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(csv.text.hasPrefix("requirement,status,host,evidence"))
        let html = try f.request("GET", "/api/v1/reports/pci?format=html", session: session)
        #expect(html.status == 200 && html.text.contains("Archive checkpoint"))
        #expect(try f.request("GET", "/api/v1/reports/pci?format=xml", session: session).status == 400)
        let badDate = try f.request("GET", "/api/v1/reports/pci?from=last-week", session: session)
        #expect(badDate.status == 400 && PeopleFixture.errorCode(badDate) == "bad-period")
        let noHost = try f.request("GET", "/api/v1/reports/pci?host=nope", session: session)
        #expect(noHost.status == 404 && PeopleFixture.errorCode(noHost) == "no-host")
        #expect(try f.request("GET", "/api/v1/reports/pci").status == 401)
        #expect(try f.request("GET", "/api/v1/reports/pci", bearer: f.agentToken).status == 403)
        #expect(try f.accessLog().contains { $0.read?.hasPrefix("PCI DSS report 2025-01-01") == true })
    }
}
