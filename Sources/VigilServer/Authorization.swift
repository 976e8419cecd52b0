/// A person's role (PCI DSS 7.2): what they may see and do is decided by `Authorization.table` alone.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Everything, including users and tokens.
    case admin
    /// Reads everything operational and works alerts (acknowledge, resolve, comment).
    case analyst
    /// Reads everything, including the access log, and may verify the archive; changes nothing.
    case auditor

    /// Parses a role name; nil for anything else.
    public init?(name: String) { self.init(rawValue: name) }
}

/// Something a route needs. Every route names exactly one.
public enum Permission: String, Sendable, CaseIterable {
    /// No credential needed: health check, login, the TLS certificate, enrollment, the stylesheet.
    case `public`
    /// An enrolled agent sending its batches.
    case submitEvents
    /// A signed-in person ending their own session or asking who they are.
    case ownSession
    case readEvents
    case readHosts
    case readAlerts
    case changeAlerts
    case readAccessLog
    case readArchive
    case verifyArchive
    case readMetrics
    /// Compliance reports (PCI DSS evidence): what an auditor comes for.
    case readReports
    case manageUsers
    case manageTokens
    /// Reading and setting the policy every agent receives (FIM paths, audit rules, schedules).
    case managePolicy
}

/// Who may hold a permission.
public enum Subject: Sendable, Hashable {
    case anyone
    case agent
    case role(Role)
}

/// Who is making a request, as established by `Authenticator`.
public enum Principal: Sendable {
    case anonymous
    case agent(id: String)
    case user(SessionUser)
    case token(APITokenInfo)

    /// The role a person or token acts with; nil for agents and anonymous callers.
    public var role: Role? {
        switch self {
        case .user(let user): user.role
        case .token(let token): token.role
        case .agent, .anonymous: nil
        }
    }

    /// For the access log and alert history: `user:alice`, `token:7:ci`, `agent:…`, `anonymous`.
    public var logName: String {
        switch self {
        case .anonymous: "anonymous"
        case .agent(let id): "agent:\(id)"
        case .user(let user): "user:\(user.name)"
        case .token(let token): "token:\(token.id):\(token.name)"
        }
    }

    var kind: String {
        switch self {
        case .anonymous: "anonymous"
        case .agent: "agent"
        case .user: "user"
        case .token: "token"
        }
    }

    var subjects: Set<Subject> {
        switch self {
        case .anonymous: [.anyone]
        case .agent: [.anyone, .agent]
        case .user(let user): [.anyone, .role(user.role)]
        case .token(let token): [.anyone, .role(token.role)]
        }
    }
}

/// The one authorization table, checked in one place (`SecureRouter`). A route that names a permission not
/// granted here is reachable by nobody.
public enum Authorization {
    static let readers: Set<Subject> = [.role(.admin), .role(.analyst), .role(.auditor)]

    public static let table: [Permission: Set<Subject>] = [
        .public: [.anyone],
        .submitEvents: [.agent],
        .ownSession: readers,
        .readEvents: readers,
        .readHosts: readers,
        .readAlerts: readers,
        .changeAlerts: [.role(.admin), .role(.analyst)],
        .readAccessLog: [.role(.admin), .role(.auditor)],
        .readArchive: readers,
        .verifyArchive: readers,
        .readMetrics: readers,
        .readReports: readers,
        .manageUsers: [.role(.admin)],
        .manageTokens: [.role(.admin)],
        .managePolicy: [.role(.admin)],
    ]

    /// Whether `principal` holds `permission`.
    public static func allows(_ principal: Principal, _ permission: Permission) -> Bool {
        guard let holders = table[permission] else { return false }
        return !holders.isDisjoint(with: principal.subjects)
    }
}
