import Foundation
import VigilCore

extension PostgresEventStore: ServerStore {
    /// Schema version 2: the same tables and columns as SQLite's (`SQLiteEventStore.serverSchema`). Hashes are
    /// `bytea`; ledger entries and notes are text (they are UTF-8 JSON and note text).
    static let serverSchema = """
        CREATE TABLE enrollment_tokens (
            id TEXT PRIMARY KEY,
            sha256 BYTEA NOT NULL UNIQUE,
            uses_left INTEGER NOT NULL,
            expires_at BIGINT,
            created_at BIGINT NOT NULL
        );
        CREATE TABLE agents (
            id TEXT PRIMARY KEY,
            host_uid TEXT NOT NULL,
            hostname TEXT NOT NULL,
            secret_sha256 BYTEA NOT NULL,
            enrolled_at BIGINT NOT NULL,
            revoked_at BIGINT,
            last_seen BIGINT
        );
        CREATE INDEX agents_host ON agents (host_uid);
        CREATE TABLE alerts (
            id BIGSERIAL PRIMARY KEY,
            rule_id TEXT NOT NULL,
            rule_title TEXT NOT NULL,
            level TEXT NOT NULL,
            host_uid TEXT NOT NULL,
            event_uids TEXT NOT NULL,
            last_event_uids TEXT NOT NULL,
            time BIGINT NOT NULL,
            last_time BIGINT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
            fields TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            repeat_count INTEGER NOT NULL DEFAULT 1
        );
        CREATE UNIQUE INDEX alerts_open_dedup ON alerts (dedup_key) WHERE status <> 'resolved';
        CREATE INDEX alerts_time ON alerts (time DESC);
        CREATE TABLE ledger_outbox (
            id BIGSERIAL PRIMARY KEY,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            entry TEXT NOT NULL
        );
        CREATE TABLE ledger_entries (
            idx BIGINT PRIMARY KEY,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            entry TEXT NOT NULL
        );
        CREATE INDEX ledger_entries_ref ON ledger_entries (kind, ref);
        CREATE TABLE ledger_nodes (
            first_position BIGINT PRIMARY KEY,
            hashes BYTEA NOT NULL
        );
        CREATE TABLE ledger_checkpoints (
            size BIGINT PRIMARY KEY,
            note TEXT NOT NULL,
            signed_at BIGINT NOT NULL
        );
        CREATE TABLE security_log (
            id BIGSERIAL PRIMARY KEY,
            time BIGINT NOT NULL,
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

    /// Advisory transaction lock taken by every ledger append, so two nodes never append at once.
    static let ledgerLock: Int64 = 0x5649_4749_4c00_0100

    /// `\\x` and lower-case hex: PostgreSQL's text form of `bytea` (a table, not `String(format:)`, which costs
    /// microseconds a byte and dominated the ledger drain).
    static func bytea(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + bytes.count * 2)
        out[0] = UInt8(ascii: "\\")
        out[1] = UInt8(ascii: "x")
        for (i, byte) in bytes.enumerated() {
            out[2 + 2 * i] = digits[Int(byte >> 4)]
            out[3 + 2 * i] = digits[Int(byte & 0x0f)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(_ text: String?) -> [UInt8] {
        guard let text, text.hasPrefix("\\x") else { return [] }
        let hex = Array(text.utf8.dropFirst(2))
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        func nibble(_ c: UInt8) -> UInt8 {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: 0
            }
        }
        var i = 0
        while i + 1 < hex.count {
            out.append(nibble(hex[i]) << 4 | nibble(hex[i + 1]))
            i += 2
        }
        return out
    }

    static func int64(_ text: String??) -> Int64? { (text ?? nil).flatMap { Int64($0) } }

    // MARK: Enrollment and agents

    public func addEnrollmentToken(id: String, sha256: [UInt8], uses: Int, expiresAt: Int64?, createdAt: Int64) throws {
        _ = try connection.withLock { db in
            try db.query(
                "INSERT INTO enrollment_tokens (id, sha256, uses_left, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
                [id, Self.bytea(sha256), String(uses), expiresAt.map { String($0) }, String(createdAt)])
        }
    }

    public func enroll(tokenSHA256: [UInt8], agent: AgentRecord, now: Int64) throws -> EnrollmentRefusal? {
        try connection.withLock { db in
            try db.transaction {
                guard
                    let row = try db.query(
                        "SELECT uses_left, expires_at FROM enrollment_tokens WHERE sha256 = $1 FOR UPDATE",
                        [Self.bytea(tokenSHA256)]
                    ).first
                else { return .unknown }
                if let expires = Self.int64(row[1]), expires <= now { return .expired }
                guard (Self.int64(row[0]) ?? 0) > 0 else { return .used }
                try db.query(
                    "UPDATE enrollment_tokens SET uses_left = uses_left - 1 WHERE sha256 = $1",
                    [Self.bytea(tokenSHA256)])
                try db.query(
                    "INSERT INTO agents (id, host_uid, hostname, secret_sha256, enrolled_at) VALUES ($1, $2, $3, $4, $5)",
                    [
                        agent.id, agent.hostUID, agent.hostname, Self.bytea(agent.secretSHA256),
                        String(agent.enrolledAt),
                    ])
                return nil
            }
        }
    }

    static let agentColumns = "id, host_uid, hostname, secret_sha256, enrolled_at, revoked_at, last_seen"

    static func agentRecord(_ row: [String?]) -> AgentRecord {
        AgentRecord(
            id: row[0] ?? "", hostUID: row[1] ?? "", hostname: row[2] ?? "", secretSHA256: bytes(row[3]),
            enrolledAt: int64(row[4]) ?? 0, revokedAt: int64(row[5]), lastSeen: int64(row[6]))
    }

    public func agent(id: String) throws -> AgentRecord? {
        try reader.withLock { db in
            try db.query("SELECT \(Self.agentColumns) FROM agents WHERE id = $1", [id]).first.map(Self.agentRecord)
        }
    }

    public func agents() throws -> [AgentRecord] {
        try connection.withLock { db in
            try db.query("SELECT \(Self.agentColumns) FROM agents ORDER BY enrolled_at, id").map(Self.agentRecord)
        }
    }

    public func revokeAgent(id: String, at time: Int64) throws -> Bool {
        try connection.withLock { db in
            try db.run("UPDATE agents SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2", [String(time), id]) > 0
        }
    }

    // MARK: Ingest

    public func ingest(_ batches: [IngestBatch]) throws -> [InsertResult] {
        try connection.withLock { db in
            try db.transaction { try batches.map { try Self.ingest($0, into: db) } }
        }
    }

    static func ingest(_ batch: IngestBatch, into db: PostgresConnection) throws -> InsertResult {
        let (events, json, host, receivedAt) = (batch.events, batch.json, batch.host, batch.receivedAt)
        let hostUID = EventColumns.hostUID(host)
        let rows: [[String?]] = events.enumerated().map { index, event in
            let columns = EventColumns(event)
            return [
                String(index), event.id, String(event.time), String(receivedAt), String(event.classUID.rawValue),
                String(event.activityID), String(event.severityID.rawValue), columns.userName,
                columns.processPath, columns.commandLine, json[index],
            ]
        }
        let days = Set(events.map { Self.dayStart($0.time) })
        guard
            let hostID = try db.query(
                """
                INSERT INTO hosts (uid, hostname, os, first_seen, last_seen) VALUES ($1, $2, $3, $4, $4)
                ON CONFLICT (uid) DO UPDATE SET hostname = excluded.hostname, os = excluded.os,
                    last_seen = excluded.last_seen
                RETURNING id
                """, [hostUID, host.hostname, host.os, String(receivedAt)]
            ).first?.first.flatMap({ $0 })
        else {
            throw StoreError(code: "store.host", message: "the host upsert returned no id")
        }
        var inserted: [Int] = []
        if !events.isEmpty {
            for day in days.sorted() { try Self.ensurePartition(db, dayStart: day) }
            try db.execute(
                """
                CREATE TEMP TABLE IF NOT EXISTS ingest_staging (
                    ord INTEGER, uid TEXT, time BIGINT, received BIGINT, class_uid INTEGER,
                    activity_id INTEGER, severity_id INTEGER, user_name TEXT, process_path TEXT,
                    cmd_line TEXT, json TEXT
                ) ON COMMIT DELETE ROWS
                """)
            // Several batches share a transaction: start each from an empty staging table.
            try db.execute("DELETE FROM ingest_staging")
            try db.copy(
                into: "ingest_staging",
                columns: [
                    "ord", "uid", "time", "received", "class_uid", "activity_id", "severity_id", "user_name",
                    "process_path", "cmd_line", "json",
                ], rows: rows)
            // New events go into `events` and, in the same statement, into the ledger outbox; the
            // statement returns their batch positions for detection.
            let returned = try db.query(
                """
                WITH fresh AS (
                    INSERT INTO events (host_id, uid, time, received, class_uid, activity_id, severity_id,
                        user_name, process_path, cmd_line, json)
                    SELECT DISTINCT ON (uid, time) $1::bigint, uid, time, received, class_uid, activity_id,
                        severity_id, user_name, process_path, cmd_line, json
                    FROM ingest_staging ORDER BY uid, time, ord
                    ON CONFLICT (host_id, uid, time) DO NOTHING
                    RETURNING uid, time
                ), queued AS (
                    INSERT INTO ledger_outbox (kind, ref, entry)
                    SELECT 'event', $2 || '/' || s.uid, s.json
                    FROM fresh JOIN ingest_staging s ON s.uid = fresh.uid AND s.time = fresh.time
                    ORDER BY s.ord
                    RETURNING 1
                )
                SELECT min(s.ord) FROM fresh JOIN ingest_staging s ON s.uid = fresh.uid AND s.time = fresh.time
                GROUP BY fresh.uid, fresh.time
                """, [hostID, hostUID])
            inserted = returned.compactMap { $0.first.flatMap { $0 }.flatMap { Int($0) } }.sorted()
        }
        let detected = batch.detect(inserted)
        precondition(detected.alerts.count == detected.alertEntries.count, "one ledger entry per alert")
        if !detected.alerts.isEmpty { try Self.upsertAlerts(db, detected.alerts, entries: detected.alertEntries) }
        return InsertResult(inserted: inserted.count, duplicates: events.count - inserted.count)
    }

    /// All of a batch's alerts in one statement: repeats of one key within the batch are merged first (one
    /// row may be updated once per statement), then upserted, and every detection's entry queued for the ledger.
    static func upsertAlerts(_ db: PostgresConnection, _ alerts: [AlertDraft], entries: [[UInt8]]) throws {
        var order: [String] = []
        var merged: [String: (draft: AlertDraft, count: Int, last: Int64)] = [:]
        for alert in alerts {
            if let existing = merged[alert.dedupKey] {
                merged[alert.dedupKey] = (existing.draft, existing.count + 1, max(existing.last, alert.time))
            } else {
                order.append(alert.dedupKey)
                merged[alert.dedupKey] = (alert, 1, alert.time)
            }
        }
        let rows = order.compactMap { merged[$0] }
        try db.query(
            """
            WITH input AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                    $7::bigint[], $8::text[], $9::text[], $10::int[])
                    AS t(rule_id, rule_title, level, host_uid, uids, time, last_time, fields, dedup_key, n)
            ), upserted AS (
                INSERT INTO alerts (rule_id, rule_title, level, host_uid, event_uids, last_event_uids, time, last_time,
                    fields, dedup_key, repeat_count)
                SELECT rule_id, rule_title, level, host_uid, uids, uids, time, last_time, fields, dedup_key, n
                FROM input
                ON CONFLICT (dedup_key) WHERE status <> 'resolved' DO UPDATE SET
                    repeat_count = alerts.repeat_count + excluded.repeat_count,
                    last_time = greatest(alerts.last_time, excluded.last_time),
                    last_event_uids = excluded.last_event_uids
                RETURNING id, dedup_key
            )
            INSERT INTO ledger_outbox (kind, ref, entry)
            SELECT 'alert', upserted.id::text, e.entry
            FROM unnest($12::text[], $11::text[]) WITH ORDINALITY AS e(dedup_key, entry, ord)
            JOIN upserted ON upserted.dedup_key = e.dedup_key
            ORDER BY e.ord
            """,
            [
                pgArray(rows.map(\.draft.ruleID)), pgArray(rows.map(\.draft.ruleTitle)),
                pgArray(rows.map(\.draft.level)),
                pgArray(rows.map(\.draft.hostUID)), pgArray(try rows.map { try JSON.line($0.draft.eventUIDs) }),
                pgArray(rows.map { String($0.draft.time) }), pgArray(rows.map { String($0.last) }),
                pgArray(try rows.map { try JSON.line($0.draft.fields) }), pgArray(rows.map(\.draft.dedupKey)),
                pgArray(rows.map { String($0.count) }),
                pgArray(entries.map { String(decoding: $0, as: UTF8.self) }), pgArray(alerts.map(\.dedupKey)),
            ])
    }

    /// A PostgreSQL array literal of text values (each quoted, `"` and `\\` escaped).
    static func pgArray(_ values: [String]) -> String {
        var out = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { out += "," }
            out += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { out += "\\" }
                out.unicodeScalars.append(character)
            }
            out += "\""
        }
        return out + "}"
    }

    public func alerts(limit: Int) throws -> [AlertRecord] {
        let decoder = JSON.decoder()
        let rows = try connection.withLock { db in
            try db.query(
                """
                SELECT id, rule_id, rule_title, level, host_uid, event_uids, time, fields, dedup_key, status,
                    repeat_count, last_time
                FROM alerts ORDER BY last_time DESC, id DESC LIMIT $1
                """, [String(max(0, limit))])
        }
        return try rows.map { row in
            AlertRecord(
                id: Self.int64(row[0]) ?? 0,
                draft: AlertDraft(
                    ruleID: row[1] ?? "", ruleTitle: row[2] ?? "", level: row[3] ?? "", hostUID: row[4] ?? "",
                    eventUIDs: try decoder.decode([String].self, from: Data((row[5] ?? "[]").utf8)),
                    time: Self.int64(row[6]) ?? 0,
                    fields: try decoder.decode([String: String].self, from: Data((row[7] ?? "{}").utf8)),
                    dedupKey: row[8] ?? ""),
                status: row[9] ?? "", repeatCount: Int(Self.int64(row[10]) ?? 0), lastTime: Self.int64(row[11]) ?? 0)
        }
    }

    // MARK: Ledger

    public func enqueueLedger(_ items: [LedgerItem]) throws {
        try connection.withLock { db in
            try db.transaction {
                try db.copy(
                    into: "ledger_outbox", columns: ["kind", "ref", "entry"],
                    rows: items.map { [$0.kind, $0.ref, String(decoding: $0.entry, as: UTF8.self)] })
            }
        }
    }

    public func ledgerOutbox(limit: Int) throws -> [(id: Int64, item: LedgerItem)] {
        try connection.withLock { db in
            try db.query("SELECT id, kind, ref, entry FROM ledger_outbox ORDER BY id LIMIT $1", [String(max(0, limit))])
                .map { row in
                    (
                        id: Self.int64(row[0]) ?? 0,
                        item: LedgerItem(kind: row[1] ?? "", ref: row[2] ?? "", entry: Array((row[3] ?? "").utf8))
                    )
                }
        }
    }

    public func ledgerOutboxCount() throws -> Int {
        try connection.withLock { db in
            Int(Self.int64(try db.query("SELECT count(*) FROM ledger_outbox").first?.first) ?? 0)
        }
    }

    public func ledgerSize() throws -> UInt64 {
        try connection.withLock { db in try Self.ledgerSize(db) }
    }

    static func ledgerSize(_ db: PostgresConnection) throws -> UInt64 {
        UInt64(Self.int64(try db.query("SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries").first?.first) ?? 0)
    }

    public func ledgerAppend(
        firstIndex: UInt64, items: [LedgerItem], firstPosition: UInt64, nodes: [UInt8], outboxIDs: [Int64]
    ) throws {
        try connection.withLock { db in
            try db.transaction {
                try db.query("SELECT pg_advisory_xact_lock($1)", [String(Self.ledgerLock)])
                let size = try Self.ledgerSize(db)
                guard size == firstIndex else {
                    throw SQLiteEventStore.ledgerMoved(size: size, expected: firstIndex)
                }
                try db.copy(
                    into: "ledger_entries", columns: ["idx", "kind", "ref", "entry"],
                    rows: items.enumerated().map { offset, item in
                        [
                            String(firstIndex + UInt64(offset)), item.kind, item.ref,
                            String(decoding: item.entry, as: UTF8.self),
                        ]
                    })
                if !nodes.isEmpty {
                    try db.query(
                        "INSERT INTO ledger_nodes (first_position, hashes) VALUES ($1, $2::bytea)",
                        [String(firstPosition), Self.bytea(nodes)])
                }
                if !outboxIDs.isEmpty {
                    // Every row appended must still be in the outbox: if another node archived some of them
                    // already, appending them again would archive them twice — roll back and reload instead.
                    let deleted = try db.query(
                        "WITH d AS (DELETE FROM ledger_outbox WHERE id = ANY($1::bigint[]) RETURNING 1) "
                            + "SELECT count(*) FROM d",
                        ["{" + outboxIDs.map(String.init).joined(separator: ",") + "}"])
                    let count = Self.int64(deleted.first?.first) ?? 0
                    guard count == Int64(outboxIDs.count) else {
                        throw SQLiteEventStore.ledgerMoved(size: size, expected: firstIndex)
                    }
                }
            }
        }
    }

    public func ledgerNodes(_ positions: [UInt64]) throws -> [[UInt8]] {
        try connection.withLock { db in
            try positions.map { position in
                guard
                    let row = try db.query(
                        "SELECT first_position, hashes FROM ledger_nodes WHERE first_position <= $1 "
                            + "ORDER BY first_position DESC LIMIT 1", [String(position)]
                    ).first, let first = Self.int64(row[0])
                else { throw SQLiteEventStore.nodeMissing(position) }
                let hashes = Self.bytes(row[1])
                let offset = Int(position - UInt64(first)) * 32
                guard offset + 32 <= hashes.count else { throw SQLiteEventStore.nodeMissing(position) }
                return Array(hashes[offset..<offset + 32])
            }
        }
    }

    public func ledgerEntry(_ index: UInt64) throws -> LedgerItem? {
        try connection.withLock { db in
            try db.query("SELECT kind, ref, entry FROM ledger_entries WHERE idx = $1", [String(index)]).first.map {
                LedgerItem(kind: $0[0] ?? "", ref: $0[1] ?? "", entry: Array(($0[2] ?? "").utf8))
            }
        }
    }

    public func ledgerIndex(kind: String, ref: String) throws -> UInt64? {
        try connection.withLock { db in
            Self.int64(
                try db.query("SELECT min(idx) FROM ledger_entries WHERE kind = $1 AND ref = $2", [kind, ref]).first?
                    .first
            ).map { UInt64($0) }
        }
    }

    public func ledgerCheckpoints() throws -> [(size: UInt64, note: [UInt8])] {
        try connection.withLock { db in
            try db.query("SELECT size, note FROM ledger_checkpoints ORDER BY size").map {
                (size: UInt64(Self.int64($0[0]) ?? 0), note: Array(($0[1] ?? "").utf8))
            }
        }
    }

    public func addLedgerCheckpoint(size: UInt64, note: [UInt8], at time: Int64) throws {
        _ = try connection.withLock { db in
            try db.query(
                """
                INSERT INTO ledger_checkpoints (size, note, signed_at) VALUES ($1, $2, $3)
                ON CONFLICT (size) DO UPDATE SET note = excluded.note, signed_at = excluded.signed_at
                """, [String(size), String(decoding: note, as: UTF8.self), String(time)])
        }
    }

    // MARK: Security log, secrets, retention

    public func logSecurity(_ record: SecurityRecord) throws {
        _ = try connection.withLock { db in
            try db.query(
                "INSERT INTO security_log (time, kind, agent_id, remote, detail) VALUES ($1, $2, $3, $4, $5)",
                [String(record.time), record.kind, record.agentID, record.remote, record.detail])
        }
    }

    public func securityLog(limit: Int) throws -> [SecurityRecord] {
        try connection.withLock { db in
            try db.query(
                "SELECT time, kind, agent_id, remote, detail FROM security_log ORDER BY id DESC LIMIT $1",
                [String(max(0, limit))]
            ).map {
                SecurityRecord(
                    time: Self.int64($0[0]) ?? 0, kind: $0[1] ?? "", agentID: $0[2], remote: $0[3], detail: $0[4] ?? "")
            }
        }
    }

    public func serverSecret(_ name: String, make: () throws -> String) throws -> String {
        try connection.withLock { db in
            if let value = try db.query("SELECT value FROM server_secrets WHERE name = $1", [name]).first?.first,
                let value
            {
                return value
            }
            try db.query(
                "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                [name, try make()])
            guard let value = try db.query("SELECT value FROM server_secrets WHERE name = $1", [name]).first?.first,
                let value
            else {
                throw StoreError(code: "store.secret", message: "the server secret \(name) vanished after its insert")
            }
            return value
        }
    }

    /// Drops the day partitions wholly before `time`, then deletes older rows from the one it falls in.
    public func deleteEvents(before time: Int64) throws -> Int {
        try connection.withLock { db in
            try db.transaction {
                var deleted = 0
                let partitions = try db.query(
                    """
                    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = 'events'::regclass
                    """)
                for case let name? in partitions.compactMap({ $0.first }) {
                    guard name.hasPrefix("events_d"), let day = Int64(name.dropFirst("events_d".count)),
                        (day + 1) * Self.dayMilliseconds <= time
                    else { continue }
                    deleted += Int(Self.int64(try db.query("SELECT count(*) FROM \(name)").first?.first) ?? 0)
                    try db.execute("DROP TABLE \(name)")
                }
                return deleted + (try db.run("DELETE FROM events WHERE time < $1", [String(time)]))
            }
        }
    }

    public func deleteOld(alertsBefore: Int64, securityLogBefore: Int64) throws -> Int {
        try connection.withLock { db in
            try db.transaction {
                try db.run(
                    "DELETE FROM alerts WHERE status = 'resolved' AND last_time < $1", [String(alertsBefore)])
                    + db.run("DELETE FROM security_log WHERE time < $1", [String(securityLogBefore)])
            }
        }
    }
}
