import Foundation
import Synchronization
import VigilCore
import VigilStore

/// Sends the spool to the server (wire contract v1) and applies the signed policies its replies carry.
///
/// A batch is the oldest unacknowledged spool records as NDJSON (the exact JSON spooled: stable ids and sequence
/// numbers), zstd-compressed, `POST /api/v1/events` with `Authorization: Bearer <agent_id>.<secret>` and
/// `X-Vigil-Policy-Version`. Only a 200 acknowledges (the server answers after the events are durable), and only
/// then are the records released from the spool: delivery is at least once, the server discards duplicates by id.
///
/// 400/413 mean the content will never be taken: the batch is halved and resent, down to single events; a single
/// event still refused is released and counted (and logged). 401/403/429/5xx and network errors mean "keep and
/// retry later": the shipper backs off exponentially (1 s doubling to 60 s, with up to 25% random jitter so a
/// fleet does not retry in step), honouring `Retry-After` on 429.
public final class SpoolShipper: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var sent = 0
        public var duplicates = 0
        /// Single events the server refused for their content (400/413), released from the spool.
        public var refused = 0
        public var failures = 0
        public var batches = 0
        public var policiesApplied = 0
        public var policiesRejected = 0
        public var lastError: String?
    }

    public let spool: Spool
    let client: AgentHTTPClient
    let authorization: String
    let maxBatch: Int
    let maxBatchBytes: Int
    let verifier: PolicyVerifier?
    let policyPath: String?
    let log: @Sendable (String) -> Void
    let onPolicy: @Sendable (AgentPolicy) -> Void
    private let state: Mutex<(stats: Statistics, policy: AgentPolicy, lastPayload: String?)>
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    /// While backing off, new events do not wake the shipper (the server is not answering anyway).
    private let backingOff = Atomic<Bool>(false)

    public init(
        spool: Spool, client: AgentHTTPClient, authorization: String, verifier: PolicyVerifier?,
        policyPath: String? = nil, maxBatch: Int = 2000, maxBatchBytes: Int = 4 << 20,
        log: @escaping @Sendable (String) -> Void = { AgentLog.log($0) },
        onPolicy: @escaping @Sendable (AgentPolicy) -> Void = { _ in }
    ) {
        self.spool = spool
        self.client = client
        self.authorization = authorization
        self.verifier = verifier
        self.policyPath = policyPath
        self.maxBatch = max(1, maxBatch)
        self.maxBatchBytes = maxBatchBytes
        self.log = log
        self.onPolicy = onPolicy
        var policy = AgentPolicy()
        // The policy in force before the restart, re-verified (a file edited on disk is not trusted either).
        if let verifier, let policyPath, let data = FileManager.default.contents(atPath: policyPath),
            let signed = try? JSONDecoder().decode(SignedPolicy.self, from: data)
        {
            do {
                policy = try verifier.verify(signed, currentVersion: 0)
            } catch {
                log("vigil agent: saved policy \(policyPath) ignored: \(error)")
            }
        }
        state = Mutex((Statistics(), policy, nil))
    }

    public var statistics: Statistics { state.withLock { $0.stats } }
    public var policy: AgentPolicy { state.withLock { $0.policy } }

    /// What one flush ended with.
    public enum Outcome: Sendable, Equatable {
        /// Everything spooled was acknowledged.
        case drained
        /// The server could not take the events now; retry after at least this many seconds (nil: use backoff).
        case retryLater(Double?)
    }

    /// Sends everything spooled, batch by batch.
    @discardableResult
    public func flush() -> Outcome {
        var size = maxBatch
        while !stopped.load(ordering: .relaxed) {
            let records: [Spool.Record]
            do {
                records = try spool.pending(limit: size, maxBytes: maxBatchBytes)
            } catch {
                note(failure: "reading the spool: \(error)")
                return .retryLater(nil)
            }
            guard let last = records.last else { return .drained }
            var body: [UInt8] = []
            body.reserveCapacity(records.reduce(0) { $0 + $1.json.count + 1 })
            for record in records {
                body += record.json
                body.append(10)
            }
            let compressed = Zstd.compress(body)
            let reply: AgentHTTPResponse
            do {
                reply = try client.request(
                    method: "POST", path: "/api/v1/events",
                    headers: [
                        ("Authorization", authorization), ("Content-Type", "application/x-ndjson"),
                        ("Content-Encoding", "zstd"), ("X-Vigil-Policy-Version", String(policy.version)),
                    ], body: compressed)
            } catch {
                note(failure: "\(error)")
                return .retryLater(nil)
            }
            switch reply.status {
            case 200:
                do {
                    try spool.acknowledge(through: last.sequence)
                } catch {
                    note(failure: "\(error)")
                    return .retryLater(nil)
                }
                let ack = try? JSONDecoder().decode(Acknowledgement.self, from: Data(reply.body))
                state.withLock { s in
                    s.stats.sent += ack?.accepted ?? records.count
                    s.stats.duplicates += ack?.duplicates ?? 0
                    s.stats.batches += 1
                    s.stats.lastError = nil
                }
                if let signed = ack?.policy { apply(signed) }
                size = maxBatch
            case 400, 413:
                if records.count > 1 {
                    size = max(1, records.count / 2)
                    continue
                }
                do {
                    try spool.acknowledge(through: last.sequence)
                } catch {
                    note(failure: "\(error)")
                    return .retryLater(nil)
                }
                state.withLock { $0.stats.refused += 1 }
                log(
                    "vigil agent: the server refused event sequence \(last.sequence) for its content (HTTP \(reply.status): "
                        + "\(ServerMessage.describe(reply.body))); it is dropped and counted")
            case 429:
                note(failure: "HTTP 429: \(ServerMessage.describe(reply.body))")
                return .retryLater(reply.headers["retry-after"].flatMap { Double($0) })
            default:
                note(failure: "HTTP \(reply.status): \(ServerMessage.describe(reply.body))")
                return .retryLater(nil)
            }
        }
        return .retryLater(nil)
    }

    struct Acknowledgement: Decodable {
        var accepted: Int
        var duplicates: Int
        var policy: SignedPolicy?
    }

    private func note(failure: String) {
        let first = state.withLock { s -> Bool in
            s.stats.failures += 1
            let first = s.stats.lastError != failure
            s.stats.lastError = failure
            return first
        }
        // Once per distinct error, not once per retry.
        if first { log("vigil agent: cannot ship to \(client.server.absoluteString): \(failure); will retry") }
    }

    /// Verifies a policy from a reply and applies it, or logs why not and keeps the current one.
    public func apply(_ signed: SignedPolicy) {
        guard let verifier else {
            log("vigil agent: policy rejected: no policy key from enrollment; keeping the current policy")
            return
        }
        // A server may repeat the same policy in every reply: judge (and log) each distinct one once.
        let (current, repeated) = state.withLock { s -> (AgentPolicy, Bool) in
            defer { s.lastPayload = signed.payload + "." + signed.signature }
            return (s.policy, s.lastPayload == signed.payload + "." + signed.signature)
        }
        if repeated { return }
        do {
            let next = try verifier.verify(signed, currentVersion: current.version)
            if let policyPath {
                try JSON.encoder().encode(signed).write(to: URL(fileURLWithPath: policyPath), options: .atomic)
            }
            state.withLock { s in
                s.policy = next
                s.stats.policiesApplied += 1
            }
            log("vigil agent: applied policy version \(next.version)")
            onPolicy(next)
        } catch {
            state.withLock { $0.stats.policiesRejected += 1 }
            log("vigil agent: \(error); keeping policy version \(current.version)")
        }
    }

    /// Runs `flush` on a dedicated thread until `stop()`: every `interval` while the server answers, with
    /// exponential backoff and jitter while it does not. Returns the thread's completion semaphore.
    public func start(interval: Double = 1) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            var backoff = interval
            while !stopped.load(ordering: .relaxed) {
                switch flush() {
                case .drained:
                    backoff = interval
                    backingOff.store(false, ordering: .relaxed)
                    _ = wake.wait(timeout: .now() + interval)
                case .retryLater(let after):
                    backoff = min(backoff * 2, 60)
                    let delay = max(after ?? 0, backoff * (1 + Double.random(in: 0...0.25)))
                    backingOff.store(true, ordering: .relaxed)
                    let deadline = DispatchTime.now() + delay
                    // Only a stop ends a backoff early; nudges from new events are ignored until it is over.
                    while wake.wait(timeout: deadline) == .success, !stopped.load(ordering: .relaxed) {}
                }
            }
            done.signal()
        }
        thread.name = "vigil-shipper"
        thread.start()
        return done
    }

    /// Wakes the shipping thread now (events were spooled, or a stop is requested).
    public func nudge() { if !backingOff.load(ordering: .relaxed) { wake.signal() } }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
        wake.signal()
    }
}

/// Where agent log lines go: standard error (the journal under systemd). Never an event's content.
public enum AgentLog {
    public static func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
