import Foundation
import VigilCore

/// Where an events page starts: just after this event in the search's order (keyset paging: newest first,
/// equal times in row order).
public struct EventCursor: Sendable, Hashable {
    public var time: Int64
    public var rowID: Int64

    public init(time: Int64, rowID: Int64) {
        self.time = time
        self.rowID = rowID
    }

    /// The cursor as it travels in a URL: `<time>.<row id>`.
    public var text: String { "\(time).\(rowID)" }

    /// Parses `<time>.<row id>`; nil for anything else.
    public init?(text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let time = Int64(parts[0]), let rowID = Int64(parts[1]), rowID >= 0 else { return nil }
        self.init(time: time, rowID: rowID)
    }
}

/// A search over the stored events. Every set field narrows the result; unset fields do not filter.
public struct EventQuery: Sendable, Hashable {
    /// The host's row id (`hosts.id`).
    public var hostID: Int64?
    /// The user name, exactly (the indexed `user_name` column).
    public var user: String?
    /// Part of the executable's path, any case.
    public var process: String?
    /// Only these classes (empty: all).
    public var classes: [EventClass]
    /// Part of the command line, executable, user name or anywhere in the event's JSON, any case.
    public var text: String?
    /// Inclusive lower bound on event time, milliseconds.
    public var from: Int64?
    /// Exclusive upper bound on event time, milliseconds.
    public var until: Int64?
    /// Start after this event (the previous page's last).
    public var before: EventCursor?
    /// Most events returned (1…1000).
    public var limit: Int

    public init(
        hostID: Int64? = nil, user: String? = nil, process: String? = nil, classes: [EventClass] = [],
        text: String? = nil, from: Int64? = nil, until: Int64? = nil, before: EventCursor? = nil, limit: Int = 100
    ) {
        self.hostID = hostID
        self.user = user
        self.process = process
        self.classes = classes
        self.text = text
        self.from = from
        self.until = until
        self.before = before
        self.limit = limit
    }
}

/// An event found by a search, with the host's row id (for links) and name.
public struct FoundEvent: Sendable {
    public var rowID: Int64
    public var hostID: Int64
    public var hostname: String
    public var event: Event

    public init(rowID: Int64, hostID: Int64, hostname: String, event: Event) {
        self.rowID = rowID
        self.hostID = hostID
        self.hostname = hostname
        self.event = event
    }
}

/// One page of a search: the events, newest first (equal times in the order stored), and where the next
/// (older) page starts.
public struct EventPage: Sendable {
    public var events: [FoundEvent]
    /// Set when more events match beyond this page.
    public var next: EventCursor?
}

/// A host as the store knows it.
public struct HostRecord: Sendable, Hashable {
    public var id: Int64
    public var uid: String
    public var hostname: String
    public var os: String?
    public var firstSeen: Int64
    public var lastSeen: Int64
}

/// Event counts over a time window: by class, by host and by severity per time bucket.
public struct EventStatistics: Sendable, Equatable {
    public var from: Int64
    public var bucketMilliseconds: Int64
    /// `bySeverity[bucket][severity_id]`: events per bucket (oldest first) and severity (0…6).
    public var bySeverity: [[Int]]
    public var byClass: [Int: Int]
    public var byHost: [Int64: Int]

    public var total: Int { byClass.values.reduce(0, +) }
}

/// The reads the dashboard pages make, on both engines.
public protocol DashboardQueries: Sendable {
    func searchEvents(_ query: EventQuery) throws -> EventPage
    func hosts() throws -> [HostRecord]
    func host(id: Int64) throws -> HostRecord?
    /// Counts of events with `from <= time < from + buckets × bucketMilliseconds`.
    /// Only one host's when `hostID` is set.
    func eventStatistics(
        from: Int64, bucketMilliseconds: Int64, buckets: Int, hostID: Int64?
    ) throws
        -> EventStatistics
}

/// A bound value, written once for both engines.
enum QueryValue {
    case integer(Int64)
    case text(String)

    var sqlite: any SQLiteBindable {
        switch self {
        case .integer(let v): v
        case .text(let v): v
        }
    }

    var postgres: String {
        switch self {
        case .integer(let v): String(v)
        case .text(let v): v
        }
    }
}

/// Builds the dashboard's SQL once for both engines: `?` placeholders for SQLite, `$n` for PostgreSQL,
/// `LIKE` (ASCII case-insensitive in SQLite) or `ILIKE`.
struct DashboardSQL {
    let postgres: Bool
    private(set) var values: [QueryValue] = []

    init(postgres: Bool) { self.postgres = postgres }

    mutating func bind(_ value: QueryValue) -> String {
        values.append(value)
        return postgres ? "$\(values.count)" : "?"
    }

    /// `%text%` with `%`, `_` and `\` escaped, for `LIKE … ESCAPE '\'`.
    static func contains(_ text: String) -> String {
        var out = "%"
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "%"
    }

    var like: String { postgres ? "ILIKE" : "LIKE" }

    mutating func search(_ query: EventQuery) -> String {
        var conditions: [String] = []
        if let hostID = query.hostID { conditions.append("events.host_id = \(bind(.integer(hostID)))") }
        if let user = query.user { conditions.append("events.user_name = \(bind(.text(user)))") }
        if let process = query.process {
            conditions.append("events.process_path \(like) \(bind(.text(Self.contains(process)))) ESCAPE '\\'")
        }
        if !query.classes.isEmpty {
            let list = query.classes.map { bind(.integer(Int64($0.rawValue))) }.joined(separator: ", ")
            conditions.append("events.class_uid IN (\(list))")
        }
        if let text = query.text {
            let pattern = Self.contains(text)
            let columns = ["events.cmd_line", "events.process_path", "events.user_name", "events.json"]
            let any = columns.map { "\($0) \(like) \(bind(.text(pattern))) ESCAPE '\\'" }
            conditions.append("(\(any.joined(separator: " OR ")))")
        }
        if let from = query.from { conditions.append("events.time >= \(bind(.integer(from)))") }
        if let until = query.until { conditions.append("events.time < \(bind(.integer(until)))") }
        if let before = query.before {
            // The first condition alone lets the time indexes seek to the cursor; the second is exact.
            let bound = bind(.integer(before.time))
            let time = bind(.integer(before.time))
            let sameTime = bind(.integer(before.time))
            let rowID = bind(.integer(before.rowID))
            conditions.append(
                "events.time <= \(bound) AND (events.time < \(time) OR (events.time = \(sameTime) AND events.id > \(rowID)))"
            )
        }
        let limit = bind(.integer(Int64(min(1000, max(1, query.limit)) + 1)))
        // Newest first; among equal times, in row order: that is the order of SQLite's `(…, time DESC)` indexes
        // (the row id follows ascending), so no index walk needs a sort.
        return """
            SELECT events.id, events.time, events.host_id, hosts.hostname, events.json
            FROM events JOIN hosts ON hosts.id = events.host_id
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY events.time DESC, events.id ASC LIMIT \(limit)
            """
    }

    static let dayMilliseconds: Int64 = 86_400_000

    /// Whether a statistics request can be answered from `event_counts_daily`: whole UTC days, every host.
    static func usesDailyCounts(from: Int64, bucketMilliseconds: Int64, hostID: Int64?) -> Bool {
        hostID == nil && bucketMilliseconds == dayMilliseconds && from % dayMilliseconds == 0
    }

    /// Counts per bucket, severity, class and host. Whole-day buckets over every host read the daily counts
    /// the triggers keep (a few rows per host and day); anything else counts events through the covering
    /// `events_time_counts` index, or `events_host_time` for one host.
    mutating func statistics(from: Int64, bucketMilliseconds: Int64, buckets: Int, hostID: Int64?) -> String {
        if Self.usesDailyCounts(from: from, bucketMilliseconds: bucketMilliseconds, hostID: hostID) {
            let firstDay = from / Self.dayMilliseconds
            let start = bind(.integer(firstDay))
            let lower = bind(.integer(firstDay))
            let upper = bind(.integer(firstDay + Int64(buckets)))
            return """
                SELECT day - \(start), severity_id, class_uid, host_id, n
                FROM event_counts_daily WHERE day >= \(lower) AND day < \(upper) AND n > 0
                """
        }
        let start = bind(.integer(from))
        let width = bind(.integer(bucketMilliseconds))
        let host = hostID.map { "host_id = \(bind(.integer($0))) AND " } ?? ""
        let lower = bind(.integer(from))
        let upper = bind(.integer(from + bucketMilliseconds * Int64(buckets)))
        return """
            SELECT (time - \(start)) / \(width), severity_id, class_uid, host_id, count(*)
            FROM events WHERE \(host)time >= \(lower) AND time < \(upper)
            GROUP BY 1, 2, 3, 4
            """
    }

    static let hostColumns = "id, uid, hostname, os, first_seen, last_seen"

    /// Turns the search's rows (one more than the limit, to know whether there is a next page) into a page.
    struct SearchRow {
        var rowID: Int64
        var time: Int64
        var hostID: Int64
        var hostname: String
        var json: String
    }

    struct CountRow {
        var bucket: Int64
        var severity: Int64
        var classUID: Int64
        var hostID: Int64
        var count: Int64
    }

    static func page(_ rows: [SearchRow], limit: Int) throws -> EventPage {
        let limit = min(1000, max(1, limit))
        let decoder = JSON.decoder()
        let kept = rows.prefix(limit)
        let events = try kept.map { row in
            FoundEvent(
                rowID: row.rowID, hostID: row.hostID, hostname: row.hostname,
                event: try decoder.decode(Event.self, from: Data(row.json.utf8)))
        }
        let next = rows.count > limit ? kept.last.map { EventCursor(time: $0.time, rowID: $0.rowID) } : nil
        return EventPage(events: events, next: next)
    }

    static func statistics(
        _ rows: [CountRow], from: Int64,
        bucketMilliseconds: Int64, buckets: Int
    ) -> EventStatistics {
        var result = EventStatistics(
            from: from, bucketMilliseconds: bucketMilliseconds,
            bySeverity: Array(repeating: Array(repeating: 0, count: 7), count: max(0, buckets)), byClass: [:],
            byHost: [:])
        for row in rows {
            let count = Int(row.count)
            if row.bucket >= 0, row.bucket < buckets {
                result.bySeverity[Int(row.bucket)][Int(min(6, max(0, row.severity)))] += count
            }
            result.byClass[Int(row.classUID), default: 0] += count
            result.byHost[row.hostID, default: 0] += count
        }
        return result
    }
}

/// The dashboard's schema: indexes for its filters (host timelines, user searches, windowed counts) and
/// `event_counts_daily`, events counted per UTC day, host, class and severity, kept by triggers on every
/// insert and delete (so the 30-day overview reads a few thousand rows instead of a million events).
enum DashboardSchema {
    static let indexes = """
        CREATE INDEX events_host_time ON events (host_id, time DESC);
        CREATE INDEX events_user_time ON events (user_name, time DESC);
        CREATE INDEX events_time_counts ON events (time, severity_id, class_uid, host_id);
        """

    static let sqlite =
        indexes + """
            CREATE TABLE event_counts_daily (
                day INTEGER NOT NULL,
                host_id INTEGER NOT NULL,
                class_uid INTEGER NOT NULL,
                severity_id INTEGER NOT NULL,
                n INTEGER NOT NULL,
                PRIMARY KEY (day, host_id, class_uid, severity_id)
            ) WITHOUT ROWID;
            INSERT INTO event_counts_daily (day, host_id, class_uid, severity_id, n)
                SELECT time / 86400000, host_id, class_uid, severity_id, count(*) FROM events WHERE true
                GROUP BY 1, 2, 3, 4;
            CREATE TRIGGER events_count_insert AFTER INSERT ON events BEGIN
                INSERT INTO event_counts_daily (day, host_id, class_uid, severity_id, n)
                VALUES (NEW.time / 86400000, NEW.host_id, NEW.class_uid, NEW.severity_id, 1)
                ON CONFLICT (day, host_id, class_uid, severity_id) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER events_count_delete AFTER DELETE ON events BEGIN
                UPDATE event_counts_daily SET n = n - 1
                WHERE day = OLD.time / 86400000 AND host_id = OLD.host_id AND class_uid = OLD.class_uid
                    AND severity_id = OLD.severity_id;
            END;
            """

    static let postgres =
        indexes + """
            CREATE TABLE event_counts_daily (
                day BIGINT NOT NULL,
                host_id BIGINT NOT NULL,
                class_uid INTEGER NOT NULL,
                severity_id INTEGER NOT NULL,
                n BIGINT NOT NULL,
                PRIMARY KEY (day, host_id, class_uid, severity_id)
            );
            INSERT INTO event_counts_daily (day, host_id, class_uid, severity_id, n)
                SELECT time / 86400000, host_id, class_uid, severity_id, count(*) FROM events GROUP BY 1, 2, 3, 4;
            CREATE FUNCTION vigil_count_events() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO event_counts_daily (day, host_id, class_uid, severity_id, n)
                    VALUES (NEW.time / 86400000, NEW.host_id, NEW.class_uid, NEW.severity_id, 1)
                    ON CONFLICT (day, host_id, class_uid, severity_id)
                    DO UPDATE SET n = event_counts_daily.n + 1;
                    RETURN NEW;
                END IF;
                UPDATE event_counts_daily SET n = n - 1
                WHERE day = OLD.time / 86400000 AND host_id = OLD.host_id AND class_uid = OLD.class_uid
                    AND severity_id = OLD.severity_id;
                RETURN OLD;
            END
            $$;
            CREATE TRIGGER events_count AFTER INSERT OR DELETE ON events
                FOR EACH ROW EXECUTE FUNCTION vigil_count_events();
            """
}

extension SQLiteEventStore: DashboardQueries {
    static let dashboardMigration = Migration(
        version: 4, name: "dashboard indexes and daily counts", sql: DashboardSchema.sqlite)

    public func searchEvents(_ query: EventQuery) throws -> EventPage {
        var sql = DashboardSQL(postgres: false)
        let text = sql.search(query)
        let rows = try database.withLock { db in
            let statement = try db.prepare(text)
            try statement.bind(sql.values.map(\.sqlite))
            var rows: [DashboardSQL.SearchRow] = []
            while try statement.step() {
                rows.append(
                    DashboardSQL.SearchRow(
                        rowID: statement.int64(at: 0), time: statement.int64(at: 1), hostID: statement.int64(at: 2),
                        hostname: statement.string(at: 3) ?? "", json: statement.string(at: 4) ?? "{}"))
            }
            return rows
        }
        return try DashboardSQL.page(rows, limit: query.limit)
    }

    public func hosts() throws -> [HostRecord] {
        try database.withLock { db in
            try db.query("SELECT \(DashboardSQL.hostColumns) FROM hosts ORDER BY hostname, id").map(Self.host(row:))
        }
    }

    public func host(id: Int64) throws -> HostRecord? {
        try database.withLock { db in
            try db.query("SELECT \(DashboardSQL.hostColumns) FROM hosts WHERE id = ?", [id]).first.map(Self.host(row:))
        }
    }

    static func host(row: [SQLiteValue]) -> HostRecord {
        HostRecord(
            id: row[0].int64 ?? 0, uid: row[1].string ?? "", hostname: row[2].string ?? "", os: row[3].string,
            firstSeen: row[4].int64 ?? 0, lastSeen: row[5].int64 ?? 0)
    }

    public func eventStatistics(
        from: Int64, bucketMilliseconds: Int64, buckets: Int, hostID: Int64? = nil
    ) throws
        -> EventStatistics
    {
        precondition(bucketMilliseconds > 0, "a statistics bucket must be at least 1 ms wide")
        var sql = DashboardSQL(postgres: false)
        let text = sql.statistics(from: from, bucketMilliseconds: bucketMilliseconds, buckets: buckets, hostID: hostID)
        let rows = try database.withLock { db in
            try db.query(text, sql.values.map(\.sqlite)).map { row in
                DashboardSQL.CountRow(
                    bucket: row[0].int64 ?? -1, severity: row[1].int64 ?? 0, classUID: row[2].int64 ?? 0,
                    hostID: row[3].int64 ?? 0, count: row[4].int64 ?? 0)
            }
        }
        return DashboardSQL.statistics(
            rows, from: from, bucketMilliseconds: bucketMilliseconds, buckets: buckets)
    }

    /// `EXPLAIN QUERY PLAN` for a search, one line per plan step (for the benchmark's index checks).
    public func queryPlan(_ query: EventQuery) throws -> [String] {
        var sql = DashboardSQL(postgres: false)
        let text = sql.search(query)
        return try database.withLock { db in
            try db.query("EXPLAIN QUERY PLAN " + text, sql.values.map(\.sqlite)).map { $0.last?.string ?? "" }
        }
    }

    /// `EXPLAIN QUERY PLAN` for the statistics query.
    public func statisticsPlan(
        from: Int64, bucketMilliseconds: Int64, buckets: Int, hostID: Int64? = nil
    ) throws
        -> [String]
    {
        var sql = DashboardSQL(postgres: false)
        let text = sql.statistics(from: from, bucketMilliseconds: bucketMilliseconds, buckets: buckets, hostID: hostID)
        return try database.withLock { db in
            try db.query("EXPLAIN QUERY PLAN " + text, sql.values.map(\.sqlite)).map { $0.last?.string ?? "" }
        }
    }
}

extension PostgresEventStore: DashboardQueries {
    static let dashboardMigration = Migration(
        version: 4, name: "dashboard indexes and daily counts", sql: DashboardSchema.postgres)

    public func searchEvents(_ query: EventQuery) throws -> EventPage {
        var sql = DashboardSQL(postgres: true)
        let text = sql.search(query)
        let rows = try connection.withLock { db in try db.query(text, sql.values.map(\.postgres)) }
        return try DashboardSQL.page(
            rows.map { row in
                DashboardSQL.SearchRow(
                    rowID: Int64(row[0] ?? "") ?? 0, time: Int64(row[1] ?? "") ?? 0,
                    hostID: Int64(row[2] ?? "") ?? 0, hostname: row[3] ?? "", json: row[4] ?? "{}")
            }, limit: query.limit)
    }

    public func hosts() throws -> [HostRecord] {
        try connection.withLock { db in
            try db.query("SELECT \(DashboardSQL.hostColumns) FROM hosts ORDER BY hostname, id").map(Self.host(row:))
        }
    }

    public func host(id: Int64) throws -> HostRecord? {
        try connection.withLock { db in
            try db.query("SELECT \(DashboardSQL.hostColumns) FROM hosts WHERE id = $1", [String(id)]).first.map(
                Self.host(row:))
        }
    }

    static func host(row: [String?]) -> HostRecord {
        HostRecord(
            id: Int64(row[0] ?? "") ?? 0, uid: row[1] ?? "", hostname: row[2] ?? "", os: row[3],
            firstSeen: Int64(row[4] ?? "") ?? 0, lastSeen: Int64(row[5] ?? "") ?? 0)
    }

    public func eventStatistics(
        from: Int64, bucketMilliseconds: Int64, buckets: Int, hostID: Int64? = nil
    ) throws
        -> EventStatistics
    {
        precondition(bucketMilliseconds > 0, "a statistics bucket must be at least 1 ms wide")
        var sql = DashboardSQL(postgres: true)
        let text = sql.statistics(from: from, bucketMilliseconds: bucketMilliseconds, buckets: buckets, hostID: hostID)
        let rows = try connection.withLock { db in try db.query(text, sql.values.map(\.postgres)) }
        return DashboardSQL.statistics(
            rows.map { row in
                DashboardSQL.CountRow(
                    bucket: Int64(row[0] ?? "") ?? -1, severity: Int64(row[1] ?? "") ?? 0,
                    classUID: Int64(row[2] ?? "") ?? 0, hostID: Int64(row[3] ?? "") ?? 0,
                    count: Int64(row[4] ?? "") ?? 0)
            }, from: from, bucketMilliseconds: bucketMilliseconds, buckets: buckets)
    }
}
