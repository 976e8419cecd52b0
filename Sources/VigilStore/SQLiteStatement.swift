internal import CSQLite

/// A prepared statement (`sqlite3_stmt*`), finalized when released. Reusable: `reset()` then bind again.
public final class SQLiteStatement {
    let handle: OpaquePointer
    let database: SQLiteDatabase
    let sql: String

    init(database: SQLiteDatabase, sql: String, persistent: Bool) throws {
        self.database = database
        self.sql = sql
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0,
                                    &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw database.error(rc, doing: "preparing \(SQLiteDatabase.summary(sql))")
        }
        handle = statement
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds values to parameters 1…n.
    public func bind(_ values: [any SQLiteBindable]) throws {
        for (index, value) in values.enumerated() { try bind(value.sqliteValue, at: Int32(index + 1)) }
    }

    /// Binds one value to parameter `index` (1-based).
    public func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v): rc = sqlite3_bind_double(handle, index, v)
        case .text(var v):
            rc = v.withUTF8 { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    vigil_sqlite3_bind_text_transient(handle, index, $0.baseAddress, Int32($0.count))
                }
            }
        case .blob(let v):
            rc = v.withUnsafeBytes { vigil_sqlite3_bind_blob_transient(handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count)) }
        }
        guard rc == SQLITE_OK else { throw database.error(rc, doing: "binding parameter \(index) of \(SQLiteDatabase.summary(sql))") }
    }

    /// Advances: true when a row is available, false when done.
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(rc, doing: "running \(SQLiteDatabase.summary(sql))")
        }
    }

    /// Runs to completion, ignoring rows (an insert or update).
    public func run(_ values: [any SQLiteBindable]) throws {
        reset()
        try bind(values)
        while try step() {}
    }

    /// Resets for another execution and clears the bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// The current row's values.
    public func row() -> [SQLiteValue] { (0..<columnCount).map { value(at: $0) } }

    /// One column of the current row.
    public func value(at column: Int) -> SQLiteValue {
        let i = Int32(column)
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, i))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, i))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(handle, i))
            guard let pointer = sqlite3_column_text(handle, i) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, i))
            guard let pointer = sqlite3_column_blob(handle, i), count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }

    public func int64(at column: Int) -> Int64 { sqlite3_column_int64(handle, Int32(column)) }

    public func string(at column: Int) -> String? {
        if case .text(let v) = value(at: column) { return v }
        return nil
    }
}
