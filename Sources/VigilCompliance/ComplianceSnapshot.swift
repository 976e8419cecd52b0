/// Everything the PCI DSS evaluator looks at for one period, as counts, times and lists gathered from the
/// store beforehand (`PCISnapshotBuilder` in VigilServer). Plain values: the evaluator does no I/O and never
/// reads the clock, so every status can be tested from a hand-made snapshot.
public struct ComplianceSnapshot: Sendable, Equatable {
    /// The period covered, `[from, until)` in milliseconds. The builder clamps `until` to the time it ran, so
    /// an hour that has not happened yet is never counted as silence.
    public var from: Int64
    public var until: Int64
    /// A host counts as silent when no event of it arrived for longer than this (milliseconds).
    public var silenceThreshold: Int64
    public var hosts: [HostEvidence]
    /// The platform's own accounts (PCI DSS 8.4).
    public var users: [UserEvidence]
    /// Alerts raised during the period.
    public var alerts: [AlertEvidence]
    /// Days the server keeps events, when known (the server's configuration; nil when the report is built
    /// offline without `--retention-days`).
    public var retentionDays: Int?
    /// The oldest event the store holds (any time, not only the period), and the first time any host was seen.
    public var oldestEventTime: Int64?
    public var firstHostSeen: Int64?
    public var archive: ArchiveEvidence
    /// Detection rules the server has loaded; nil when unknown.
    public var detectionRules: Int?
    /// Which events of the period carry the fields PCI DSS 10.2.2 asks for, per event class.
    public var fields: [FieldCoverage]

    public init(
        from: Int64, until: Int64, silenceThreshold: Int64 = 15 * 60_000, hosts: [HostEvidence] = [],
        users: [UserEvidence] = [], alerts: [AlertEvidence] = [], retentionDays: Int? = nil,
        oldestEventTime: Int64? = nil, firstHostSeen: Int64? = nil, archive: ArchiveEvidence = ArchiveEvidence(),
        detectionRules: Int? = nil, fields: [FieldCoverage] = []
    ) {
        self.from = from
        self.until = until
        self.silenceThreshold = silenceThreshold
        self.hosts = hosts
        self.users = users
        self.alerts = alerts
        self.retentionDays = retentionDays
        self.oldestEventTime = oldestEventTime
        self.firstHostSeen = firstHostSeen
        self.archive = archive
        self.detectionRules = detectionRules
        self.fields = fields
    }
}

/// The kinds of event PCI DSS 10.2.1.1–10.2.1.7 asks every system to record, as Vigil recognises them.
public enum AuditEventKind: String, Sendable, CaseIterable, Codable {
    /// File system activity on watched paths (where cardholder data lives).
    case dataAccess = "data-access"
    /// Programs run as root.
    case adminActions = "admin-actions"
    /// File activity under `/var/log`.
    case auditLogAccess = "audit-log-access"
    /// Failed authentications.
    case failedLogins = "failed-logins"
    /// Account and credential changes.
    case credentialChanges = "credential-changes"
    /// Audit configuration and daemon start/stop records.
    case auditControl = "audit-control"
    /// Files created or deleted, kernel modules loaded or unloaded.
    case systemObjects = "system-objects"
}

/// One host's evidence over the period.
public struct HostEvidence: Sendable, Equatable {
    public var uid: String
    public var hostname: String
    public var firstSeen: Int64
    public var lastSeen: Int64
    /// Events of each kind recorded in the period (a kind absent means zero).
    public var kinds: [AuditEventKind: Int]
    /// Events of any kind in the period, and the first and last of them.
    public var events: Int
    public var firstEvent: Int64?
    public var lastEvent: Int64?
    /// Gaps between consecutive events longer than the snapshot's threshold, inside the period.
    public var gaps: [TimeSpan]
    /// Process launches recorded (the intrusion detection sensor's stream).
    public var processEvents: Int
    /// UTC days (milliseconds / 86 400 000) on which the host sent file integrity events.
    public var fimDays: [Int64]
    /// Events the agent or the kernel reported losing.
    public var losses: [Loss]
    /// Stretches inside the period during which kernel auditing was switched off (`audit_enabled=0` until it
    /// was switched back on, or the period's end).
    public var auditDisabled: [TimeSpan]

    public init(
        uid: String, hostname: String, firstSeen: Int64, lastSeen: Int64, kinds: [AuditEventKind: Int] = [:],
        events: Int = 0, firstEvent: Int64? = nil, lastEvent: Int64? = nil, gaps: [TimeSpan] = [],
        processEvents: Int = 0, fimDays: [Int64] = [], losses: [Loss] = [], auditDisabled: [TimeSpan] = []
    ) {
        self.uid = uid
        self.hostname = hostname
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.kinds = kinds
        self.events = events
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.gaps = gaps
        self.processEvents = processEvents
        self.fimDays = fimDays
        self.losses = losses
        self.auditDisabled = auditDisabled
    }
}

/// A stretch of time, `[start, end)` in milliseconds.
public struct TimeSpan: Sendable, Equatable, Codable {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    public var duration: Int64 { end - start }
}

/// Events lost on a host: the agent's spool overflowing or the kernel's audit backlog.
public struct Loss: Sendable, Equatable, Codable {
    public var time: Int64
    public var count: Int
    /// `agent spool` or `kernel audit`.
    public var source: String

    public init(time: Int64, count: Int, source: String) {
        self.time = time
        self.count = count
        self.source = source
    }
}

/// A person with an account on the platform.
public struct UserEvidence: Sendable, Equatable {
    public var name: String
    public var role: String
    public var hasSecondFactor: Bool
    public var disabled: Bool

    public init(name: String, role: String, hasSecondFactor: Bool, disabled: Bool = false) {
        self.name = name
        self.role = role
        self.hasSecondFactor = hasSecondFactor
        self.disabled = disabled
    }
}

/// An alert and when someone first looked at it (acknowledged or resolved it).
public struct AlertEvidence: Sendable, Equatable {
    public var id: Int64
    public var title: String
    public var hostUID: String
    public var time: Int64
    public var reviewedAt: Int64?

    public init(id: Int64, title: String, hostUID: String, time: Int64, reviewedAt: Int64?) {
        self.id = id
        self.title = title
        self.hostUID = hostUID
        self.time = time
        self.reviewedAt = reviewedAt
    }
}

/// The archive: how much is in it, what waits to go in, its signed checkpoints, and whether the stored tree
/// matched the newest checkpoint when the snapshot was taken.
public struct ArchiveEvidence: Sendable, Equatable {
    public var entries: UInt64
    public var waiting: Int
    public var checkpoints: [Checkpoint]
    /// nil: not verified; otherwise whether it matched, with what was found.
    public var verified: Bool?
    public var verification: String

    public struct Checkpoint: Sendable, Equatable {
        public var size: UInt64
        public var signedAt: Int64

        public init(size: UInt64, signedAt: Int64) {
            self.size = size
            self.signedAt = signedAt
        }
    }

    public init(
        entries: UInt64 = 0, waiting: Int = 0, checkpoints: [Checkpoint] = [], verified: Bool? = nil,
        verification: String = ""
    ) {
        self.entries = entries
        self.waiting = waiting
        self.checkpoints = checkpoints
        self.verified = verified
        self.verification = verification
    }
}

/// For one event class, how many events of the period lack a user or an outcome.
public struct FieldCoverage: Sendable, Equatable {
    public var classUID: Int
    public var events: Int
    public var withoutUser: Int
    public var withoutOutcome: Int

    public init(classUID: Int, events: Int, withoutUser: Int, withoutOutcome: Int) {
        self.classUID = classUID
        self.events = events
        self.withoutUser = withoutUser
        self.withoutOutcome = withoutOutcome
    }
}
