import VigilCore

/// An enrolled agent as stored. Only the SHA-256 of its secret is kept.
public struct AgentRecord: Sendable, Equatable, Codable {
    public var id: String
    /// The machine id of the host it enrolled for; every event it sends must carry it in `device.uid`.
    public var hostUID: String
    public var hostname: String
    public var secretSHA256: [UInt8]
    public var enrolledAt: Int64
    public var revokedAt: Int64?
    public var lastSeen: Int64?

    public init(
        id: String, hostUID: String, hostname: String, secretSHA256: [UInt8], enrolledAt: Int64,
        revokedAt: Int64? = nil, lastSeen: Int64? = nil
    ) {
        self.id = id
        self.hostUID = hostUID
        self.hostname = hostname
        self.secretSHA256 = secretSHA256
        self.enrolledAt = enrolledAt
        self.revokedAt = revokedAt
        self.lastSeen = lastSeen
    }
}

/// Why an enrollment token was not taken.
public enum EnrollmentRefusal: String, Sendable, Equatable {
    case unknown, used, expired
}

/// An alert as detection produces it, before it is stored (or merged into an open alert with the same key).
public struct AlertDraft: Sendable, Equatable, Codable {
    public var ruleID: String
    public var ruleTitle: String
    public var level: String
    public var hostUID: String
    public var eventUIDs: [String]
    public var time: Int64
    /// The event fields the rule looked at, with their values.
    public var fields: [String: String]
    /// Repeats of an open alert with the same key are counted on it instead of opening another.
    public var dedupKey: String

    public init(
        ruleID: String, ruleTitle: String, level: String, hostUID: String, eventUIDs: [String], time: Int64,
        fields: [String: String], dedupKey: String
    ) {
        self.ruleID = ruleID
        self.ruleTitle = ruleTitle
        self.level = level
        self.hostUID = hostUID
        self.eventUIDs = eventUIDs
        self.time = time
        self.fields = fields
        self.dedupKey = dedupKey
    }
}

/// A stored alert.
public struct AlertRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var draft: AlertDraft
    /// `open`, `acknowledged` or `resolved`.
    public var status: String
    public var repeatCount: Int
    public var lastTime: Int64
}

/// One entry waiting in the ledger outbox, or stored in the ledger: what it is, which row it stands for, its bytes.
public struct LedgerItem: Sendable, Equatable {
    /// `event`, `alert`, or another table's name (`access`…).
    public var kind: String
    /// The row it stands for, e.g. `HOST_UID/EVENT_UID` for an event.
    public var ref: String
    /// The exact bytes appended to the log (a JSON object, one line).
    public var entry: [UInt8]

    public init(kind: String, ref: String, entry: [UInt8]) {
        self.kind = kind
        self.ref = ref
        self.entry = entry
    }
}

/// A refused or suspicious request, kept for the security log (PCI 10.2.1.4 / 10.2.1.5).
public struct SecurityRecord: Sendable, Equatable, Codable {
    public var time: Int64
    /// `auth.unknown-agent`, `auth.revoked`, `enroll.replayed`, `ingest.host-mismatch`, `ingest.rejected`…
    public var kind: String
    public var agentID: String?
    public var remote: String?
    public var detail: String

    public init(time: Int64, kind: String, agentID: String? = nil, remote: String? = nil, detail: String) {
        self.time = time
        self.kind = kind
        self.agentID = agentID
        self.remote = remote
        self.detail = detail
    }
}

/// One agent's batch for `ServerStore.ingest`.
public struct IngestBatch: Sendable {
    public var events: [Event]
    /// The exact JSON text stored (and archived) for each event.
    public var json: [String]
    public var host: Device
    public var receivedAt: Int64
    /// Called inside the transaction with the indexes of the events that were new; returns the alerts to store
    /// and, for each, its ledger entry.
    public var detect: @Sendable ([Int]) -> (alerts: [AlertDraft], alertEntries: [[UInt8]])

    public init(
        events: [Event], json: [String], host: Device, receivedAt: Int64,
        detect: @escaping @Sendable ([Int]) -> (alerts: [AlertDraft], alertEntries: [[UInt8]]) = { _ in ([], []) }
    ) {
        precondition(events.count == json.count, "one JSON text per event")
        self.events = events
        self.json = json
        self.host = host
        self.receivedAt = receivedAt
        self.detect = detect
    }
}

extension ServerStore {
    /// One batch in its own transaction.
    public func ingest(
        _ events: [Event], json: [String], host: Device, receivedAt: Int64,
        detect: @escaping @Sendable ([Int]) -> (alerts: [AlertDraft], alertEntries: [[UInt8]])
    ) throws -> InsertResult {
        try ingest([IngestBatch(events: events, json: json, host: host, receivedAt: receivedAt, detect: detect)])[0]
    }
}

/// Everything the server keeps besides events: agents, enrollment tokens, alerts, the ledger and its outbox,
/// the security log, keys, and the job lock. Both engines implement it with the same behaviour (one
/// conformance suite).
public protocol ServerStore: EventStore {
    // MARK: Enrollment and agents
    /// Stores a new enrollment token (its SHA-256 only).
    func addEnrollmentToken(id: String, sha256: [UInt8], uses: Int, expiresAt: Int64?, createdAt: Int64) throws
    /// Takes one use of the token and stores the agent, in one transaction; nil on success.
    func enroll(tokenSHA256: [UInt8], agent: AgentRecord, now: Int64) throws -> EnrollmentRefusal?
    func agent(id: String) throws -> AgentRecord?
    func agents() throws -> [AgentRecord]
    /// Marks the agent revoked; false when there is no such agent.
    func revokeAgent(id: String, at: Int64) throws -> Bool

    // MARK: Ingest
    /// In one transaction, for each batch: stores the events (discarding ids the host already sent), calls its
    /// `detect` with the indexes of the new ones, stores or merges the alerts it returns, and queues ledger
    /// entries for every new event and alert. Returns when all of it is durable. Several agents' batches share
    /// one transaction (group commit): one sync to disk for all of them.
    func ingest(_ batches: [IngestBatch]) throws -> [InsertResult]
    func alerts(limit: Int) throws -> [AlertRecord]

    // MARK: Ledger
    /// Queues entries for the ledger in their own transaction (for other tables: the access log…).
    func enqueueLedger(_ items: [LedgerItem]) throws
    /// The oldest queued entries.
    func ledgerOutbox(limit: Int) throws -> [(id: Int64, item: LedgerItem)]
    func ledgerOutboxCount() throws -> Int
    func ledgerSize() throws -> UInt64
    /// Appends entries at `firstIndex` with the node hashes they complete (`nodes`: 32 bytes each, from
    /// post-order position `firstPosition`) and deletes their outbox rows, in one transaction.
    /// - Throws: `StoreError` `ledger.moved` when the stored log no longer has `firstIndex` entries (another
    ///   node appended): reload and retry.
    func ledgerAppend(
        firstIndex: UInt64, items: [LedgerItem], firstPosition: UInt64, nodes: [UInt8], outboxIDs: [Int64]
    ) throws
    /// The node hash at each post-order position.
    func ledgerNodes(_ positions: [UInt64]) throws -> [[UInt8]]
    func ledgerEntry(_ index: UInt64) throws -> LedgerItem?
    func ledgerIndex(kind: String, ref: String) throws -> UInt64?
    func ledgerCheckpoints() throws -> [(size: UInt64, note: [UInt8])]
    func addLedgerCheckpoint(size: UInt64, note: [UInt8], at: Int64) throws

    // MARK: Security log, keys, retention
    func logSecurity(_ record: SecurityRecord) throws
    func securityLog(limit: Int) throws -> [SecurityRecord]
    /// The value stored under `name`, or `make()`'s, stored first if none is (the first node to ask wins).
    func serverSecret(_ name: String, make: () throws -> String) throws -> String
    /// Deletes events older than `before`; returns how many.
    func deleteEvents(before: Int64) throws -> Int
    /// Deletes resolved alerts last seen before `before`, and security log rows older than it.
    func deleteOld(alertsBefore: Int64, securityLogBefore: Int64) throws -> Int
}

extension EventColumns {
    /// The stable text of a host: its machine id, else its name.
    static func hostUID(_ host: Device) -> String { host.uid ?? host.hostname }
}
