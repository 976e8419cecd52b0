import Foundation
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilStore

/// How people sign in: the limits PCI DSS 8.2.8 and 8.3.4 ask for, and the password rules of 8.3.6.
public struct PeoplePolicy: Sendable {
    /// A session unused this long is over (PCI 8.2.8: at most 15 minutes).
    public var idleTimeout: Int64 = 15 * 60_000
    /// A session is over this long after sign-in, used or not.
    public var absoluteLifetime: Int64 = 12 * 3_600_000
    /// Failed attempts in a row that lock an account (PCI 8.3.4: at most 10).
    public var maxFailures = 6
    /// How long a lockout lasts (PCI 8.3.4: at least 30 minutes).
    public var lockoutDuration: Int64 = 30 * 60_000
    /// scrypt cost for new password hashes (tests lower it).
    public var passwordCost = PasswordHash.standard
    /// Shortest password accepted (PCI 8.3.6: 12 characters, letters and digits).
    public var minimumPasswordLength = 12

    public init() {}
}

/// What a login attempt came to. Reasons go to the access log, never to the caller.
public enum LoginOutcome: Sendable {
    case success(token: String, session: SessionUser, expiresAt: Int64)
    case failure(reason: String)
}

/// A new user's one-time secrets: the TOTP enrolment URI is shown once.
public struct NewUser: Sendable {
    public var user: UserRecord
    public var otpauthURI: String
}

/// An error about people (bad name, weak password, duplicate): an `HTTPError` 400/409 for the API, and a
/// plain message for the command line.
public struct PeopleError: VigilError {
    public var code: String
    public var message: String
    public var status: Int

    var http: HTTPError { HTTPError(status: status, code: code, message: message) }
}

/// Sign-in, sessions and API tokens. Time comes from the injected clock, so expiry and lockout are tested
/// without waiting.
public final class Authenticator: Sendable {
    public static let sessionCookie = "vigil_session"
    public static let tokenPrefix = "vgt_"
    let people: PeopleStore
    let clock: any Clock
    public let policy: PeoplePolicy
    /// Verified against when the user does not exist, so a wrong name costs the same time as a wrong password.
    let decoyHash: String

    public init(store: any EventStore, clock: any Clock, policy: PeoplePolicy = PeoplePolicy()) {
        self.people = PeopleStore(store: store)
        self.clock = clock
        self.policy = policy
        self.decoyHash =
            (try? policy.passwordCost.hash(password: Hex.encode((try? SecureRandom.bytes(16)) ?? [0])))
            ?? "scrypt$1$1$1$AA==$AA=="
    }

    static func hash(_ secret: String) -> String { SHA256.hash(secret).hex }

    // MARK: Users

    /// Checks a user name: 1 to 64 characters, no control characters, no ':' (the TOTP label separator),
    /// no surrounding spaces.
    public static func checkName(_ name: String) throws {
        guard (1...64).contains(name.count), !name.contains(":"),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
            name.trimmingCharacters(in: .whitespaces) == name
        else {
            throw PeopleError(
                code: "invalid-name",
                message: "a user name is 1 to 64 characters, without ':', control characters or surrounding spaces",
                status: 400)
        }
    }

    /// Checks a password against PCI DSS 8.3.6: at least `minimumPasswordLength` characters, with letters and
    /// digits.
    public func checkPassword(_ password: String) throws {
        guard password.count >= policy.minimumPasswordLength, password.contains(where: \.isLetter),
            password.contains(where: \.isNumber)
        else {
            throw PeopleError(
                code: "weak-password",
                message:
                    "a password needs at least \(policy.minimumPasswordLength) characters, with both letters and digits",
                status: 400)
        }
    }

    /// Creates a user with a new TOTP secret.
    /// - Throws: `PeopleError` for a bad name, a weak password or a name already taken.
    public func addUser(name: String, role: Role, password: String) throws -> NewUser {
        try Self.checkName(name)
        try checkPassword(password)
        let secret = try TOTP.generateSecret()
        let hash = try policy.passwordCost.hash(password: password)
        let now = clock.nowMilliseconds()
        guard
            let id = try people.insertUser(
                name: name, role: role, passwordHash: hash, totpSecret: Base32.encode(secret), now: now)
        else {
            throw PeopleError(code: "user-exists", message: "a user named '\(name)' already exists", status: 409)
        }
        return NewUser(
            user: UserRecord(
                id: id, name: name, role: role, disabled: false, lockedUntil: 0, failedAttempts: 0, createdAt: now),
            otpauthURI: Self.otpauthURI(secret: secret, account: name))
    }

    /// `otpauth://totp/Vigil:NAME?secret=…&issuer=Vigil` (Key URI format; SHA-1, 6 digits and 30 s are the
    /// defaults every authenticator assumes). The name is percent-encoded; the issuer's colon is literal.
    static func otpauthURI(secret: [UInt8], account: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~@")
        let label = account.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return "otpauth://totp/Vigil:\(label)?secret=\(Base32.encode(secret))&issuer=Vigil"
    }

    public func listUsers() throws -> [UserRecord] { try people.listUsers() }

    /// On a store with no users, creates `admin` with a random password (what `vigil up` does on first
    /// start) and returns the password and TOTP URI to show once; nil when there are users already.
    public func createFirstAdminIfNone() throws -> (user: UserRecord, password: String, otpauthURI: String)? {
        guard try people.userCount() == 0 else { return nil }
        var password = ""
        repeat {
            password = String(Self.newSecret().prefix(24))
        } while (try? checkPassword(password)) == nil
        let created = try addUser(name: "admin", role: .admin, password: password)
        return (created.user, password, created.otpauthURI)
    }

    public func userCount() throws -> Int { try people.userCount() }

    /// Disables (ending their sessions) or re-enables (clearing a lockout) a user; false if there is none.
    public func setDisabled(name: String, _ disabled: Bool) throws -> Bool {
        try people.setDisabled(name: name, disabled: disabled, now: clock.nowMilliseconds())
    }

    // MARK: Sign-in

    /// Checks a name, password and TOTP code; opens a session on success. Counts failures and locks the
    /// account after `policy.maxFailures` of them; a locked, disabled or unknown account always fails.
    public func login(name: String, password: String, code: String, remoteAddress: String?) throws -> LoginOutcome {
        let now = clock.nowMilliseconds()
        guard let record = try people.loginRecord(name: name) else {
            _ = PasswordHash.verify(password: password, against: decoyHash)
            return .failure(reason: "unknown user")
        }
        if record.lockedUntil > now {
            _ = PasswordHash.verify(password: password, against: decoyHash)
            return .failure(reason: "account locked until \(record.lockedUntil)")
        }
        if record.disabled {
            _ = PasswordHash.verify(password: password, against: decoyHash)
            return .failure(reason: "account disabled")
        }
        let passwordOK = PasswordHash.verify(password: password, against: record.passwordHash)
        let counter = passwordOK ? Self.matchingCounter(code, secret: record.totpSecret, now: now) : nil
        guard passwordOK, let counter else {
            let locked = try people.recordFailure(
                userID: record.id, maxFailures: policy.maxFailures, lockUntil: now + policy.lockoutDuration, now: now)
            let what = passwordOK ? "wrong TOTP code" : "wrong password"
            return .failure(reason: locked ? "\(what); account now locked" : what)
        }
        let token = Self.newSecret()
        let csrf = Self.newSecret()
        let expiresAt = now + policy.absoluteLifetime
        guard
            let sessionID = try people.openSession(
                userID: record.id, totpCounter: counter, tokenHash: Self.hash(token), csrfToken: csrf, now: now,
                expiresAt: expiresAt, remoteAddress: remoteAddress)
        else {
            _ = try people.recordFailure(
                userID: record.id, maxFailures: policy.maxFailures, lockUntil: now + policy.lockoutDuration, now: now)
            return .failure(reason: "TOTP code already used")
        }
        return .success(
            token: token,
            session: SessionUser(
                id: record.id, name: record.name, role: record.role, sessionID: sessionID, csrfToken: csrf),
            expiresAt: expiresAt)
    }

    /// The TOTP time step `code` matches (this step or one either side), or nil.
    static func matchingCounter(_ code: String, secret: String, now: Int64) -> Int64? {
        guard let key = Base32.decode(secret), code.count == 6, code.allSatisfy(\.isASCII) else { return nil }
        let totp = TOTP(secret: key)
        let current = now / 1000 / totp.period
        var found: Int64?
        for delta: Int64 in [-1, 0, 1] {
            let counter = current + delta
            guard counter > 0 else { continue }
            if ConstantTime.equals(Array(totp.code(counter: UInt64(counter)).utf8), Array(code.utf8)) {
                found = counter
            }
        }
        return found
    }

    static func newSecret() -> String {
        let bytes = (try? SecureRandom.bytes(32)) ?? []
        precondition(bytes.count == 32, "the random generator failed")
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The person behind a session token, if the session is open, not idle past `idleTimeout`, not older than
    /// its absolute lifetime, and the user is enabled. Each use moves the idle deadline unless `touch` is
    /// false (the dashboard's automatic refresh is not activity). The failure reason is for the access log.
    public func session(token: String, touch: Bool = true) throws -> (SessionUser?, failure: String?) {
        let now = clock.nowMilliseconds()
        guard let record = try people.session(tokenHash: Self.hash(token)) else { return (nil, "unknown session") }
        if record.ended { return (nil, "session ended") }
        if record.userDisabled { return (nil, "user disabled") }
        if now >= record.expiresAt { return (nil, "session past its absolute lifetime") }
        if now - record.lastSeenAt >= policy.idleTimeout {
            try people.endSession(id: record.id, now: now)
            return (nil, "session idle for more than \(policy.idleTimeout / 60_000) minutes")
        }
        // Moved at most every 10 s (a write per request would cost a sync each); idle time is measured from
        // the last recorded use, so a session may end up to 10 s early, never late.
        if touch, now - record.lastSeenAt >= 10_000 { try people.touchSession(id: record.id, now: now) }
        return (
            SessionUser(
                id: record.userID, name: record.userName, role: record.role, sessionID: record.id,
                csrfToken: record.csrfToken), nil
        )
    }

    public func logout(sessionID: Int64) throws { try people.endSession(id: sessionID, now: clock.nowMilliseconds()) }

    // MARK: API tokens

    /// Creates an API token bound to `role`; the secret (`vgt_…`) is returned once, only its hash is kept.
    public func createToken(
        name: String, role: Role, createdBy: String, expiresAt: Int64?
    ) throws -> (
        APITokenInfo, secret: String
    ) {
        guard (1...128).contains(name.count) else {
            throw PeopleError(code: "invalid-name", message: "a token name is 1 to 128 characters", status: 400)
        }
        let secret = Self.tokenPrefix + Self.newSecret()
        let info = try people.insertToken(
            name: name, role: role, tokenHash: Self.hash(secret), createdBy: createdBy,
            now: clock.nowMilliseconds(), expiresAt: expiresAt)
        return (info, secret)
    }

    public func listTokens() throws -> [APITokenInfo] { try people.listTokens() }

    public func revokeToken(id: Int64) throws -> Bool { try people.revokeToken(id: id, now: clock.nowMilliseconds()) }

    /// The token for a presented secret, if usable.
    public func token(secret: String) throws -> APITokenInfo? {
        guard secret.hasPrefix(Self.tokenPrefix) else { return nil }
        return try people.usableToken(hash: Self.hash(secret), now: clock.nowMilliseconds())
    }
}
