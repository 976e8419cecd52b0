import Foundation
import VigilCompliance
import VigilCore
import VigilLedger
import VigilStore

/// Gathers a `ComplianceSnapshot` for one period from the store, on either engine (one set of `?` statements
/// through `SQLExecutor`), and checks the archive's stored tree against its newest signed checkpoint.
///
/// Every count is one indexed or windowed query over the period's events; nothing is loaded event by event
/// except the few loss reports.
public struct PCISnapshotBuilder: Sendable {
    public var store: any ServerStore
    /// Days the server keeps events (its configuration), when known.
    public var retentionDays: Int?
    /// Detection rules the server runs, when known.
    public var detectionRules: Int?
    public var silenceThreshold: Int64
    /// Only this host (its name or machine id); nil for the whole fleet.
    public var host: String?

    public init(
        store: any ServerStore, retentionDays: Int?, detectionRules: Int?, silenceThreshold: Int64 = 15 * 60_000,
        host: String? = nil
    ) {
        self.store = store
        self.host = host
        self.retentionDays = retentionDays
        self.detectionRules = detectionRules
        self.silenceThreshold = silenceThreshold
    }

    /// The report for `[from, until)`, `until` clamped to `now`.
    public func report(from: Int64, until: Int64, now: Int64) throws -> PCIReport {
        let snapshot = try snapshot(from: from, until: min(until, now))
        let note = try store.ledgerCheckpoints().last.map { String(decoding: $0.note, as: UTF8.self) }
        return PCIReport(snapshot: snapshot, generatedAt: now, checkpoint: note)
    }

    /// What each 10.2.1.x kind counts, as a condition on one `events` row.
    static let kindConditions: [(AuditEventKind, String)] = [
        (.dataAccess, "class_uid = 1001"),
        // Programs run as root, and commands run through sudo (USER_CMD: authentication events with a command).
        (.adminActions, "(class_uid = 1007 AND user_name = 'root') OR (class_uid = 3002 AND cmd_line IS NOT NULL)"),
        (.auditLogAccess, "class_uid = 1001 AND json LIKE '%\"path\":\"/var/log/%'"),
        (.failedLogins, "class_uid = 3002 AND (json LIKE '%\"status_id\":2,%' OR json LIKE '%\"status_id\":2}%')"),
        (.credentialChanges, "class_uid = 3001"),
        (.auditControl, "class_uid = 5019"),
        (.systemObjects, "class_uid = 1002 OR (class_uid = 1001 AND activity_id IN (1, 4))"),
    ]

    public func snapshot(from: Int64, until: Int64) throws -> ComplianceSnapshot {
        let threshold = silenceThreshold
        var snapshot = try store.withSQL { sql -> ComplianceSnapshot in
            let period: [SQLValue] = [.integer(from), .integer(until)]
            var hosts: [Int64: HostEvidence] = [:]
            for row in try sql.query("SELECT id, uid, hostname, first_seen, last_seen FROM hosts") {
                guard let id = Self.int(row[0]) else { continue }
                hosts[id] = HostEvidence(
                    uid: row[1] ?? "", hostname: row[2] ?? "", firstSeen: Self.int(row[3]) ?? 0,
                    lastSeen: Self.int(row[4]) ?? 0)
            }
            // A host's events can be older than its row's first sighting (an agent's spool sent after an outage,
            // or a backlog at enrollment): its record starts with whichever came first. One index seek per host.
            for row in try sql.query("SELECT host_id, min(time), max(time) FROM events GROUP BY host_id") {
                guard let id = Self.int(row[0]), let first = Self.int(row[1]), let last = Self.int(row[2]) else {
                    continue
                }
                guard var host = hosts[id] else { continue }
                host.firstSeen = min(host.firstSeen, first)
                host.lastSeen = max(host.lastSeen, last)
                hosts[id] = host
            }
            let sums = Self.kindConditions.map { "sum(CASE WHEN \($0.1) THEN 1 ELSE 0 END)" }.joined(separator: ", ")
            for row in try sql.query(
                """
                SELECT host_id, count(*), min(time), max(time), sum(CASE WHEN class_uid = 1007 THEN 1 ELSE 0 END),
                    \(sums)
                FROM events WHERE time >= ? AND time < ? GROUP BY host_id
                """, period)
            {
                guard let id = Self.int(row[0]), var host = hosts[id] else { continue }
                host.events = Int(Self.int(row[1]) ?? 0)
                host.firstEvent = Self.int(row[2])
                host.lastEvent = Self.int(row[3])
                host.processEvents = Int(Self.int(row[4]) ?? 0)
                for (index, (kind, _)) in Self.kindConditions.enumerated() {
                    host.kinds[kind] = Int(Self.int(row[5 + index]) ?? 0)
                }
                hosts[id] = host
            }
            for row in try sql.query(
                """
                SELECT host_id, previous, time FROM (
                    SELECT host_id, time, LAG(time) OVER (PARTITION BY host_id ORDER BY time) AS previous
                    FROM events WHERE time >= ? AND time < ?) AS ordered
                WHERE time - previous > ? ORDER BY host_id, time
                """, period + [.integer(threshold)])
            {
                guard let id = Self.int(row[0]), let start = Self.int(row[1]), let end = Self.int(row[2]) else {
                    continue
                }
                hosts[id]?.gaps.append(TimeSpan(start: start, end: end))
            }
            for row in try sql.query(
                """
                SELECT DISTINCT host_id, time / 86400000 FROM events
                WHERE time >= ? AND time < ? AND class_uid = 1001 AND json LIKE '%"log_name":"fim"%'
                """, period)
            {
                guard let id = Self.int(row[0]), let day = Self.int(row[1]) else { continue }
                hosts[id]?.fimDays.append(day)
            }
            let decoder = JSON.decoder()
            for row in try sql.query(
                """
                SELECT host_id, time, json FROM events WHERE time >= ? AND time < ? AND class_uid = 0
                    AND (json LIKE '%vigil.spool.dropped%' OR json LIKE '%audit.lost%')
                """, period)
            {
                guard let id = Self.int(row[0]), let time = Self.int(row[1]),
                    let event = try? decoder.decode(Event.self, from: Data((row[2] ?? "").utf8))
                else { continue }
                if let count = event.unmapped?["vigil.spool.dropped"].flatMap(Int.init) {
                    hosts[id]?.losses.append(Loss(time: time, count: count, source: "agent spool"))
                } else if let count = event.unmapped?["audit.lost"].flatMap(Int.init) {
                    hosts[id]?.losses.append(Loss(time: time, count: count, source: "kernel audit"))
                }
            }
            // Every audit_enabled change up to the period's end (rare), to know the state at its start too.
            var disabledSince: [Int64: Int64] = [:]
            for row in try sql.query(
                """
                SELECT host_id, time, json FROM events
                WHERE class_uid = 5019 AND time < ? AND json LIKE '%"audit_enabled":%' ORDER BY host_id, time
                """, [.integer(until)])
            {
                guard let id = Self.int(row[0]), let time = Self.int(row[1]),
                    let event = try? decoder.decode(Event.self, from: Data((row[2] ?? "").utf8)),
                    let enabled = event.unmapped?["audit_enabled"]
                else { continue }
                if enabled == "0" {
                    if disabledSince[id] == nil { disabledSince[id] = time }
                } else if let start = disabledSince.removeValue(forKey: id), time > from {
                    hosts[id]?.auditDisabled.append(TimeSpan(start: max(start, from), end: time))
                }
            }
            for (id, start) in disabledSince {
                hosts[id]?.auditDisabled.append(TimeSpan(start: max(start, from), end: until))
            }
            let users = try sql.query("SELECT name, role, totp_secret, disabled FROM users ORDER BY name").map {
                UserEvidence(
                    name: $0[0] ?? "", role: $0[1] ?? "", hasSecondFactor: !($0[2] ?? "").isEmpty,
                    disabled: Self.int($0[3]) ?? 0 != 0)
            }
            let alerts = try sql.query(
                """
                SELECT id, rule_title, host_uid, time, acknowledged_at, resolved_at FROM alerts
                WHERE time >= ? AND time < ? ORDER BY time
                """, period
            ).map { row in
                let reviewed = [Self.int(row[4]), Self.int(row[5])].compactMap { $0 }.min()
                return AlertEvidence(
                    id: Self.int(row[0]) ?? 0, title: row[1] ?? "", hostUID: row[2] ?? "",
                    time: Self.int(row[3]) ?? 0, reviewedAt: reviewed)
            }
            let fields = try sql.query(
                """
                SELECT class_uid, count(*), sum(CASE WHEN user_name IS NULL THEN 1 ELSE 0 END),
                    sum(CASE WHEN json LIKE '%"status_id":%' THEN 0 ELSE 1 END)
                FROM events WHERE time >= ? AND time < ? AND class_uid IN (1007, 3001, 3002) GROUP BY class_uid
                """, period
            ).map {
                FieldCoverage(
                    classUID: Int(Self.int($0[0]) ?? 0), events: Int(Self.int($0[1]) ?? 0),
                    withoutUser: Int(Self.int($0[2]) ?? 0), withoutOutcome: Int(Self.int($0[3]) ?? 0))
            }
            let checkpoints = try sql.query("SELECT size, signed_at FROM ledger_checkpoints ORDER BY size").map {
                ArchiveEvidence.Checkpoint(size: UInt64(Self.int($0[0]) ?? 0), signedAt: Self.int($0[1]) ?? 0)
            }
            return ComplianceSnapshot(
                from: from, until: until, silenceThreshold: threshold,
                hosts: hosts.sorted { $0.key < $1.key }.map(\.value), users: users, alerts: alerts,
                oldestEventTime: Self.int(try sql.scalar("SELECT min(time) FROM events")),
                firstHostSeen: hosts.values.map(\.firstSeen).min(),
                archive: ArchiveEvidence(checkpoints: checkpoints), fields: fields)
        }
        if let host {
            snapshot.hosts = snapshot.hosts.filter { $0.hostname == host || $0.uid == host }
            guard !snapshot.hosts.isEmpty else {
                throw StoreError(
                    code: "report.no-host",
                    message: "no host is named '\(host.prefix(80))' or has that machine id; see the hosts page or API")
            }
            let uids = Set(snapshot.hosts.map(\.uid))
            snapshot.alerts = snapshot.alerts.filter { uids.contains($0.hostUID) }
        }
        snapshot.retentionDays = retentionDays
        snapshot.detectionRules = detectionRules
        snapshot.archive.entries = try store.ledgerSize()
        snapshot.archive.waiting = try store.ledgerOutboxCount()
        (snapshot.archive.verified, snapshot.archive.verification) = verifyArchive()
        return snapshot
    }

    /// Recomputes the root of the stored tree at the newest checkpoint's size and compares it with the root
    /// that checkpoint signed. (This checks the stored node hashes; re-hashing every entry and the signature is
    /// `vigil archive verify` on an export.)
    func verifyArchive() -> (Bool?, String) {
        do {
            let storage = try StoreLedgerStorage(store: store)
            guard let latest = try storage.checkpoints().last else { return (nil, "no signed checkpoint yet") }
            let checkpoint = try Checkpoint(text: try SignedNote(parsing: latest.note).text)
            let root = try Ledger(storage: storage).root(treeSize: checkpoint.size)
            if root == checkpoint.root {
                return (true, "root of the first \(checkpoint.size) entries matches checkpoint \(checkpoint.root)")
            }
            return (
                false, "stored tree root \(root) differs from checkpoint \(checkpoint.root) at size \(checkpoint.size)"
            )
        } catch {
            return (false, "the stored archive could not be read against its checkpoint: \(error)")
        }
    }

    static func int(_ text: String?) -> Int64? { text.flatMap { Int64($0) } }
}
