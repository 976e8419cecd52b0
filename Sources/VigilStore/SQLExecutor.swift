import Foundation

/// A value bound to a statement run through `SQLExecutor`: the engine-neutral subset both engines share.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
}

/// Which engine an `SQLExecutor` talks to, for the few statements that differ.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres
}

/// One statement interface over both engines, so the server's tables (users, sessions, access log, alerts)
/// are written once. Statements use `?` placeholders; the PostgreSQL executor numbers them `$1…$n`.
/// Rows come back as text (nil for NULL): integers as their decimal text on both engines.
public protocol SQLExecutor {
    var dialect: SQLDialect { get }
    /// Runs one statement and returns its rows.
    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [[String?]]
    /// Runs one statement and returns the number of rows it changed.
    @discardableResult
    func run(_ sql: String, _ parameters: [SQLValue]) throws -> Int
    /// Runs `body` in one transaction; rolls back if it throws. Not re-entrant.
    func transaction<T>(_ body: () throws -> T) throws -> T
}

extension SQLExecutor {
    /// Runs one statement without parameters and returns its rows.
    public func query(_ sql: String) throws -> [[String?]] { try query(sql, []) }

    /// The first column of the first row.
    public func scalar(_ sql: String, _ parameters: [SQLValue] = []) throws -> String? {
        try query(sql, parameters).first?.first ?? nil
    }
}

/// Anything that converts to a `SQLValue` (so call sites can write `[name, 3, nil]`).
public protocol SQLValueConvertible {
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLValueConvertible { public var sqlValue: SQLValue { self } }
extension String: SQLValueConvertible { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLValueConvertible { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLValueConvertible { public var sqlValue: SQLValue { .integer(self) } }
extension Bool: SQLValueConvertible { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// `SQLExecutor` on one SQLite connection.
struct SQLiteExecutor: SQLExecutor {
    let database: SQLiteDatabase
    var dialect: SQLDialect { .sqlite }

    static func bindable(_ value: SQLValue) -> SQLiteValue {
        switch value {
        case .null: .null
        case .integer(let v): .integer(v)
        case .text(let v): .text(v)
        }
    }

    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [[String?]] {
        try database.query(sql, parameters.map(Self.bindable)).map { row in
            row.map { value -> String? in
                switch value {
                case .null: nil
                case .integer(let v): String(v)
                case .real(let v): String(v)
                case .text(let v): v
                case .blob(let v): String(decoding: v, as: UTF8.self)
                }
            }
        }
    }

    func run(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        try database.run(sql, parameters.map(Self.bindable))
    }

    func transaction<T>(_ body: () throws -> T) throws -> T { try database.transaction(body) }
}

/// `SQLExecutor` on one PostgreSQL connection.
struct PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    var dialect: SQLDialect { .postgres }

    /// `?` → `$1…$n`. Our statements never hold `?` inside a string literal (values are always bound).
    static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        for character in sql {
            if character == "?" {
                index += 1
                out += "$\(index)"
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func text(_ value: SQLValue) -> String? {
        switch value {
        case .null: nil
        case .integer(let v): String(v)
        case .text(let v): v
        }
    }

    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [[String?]] {
        try connection.query(Self.numbered(sql), parameters.map(Self.text))
    }

    func run(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        try connection.run(Self.numbered(sql), parameters.map(Self.text))
    }

    func transaction<T>(_ body: () throws -> T) throws -> T { try connection.transaction(body) }
}
