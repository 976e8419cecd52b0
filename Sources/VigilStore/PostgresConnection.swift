internal import CPostgres
import Foundation

/// One PostgreSQL connection (`PGconn*`) through libpq. Not thread-safe: one thread at a time.
///
/// Parameters are always sent separately from the SQL text (`PQexecParams`, text format), so no value is
/// ever spliced into a statement. Errors name the server's message and SQLSTATE, never a bound value or
/// the connection password.
public final class PostgresConnection {
    let handle: OpaquePointer
    /// The connection target without its password, for messages.
    public let target: String

    /// Connects with a libpq connection string (`host=… port=… dbname=…` or a `postgres://` URL).
    /// - Throws: `StoreError` `postgres.connect` with libpq's reason.
    public init(_ conninfo: String) throws {
        target = Self.redactedTarget(conninfo)
        guard let connection = PQconnectdb(conninfo) else {
            throw StoreError(code: "postgres.connect", message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.message(PQerrorMessage(connection))
            PQfinish(connection)
            throw StoreError(
                code: "postgres.connect",
                message:
                    "cannot connect to PostgreSQL at \(target): \(reason); check that the server runs and the URL, user and database are right"
            )
        }
        handle = connection
        try execute("SET client_min_messages = warning")
    }

    deinit { PQfinish(handle) }

    /// Whether the connection is still usable.
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Runs statements with no parameters (`PQexec`); several may be separated by `;`.
    public func execute(_ sql: String) throws {
        guard let result = PQexec(handle, sql) else { throw lostConnection() }
        defer { PQclear(result) }
        try check(result, doing: SQLiteDatabase.summary(sql))
    }

    /// Runs one statement with parameters; returns the rows as text values (nil for SQL NULL).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let result = try execute(sql, parameters)
        defer { PQclear(result) }
        let rows = PQntuples(result)
        let columns = PQnfields(result)
        var out: [[String?]] = []
        out.reserveCapacity(Int(rows))
        for row in 0..<rows {
            var values: [String?] = []
            values.reserveCapacity(Int(columns))
            for column in 0..<columns {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, row, column))
                    let pointer = PQgetvalue(result, row, column)
                    values.append(
                        pointer.map { p in
                            p.withMemoryRebound(to: UInt8.self, capacity: length) {
                                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                            }
                        } ?? "")
                }
            }
            out.append(values)
        }
        return out
    }

    /// Rows affected by a statement: runs it and returns `PQcmdTuples`.
    public func run(_ sql: String, _ parameters: [String?] = []) throws -> Int {
        let result = try execute(sql, parameters)
        defer { PQclear(result) }
        return Int(Self.message(PQcmdTuples(result))) ?? 0
    }

    /// Runs one statement with text parameters (`PQexecParams`) and checks its status; the caller clears
    /// the result.
    private func execute(_ sql: String, _ parameters: [String?]) throws -> OpaquePointer {
        var cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        let result = cStrings.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecParams(handle, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
            }
        }
        guard let result else { throw lostConnection() }
        do {
            try check(result, doing: SQLiteDatabase.summary(sql))
        } catch {
            PQclear(result)
            throw error
        }
        return result
    }

    /// Streams rows into `table` with `COPY … FROM STDIN` (text format), the fast path for batches.
    public func copy(into table: String, columns: [String], rows: [[String?]]) throws {
        precondition(
            (columns + [table]).allSatisfy { $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } },
            "COPY table and column names are identifiers of ours, never input")
        let sql = "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN"
        guard let start = PQexec(handle, sql) else { throw lostConnection() }
        let status = PQresultStatus(start)
        defer { PQclear(start) }
        guard status == PGRES_COPY_IN else {
            try check(start, doing: SQLiteDatabase.summary(sql))
            throw StoreError(code: "postgres.copy", message: "COPY did not start in \(target)")
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64 * 1024)
        func flush() throws {
            guard !buffer.isEmpty else { return }
            let ok = buffer.withUnsafeBytes { raw in
                raw.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
            }
            guard ok == 1 else { throw lostConnection() }
            buffer.removeAll(keepingCapacity: true)
        }
        for row in rows {
            for (index, value) in row.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: "\t")) }
                Self.appendCopyText(value, to: &buffer)
            }
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 60 * 1024 { try flush() }
        }
        try flush()
        guard PQputCopyEnd(handle, nil) == 1 else { throw lostConnection() }
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            try check(result, doing: "COPY into \(table)")
        }
    }

    /// Runs `body` in a transaction; rolls back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// COPY text format: backslash escapes for the delimiter, newlines and backslash; `\N` for NULL.
    static func appendCopyText(_ value: String?, to buffer: inout [UInt8]) {
        guard let value else {
            buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [92, 92])
            case UInt8(ascii: "\t"): buffer.append(contentsOf: [92, UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): buffer.append(contentsOf: [92, UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0: continue  // PostgreSQL text cannot hold NUL; dropped rather than truncating the row
            default: buffer.append(byte)
            }
        }
    }

    func check(_ result: OpaquePointer, doing what: String) throws {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_EMPTY_QUERY:
            return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "?????"
            let primary =
                PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? Self.message(PQerrorMessage(handle))
            // A session the server ended (restart, failover, terminated backend): this statement fails, and the
            // connection is re-established (PQreset) so the next one works; callers retry the whole transaction.
            if PQstatus(handle) == CONNECTION_BAD { reconnect() }
            throw StoreError(
                code: "postgres.\(state)", message: "\(what) on \(target) failed: \(primary) (SQLSTATE \(state))")
        }
    }

    /// Re-opens a broken connection with the same parameters and session settings.
    func reconnect() {
        PQreset(handle)
        if PQstatus(handle) == CONNECTION_OK {
            PQclear(PQexec(handle, "SET client_min_messages = warning"))
        }
    }

    func lostConnection() -> StoreError {
        let error = StoreError(
            code: "postgres.connection",
            message:
                "the connection to PostgreSQL at \(target) failed: \(Self.message(PQerrorMessage(handle))); check that the server is up"
        )
        if PQstatus(handle) == CONNECTION_BAD { reconnect() }
        return error
    }

    static func message(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `host:port/dbname` from a conninfo or URL, without user or password.
    static func redactedTarget(_ conninfo: String) -> String {
        if conninfo.hasPrefix("postgres://") || conninfo.hasPrefix("postgresql://"),
            let url = URLComponents(string: conninfo)
        {
            return "\(url.host ?? "localhost"):\(url.port ?? 5432)\(url.path.isEmpty ? "" : url.path)"
        }
        var fields: [String: String] = [:]
        for part in conninfo.split(separator: " ") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        return "\(fields["host"] ?? "localhost"):\(fields["port"] ?? "5432")/\(fields["dbname"] ?? "")"
    }
}
