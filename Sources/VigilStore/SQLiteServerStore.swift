import Foundation
import VigilCore

extension SQLiteEventStore: ServerStore {
    /// Schema version 2: everything the server keeps besides events. PostgreSQL's version 2 has the same
    /// tables and columns (see `PostgresEventStore.serverSchema`).
    static let serverSchema = """
        CREATE TABLE enrollment_tokens (
            id TEXT PRIMARY KEY,
            sha256 BLOB NOT NULL UNIQUE,
            uses_left INTEGER NOT NULL,
            expires_at INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE agents (
            id TEXT PRIMARY KEY,
            host_uid TEXT NOT NULL,
            hostname TEXT NOT NULL,
            secret_sha256 BLOB NOT NULL,
            enrolled_at INTEGER NOT NULL,
            revoked_at INTEGER,
            last_seen INTEGER
        );
        CREATE INDEX agents_host ON agents (host_uid);
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            rule_id TEXT NOT NULL,
            rule_title TEXT NOT NULL,
            level TEXT NOT NULL,
            host_uid TEXT NOT NULL,
            event_uids TEXT NOT NULL,
            last_event_uids TEXT NOT NULL,
            time INTEGER NOT NULL,
            last_time INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
            fields TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            repeat_count INTEGER NOT NULL DEFAULT 1
        );
        CREATE UNIQUE INDEX alerts_open_dedup ON alerts (dedup_key) WHERE status <> 'resolved';
        CREATE INDEX alerts_time ON alerts (time DESC);
        CREATE TABLE ledger_outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            entry TEXT NOT NULL
        );
        CREATE TABLE ledger_entries (
            idx INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            entry TEXT NOT NULL
        );
        CREATE INDEX ledger_entries_ref ON ledger_entries (kind, ref);
        CREATE TABLE ledger_nodes (
            first_position INTEGER PRIMARY KEY,
            hashes BLOB NOT NULL
        );
        CREATE TABLE ledger_checkpoints (
            size INTEGER PRIMARY KEY,
            note BLOB NOT NULL,
            signed_at INTEGER NOT NULL
        );
        CREATE TABLE security_log (
            id INTEGER PRIMARY KEY,
            time INTEGER NOT NULL,
            kind TEXT NOT NULL,
            agent_id TEXT,
            remote TEXT,
            detail TEXT NOT NULL
        );
        CREATE INDEX security_log_time ON security_log (time);
        CREATE TABLE server_secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """

    // MARK: Enrollment and agents

    public func addEnrollmentToken(id: String, sha256: [UInt8], uses: Int, expiresAt: Int64?, createdAt: Int64) throws {
        _ = try database.withLock { db in
            try db.run(
                "INSERT INTO enrollment_tokens (id, sha256, uses_left, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
                [id, sha256, uses, expiresAt, createdAt])
        }
    }

    public func enroll(tokenSHA256: [UInt8], agent: AgentRecord, now: Int64) throws -> EnrollmentRefusal? {
        try database.withLock { db in
            try db.transaction {
                guard
                    let row = try db.query(
                        "SELECT uses_left, expires_at FROM enrollment_tokens WHERE sha256 = ?", [tokenSHA256]
                    ).first
                else { return .unknown }
                if let expires = row[1].int64, expires <= now { return .expired }
                guard (row[0].int64 ?? 0) > 0 else { return .used }
                try db.run("UPDATE enrollment_tokens SET uses_left = uses_left - 1 WHERE sha256 = ?", [tokenSHA256])
                try db.run(
                    """
                    INSERT INTO agents (id, host_uid, hostname, secret_sha256, enrolled_at) VALUES (?, ?, ?, ?, ?)
                    """, [agent.id, agent.hostUID, agent.hostname, agent.secretSHA256, agent.enrolledAt])
                return nil
            }
        }
    }

    static let agentColumns = "id, host_uid, hostname, secret_sha256, enrolled_at, revoked_at, last_seen"

    static func agentRecord(_ row: [SQLiteValue]) -> AgentRecord {
        AgentRecord(
            id: row[0].string ?? "", hostUID: row[1].string ?? "", hostname: row[2].string ?? "",
            secretSHA256: row[3].bytes ?? [], enrolledAt: row[4].int64 ?? 0, revokedAt: row[5].int64,
            lastSeen: row[6].int64)
    }

    public func agent(id: String) throws -> AgentRecord? {
        func lookup(_ db: SQLiteDatabase) throws -> AgentRecord? {
            try db.query("SELECT \(Self.agentColumns) FROM agents WHERE id = ?", [id]).first.map(Self.agentRecord)
        }
        let viaReader = try reader.withLock { reader -> AgentRecord?? in
            guard let reader else { return .none }
            return .some(try lookup(reader))
        }
        if let viaReader { return viaReader }
        return try database.withLock { try lookup($0) }
    }

    public func agents() throws -> [AgentRecord] {
        try database.withLock { db in
            try db.query("SELECT \(Self.agentColumns) FROM agents ORDER BY enrolled_at, id").map(Self.agentRecord)
        }
    }

    public func revokeAgent(id: String, at time: Int64) throws -> Bool {
        try database.withLock { db in
            try db.run("UPDATE agents SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", [time, id]) > 0
        }
    }

    // MARK: Ingest

    public func ingest(_ batches: [IngestBatch]) throws -> [InsertResult] {
        try database.withLock { db in
            try db.transaction { try batches.map { try Self.ingest($0, into: db) } }
        }
    }

    static func ingest(_ batch: IngestBatch, into db: SQLiteDatabase) throws -> InsertResult {
        let (events, json, host, receivedAt) = (batch.events, batch.json, batch.host, batch.receivedAt)
        let hostUID = EventColumns.hostUID(host)
        try db.run(
            """
            INSERT INTO hosts (uid, hostname, os, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (uid) DO UPDATE SET hostname = excluded.hostname, os = excluded.os,
                last_seen = excluded.last_seen
            """, [hostUID, host.hostname, host.os, receivedAt, receivedAt])
        guard let hostID = try db.scalar("SELECT id FROM hosts WHERE uid = ?", [hostUID])?.int64 else {
            throw StoreError(code: "store.host", message: "the host row vanished inside its own transaction")
        }
        let insertEvent = try db.prepare(
            """
            INSERT OR IGNORE INTO events (host_id, uid, time, received, class_uid, activity_id, severity_id,
                user_name, process_path, cmd_line, json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, persistent: true)
        let queue = try db.prepare(
            "INSERT INTO ledger_outbox (kind, ref, entry) VALUES (?, ?, ?)", persistent: true)
        var inserted: [Int] = []
        for (index, event) in events.enumerated() {
            let columns = EventColumns(event)
            try insertEvent.run([
                hostID, event.id, event.time, receivedAt, event.classUID.rawValue, event.activityID,
                event.severityID.rawValue, columns.userName, columns.processPath, columns.commandLine,
                json[index],
            ])
            if db.changes > 0 {
                inserted.append(index)
                try queue.run(["event", "\(hostUID)/\(event.id)", json[index]])
            }
        }
        let detected = batch.detect(inserted)
        precondition(detected.alerts.count == detected.alertEntries.count, "one ledger entry per alert")
        let upsert = try db.prepare(
            """
            INSERT INTO alerts (rule_id, rule_title, level, host_uid, event_uids, last_event_uids, time,
                last_time, fields, dedup_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (dedup_key) WHERE status <> 'resolved' DO UPDATE SET
                repeat_count = repeat_count + 1, last_time = max(last_time, excluded.last_time),
                last_event_uids = excluded.last_event_uids
            RETURNING id
            """)
        for (alert, entry) in zip(detected.alerts, detected.alertEntries) {
            let uids = try JSON.line(alert.eventUIDs)
            upsert.reset()
            try upsert.bind([
                alert.ruleID, alert.ruleTitle, alert.level, alert.hostUID, uids, uids, alert.time, alert.time,
                try JSON.line(alert.fields), alert.dedupKey,
            ])
            guard try upsert.step() else {
                throw StoreError(code: "store.alert", message: "the alert upsert returned no id")
            }
            let id = upsert.int64(at: 0)
            while try upsert.step() {}
            try queue.run(["alert", String(id), String(decoding: entry, as: UTF8.self)])
        }
        return InsertResult(inserted: inserted.count, duplicates: events.count - inserted.count)
    }

    public func alerts(limit: Int) throws -> [AlertRecord] {
        let rows = try database.withLock { db in
            try db.query(
                """
                SELECT id, rule_id, rule_title, level, host_uid, event_uids, time, fields, dedup_key, status,
                    repeat_count, last_time
                FROM alerts ORDER BY last_time DESC, id DESC LIMIT ?
                """, [max(0, limit)])
        }
        let decoder = JSON.decoder()
        return try rows.map { row in
            AlertRecord(
                id: row[0].int64 ?? 0,
                draft: AlertDraft(
                    ruleID: row[1].string ?? "", ruleTitle: row[2].string ?? "", level: row[3].string ?? "",
                    hostUID: row[4].string ?? "",
                    eventUIDs: try decoder.decode([String].self, from: Data((row[5].string ?? "[]").utf8)),
                    time: row[6].int64 ?? 0,
                    fields: try decoder.decode([String: String].self, from: Data((row[7].string ?? "{}").utf8)),
                    dedupKey: row[8].string ?? ""),
                status: row[9].string ?? "", repeatCount: Int(row[10].int64 ?? 0), lastTime: row[11].int64 ?? 0)
        }
    }

    // MARK: Ledger

    public func enqueueLedger(_ items: [LedgerItem]) throws {
        try database.withLock { db in
            try db.transaction {
                let queue = try db.prepare("INSERT INTO ledger_outbox (kind, ref, entry) VALUES (?, ?, ?)")
                for item in items {
                    try queue.run([item.kind, item.ref, String(decoding: item.entry, as: UTF8.self)])
                }
            }
        }
    }

    public func ledgerOutbox(limit: Int) throws -> [(id: Int64, item: LedgerItem)] {
        try database.withLock { db in
            try db.query("SELECT id, kind, ref, entry FROM ledger_outbox ORDER BY id LIMIT ?", [max(0, limit)]).map {
                row in
                (
                    id: row[0].int64 ?? 0,
                    item: LedgerItem(kind: row[1].string ?? "", ref: row[2].string ?? "", entry: row[3].bytes ?? [])
                )
            }
        }
    }

    public func ledgerOutboxCount() throws -> Int {
        try database.withLock { db in Int(try db.scalar("SELECT count(*) FROM ledger_outbox")?.int64 ?? 0) }
    }

    public func ledgerSize() throws -> UInt64 {
        try database.withLock { db in try Self.ledgerSize(db) }
    }

    static func ledgerSize(_ db: SQLiteDatabase) throws -> UInt64 {
        UInt64(try db.scalar("SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries")?.int64 ?? 0)
    }

    public func ledgerAppend(
        firstIndex: UInt64, items: [LedgerItem], firstPosition: UInt64, nodes: [UInt8], outboxIDs: [Int64]
    ) throws {
        try database.withLock { db in
            try db.transaction {
                let size = try Self.ledgerSize(db)
                guard size == firstIndex else { throw Self.ledgerMoved(size: size, expected: firstIndex) }
                let insert = try db.prepare("INSERT INTO ledger_entries (idx, kind, ref, entry) VALUES (?, ?, ?, ?)")
                for (offset, item) in items.enumerated() {
                    try insert.run([
                        Int64(firstIndex) + Int64(offset), item.kind, item.ref,
                        String(decoding: item.entry, as: UTF8.self),
                    ])
                }
                if !nodes.isEmpty {
                    try db.run(
                        "INSERT INTO ledger_nodes (first_position, hashes) VALUES (?, ?)",
                        [Int64(firstPosition), nodes])
                }
                let delete = try db.prepare("DELETE FROM ledger_outbox WHERE id = ?")
                for id in outboxIDs { try delete.run([id]) }
            }
        }
    }

    static func ledgerMoved(size: UInt64, expected: UInt64) -> StoreError {
        StoreError(
            code: "ledger.moved",
            message: "the stored ledger has \(size) entries, not the \(expected) this node expected; another node "
                + "appended — reload the ledger and retry")
    }

    public func ledgerNodes(_ positions: [UInt64]) throws -> [[UInt8]] {
        try database.withLock { db in
            let statement = try db.prepare(
                "SELECT first_position, hashes FROM ledger_nodes WHERE first_position <= ? "
                    + "ORDER BY first_position DESC LIMIT 1")
            return try positions.map { position in
                statement.reset()
                try statement.bind([Int64(position)])
                guard try statement.step(), let hashes = statement.value(at: 1).bytes else {
                    throw Self.nodeMissing(position)
                }
                let offset = Int(position - UInt64(statement.int64(at: 0))) * 32
                guard offset + 32 <= hashes.count else { throw Self.nodeMissing(position) }
                return Array(hashes[offset..<offset + 32])
            }
        }
    }

    static func nodeMissing(_ position: UInt64) -> StoreError {
        StoreError(
            code: "ledger.node-missing",
            message: "the ledger node at post-order position \(position) is not stored; the ledger tables are damaged")
    }

    public func ledgerEntry(_ index: UInt64) throws -> LedgerItem? {
        try database.withLock { db in
            try db.query("SELECT kind, ref, entry FROM ledger_entries WHERE idx = ?", [Int64(index)]).first.map {
                LedgerItem(kind: $0[0].string ?? "", ref: $0[1].string ?? "", entry: $0[2].bytes ?? [])
            }
        }
    }

    public func ledgerIndex(kind: String, ref: String) throws -> UInt64? {
        try database.withLock { db in
            try db.scalar(
                "SELECT min(idx) FROM ledger_entries WHERE kind = ? AND ref = ?", [kind, ref]
            )?.int64.map { UInt64($0) }
        }
    }

    public func ledgerCheckpoints() throws -> [(size: UInt64, note: [UInt8])] {
        try database.withLock { db in
            try db.query("SELECT size, note FROM ledger_checkpoints ORDER BY size").map {
                (size: UInt64($0[0].int64 ?? 0), note: $0[1].bytes ?? [])
            }
        }
    }

    public func addLedgerCheckpoint(size: UInt64, note: [UInt8], at time: Int64) throws {
        _ = try database.withLock { db in
            try db.run(
                """
                INSERT INTO ledger_checkpoints (size, note, signed_at) VALUES (?, ?, ?)
                ON CONFLICT (size) DO UPDATE SET note = excluded.note, signed_at = excluded.signed_at
                """, [Int64(size), note, time])
        }
    }

    // MARK: Security log, secrets, retention

    public func logSecurity(_ record: SecurityRecord) throws {
        _ = try database.withLock { db in
            try db.run(
                "INSERT INTO security_log (time, kind, agent_id, remote, detail) VALUES (?, ?, ?, ?, ?)",
                [record.time, record.kind, record.agentID, record.remote, record.detail])
        }
    }

    public func securityLog(limit: Int) throws -> [SecurityRecord] {
        try database.withLock { db in
            try db.query(
                "SELECT time, kind, agent_id, remote, detail FROM security_log ORDER BY id DESC LIMIT ?",
                [max(0, limit)]
            ).map {
                SecurityRecord(
                    time: $0[0].int64 ?? 0, kind: $0[1].string ?? "", agentID: $0[2].string, remote: $0[3].string,
                    detail: $0[4].string ?? "")
            }
        }
    }

    public func serverSecret(_ name: String, make: () throws -> String) throws -> String {
        try database.withLock { db in
            if let value = try db.scalar("SELECT value FROM server_secrets WHERE name = ?", [name])?.string {
                return value
            }
            try db.run(
                "INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                [name, try make()])
            guard let value = try db.scalar("SELECT value FROM server_secrets WHERE name = ?", [name])?.string else {
                throw StoreError(code: "store.secret", message: "the server secret \(name) vanished after its insert")
            }
            return value
        }
    }

    public func deleteEvents(before time: Int64) throws -> Int {
        try database.withLock { db in try db.run("DELETE FROM events WHERE time < ?", [time]) }
    }

    public func deleteOld(alertsBefore: Int64, securityLogBefore: Int64) throws -> Int {
        try database.withLock { db in
            try db.transaction {
                try db.run("DELETE FROM alerts WHERE status = 'resolved' AND last_time < ?", [alertsBefore])
                    + db.run("DELETE FROM security_log WHERE time < ?", [securityLogBefore])
            }
        }
    }
}
