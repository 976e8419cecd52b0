import Foundation
import VigilCore
import VigilStore

/// One row of the access log (PCI DSS 10.2.1.2 and 10.2.1.3): who called what, with which result, and what
/// they read.
public struct AccessLogEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var time: Int64
    /// `anonymous`, `user`, `token` or `agent`.
    public var principalKind: String
    /// `user:alice`, `token:3:ci`, `agent:…`; nil for anonymous callers.
    public var principal: String?
    public var role: String?
    public var method: String
    public var path: String
    public var status: Int
    public var remoteAddress: String?
    /// What was read, e.g. `events: 50 rows (host=web-01)`.
    public var read: String?
    /// Why a request was refused or what it changed, e.g. `login failed: wrong TOTP code`.
    public var outcome: String?

    enum CodingKeys: String, CodingKey {
        case id, time, role, method, path, status, read, outcome, principal
        case principalKind = "principal_kind"
        case remoteAddress = "remote_address"
    }
}

/// The access log: rows are only ever inserted, with ids that grow in commit order, so the ledger's drain
/// job can append them to the tamper-evident archive by id (`rows(after:)`).
public struct AccessLog: Sendable {
    let store: any EventStore
    /// PostgreSQL: taken in the inserting transaction so ids commit in order across nodes.
    static let postgresOrderLock: Int64 = 0x5649_4749_4c00_0a11

    public init(store: any EventStore) { self.store = store }

    static func clip(_ text: String?, _ limit: Int = 1024) -> String? {
        guard let text else { return nil }
        return text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// Appends one row and, in the same transaction, its archive outbox row (kind `access`, ref `access/ID`,
    /// the row as one JSON line): the archive job appends it to the tamper-evident log (PCI DSS 10.3.2/10.3.3 —
    /// the record of who read the audit trail is itself protected). Returns the row's id.
    @discardableResult
    public func record(_ entry: AccessLogEntry) throws -> Int64 {
        try store.withSQL { db in
            try db.transaction {
                if db.dialect == .postgres {
                    _ = try db.query("SELECT pg_advisory_xact_lock(?)", [.integer(Self.postgresOrderLock)])
                }
                let id =
                    Int64(
                        try db.scalar(
                            """
                            INSERT INTO access_log (time, principal_kind, principal, role, method, path, status,
                                remote_address, read_what, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                            """,
                            [
                                .integer(entry.time), .text(entry.principalKind), entry.principal.sqlValue,
                                entry.role.sqlValue, .text(String(entry.method.prefix(16))),
                                .text(Self.clip(entry.path) ?? ""), .integer(Int64(entry.status)),
                                entry.remoteAddress.sqlValue, Self.clip(entry.read).sqlValue,
                                Self.clip(entry.outcome).sqlValue,
                            ]) ?? "0") ?? 0
                var archived = entry
                archived.id = id
                archived.path = Self.clip(entry.path) ?? ""
                archived.read = Self.clip(entry.read)
                archived.outcome = Self.clip(entry.outcome)
                try db.run(
                    "INSERT INTO ledger_outbox (kind, ref, entry) VALUES (?, ?, ?)",
                    [.text("access"), .text("access/\(id)"), .text(try JSON.line(archived))])
                return id
            }
        }
    }

    /// Rows with an id above `afterID`, oldest first (the drain job's and the API's cursor).
    public func rows(after afterID: Int64, limit: Int) throws -> [AccessLogEntry] {
        try store.withSQL { db in
            try db.query(
                """
                SELECT id, time, principal_kind, principal, role, method, path, status, remote_address, read_what,
                    outcome FROM access_log WHERE id > ? ORDER BY id LIMIT ?
                """, [.integer(afterID), .integer(Int64(limit))]
            ).map { row in
                AccessLogEntry(
                    id: Int64(row[0] ?? "") ?? 0, time: Int64(row[1] ?? "") ?? 0, principalKind: row[2] ?? "",
                    principal: row[3], role: row[4], method: row[5] ?? "", path: row[6] ?? "",
                    status: Int(row[7] ?? "") ?? 0, remoteAddress: row[8], read: row[9], outcome: row[10])
            }
        }
    }
}
