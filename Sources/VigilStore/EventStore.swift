import Foundation
import Synchronization
import VigilCore

/// An event as stored: the event and the host it came from.
public struct StoredEvent: Sendable {
    public var rowID: Int64
    public var hostname: String
    public var event: Event
}

/// What one batch insert did.
public struct InsertResult: Sendable, Equatable, Codable {
    public var inserted: Int
    public var duplicates: Int

    public init(inserted: Int, duplicates: Int) {
        self.inserted = inserted
        self.duplicates = duplicates
    }
}

/// The store the server writes events to and the dashboard reads from.
public protocol EventStore: Sendable {
    /// Stores a batch from one host in one transaction, discarding events whose id the host already sent.
    func insert(_ events: [Event], host: Device, receivedAt: Int64) throws -> InsertResult
    /// The newest events, optionally of one class, newest first.
    func recentEvents(classUID: EventClass?, limit: Int) throws -> [StoredEvent]
    /// Number of stored events.
    func eventCount() throws -> Int
    /// Runs `body` with the store's connection held (the server's other tables live in the same database).
    func withSQL<T: Sendable>(_ body: (any SQLExecutor) throws -> T) throws -> T
}

/// `EventStore` on SQLite: one connection behind a lock (SQLite allows one writer at a time anyway).
public final class SQLiteEventStore: EventStore {
    /// The schema, one migration per change; never edit a released migration, add one.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "hosts and events",
            sql: """
                CREATE TABLE hosts (
                    id INTEGER PRIMARY KEY,
                    uid TEXT NOT NULL UNIQUE,
                    hostname TEXT NOT NULL,
                    os TEXT,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL
                );
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES hosts(id),
                    uid TEXT NOT NULL,
                    time INTEGER NOT NULL,
                    received INTEGER NOT NULL,
                    class_uid INTEGER NOT NULL,
                    activity_id INTEGER NOT NULL,
                    severity_id INTEGER NOT NULL,
                    user_name TEXT,
                    process_path TEXT,
                    cmd_line TEXT,
                    json TEXT NOT NULL,
                    UNIQUE (host_id, uid)
                );
                CREATE INDEX events_time ON events (time DESC);
                CREATE INDEX events_class_time ON events (class_uid, time DESC);
                """),
        Migration(version: 2, name: "agents, enrollment, alerts, ledger, security log", sql: serverSchema),
        ServerSchema.people(.sqlite),
        dashboardMigration,
        ServerSchema.policies(.sqlite),
    ]

    let database: Mutex<SQLiteDatabase>
    /// A second, read-only connection for lookups on the request path (agent credentials), so they do not
    /// wait behind a write transaction (WAL lets readers run beside the writer). Nil in memory.
    let reader: Mutex<SQLiteDatabase?>

    /// Opens or creates the store at `path` and brings its schema up to date.
    public init(path: String) throws {
        let db = try SQLiteDatabase(path: path)
        try db.migrate(Self.migrations, what: "event store")
        // The server's writer touches index pages all over a large file: a 64 MiB page cache keeps most of them
        // out of read(2) (with the default 2 MiB cache, page reads showed up high in ingest profiles).
        try db.execute("PRAGMA cache_size = -65536")
        database = Mutex(db)
        reader = Mutex(try SQLiteDatabase(path: path, readOnly: true))
    }

    /// Wraps an already-open database (tests use `SQLiteDatabase.inMemory()`).
    public init(database db: sending SQLiteDatabase) throws {
        try db.migrate(Self.migrations, what: "event store")
        database = Mutex(db)
        reader = Mutex(nil)
    }

    public func insert(_ events: [Event], host: Device, receivedAt: Int64) throws -> InsertResult {
        let encoder = JSON.encoder()
        let rows = try events.map { event in (event, String(decoding: try encoder.encode(event), as: UTF8.self)) }
        return try database.withLock { db in
            try db.transaction {
                let hostUID = host.uid ?? host.hostname
                try db.run(
                    """
                    INSERT INTO hosts (uid, hostname, os, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (uid) DO UPDATE SET hostname = excluded.hostname, os = excluded.os,
                        last_seen = excluded.last_seen
                    """, [hostUID, host.hostname, host.os, receivedAt, receivedAt])
                guard let hostID = try db.scalar("SELECT id FROM hosts WHERE uid = ?", [hostUID])?.int64 else {
                    throw StoreError(code: "store.host", message: "the host row vanished inside its own transaction")
                }
                let statement = try db.prepare(
                    """
                    INSERT OR IGNORE INTO events (host_id, uid, time, received, class_uid, activity_id, severity_id,
                        user_name, process_path, cmd_line, json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                var inserted = 0
                for (event, json) in rows {
                    let columns = EventColumns(event)
                    try statement.run([
                        hostID, event.id, event.time, receivedAt, event.classUID.rawValue, event.activityID,
                        event.severityID.rawValue, columns.userName, columns.processPath, columns.commandLine, json,
                    ])
                    inserted += db.changes
                }
                return InsertResult(inserted: inserted, duplicates: rows.count - inserted)
            }
        }
    }

    public func recentEvents(classUID: EventClass?, limit: Int) throws -> [StoredEvent] {
        let decoder = JSON.decoder()
        return try database.withLock { db in
            let sql = """
                SELECT events.id, hosts.hostname, events.json FROM events JOIN hosts ON hosts.id = events.host_id
                \(classUID == nil ? "" : "WHERE events.class_uid = ?")
                ORDER BY events.time DESC, events.id DESC LIMIT ?
                """
            let statement = try db.prepare(sql)
            var bindings: [any SQLiteBindable] = []
            if let classUID { bindings.append(classUID.rawValue) }
            bindings.append(max(0, limit))
            try statement.bind(bindings)
            var out: [StoredEvent] = []
            while try statement.step() {
                guard let json = statement.string(at: 2) else { continue }
                let event = try decoder.decode(Event.self, from: Data(json.utf8))
                out.append(
                    StoredEvent(rowID: statement.int64(at: 0), hostname: statement.string(at: 1) ?? "", event: event))
            }
            return out
        }
    }

    public func eventCount() throws -> Int {
        try database.withLock { db in Int(try db.scalar("SELECT count(*) FROM events")?.int64 ?? 0) }
    }

    public func withSQL<T: Sendable>(_ body: (any SQLExecutor) throws -> T) throws -> T {
        try database.withLock { db in try body(SQLiteExecutor(database: db)) }
    }
}
