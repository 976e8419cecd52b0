internal import CSQLite
import Foundation

/// One SQLite connection (`sqlite3*`). Not thread-safe: use it from one thread at a time
/// (wrap it in a `Mutex` to share it). Closed when released.
public final class SQLiteDatabase {
    /// How durable a commit is.
    public enum Durability: Sendable {
        /// `synchronous=FULL`: a committed transaction survives power loss (what acknowledgements need).
        case full
        /// `synchronous=NORMAL`: in WAL mode the database stays consistent; the last commits may be lost.
        case normal
    }

    let handle: OpaquePointer
    /// The file path, named in errors.
    public let path: String

    /// Opens (and by default creates) a database in WAL mode with foreign keys on and a busy timeout.
    /// - Throws: `StoreError` `sqlite.open` naming the path.
    public init(path: String, readOnly: Bool = false, create: Bool = true, durability: Durability = .full) throws {
        self.path = path
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw StoreError(code: "sqlite.open",
                             message: "cannot open the database \(path): \(message); check the path and its permissions",
                             resultCode: rc)
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
        sqlite3_extended_result_codes(db, 1)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            try execute(durability == .full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        }
        try execute("PRAGMA foreign_keys=ON")
        // Fail on a file that is not a database now, not at the first query.
        try execute("SELECT count(*) FROM sqlite_schema")
    }

    /// An in-memory database (tests, scratch work).
    public static func inMemory() throws -> SQLiteDatabase { try SQLiteDatabase(path: ":memory:") }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements with no parameters and no results (`sqlite3_exec`).
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let text = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errorMessage)
            throw error(rc, text, doing: "running \(Self.summary(sql))")
        }
    }

    /// A prepared statement for `sql` (`sqlite3_prepare_v3`).
    public func prepare(_ sql: String, persistent: Bool = false) throws -> SQLiteStatement {
        try SQLiteStatement(database: self, sql: sql, persistent: persistent)
    }

    /// Runs `sql` once with `bindings`, returning the number of rows changed.
    @discardableResult
    public func run(_ sql: String, _ bindings: [any SQLiteBindable] = []) throws -> Int {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        while try statement.step() {}
        return changes
    }

    /// Runs a query and returns every row's values.
    public func query(_ sql: String, _ bindings: [any SQLiteBindable] = []) throws -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        var rows: [[SQLiteValue]] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// The first column of the first row, or nil.
    public func scalar(_ sql: String, _ bindings: [any SQLiteBindable] = []) throws -> SQLiteValue? {
        try query(sql, bindings).first?.first
    }

    /// Runs `body` in one `BEGIN IMMEDIATE … COMMIT` transaction; rolls back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The rowid of the last insert.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// `PRAGMA user_version`.
    public var userVersion: Int {
        get throws { Int(try scalar("PRAGMA user_version")?.int64 ?? 0) }
    }

    func error(_ rc: Int32, _ detail: String? = nil, doing what: String) -> StoreError {
        let text = detail ?? String(cString: sqlite3_errmsg(handle))
        let hint: String
        switch rc & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED: hint = "; another process holds the database — retry, or stop the other writer"
        case SQLITE_CORRUPT, SQLITE_NOTADB: hint = "; the file is damaged or not a Vigil database — restore it from a backup"
        case SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN: hint = "; check the file's permissions and the disk"
        case SQLITE_FULL: hint = "; the disk is full"
        default: hint = ""
        }
        return StoreError(code: "sqlite.\(Self.codeName(rc))", message: "\(what) in \(path) failed: \(text)\(hint)",
                          resultCode: rc)
    }

    static func codeName(_ rc: Int32) -> String {
        switch rc & 0xff {
        case SQLITE_BUSY: "busy"
        case SQLITE_LOCKED: "locked"
        case SQLITE_CONSTRAINT: "constraint"
        case SQLITE_CORRUPT: "corrupt"
        case SQLITE_NOTADB: "not-a-database"
        case SQLITE_FULL: "full"
        case SQLITE_READONLY: "readonly"
        case SQLITE_CANTOPEN: "cantopen"
        case SQLITE_MISUSE: "misuse"
        case SQLITE_ERROR: "error"
        default: "code-\(rc)"
        }
    }

    /// The first words of a statement, for error messages (never its bound values).
    static func summary(_ sql: String) -> String {
        let words = sql.split(whereSeparator: \.isWhitespace).prefix(4).joined(separator: " ")
        return "'\(words)…'"
    }
}
