import Foundation
import VigilCore
import VigilStore

/// A person as listed (never with their password hash or TOTP secret).
public struct UserRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var role: Role
    public var disabled: Bool
    /// Milliseconds; in the future while the account is locked out.
    public var lockedUntil: Int64
    public var failedAttempts: Int
    public var createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, name, role, disabled
        case lockedUntil = "locked_until"
        case failedAttempts = "failed_attempts"
        case createdAt = "created_at"
    }
}

/// A signed-in person, from a valid session.
public struct SessionUser: Sendable {
    public var id: Int64
    public var name: String
    public var role: Role
    public var sessionID: Int64
    /// The session's anti-forgery token: unsafe requests made with the session cookie must echo it.
    public var csrfToken: String
}

/// An API token as listed (never its secret or hash).
public struct APITokenInfo: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var role: Role
    public var createdBy: String
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var lastUsedAt: Int64?
    public var revokedAt: Int64?

    enum CodingKeys: String, CodingKey {
        case id, name, role
        case createdBy = "created_by"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at"
    }
}

/// What login needs to know about one user.
struct LoginRecord: Sendable {
    var id: Int64
    var name: String
    var role: Role
    var passwordHash: String
    var totpSecret: String
    var totpLastCounter: Int64
    var disabled: Bool
    var failedAttempts: Int
    var lockedUntil: Int64
}

/// A session row joined with its user.
struct SessionRecord: Sendable {
    var id: Int64
    var csrfToken: String
    var lastSeenAt: Int64
    var expiresAt: Int64
    var ended: Bool
    var userID: Int64
    var userName: String
    var role: Role
    var userDisabled: Bool
}

/// The SQL for users, sessions and API tokens, on either engine (through `EventStore.withSQL`).
struct PeopleStore: Sendable {
    let store: any EventStore

    static func int(_ text: String?) -> Int64 { text.flatMap { Int64($0) } ?? 0 }
    static func optionalInt(_ text: String?) -> Int64? { text.flatMap { Int64($0) } }

    func userCount() throws -> Int {
        try store.withSQL { db in Int(Self.int(try db.scalar("SELECT count(*) FROM users"))) }
    }

    /// Inserts a user; nil when the name is taken.
    func insertUser(name: String, role: Role, passwordHash: String, totpSecret: String, now: Int64) throws -> Int64? {
        try store.withSQL { db in
            try db.transaction {
                if try db.scalar("SELECT id FROM users WHERE name = ?", [.text(name)]) != nil { return nil }
                return Self.int(
                    try db.scalar(
                        """
                        INSERT INTO users (name, role, password_hash, totp_secret, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?) RETURNING id
                        """,
                        [
                            .text(name), .text(role.rawValue), .text(passwordHash), .text(totpSecret), .integer(now),
                            .integer(now),
                        ]))
            }
        }
    }

    func listUsers() throws -> [UserRecord] {
        try store.withSQL { db in
            try db.query(
                "SELECT id, name, role, disabled, locked_until, failed_attempts, created_at FROM users ORDER BY name"
            ).map { row in
                UserRecord(
                    id: Self.int(row[0]), name: row[1] ?? "", role: Role(name: row[2] ?? "") ?? .auditor,
                    disabled: Self.int(row[3]) != 0, lockedUntil: Self.int(row[4]),
                    failedAttempts: Int(Self.int(row[5])), createdAt: Self.int(row[6]))
            }
        }
    }

    /// Disables or enables a user; disabling ends their sessions, enabling clears a lockout.
    /// Returns false when there is no such user.
    func setDisabled(name: String, disabled: Bool, now: Int64) throws -> Bool {
        try store.withSQL { db in
            try db.transaction {
                if disabled {
                    let role = try db.scalar("SELECT role FROM users WHERE name = ? AND disabled = 0", [.text(name)])
                    let others = try db.scalar(
                        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND name <> ?", [.text(name)])
                    if role == Role.admin.rawValue, others == "0" {
                        throw PeopleError(
                            code: "last-admin",
                            message: "'\(name)' is the last enabled admin; add or enable another admin first",
                            status: 409)
                    }
                }
                let changed = try db.run(
                    """
                    UPDATE users SET disabled = ?, failed_attempts = 0, locked_until = 0, updated_at = ? WHERE name = ?
                    """, [.integer(disabled ? 1 : 0), .integer(now), .text(name)])
                if disabled {
                    try db.run(
                        """
                        UPDATE sessions SET ended_at = ? WHERE ended_at IS NULL
                            AND user_id = (SELECT id FROM users WHERE name = ?)
                        """, [.integer(now), .text(name)])
                }
                return changed > 0
            }
        }
    }

    func loginRecord(name: String) throws -> LoginRecord? {
        try store.withSQL { db in
            guard
                let row = try db.query(
                    """
                    SELECT id, name, role, password_hash, totp_secret, totp_last_counter, disabled, failed_attempts,
                        locked_until FROM users WHERE name = ?
                    """, [.text(name)]
                ).first, let role = Role(name: row[2] ?? "")
            else { return nil }
            return LoginRecord(
                id: Self.int(row[0]), name: row[1] ?? "", role: role, passwordHash: row[3] ?? "",
                totpSecret: row[4] ?? "", totpLastCounter: Self.int(row[5]), disabled: Self.int(row[6]) != 0,
                failedAttempts: Int(Self.int(row[7])), lockedUntil: Self.int(row[8]))
        }
    }

    /// Counts a failed attempt; locks the account until `lockUntil` when it reaches `maxFailures`.
    /// Returns whether this attempt locked it.
    func recordFailure(userID: Int64, maxFailures: Int, lockUntil: Int64, now: Int64) throws -> Bool {
        try store.withSQL { db in
            try db.transaction {
                let failures = Self.int(
                    try db.scalar(
                        """
                        UPDATE users SET failed_attempts = failed_attempts + 1, updated_at = ? WHERE id = ?
                        RETURNING failed_attempts
                        """, [.integer(now), .integer(userID)]))
                guard failures >= maxFailures else { return false }
                try db.run(
                    "UPDATE users SET failed_attempts = 0, locked_until = ? WHERE id = ?",
                    [.integer(lockUntil), .integer(userID)])
                return true
            }
        }
    }

    /// A successful login: clears the failure count, remembers the TOTP step used (no replay), and opens a
    /// session. Returns false (and changes nothing) if the step was used meanwhile.
    func openSession(
        userID: Int64, totpCounter: Int64, tokenHash: String, csrfToken: String, now: Int64, expiresAt: Int64,
        remoteAddress: String?
    ) throws -> Int64? {
        try store.withSQL { db in
            try db.transaction {
                let claimed = try db.run(
                    """
                    UPDATE users SET failed_attempts = 0, locked_until = 0, totp_last_counter = ?, updated_at = ?
                    WHERE id = ? AND totp_last_counter < ?
                    """, [.integer(totpCounter), .integer(now), .integer(userID), .integer(totpCounter)])
                guard claimed == 1 else { return nil }
                return Self.int(
                    try db.scalar(
                        """
                        INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at,
                            remote_address) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
                        """,
                        [
                            .text(tokenHash), .integer(userID), .text(csrfToken), .integer(now), .integer(now),
                            .integer(expiresAt), remoteAddress.sqlValue,
                        ]))
            }
        }
    }

    func session(tokenHash: String) throws -> SessionRecord? {
        try store.withSQL { db in
            guard
                let row = try db.query(
                    """
                    SELECT sessions.id, sessions.csrf_token, sessions.last_seen_at, sessions.expires_at,
                        sessions.ended_at, users.id, users.name, users.role, users.disabled
                    FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.token_hash = ?
                    """, [.text(tokenHash)]
                ).first, let role = Role(name: row[7] ?? "")
            else { return nil }
            return SessionRecord(
                id: Self.int(row[0]), csrfToken: row[1] ?? "", lastSeenAt: Self.int(row[2]),
                expiresAt: Self.int(row[3]), ended: row[4] != nil, userID: Self.int(row[5]), userName: row[6] ?? "",
                role: role, userDisabled: Self.int(row[8]) != 0)
        }
    }

    func touchSession(id: Int64, now: Int64) throws {
        try store.withSQL { db in
            _ = try db.run("UPDATE sessions SET last_seen_at = ? WHERE id = ?", [.integer(now), .integer(id)])
        }
    }

    func endSession(id: Int64, now: Int64) throws {
        try store.withSQL { db in
            _ = try db.run(
                "UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", [.integer(now), .integer(id)])
        }
    }

    // MARK: API tokens

    static let tokenColumns = "id, name, role, created_by, created_at, expires_at, last_used_at, revoked_at"

    static func token(_ row: [String?]) -> APITokenInfo {
        APITokenInfo(
            id: int(row[0]), name: row[1] ?? "", role: Role(name: row[2] ?? "") ?? .auditor, createdBy: row[3] ?? "",
            createdAt: int(row[4]), expiresAt: optionalInt(row[5]), lastUsedAt: optionalInt(row[6]),
            revokedAt: optionalInt(row[7]))
    }

    func insertToken(
        name: String, role: Role, tokenHash: String, createdBy: String, now: Int64, expiresAt: Int64?
    )
        throws -> APITokenInfo
    {
        try store.withSQL { db in
            let row = try db.query(
                """
                INSERT INTO api_tokens (name, token_hash, role, created_by, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?) RETURNING \(Self.tokenColumns)
                """,
                [
                    .text(name), .text(tokenHash), .text(role.rawValue), .text(createdBy), .integer(now),
                    expiresAt.sqlValue,
                ])
            guard let first = row.first else {
                throw StoreError(code: "store.token", message: "the token insert returned no row")
            }
            return Self.token(first)
        }
    }

    func listTokens() throws -> [APITokenInfo] {
        try store.withSQL { db in
            try db.query("SELECT \(Self.tokenColumns) FROM api_tokens ORDER BY id").map(Self.token)
        }
    }

    func revokeToken(id: Int64, now: Int64) throws -> Bool {
        try store.withSQL { db in
            try db.run(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                [.integer(now), .integer(id)]
            ) > 0
        }
    }

    /// The token with this hash, if it is neither revoked nor expired; records its use.
    func usableToken(hash: String, now: Int64) throws -> APITokenInfo? {
        try store.withSQL { db in
            guard
                let row = try db.query(
                    """
                    SELECT \(Self.tokenColumns) FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL
                        AND (expires_at IS NULL OR expires_at > ?)
                    """, [.text(hash), .integer(now)]
                ).first
            else { return nil }
            let token = Self.token(row)
            // Recorded to the minute: a write (and a sync) per request would halve the API's throughput.
            if now - (token.lastUsedAt ?? 0) >= 60_000 {
                try db.run("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [.integer(now), .integer(token.id)])
            }
            return token
        }
    }
}
