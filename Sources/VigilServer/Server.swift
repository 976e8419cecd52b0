import Foundation
import Synchronization
import VigilCompliance
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilLedger
import VigilRules
import VigilStore

/// The Vigil server: enrolls agents, takes their batches (stored, detected, archived before the
/// acknowledgement), runs the background jobs when it holds the job lock, and serves the API and the dashboard
/// to signed-in people, recording every call in the access log.
public final class Server: Sendable {
    public struct Configuration: Sendable {
        public var http: HTTPServer.Configuration
        public var limits: IngestLimits
        /// Batches per second each agent may send, and the burst it may save up.
        public var agentRate: Double
        public var agentBurst: Double
        /// The archive's origin line and key name.
        public var archiveOrigin: String
        /// A checkpoint is signed when this many entries were added, or any were and this many seconds passed.
        public var checkpointEntries: UInt64
        public var checkpointSeconds: Int64
        /// How long events, resolved alerts and the security log are kept (PCI DSS 10.5.1: 12 months, 3 online).
        public var retentionDays: (events: Int, alerts: Int, securityLog: Int)
        /// Pause between rounds of background jobs.
        public var jobInterval: Duration
        /// The PEM of the TLS certificate, served at `/api/v1/tls/certificate` (nil for loopback HTTP).
        public var certificatePEM: String?
        /// Session, lockout and password rules.
        public var people: PeoplePolicy
        /// Mark cookies `Secure` (set when serving HTTPS).
        public var secureCookies: Bool
        /// Where new alerts are sent (webhook, syslog, JSON lines), with retries.
        public var notifiers: [any Notifier]
        public var notificationPolicy: NotificationDispatcher.Policy

        public init(
            http: HTTPServer.Configuration = .init(), limits: IngestLimits = .init(), agentRate: Double = 20,
            agentBurst: Double = 200, archiveOrigin: String = Archivist.defaultOrigin,
            checkpointEntries: UInt64 = 100_000, checkpointSeconds: Int64 = 10,
            retentionDays: (events: Int, alerts: Int, securityLog: Int) = (396, 396, 396),
            jobInterval: Duration = .milliseconds(200), certificatePEM: String? = nil,
            people: PeoplePolicy = PeoplePolicy(), secureCookies: Bool = false, notifiers: [any Notifier] = [],
            notificationPolicy: NotificationDispatcher.Policy = .init()
        ) {
            self.http = http
            self.limits = limits
            self.agentRate = agentRate
            self.agentBurst = agentBurst
            self.archiveOrigin = archiveOrigin
            self.checkpointEntries = checkpointEntries
            self.checkpointSeconds = checkpointSeconds
            self.retentionDays = retentionDays
            self.jobInterval = jobInterval
            self.certificatePEM = certificatePEM
            self.people = people
            self.secureCookies = secureCookies
            self.notifiers = notifiers
            self.notificationPolicy = notificationPolicy
        }
    }

    public let configuration: Configuration
    public let store: any ServerStore
    public let archivist: Archivist
    public let agents: AgentDirectory
    let clock: any Clock
    let http: HTTPServer
    let jobs: JobRunner
    let committer: GroupCommitter
    public let authenticator: Authenticator
    public let accessLog: AccessLog
    public let alerts: AlertStore
    public let metrics: Metrics
    /// Sends new alerts to the configured notifiers.
    public let notifications: NotificationDispatcher
    /// The signed agent policy (`vigil server policy set`, `PUT /api/v1/policy`), sent in batch replies.
    public let policies: PolicyStore
    /// Every route with its permission (for tests and documentation).
    public let routes: [(method: String, pattern: String, permission: Permission, page: Bool)]

    /// - Parameters:
    ///   - rules: the detection rules every stored event is run through (none by default).
    ///   - jobLock: who may run the background jobs; nil runs none on this node.
    public init(
        configuration: Configuration, store: any ServerStore, rules: RuleSet = RuleSet(rules: [], correlations: []),
        jobLock: sending (any JobLock)? = nil, clock: any Clock = SystemClock(), metrics: Metrics = Metrics()
    ) throws {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.metrics = metrics
        let archivist = try Archivist(store: store, origin: configuration.archiveOrigin)
        self.archivist = archivist
        let agents = AgentDirectory(store: store, clock: clock)
        self.agents = agents
        let committer = GroupCommitter(store: store)
        self.committer = committer
        authenticator = Authenticator(store: store, clock: clock, policy: configuration.people)
        accessLog = AccessLog(store: store)
        alerts = AlertStore(store: store)
        notifications = NotificationDispatcher(
            notifiers: configuration.notifiers, alerts: alerts, clock: clock, metrics: metrics,
            policy: configuration.notificationPolicy)
        let policies = PolicyStore(store: store, clock: clock)
        self.policies = policies
        var router = SecureRouter()
        API(
            store: store, configuration: configuration, clock: clock, authenticator: authenticator,
            accessLog: accessLog, alerts: alerts, metrics: metrics, archivist: archivist, agents: agents
        ).addRoutes(to: &router)
        RouteContext(
            configuration: configuration, store: store, clock: clock, agents: agents, archivist: archivist,
            detection: DetectionEngine(ruleSet: rules),
            limiter: RateLimiter(rate: configuration.agentRate, burst: configuration.agentBurst),
            log: SecurityLog(store: store, clock: clock), committer: committer, metrics: metrics,
            policies: policies
        ).addRoutes(to: &router)
        routes = router.table
        let securityLog = SecurityLog(store: store, clock: clock)
        let gate = Gate(
            router: router, authenticator: authenticator,
            agentAuthenticator: { credential in try agents.agentID(credential: credential, log: securityLog) },
            accessLog: accessLog,
            clock: clock, metrics: metrics)
        http = HTTPServer(configuration: configuration.http, handler: { gate.respond(to: $0) })
        jobs = JobRunner(
            lock: jobLock, archivist: archivist, store: store, clock: clock, configuration: configuration)
    }

    /// Starts listening and the job loop.
    public func start() throws {
        committer.start()
        try http.start()
        jobs.start()
    }

    /// Stops listening (after the requests in flight), the job loop (releasing the job lock), then finishes
    /// queued notifications.
    public func stop() {
        http.stop()
        committer.stop()
        jobs.stop()
        notifications.drain()
    }

    /// Queues notifications for a newly stored alert (called after the alert is durable).
    public func alertStored(id: Int64) throws {
        guard !configuration.notifiers.isEmpty, let (alert, _) = try alerts.get(id) else { return }
        notifications.enqueue(alert)
    }

    /// The bound port.
    public var port: UInt16 { http.port }

    /// Group commit so far: store transactions, batches in them, seconds spent writing.
    public var commitStatistics: (transactions: Int, batches: Int, seconds: Double) {
        committer.currentStatistics
    }

    /// Whether this node holds the job lock now.
    public var isJobLeader: Bool { jobs.isLeader }
}

/// What the route handlers share.
struct RouteContext: Sendable {
    let configuration: Server.Configuration
    let store: any ServerStore
    let clock: any Clock
    let agents: AgentDirectory
    let archivist: Archivist
    let detection: DetectionEngine
    let limiter: RateLimiter
    let log: SecurityLog
    let committer: GroupCommitter
    let metrics: Metrics
    let policies: PolicyStore

    struct Acknowledgement: Encodable {
        var accepted: Int
        var duplicates: Int
        /// Only when a policy newer than the agent's `X-Vigil-Policy-Version` is in force.
        var policy: SignedPolicyEnvelope?
    }

    func addRoutes(to router: inout SecureRouter) {
        let context = self
        router.add("GET", "/api/v1/tls/certificate", .public) { _ in
            guard let pem = context.configuration.certificatePEM else {
                throw HTTPError(
                    status: 404, code: "no-tls", message: "this server serves plain HTTP on loopback; no certificate")
            }
            return .text(pem, contentType: "application/x-pem-file")
        }
        router.add("POST", "/api/v1/agents/enroll", .public) { request in
            let response = try context.agents.enroll(request.request, log: context.log)
            request.outcome = "enrollment answered \(response.status)"
            return response
        }
        router.add("POST", "/api/v1/events", .submitEvents) { request in try context.ingest(request) }
        PolicyRoutes(policies: policies).addRoutes(to: &router)

        router.add("GET", "/api/v1/archive/checkpoints", .readArchive) { routed in
            let request = routed.request
            routed.read = "archive checkpoints"
            struct Item: Encodable {
                var size: UInt64
                var note: String
            }
            struct Reply: Encodable {
                var origin: String
                var verifierKey: String
                var checkpoints: [Item]
                enum CodingKeys: String, CodingKey {
                    case origin
                    case verifierKey = "verifier_key"
                    case checkpoints
                }
            }
            let all = try context.store.ledgerCheckpoints()
            let limit = min(1000, max(1, Int(request.query["limit"] ?? "") ?? 100))
            return .json(
                Reply(
                    origin: context.archivist.origin, verifierKey: context.archivist.verifierKey,
                    checkpoints: all.suffix(limit).reversed().map {
                        Item(size: $0.size, note: String(decoding: $0.note, as: UTF8.self))
                    }))
        }
        router.add("GET", "/api/v1/reports/pci", .readReports) { routed in
            let query = routed.request.query
            let now = context.clock.nowMilliseconds()
            let period: ReportPeriod
            do {
                period = try ReportPeriod.parse(from: query["from"], to: query["to"], now: now)
            } catch let error as PeriodError {
                throw HTTPError(status: 400, code: "bad-period", message: error.message)
            }
            let format = query["format"] ?? "json"
            guard ["json", "html", "csv"].contains(format) else {
                throw HTTPError(status: 400, code: "bad-format", message: "format is json, html or csv")
            }
            routed.read = "PCI DSS report \(UTCTime.text(period.from)) to \(UTCTime.text(period.until))"
            let rules = context.detection.ruleSet
            let report: PCIReport
            do {
                report = try PCISnapshotBuilder(
                    store: context.store, retentionDays: context.configuration.retentionDays.events,
                    detectionRules: rules.rules.count + rules.correlations.count, host: query["host"]
                ).report(from: period.from, until: period.until, now: now)
            } catch let error as StoreError where error.code == "report.no-host" {
                throw HTTPError(status: 404, code: "no-host", message: error.message)
            }
            switch format {
            case "html": return .html(report.html())
            case "csv": return .text(report.csv(), contentType: "text/csv; charset=utf-8")
            default: return .json(report)
            }
        }
        router.add("GET", "/api/v1/events/:uid/proof", .readArchive) { routed in
            let request = routed.request
            routed.read = "inclusion proof of event \(request.parameters["uid"] ?? "")"
            guard let host = request.query["host"], let uid = request.parameters["uid"] else {
                throw HTTPError(
                    status: 400, code: "missing-host",
                    message: "give the event's host machine id: /api/v1/events/UID/proof?host=MACHINE_ID")
            }
            do {
                guard let proof = try context.archivist.proof(kind: "event", ref: "\(host)/\(uid)") else {
                    throw HTTPError(
                        status: 404, code: "not-archived", message: "no archived event with this uid and host")
                }
                return HTTPResponse(
                    status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: proof.bytes)
            } catch let error as LedgerError where error.code == "ledger.not-covered" {
                var response = HTTPError(status: 503, code: "not-yet-covered", message: error.message).response
                response.headers.append(("Retry-After", String(max(1, context.configuration.checkpointSeconds))))
                return response
            }
        }
    }

    func ingest(_ routed: RequestContext) throws -> HTTPResponse {
        let request = routed.request
        let agent = try agents.authenticate(request, log: log)
        let now = clock.nowMilliseconds()
        if let wait = limiter.take(agent.id, now: now) {
            log.record("ingest.rate-limited", request: request, agentID: agent.id, detail: "over \(limiter.rate)/s")
            var response = HTTPError(
                status: 429, code: "rate-limited",
                message: "this agent sends batches faster than \(Int(limiter.rate))/s; retry after \(wait) s"
            ).response
            response.headers.append(("Retry-After", String(wait)))
            return response
        }
        let decoded: BatchDecoder.Decoded
        do {
            decoded = try BatchDecoder.decode(request, agent: agent, limits: configuration.limits, now: now)
        } catch let error as HTTPError {
            let kind = error.status == 403 ? "ingest.host-mismatch" : "ingest.rejected"
            log.record(
                kind, request: request, agentID: agent.id, detail: "\(error.status) \(error.code): \(error.message)")
            throw error
        }
        let host = Device(
            hostname: agent.hostname, uid: agent.hostUID, os: decoded.events.first?.device?.os)
        let events = decoded.events
        let detection = detection
        let result = try committer.commit(
            IngestBatch(
                events: events, json: decoded.json, host: host, receivedAt: now,
                detect: { indexes in detection.detect(indexes.map { events[$0] }, hostUID: agent.hostUID) }))
        metrics.increment("vigil_events_ingested_total", by: Double(result.inserted))
        metrics.increment("vigil_events_duplicate_total", by: Double(result.duplicates))
        routed.outcome = "stored \(result.inserted), duplicates \(result.duplicates)"
        return .json(
            Acknowledgement(
                accepted: result.inserted, duplicates: result.duplicates,
                policy: policyReply(request, agentID: agent.id)))
    }

    /// The signed policy when the agent runs an older version (`X-Vigil-Policy-Version`; absent or not a number
    /// counts as 0, no policy). The events are already durable here: a failure to read the policy is logged and
    /// the acknowledgement goes out without it (the next batch tries again).
    func policyReply(_ request: HTTPRequest, agentID: String) -> SignedPolicyEnvelope? {
        let header = request.header("x-vigil-policy-version")?.trimmingCharacters(in: .whitespaces)
        let running = header.flatMap { Int($0) }.map { max(0, $0) } ?? 0
        do {
            guard let policy = try policies.newer(than: running) else { return nil }
            metrics.increment("vigil_policy_sent_total")
            return policy.envelope
        } catch {
            log.record(
                "policy.unavailable", request: request, agentID: agentID,
                detail: "the policy could not be read for the reply: \(error)")
            return nil
        }
    }
}

/// The background jobs — outbox drain, checkpoint signing, retention — run by whichever node holds the lock.
final class JobRunner: @unchecked Sendable {
    let lock: (any JobLock)?
    let archivist: Archivist
    let store: any ServerStore
    let clock: any Clock
    let configuration: Server.Configuration
    private let running = Atomic<Bool>(false)
    private let leader = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?
    private var lastRetention: Int64 = 0

    init(
        lock: (any JobLock)?, archivist: Archivist, store: any ServerStore, clock: any Clock,
        configuration: Server.Configuration
    ) {
        self.lock = lock
        self.archivist = archivist
        self.store = store
        self.clock = clock
        self.configuration = configuration
    }

    var isLeader: Bool { leader.load(ordering: .acquiring) }

    func start() {
        guard lock != nil, !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) {
                round()
                Thread.sleep(forTimeInterval: interval)
            }
            lock?.release()
            leader.store(false, ordering: .releasing)
            finished.signal()
        }
        thread.name = "vigil-jobs"
        self.thread = thread
        thread.start()
    }

    var interval: TimeInterval {
        let (seconds, attoseconds) = configuration.jobInterval.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    /// One round: keep or take the lock, then drain, checkpoint and (hourly) apply retention.
    func round() {
        guard let lock else { return }
        let wasLeader = leader.load(ordering: .acquiring)
        let holds = wasLeader ? lock.isHeld : lock.acquire()
        if !holds {
            if wasLeader {
                archivist.reset()
                leader.store(false, ordering: .releasing)
            }
            return
        }
        if !wasLeader {
            archivist.reset()
            leader.store(true, ordering: .releasing)
        }
        do {
            while try archivist.drain() > 0 {}
            let now = clock.nowMilliseconds()
            try archivist.checkpointIfDue(
                now: now, entries: configuration.checkpointEntries, seconds: configuration.checkpointSeconds)
            if now - lastRetention >= 3_600_000 {
                lastRetention = now
                let day: Int64 = 86_400_000
                _ = try store.deleteEvents(before: now - Int64(configuration.retentionDays.events) * day)
                _ = try store.deleteOld(
                    alertsBefore: now - Int64(configuration.retentionDays.alerts) * day,
                    securityLogBefore: now - Int64(configuration.retentionDays.securityLog) * day)
            }
        } catch {
            FileHandle.standardError.write(Data("vigil server: background job failed: \(error)\n".utf8))
        }
    }
}
