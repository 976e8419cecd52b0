import Glibc
import VigilCore
import VigilCrypto
import VigilStore
import VigilSystem

/// The baseline in a local SQLite database (through `VigilStore`): one row per path with one column
/// per attribute of `AttributeSpec.all`, the configuration it was taken with, and a history of checks
/// and updates.
///
/// The format version is the database's schema version: a database written by a newer Vigil is refused
/// with `baseline.newer-format` and left untouched, as is a file that is not a baseline.
public final class BaselineStore {
    /// The baseline format this build writes and reads.
    public static var formatVersion: Int { migrations.count }

    /// Schema changes, numbered. Adding an attribute to the table needs a new migration that adds its
    /// column; migration 1 is frozen as written.
    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "baseline",
            sql: """
                CREATE TABLE fim_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE fim_baselines (
                    path BLOB PRIMARY KEY, checks INTEGER NOT NULL,
                    type INTEGER, size INTEGER, mode INTEGER, uid INTEGER, gid INTEGER, inode INTEGER,
                    device INTEGER, nlink INTEGER, mtime INTEGER, ctime INTEGER, link_target BLOB, sha256 BLOB,
                    xattrs BLOB, acl BLOB
                ) WITHOUT ROWID;
                CREATE TABLE fim_history (
                    id INTEGER PRIMARY KEY, time INTEGER NOT NULL, action TEXT NOT NULL, added INTEGER NOT NULL,
                    removed INTEGER NOT NULL, changed INTEGER NOT NULL, moved INTEGER NOT NULL,
                    problems INTEGER NOT NULL, event TEXT
                );
                """)
    ]

    private let database: SQLiteDatabase
    public let path: String

    /// Opens a baseline database.
    /// - Parameter create: create the file if missing (`init`); otherwise a missing file is an error.
    /// - Throws: `FIMError` `baseline.unreadable` (missing, unreadable or not a database),
    ///   `baseline.newer-format` (written by a newer Vigil; nothing is changed).
    public init(path: String, create: Bool) throws {
        self.path = path
        // Look before opening for writing: opening read-write switches the journal mode, which would
        // touch a newer baseline's header.
        if access(path, F_OK) == 0 {
            do {
                let peek = try SQLiteDatabase(path: path, readOnly: true, create: false)
                try Self.checkVersion(peek.userVersion, path: path)
            } catch let error as StoreError {
                throw FIMError(
                    code: "baseline.unreadable", message: "cannot read the baseline database: \(error.message)",
                    location: ErrorLocation(file: path))
            }
        }
        do {
            database = try SQLiteDatabase(path: path, create: create, durability: .normal)
        } catch let error as StoreError {
            throw FIMError(
                code: "baseline.unreadable",
                message: create
                    ? "cannot open or create the baseline database: \(error.message)"
                    : "cannot read the baseline database: \(error.message); run 'vigil fim init' to create one",
                location: ErrorLocation(file: path))
        }
        do {
            let version = try database.userVersion
            try Self.checkVersion(version, path: path)
            if version > 0 || create {
                let tables = try database.query("SELECT name FROM sqlite_schema WHERE type = 'table'")
                if version == 0 && !tables.isEmpty {
                    throw FIMError(
                        code: "baseline.unreadable",
                        message:
                            "the file is an SQLite database but not a Vigil baseline; choose another --db path — the file was left untouched",
                        location: ErrorLocation(file: path))
                }
                try database.migrate(Self.migrations, what: "FIM baseline")
            }
        } catch let error as StoreError {
            throw FIMError(
                code: "baseline.unreadable", message: "cannot read the baseline database: \(error.message)",
                location: ErrorLocation(file: path))
        }
    }

    private static func checkVersion(_ version: Int, path: String) throws {
        guard version <= formatVersion else {
            throw FIMError(
                code: "baseline.newer-format",
                message:
                    "the baseline has format version \(version), newer than this vigil reads (\(formatVersion)); use a newer vigil — the file was left untouched",
                location: ErrorLocation(file: path))
        }
    }

    /// The stored baseline's description; nil when none was taken yet.
    /// - Throws: `FIMError` `baseline.unreadable`.
    public func info() throws -> BaselineInfo? {
        try wrap {
            guard try database.userVersion > 0 else { return nil }
            let rows = try database.query("SELECT key, value FROM fim_meta")
            var meta: [String: String] = [:]
            for row in rows { if let key = row[0].string, let value = row[1].string { meta[key] = value } }
            guard let created = meta["created"].flatMap(Int64.init), let config = meta["config"] else { return nil }
            return BaselineInfo(created: created, configYAML: config, writer: meta["writer"] ?? "")
        }
    }

    /// Replaces the baseline with `records` in one transaction.
    /// - Throws: `FIMError` `baseline.write`.
    public func replace(with records: [FileRecord], info: BaselineInfo) throws {
        let specs = AttributeSpec.all
        let columns = ["path", "checks"] + specs.map(\.column)
        let sql =
            "INSERT INTO fim_baselines (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        do {
            try database.transaction {
                try database.execute("DELETE FROM fim_baselines; DELETE FROM fim_meta")
                let insert = try database.prepare(sql)
                for record in records {
                    var values: [SQLiteValue] = [.blob(record.path.bytes), .integer(record.checks.rawValue)]
                    for spec in specs {
                        switch spec.value(record) {
                        case .integer(let v)?: values.append(.integer(v))
                        case .bytes(let b)?: values.append(.blob(b))
                        case .digest(let d)?: values.append(.blob(d.bytes))
                        case nil: values.append(.null)
                        }
                    }
                    try insert.run(values)
                }
                let meta: [(String, String)] = [
                    ("created", String(info.created)), ("config", info.configYAML), ("writer", info.writer),
                ]
                for (key, value) in meta {
                    _ = try database.run("INSERT INTO fim_meta (key, value) VALUES (?, ?)", [key, value])
                }
            }
        } catch let error as StoreError {
            throw FIMError(
                code: "baseline.write", message: "cannot write the baseline: \(error.message)",
                location: ErrorLocation(file: path))
        }
    }

    /// Every recorded entry, sorted by path.
    /// - Throws: `FIMError` `baseline.unreadable`, also for a row that does not decode.
    public func records() throws -> [FileRecord] {
        let specs = AttributeSpec.all
        let columns = ["path", "checks"] + specs.map(\.column)
        return try wrap {
            let select = try database.prepare(
                "SELECT \(columns.joined(separator: ", ")) FROM fim_baselines ORDER BY path")
            var result: [FileRecord] = []
            while try select.step() {
                guard let pathBytes = select.value(at: 0).bytes, !pathBytes.contains(0),
                    let checks = select.value(at: 1).int64
                else {
                    throw FIMError(
                        code: "baseline.unreadable",
                        message: "row \(result.count + 1) of the baseline has no valid path; take a new baseline",
                        location: ErrorLocation(file: path))
                }
                let empty = FileStatus(
                    type: .unknown, permissions: 0, size: 0, uid: 0, gid: 0, inode: 0, device: 0, linkCount: 0,
                    mtime: 0, ctime: 0)
                var record = FileRecord(
                    path: BytePath(bytes: pathBytes), checks: AttributeSet(rawValue: checks), status: empty)
                for (index, spec) in specs.enumerated() {
                    let value: AttributeValue?
                    switch select.value(at: index + 2) {
                    case .integer(let v): value = .integer(v)
                    case .blob(let b) where spec.attribute == .sha256:
                        value = SHA256DigestValue.make(b)
                    case .blob(let b): value = .bytes(b)
                    default: value = nil
                    }
                    spec.apply(&record, value)
                }
                result.append(record)
            }
            return result
        }
    }

    /// One line of history: a check or an update and what it found, with the event that recorded it.
    public func appendHistory(time: Int64, action: String, report: FIMReport, problems: Int, event: String?) throws {
        try wrap {
            _ = try database.run(
                "INSERT INTO fim_history (time, action, added, removed, changed, moved, problems, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    time, action, report.count(.added), report.count(.removed), report.count(.changed),
                    report.count(.moved), problems, event,
                ])
        }
    }

    /// The number of history lines (checks and updates recorded).
    public func historyCount() throws -> Int {
        try wrap { Int(try database.scalar("SELECT count(*) FROM fim_history")?.int64 ?? 0) }
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw FIMError(
                code: "baseline.unreadable", message: "cannot read the baseline database: \(error.message)",
                location: ErrorLocation(file: path))
        }
    }
}

/// Reads a stored digest column.
enum SHA256DigestValue {
    static func make(_ bytes: [UInt8]) -> AttributeValue? {
        SHA256Digest(bytes: bytes).map { .digest($0) }
    }
}
