import VigilCore

/// One event as a table row shows it. Built from an `Event` by `EventRow.init(rowID:hostID:hostname:event:)`.
struct EventRow: Sendable, Equatable {
    var rowID: Int64
    var hostID: Int64
    var hostname: String
    var time: Int64
    var classUID: EventClass
    var severity: Severity
    /// What happened, in words: `process started`, `login failed`, `file changed`…
    var activity: String
    var kind: TimelineKind
    var user: String
    var process: String
    var pid: Int?
    /// The one line that says most: the command line, the file path, the connection, the message.
    var detail: String
    /// The whole event as pretty JSON, for the row's details.
    var json: String
    /// The event's uid and its host's machine id: together they name its archive entry (inclusion proof).
    var uid: String = ""
    var hostUID: String = ""

    /// The event's inclusion proof in the archive (`GET /api/v1/events/{uid}/proof?host=…`).
    var proofLink: String {
        PageKit.link("/api/v1/events/\(PageKit.percentEncode(uid))/proof", [("host", hostUID)])
    }
}

/// What a host's timeline groups activity into.
enum TimelineKind: String, Sendable, CaseIterable {
    case login, sudo, process, connection, file, account, other

    var title: String {
        switch self {
        case .login: "Logins & sudo"
        case .sudo: "sudo / su"
        case .process: "Process starts"
        case .connection: "Connections"
        case .file: "File changes"
        case .account: "Account changes"
        case .other: "Other"
        }
    }

    /// The classes a filter on this kind asks the store for.
    var classes: [EventClass] {
        switch self {
        case .login, .sudo: [.authentication]
        case .process: [.processActivity]
        case .connection: [.networkActivity]
        case .file: [.fileSystemActivity]
        case .account: [.accountChange]
        case .other: []
        }
    }

    /// The classes a host timeline shows.
    static let timelineClasses: [EventClass] = [
        .authentication, .processActivity, .networkActivity, .fileSystemActivity, .accountChange,
    ]
}

/// A host as the hosts list shows it.
struct HostRow: Sendable, Equatable {
    var id: Int64
    var hostname: String
    var uid: String
    var os: String
    var firstSeen: Int64
    var lastSeen: Int64
    var online: Bool
    var events24h: Int
}

/// Counts for one label (a class, a host) over the last day and the last 30 days.
struct CountRow: Sendable, Equatable {
    var label: String
    var href: String
    var day: Int
    var month: Int
}

struct OverviewModel: Sendable {
    var now: Int64
    var hostsTotal: Int
    var hostsOnline: Int
    var events24h: Int
    var events30d: Int
    /// 24 hourly buckets, oldest first, counts by severity id.
    var hourly: [Charts.StackedBar]
    /// 30 daily buckets, oldest first.
    var daily: [Charts.StackedBar]
    var byClass: [CountRow]
    var byHost: [CountRow]
    /// Hosts silent for longer than the online window (agents with problems).
    var silentHosts: [HostRow]
    /// The newest critical alerts and the rules that fired most in 30 days (nil: no alert store).
    var criticalAlerts: [AlertRecord]? = nil
    var topRules: [(ruleID: String, title: String, level: String, alerts: Int, events: Int)] = []
}

/// The filter form's values as typed (kept verbatim so the form shows what was asked).
struct EventFilterForm: Sendable, Equatable {
    var host: String = ""
    var user: String = ""
    var process: String = ""
    var classUID: String = ""
    var text: String = ""
    var from: String = ""
    var to: String = ""
    var range: String = ""

    /// The form as query parameters (for links to other pages of the same search).
    var parameters: [(String, String?)] {
        [
            ("host", host), ("user", user), ("process", process), ("class", classUID), ("q", text),
            ("from", from), ("to", to), ("range", range),
        ]
    }
}

struct HostOption: Sendable, Equatable {
    var id: Int64
    var hostname: String
}

struct EventsPageModel: Sendable {
    var now: Int64
    var form: EventFilterForm
    /// Problems with the form (a date that is not one), shown above the results.
    var errors: [String]
    var hosts: [HostOption]
    var rows: [EventRow]
    /// The `before` cursor of the next (older) page.
    var nextCursor: String?
    /// Whether this is a later page (so a "newest" link makes sense).
    var paged: Bool
}

struct HostsPageModel: Sendable {
    var now: Int64
    var hosts: [HostRow]
}

struct HostPageModel: Sendable {
    var now: Int64
    var host: HostRow
    /// Facts as label/value pairs (OS, machine id, address, sensors…).
    var facts: [(String, String)]
    /// Events per hour over the last 24 h, oldest first, with the hour labels.
    var hourly: [Int]
    var hourLabels: [String]
    /// The timeline's filter (nil: everything).
    var kind: TimelineKind?
    var kindCounts: [TimelineKind: Int]
    var timeline: [EventRow]
    var nextCursor: String?
    var paged: Bool
}

struct FileIntegrityModel: Sendable {
    var now: Int64
    var rows: [EventRow]
    var nextCursor: String?
    var paged: Bool
}
