import Foundation
import VigilCore
import VigilHTTP
import VigilStore

/// An alert as the API returns it. `matched_fields` is kept as the JSON object the detector stored.
public struct AlertRecord: Sendable, Equatable {
    public var id: Int64
    public var ruleID: String
    public var ruleTitle: String
    public var level: String
    public var hostID: Int64?
    public var hostname: String?
    public var eventUID: String?
    public var time: Int64
    public var status: String
    public var dedupKey: String
    public var repeatCount: Int
    /// JSON text.
    public var matchedFields: String
    public var acknowledgedBy: String?
    public var acknowledgedAt: Int64?
    public var resolvedBy: String?
    public var resolvedAt: Int64?
    public var comment: String?
    /// Every event that raised the alert (first and repeats), as stored in `event_uids`.
    public var eventUIDs: [String] = []

    /// The JSON object for the API (sorted keys; `matched_fields` embedded as an object).
    func jsonObject() -> [String: Any] {
        var object: [String: Any] = [
            "id": id, "rule_id": ruleID, "rule_title": ruleTitle, "level": level, "time": time, "status": status,
            "dedup_key": dedupKey, "repeat_count": repeatCount,
        ]
        object["host_id"] = hostID ?? NSNull()
        object["hostname"] = hostname ?? NSNull()
        object["event_uid"] = eventUID ?? NSNull()
        object["acknowledged_by"] = acknowledgedBy ?? NSNull()
        object["acknowledged_at"] = acknowledgedAt ?? NSNull()
        object["resolved_by"] = resolvedBy ?? NSNull()
        object["resolved_at"] = resolvedAt ?? NSNull()
        object["comment"] = comment ?? NSNull()
        object["matched_fields"] =
            (try? JSONSerialization.jsonObject(with: Data(matchedFields.utf8), options: [.fragmentsAllowed]))
            ?? matchedFields
        return object
    }
}

/// One entry of an alert's history.
public struct AlertComment: Sendable, Codable, Equatable {
    public var id: Int64
    public var time: Int64
    public var author: String
    public var action: String
    public var comment: String
}

/// Filters for the alert list, validated by the API.
public struct AlertFilter: Sendable {
    public var status: String?
    public var level: String?
    public var host: String?
    public var ruleID: String?
    public var from: Int64?
    public var to: Int64?
    public var limit = 100
    public var offset = 0

    public init() {}
}

/// Every statement that touches `alerts` (and `alert_comments`), in one file so the merge with the ingest
/// branch's alerts table is reconciled here.
public struct AlertStore: Sendable {
    let store: any EventStore

    public init(store: any EventStore) { self.store = store }

    public static let statuses = ["open", "acknowledged", "resolved"]

    static let columns = """
        alerts.id, alerts.rule_id, alerts.rule_title, alerts.level, hosts.id, hosts.hostname,
        alerts.event_uids, alerts.time, alerts.status, alerts.dedup_key, alerts.repeat_count, alerts.fields,
        alerts.acknowledged_by, alerts.acknowledged_at, alerts.resolved_by, alerts.resolved_at, alerts.comment
        """

    static func record(_ row: [String?]) -> AlertRecord {
        AlertRecord(
            id: Int64(row[0] ?? "") ?? 0, ruleID: row[1] ?? "", ruleTitle: row[2] ?? "", level: row[3] ?? "",
            hostID: row[4].flatMap { Int64($0) }, hostname: row[5], eventUID: firstUID(row[6]),
            time: Int64(row[7] ?? "") ?? 0,
            status: row[8] ?? "", dedupKey: row[9] ?? "", repeatCount: Int(row[10] ?? "") ?? 1,
            matchedFields: row[11] ?? "{}", acknowledgedBy: row[12], acknowledgedAt: row[13].flatMap { Int64($0) },
            resolvedBy: row[14], resolvedAt: row[15].flatMap { Int64($0) }, comment: row[16],
            eventUIDs: allUIDs(row[6]))
    }

    /// All uids in `event_uids` (a JSON array; a bare uid from older rows counts as one).
    static func allUIDs(_ text: String?) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? [text]
    }

    /// The rules that fired most since `since` (ms): rule id, title, level, alert count and repeats, busiest
    /// first.
    public func topRules(
        since: Int64, limit: Int = 10
    ) throws -> [(
        ruleID: String, title: String, level: String, alerts: Int, events: Int
    )] {
        try store.withSQL { db in
            try db.query(
                """
                SELECT rule_id, MAX(rule_title), MAX(level), COUNT(*), SUM(repeat_count) FROM alerts
                WHERE time >= ? GROUP BY rule_id ORDER BY COUNT(*) DESC, rule_id LIMIT ?
                """, [.integer(since), .integer(Int64(limit))]
            ).map { ($0[0] ?? "", $0[1] ?? "", $0[2] ?? "", Int($0[3] ?? "") ?? 0, Int($0[4] ?? "") ?? 0) }
        }
    }

    /// The first event of an alert: `event_uids` holds the JSON array of the events that raised it.
    static func firstUID(_ text: String?) -> String? {
        guard let text else { return nil }
        guard let uids = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { return text }
        return uids.first
    }

    /// Inserts an alert (ingest's detector writes its own; this one serves tests and tools).
    @discardableResult
    public func insert(
        ruleID: String, ruleTitle: String, level: String, hostUID: String?, eventUID: String?, time: Int64,
        dedupKey: String, matchedFields: String
    ) throws -> Int64 {
        let uids = try JSON.line(eventUID.map { [$0] } ?? [])
        return try store.withSQL { db in
            Int64(
                try db.scalar(
                    """
                    INSERT INTO alerts (rule_id, rule_title, level, host_uid, event_uids, last_event_uids, time,
                        last_time, dedup_key, fields)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                    """,
                    [
                        .text(ruleID), .text(ruleTitle), .text(level), .text(hostUID ?? ""), .text(uids),
                        .text(uids), .integer(time), .integer(time), .text(dedupKey), .text(matchedFields),
                    ]) ?? "") ?? 0
        }
    }

    public func list(_ filter: AlertFilter) throws -> [AlertRecord] {
        var clauses: [String] = []
        var values: [SQLValue] = []
        if let status = filter.status {
            clauses.append("alerts.status = ?")
            values.append(.text(status))
        }
        if let level = filter.level {
            clauses.append("alerts.level = ?")
            values.append(.text(level))
        }
        if let host = filter.host {
            clauses.append("(hosts.hostname = ? OR hosts.uid = ?)")
            values += [.text(host), .text(host)]
        }
        if let rule = filter.ruleID {
            clauses.append("alerts.rule_id = ?")
            values.append(.text(rule))
        }
        if let from = filter.from {
            clauses.append("alerts.time >= ?")
            values.append(.integer(from))
        }
        if let to = filter.to {
            clauses.append("alerts.time < ?")
            values.append(.integer(to))
        }
        values += [.integer(Int64(filter.limit)), .integer(Int64(filter.offset))]
        let sql = """
            SELECT \(Self.columns) FROM alerts LEFT JOIN hosts ON hosts.uid = alerts.host_uid
            \(clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "))
            ORDER BY alerts.time DESC, alerts.id DESC LIMIT ? OFFSET ?
            """
        return try store.withSQL { db in try db.query(sql, values).map(Self.record) }
    }

    public func get(_ id: Int64) throws -> (AlertRecord, [AlertComment])? {
        try store.withSQL { db in
            guard
                let row = try db.query(
                    "SELECT \(Self.columns) FROM alerts LEFT JOIN hosts ON hosts.uid = alerts.host_uid WHERE alerts.id = ?",
                    [.integer(id)]
                ).first
            else { return nil }
            let comments = try db.query(
                "SELECT id, time, author, action, comment FROM alert_comments WHERE alert_id = ? ORDER BY id",
                [.integer(id)]
            ).map { row in
                AlertComment(
                    id: Int64(row[0] ?? "") ?? 0, time: Int64(row[1] ?? "") ?? 0, author: row[2] ?? "",
                    action: row[3] ?? "", comment: row[4] ?? "")
            }
            return (Self.record(row), comments)
        }
    }

    /// A life-cycle step: `acknowledge` (open → acknowledged), `resolve` (open or acknowledged → resolved) or
    /// `comment` (any state). Records who, when and the comment in the alert's history.
    /// - Throws: `HTTPError` 404 for no such alert, 409 for a transition its state does not allow.
    public func act(_ action: String, id: Int64, by author: String, comment: String, now: Int64) throws {
        try store.withSQL { db in
            try db.transaction {
                // PostgreSQL: lock the row so two nodes cannot both move it out of the same state.
                let lock = db.dialect == .postgres ? " FOR UPDATE" : ""
                guard let status = try db.scalar("SELECT status FROM alerts WHERE id = ?\(lock)", [.integer(id)]) else {
                    throw HTTPError(status: 404, code: "not-found", message: "there is no alert \(id)")
                }
                switch (action, status) {
                case ("acknowledge", "open"):
                    try db.run(
                        """
                        UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, comment = ?
                        WHERE id = ?
                        """, [.text(author), .integer(now), .text(comment), .integer(id)])
                case ("resolve", "open"), ("resolve", "acknowledged"):
                    try db.run(
                        "UPDATE alerts SET status = 'resolved', resolved_by = ?, resolved_at = ?, comment = ? WHERE id = ?",
                        [.text(author), .integer(now), .text(comment), .integer(id)])
                case ("comment", _):
                    break
                default:
                    throw HTTPError(
                        status: 409, code: "invalid-transition",
                        message:
                            "alert \(id) is \(status); it cannot be \(action == "resolve" ? "resolved" : "acknowledged") from that state"
                    )
                }
                try db.run(
                    "INSERT INTO alert_comments (alert_id, time, author, action, comment) VALUES (?, ?, ?, ?, ?)",
                    [.integer(id), .integer(now), .text(author), .text(action), .text(comment)])
            }
        }
    }

    /// Records one notification attempt.
    public func recordDelivery(
        alertID: Int64, notifier: String, attempt: Int, time: Int64, succeeded: Bool, detail: String?
    )
        throws
    {
        try store.withSQL { db in
            _ = try db.run(
                """
                INSERT INTO notification_deliveries (alert_id, notifier, attempt, time, succeeded, detail)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    .integer(alertID), .text(notifier), .integer(Int64(attempt)), .integer(time),
                    .integer(succeeded ? 1 : 0), AccessLog.clip(detail).sqlValue,
                ])
        }
    }

    /// Delivery attempts for one alert, oldest first: (notifier, attempt, succeeded, detail).
    public func deliveries(
        alertID: Int64
    ) throws -> [(notifier: String, attempt: Int, succeeded: Bool, detail: String?)] {
        try store.withSQL { db in
            try db.query(
                "SELECT notifier, attempt, succeeded, detail FROM notification_deliveries WHERE alert_id = ? ORDER BY id",
                [.integer(alertID)]
            ).map { ($0[0] ?? "", Int($0[1] ?? "") ?? 0, $0[2] == "1", $0[3]) }
        }
    }
}
