import Foundation
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilStore

/// The Vigil server: receives agents' batches, stores them, serves the API and the dashboard to signed-in
/// people, and records every call in the access log.
public final class Server: Sendable {
    public struct Configuration: Sendable {
        public var http: HTTPServer.Configuration
        /// The bearer token agents present (until enrollment lands).
        public var agentToken: String
        /// Largest decompressed batch accepted.
        public var maxBatchBytes: Int
        /// Most events in one batch.
        public var maxBatchEvents: Int
        /// Session, lockout and password rules.
        public var people: PeoplePolicy
        /// Mark cookies `Secure` (set when serving HTTPS).
        public var secureCookies: Bool
        /// Where new alerts are sent (webhook, syslog, JSON lines), with retries.
        public var notifiers: [any Notifier]
        public var notificationPolicy: NotificationDispatcher.Policy

        public init(
            http: HTTPServer.Configuration = .init(), agentToken: String, maxBatchBytes: Int = 64 << 20,
            maxBatchEvents: Int = 10_000, people: PeoplePolicy = PeoplePolicy(), secureCookies: Bool = false,
            notifiers: [any Notifier] = [], notificationPolicy: NotificationDispatcher.Policy = .init()
        ) {
            self.notifiers = notifiers
            self.notificationPolicy = notificationPolicy
            self.http = http
            self.agentToken = agentToken
            self.maxBatchBytes = maxBatchBytes
            self.maxBatchEvents = maxBatchEvents
            self.people = people
            self.secureCookies = secureCookies
        }
    }

    public let configuration: Configuration
    let store: any EventStore
    let clock: any Clock
    let http: HTTPServer
    public let authenticator: Authenticator
    public let accessLog: AccessLog
    public let alerts: AlertStore
    public let metrics: Metrics
    /// Sends new alerts to the configured notifiers.
    public let notifications: NotificationDispatcher
    /// Every route with its permission (for tests and documentation).
    public let routes: [(method: String, pattern: String, permission: Permission, page: Bool)]

    public init(
        configuration: Configuration, store: any EventStore, clock: any Clock = SystemClock(),
        metrics: Metrics = Metrics()
    ) {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.metrics = metrics
        authenticator = Authenticator(store: store, clock: clock, policy: configuration.people)
        accessLog = AccessLog(store: store)
        alerts = AlertStore(store: store)
        notifications = NotificationDispatcher(
            notifiers: configuration.notifiers, alerts: alerts, clock: clock, metrics: metrics,
            policy: configuration.notificationPolicy)
        var router = SecureRouter()
        let api = API(
            store: store, configuration: configuration, clock: clock, authenticator: authenticator,
            accessLog: accessLog, alerts: alerts, metrics: metrics)
        api.addRoutes(to: &router)
        routes = router.table
        let token = configuration.agentToken
        let gate = Gate(
            router: router, authenticator: authenticator,
            agentAuthenticator: { presented in
                ConstantTime.equals(Array(presented.utf8), Array(token.utf8)) ? "shared-token" : nil
            }, accessLog: accessLog, clock: clock, metrics: metrics)
        self.http = HTTPServer(configuration: configuration.http, handler: { gate.respond(to: $0) })
    }

    /// Starts listening.
    public func start() throws { try http.start() }

    /// Stops listening, after the requests in flight, then finishes queued notifications.
    public func stop() {
        http.stop()
        notifications.drain()
    }

    /// Queues notifications for a newly stored alert (the detector calls this after the alert is durable).
    public func alertStored(id: Int64) throws {
        guard !configuration.notifiers.isEmpty, let (alert, _) = try alerts.get(id) else { return }
        notifications.enqueue(alert)
    }

    /// The bound port.
    public var port: UInt16 { http.port }

    static func decodeBatch(_ request: HTTPRequest, configuration: Configuration, now: Int64) throws -> EventBatch {
        var request = request
        if let encoding = request.header("content-encoding")?.lowercased(), encoding != "identity" {
            guard encoding == "zstd" else {
                throw HTTPError(
                    status: 415, code: "unsupported-encoding",
                    message: "Content-Encoding \(encoding) is not supported; send zstd or identity")
            }
            do {
                request.body = try Zstd.decompress(request.body, maxOutput: configuration.maxBatchBytes)
            } catch let error as StoreError {
                let status = error.code == "zstd.too-large" ? 413 : 400
                throw HTTPError(status: status, code: error.code, message: error.message)
            }
        }
        let batch = try request.decodeJSON(EventBatch.self)
        guard batch.events.count <= configuration.maxBatchEvents else {
            throw HTTPError(
                status: 413, code: "batch-too-large",
                message: "a batch holds at most \(configuration.maxBatchEvents) events; send smaller batches")
        }
        let latest = now + 24 * 3600 * 1000
        for (index, event) in batch.events.enumerated() {
            guard !event.id.isEmpty, event.id.utf8.count <= 256 else {
                throw HTTPError(
                    status: 400, code: "invalid-event",
                    message: "events[\(index)].uid must be 1 to 256 bytes")
            }
            guard event.time > 0, event.time <= latest else {
                throw HTTPError(
                    status: 400, code: "invalid-event",
                    message:
                        "events[\(index)].time is not a plausible time (more than a day in the future or before 1970); check the host's clock"
                )
            }
        }
        return batch
    }
}
