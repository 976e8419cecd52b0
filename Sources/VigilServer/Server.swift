import Foundation
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilStore

/// The Vigil server: receives agents' batches, stores them, and serves the dashboard.
public final class Server: Sendable {
    public struct Configuration: Sendable {
        public var http: HTTPServer.Configuration
        /// The bearer token agents present (until enrollment lands).
        public var agentToken: String
        /// Largest decompressed batch accepted.
        public var maxBatchBytes: Int
        /// Most events in one batch.
        public var maxBatchEvents: Int

        public init(
            http: HTTPServer.Configuration = .init(), agentToken: String, maxBatchBytes: Int = 64 << 20,
            maxBatchEvents: Int = 10_000
        ) {
            self.http = http
            self.agentToken = agentToken
            self.maxBatchBytes = maxBatchBytes
            self.maxBatchEvents = maxBatchEvents
        }
    }

    public let configuration: Configuration
    let store: any EventStore
    let clock: any Clock
    let http: HTTPServer

    public init(configuration: Configuration, store: any EventStore, clock: any Clock = SystemClock()) {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        var router = Router()
        Self.addRoutes(to: &router, store: store, configuration: configuration, clock: clock)
        self.http = HTTPServer(configuration: configuration.http, router: router)
    }

    /// Starts listening.
    public func start() throws { try http.start() }

    /// Stops listening, after the requests in flight.
    public func stop() { http.stop() }

    /// The bound port.
    public var port: UInt16 { http.port }

    static func addRoutes(
        to router: inout Router, store: any EventStore, configuration: Configuration,
        clock: any Clock
    ) {
        router.get("/healthz") { _ in .text("ok\n") }
        DashboardRoutes.add(to: &router, store: store, clock: clock)
        router.post("/api/v1/events") { request in
            try authenticateAgent(request, token: configuration.agentToken)
            let batch = try decodeBatch(request, configuration: configuration, now: clock.nowMilliseconds())
            let result = try store.insert(batch.events, host: batch.host, receivedAt: clock.nowMilliseconds())
            return .json(BatchAcknowledgement(accepted: result.inserted, duplicates: result.duplicates))
        }
        router.get("/api/v1/events") { request in
            try authenticateAgent(request, token: configuration.agentToken)
            let limit = min(1000, max(1, Int(request.query["limit"] ?? "") ?? 100))
            let classUID = request.query["class_uid"].flatMap { Int($0) }.flatMap { EventClass(rawValue: $0) }
            return .json(try store.recentEvents(classUID: classUID, limit: limit).map(\.event))
        }
    }

    static func authenticateAgent(_ request: HTTPRequest, token: String) throws {
        let presented = request.header("authorization").flatMap { value -> String? in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
        }
        guard let presented, ConstantTime.equals(Array(presented.utf8), Array(token.utf8)) else {
            throw HTTPError(
                status: 401, code: "unauthorized",
                message: "missing or wrong agent credential (Authorization: Bearer …)")
        }
    }

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
