import Foundation
import Synchronization
import VigilCore

/// `EventStore` on PostgreSQL, for fleets: any number of stateless server nodes share one database.
///
/// Events are partitioned by day (range partitions on `time`, created on demand under an advisory lock so
/// two nodes never race), batches are loaded with `COPY` into a staging table and moved with
/// `INSERT … ON CONFLICT DO NOTHING`, which discards an event a host already sent.
public final class PostgresEventStore: EventStore {
    /// The schema, one migration per change, applied under an advisory lock so concurrent nodes agree.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "hosts and events (partitioned by day)",
            sql: """
                CREATE TABLE hosts (
                    id BIGSERIAL PRIMARY KEY,
                    uid TEXT NOT NULL UNIQUE,
                    hostname TEXT NOT NULL,
                    os TEXT,
                    first_seen BIGINT NOT NULL,
                    last_seen BIGINT NOT NULL
                );
                CREATE TABLE events (
                    id BIGSERIAL,
                    host_id BIGINT NOT NULL REFERENCES hosts(id),
                    uid TEXT NOT NULL,
                    time BIGINT NOT NULL,
                    received BIGINT NOT NULL,
                    class_uid INTEGER NOT NULL,
                    activity_id INTEGER NOT NULL,
                    severity_id INTEGER NOT NULL,
                    user_name TEXT,
                    process_path TEXT,
                    cmd_line TEXT,
                    json TEXT NOT NULL,
                    PRIMARY KEY (time, id),
                    UNIQUE (host_id, uid, time)
                ) PARTITION BY RANGE (time);
                CREATE INDEX events_time ON events (time DESC);
                CREATE INDEX events_class_time ON events (class_uid, time DESC);
                """),
        Migration(version: 2, name: "agents, enrollment, alerts, ledger, security log", sql: serverSchema),
        ServerSchema.people(.postgres),
        dashboardMigration,
        ServerSchema.policies(.postgres),
    ]

    /// Lock key for schema migrations (any constant; shared by every node).
    static let migrationLock: Int64 = 0x5649_4749_4c00_0001
    static let dayMilliseconds: Int64 = 86_400_000

    let connection: Mutex<PostgresConnection>
    /// A second connection for lookups on the request path (agent credentials), beside write transactions.
    let reader: Mutex<PostgresConnection>
    /// The conninfo, for the job lock's own connection.
    public let conninfo: String

    /// Connects and brings the schema up to date.
    /// - Throws: `StoreError` for connection failures and for a database migrated by a newer Vigil.
    public init(conninfo: String) throws {
        let connection = try PostgresConnection(conninfo)
        try Self.migrate(connection)
        self.conninfo = conninfo
        reader = Mutex(try PostgresConnection(conninfo))
        self.connection = Mutex(connection)
    }

    static func migrate(_ db: PostgresConnection) throws {
        try db.transaction {
            try db.query("SELECT pg_advisory_xact_lock($1)", [String(migrationLock)])
            try db.execute("CREATE TABLE IF NOT EXISTS vigil_schema (version INTEGER NOT NULL)")
            let current =
                Int(try db.query("SELECT max(version) FROM vigil_schema").first?.first.flatMap { $0 } ?? "0") ?? 0
            guard current <= migrations.count else {
                throw StoreError(
                    code: "store.newer-schema",
                    message:
                        "the PostgreSQL database at \(db.target) has schema version \(current), newer than this vigil knows (\(migrations.count)); upgrade vigil — nothing was changed"
                )
            }
            for migration in migrations where migration.version > current {
                do {
                    try db.execute(migration.sql)
                } catch let error as StoreError {
                    throw StoreError(
                        code: error.code,
                        message: "migration \(migration.version) (\(migration.name)): \(error.message)")
                }
                try db.query("INSERT INTO vigil_schema (version) VALUES ($1)", [String(migration.version)])
            }
        }
    }

    public func insert(_ events: [Event], host: Device, receivedAt: Int64) throws -> InsertResult {
        let encoder = JSON.encoder()
        let rows: [[String?]] = try events.map { event in
            let columns = EventColumns(event)
            return [
                event.id, String(event.time), String(receivedAt), String(event.classUID.rawValue),
                String(event.activityID), String(event.severityID.rawValue), columns.userName,
                columns.processPath, columns.commandLine,
                String(decoding: try encoder.encode(event), as: UTF8.self),
            ]
        }
        let days = Set(events.map { Self.dayStart($0.time) })
        return try connection.withLock { db in
            try db.transaction {
                let hostUID = host.uid ?? host.hostname
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
                if events.isEmpty { return InsertResult(inserted: 0, duplicates: 0) }
                for day in days.sorted() { try Self.ensurePartition(db, dayStart: day) }
                try db.execute(
                    """
                    CREATE TEMP TABLE IF NOT EXISTS events_staging (
                        uid TEXT, time BIGINT, received BIGINT, class_uid INTEGER, activity_id INTEGER,
                        severity_id INTEGER, user_name TEXT, process_path TEXT, cmd_line TEXT, json TEXT
                    ) ON COMMIT DELETE ROWS
                    """)
                try db.copy(
                    into: "events_staging",
                    columns: [
                        "uid", "time", "received", "class_uid", "activity_id", "severity_id", "user_name",
                        "process_path", "cmd_line", "json",
                    ], rows: rows)
                let inserted = try db.run(
                    """
                    INSERT INTO events (host_id, uid, time, received, class_uid, activity_id, severity_id, user_name,
                        process_path, cmd_line, json)
                    SELECT DISTINCT ON (uid, time) $1::bigint, uid, time, received, class_uid, activity_id,
                        severity_id, user_name, process_path, cmd_line, json
                    FROM events_staging
                    ON CONFLICT (host_id, uid, time) DO NOTHING
                    """, [hostID])
                return InsertResult(inserted: inserted, duplicates: events.count - inserted)
            }
        }
    }

    /// Creates the day's partition if missing; an advisory lock per day serialises nodes.
    static func ensurePartition(_ db: PostgresConnection, dayStart: Int64) throws {
        let name = "events_d\(dayStart / dayMilliseconds)"
        let exists = try db.query("SELECT to_regclass($1) IS NOT NULL", [name]).first?.first.flatMap { $0 }
        if exists == "t" { return }
        try db.query("SELECT pg_advisory_xact_lock($1)", [String(migrationLock + 1 + dayStart / dayMilliseconds)])
        try db.execute(
            "CREATE TABLE IF NOT EXISTS \(name) PARTITION OF events FOR VALUES FROM (\(dayStart)) TO (\(dayStart + dayMilliseconds))"
        )
    }

    static func dayStart(_ time: Int64) -> Int64 {
        let day = time >= 0 ? time / dayMilliseconds : (time - dayMilliseconds + 1) / dayMilliseconds
        return day * dayMilliseconds
    }

    public func recentEvents(classUID: EventClass?, limit: Int) throws -> [StoredEvent] {
        let decoder = JSON.decoder()
        let rows = try connection.withLock { db in
            if let classUID {
                return try db.query(
                    """
                    SELECT events.id, hosts.hostname, events.json FROM events JOIN hosts ON hosts.id = events.host_id
                    WHERE events.class_uid = $1 ORDER BY events.time DESC, events.id DESC LIMIT $2
                    """, [String(classUID.rawValue), String(max(0, limit))])
            }
            return try db.query(
                """
                SELECT events.id, hosts.hostname, events.json FROM events JOIN hosts ON hosts.id = events.host_id
                ORDER BY events.time DESC, events.id DESC LIMIT $1
                """, [String(max(0, limit))])
        }
        return try rows.map { row in
            StoredEvent(
                rowID: Int64(row[0] ?? "") ?? 0, hostname: row[1] ?? "",
                event: try decoder.decode(Event.self, from: Data((row[2] ?? "").utf8)))
        }
    }

    public func eventCount() throws -> Int {
        try connection.withLock { db in
            Int(try db.query("SELECT count(*) FROM events").first?.first.flatMap { $0 } ?? "0") ?? 0
        }
    }

    public func withSQL<T: Sendable>(_ body: (any SQLExecutor) throws -> T) throws -> T {
        try connection.withLock { db in try body(PostgresExecutor(connection: db)) }
    }
}
