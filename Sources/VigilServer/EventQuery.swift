import Foundation
import VigilCore
import VigilHTTP
import VigilStore

/// A validated events search: every filter the API takes, turned into bound SQL on either engine.
public struct EventQuery: Sendable {
    public var host: String?
    public var classUID: Int?
    public var user: String?
    /// A program's full path, or its file name.
    public var process: String?
    /// Case-insensitive (ASCII) substring of the event's JSON.
    public var text: String?
    public var from: Int64?
    public var to: Int64?
    public var limit = 100
    /// Keyset cursor from the previous page: `<time>.<id>`.
    public var before: (time: Int64, id: Int64)?

    public init() {}

    static let parameters: Set<String> = [
        "host", "class_uid", "user", "process", "text", "from", "to", "limit", "cursor",
    ]

    static func bad(_ message: String) -> HTTPError { HTTPError(status: 400, code: "invalid-query", message: message) }

    /// Milliseconds since the epoch from `1733300000000` or an RFC 3339 time.
    static func time(_ text: String, name: String) throws -> Int64 {
        if let value = Int64(text), value >= 0 { return value }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        if let date = formatter.date(from: text) ?? plain.date(from: text) {
            return Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        }
        throw bad("\(name) must be milliseconds since 1970 or an RFC 3339 time such as 2026-12-04T10:00:00Z")
    }

    static func limit(_ query: [String: String]) throws -> Int {
        guard let text = query["limit"] else { return 100 }
        guard let value = Int(text), (1...1000).contains(value) else {
            throw bad("limit must be a whole number from 1 to 1000")
        }
        return value
    }

    static func checkNames(_ query: [String: String], allowed: Set<String>) throws {
        if let unknown = query.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw bad(
                "unknown query parameter '\(unknown.prefix(64))'; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    static func text(_ query: [String: String], _ name: String) throws -> String? {
        guard let value = query[name] else { return nil }
        guard !value.isEmpty, value.count <= 256 else { throw bad("\(name) must be 1 to 256 characters") }
        return value
    }

    /// Parses and validates the query string.
    /// - Throws: `HTTPError` 400 `invalid-query` naming the parameter and what it takes.
    public init(query: [String: String]) throws {
        try Self.checkNames(query, allowed: Self.parameters)
        host = try Self.text(query, "host")
        user = try Self.text(query, "user")
        process = try Self.text(query, "process")
        text = try Self.text(query, "text")
        if let value = query["class_uid"] {
            guard let number = Int(value), EventClass(rawValue: number) != nil else {
                throw Self.bad(
                    "class_uid must be one of \(EventClass.allCases.map { String($0.rawValue) }.joined(separator: ", "))"
                )
            }
            classUID = number
        }
        from = try query["from"].map { try Self.time($0, name: "from") }
        to = try query["to"].map { try Self.time($0, name: "to") }
        if let from, let to, from >= to { throw Self.bad("from must be before to") }
        limit = try Self.limit(query)
        if let cursor = query["cursor"] {
            let parts = cursor.split(separator: ".")
            guard parts.count == 2, let time = Int64(parts[0]), let id = Int64(parts[1]) else {
                throw Self.bad("cursor must be the next_cursor value of the previous page")
            }
            before = (time, id)
        }
    }

    /// A short description for the access log.
    var summary: String {
        var parts: [String] = []
        if let host { parts.append("host=\(host)") }
        if let classUID { parts.append("class_uid=\(classUID)") }
        if let user { parts.append("user=\(user)") }
        if let process { parts.append("process=\(process)") }
        if let text { parts.append("text=\(text)") }
        if let from { parts.append("from=\(from)") }
        if let to { parts.append("to=\(to)") }
        return parts.joined(separator: " ")
    }

    static func likeEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// One page of events, newest first: the events' stored JSON, and the cursor of the next page.
    func run(_ store: any EventStore) throws -> (events: [String], next: String?) {
        var clauses: [String] = []
        var values: [SQLValue] = []
        if let host {
            clauses.append("(hosts.hostname = ? OR hosts.uid = ?)")
            values += [.text(host), .text(host)]
        }
        if let classUID {
            clauses.append("events.class_uid = ?")
            values.append(.integer(Int64(classUID)))
        }
        if let user {
            clauses.append("events.user_name = ?")
            values.append(.text(user))
        }
        if let process {
            clauses.append("(events.process_path = ? OR events.process_path LIKE ? ESCAPE '\\')")
            values += [.text(process), .text("%/" + Self.likeEscaped(process))]
        }
        if let text {
            clauses.append("lower(events.json) LIKE ? ESCAPE '\\'")
            values.append(.text("%" + Self.likeEscaped(text.lowercased()) + "%"))
        }
        if let from {
            clauses.append("events.time >= ?")
            values.append(.integer(from))
        }
        if let to {
            clauses.append("events.time < ?")
            values.append(.integer(to))
        }
        if let before {
            clauses.append("(events.time < ? OR (events.time = ? AND events.id < ?))")
            values += [.integer(before.time), .integer(before.time), .integer(before.id)]
        }
        values.append(.integer(Int64(limit + 1)))
        let sql = """
            SELECT events.time, events.id, events.json FROM events JOIN hosts ON hosts.id = events.host_id
            \(clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "))
            ORDER BY events.time DESC, events.id DESC LIMIT ?
            """
        let rows = try store.withSQL { db in try db.query(sql, values) }
        let page = rows.prefix(limit)
        let next = rows.count > limit ? page.last.map { "\($0[0] ?? "0").\($0[1] ?? "0")" } : nil
        return (page.map { $0[2] ?? "null" }, next)
    }
}

/// Hosts as listed by the API.
public struct HostRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var uid: String
    public var hostname: String
    public var os: String?
    public var firstSeen: Int64
    public var lastSeen: Int64

    enum CodingKeys: String, CodingKey {
        case id, uid, hostname, os
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
    }

    static func list(_ store: any EventStore, limit: Int, offset: Int) throws -> [HostRecord] {
        try store.withSQL { db in
            try db.query(
                "SELECT id, uid, hostname, os, first_seen, last_seen FROM hosts ORDER BY hostname, id LIMIT ? OFFSET ?",
                [.integer(Int64(limit)), .integer(Int64(offset))]
            ).map { row in
                HostRecord(
                    id: Int64(row[0] ?? "") ?? 0, uid: row[1] ?? "", hostname: row[2] ?? "", os: row[3],
                    firstSeen: Int64(row[4] ?? "") ?? 0, lastSeen: Int64(row[5] ?? "") ?? 0)
            }
        }
    }
}
