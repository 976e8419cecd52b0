import Foundation
import Synchronization
import VigilCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends queued events to the server in batches, retrying with exponential backoff and jitter.
///
/// Events wait in memory (bounded) until the server acknowledges them; past the bound the oldest are
/// dropped and counted. `SpoolShipper` (disk spool, wire contract v1) replaces it once the server speaks v1.
public final class Shipper: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var sent = 0
        public var duplicates = 0
        public var dropped = 0
        public var failures = 0
        public var queued = 0
    }

    let endpoint: URL
    let token: String
    let host: Device
    let maxQueue: Int
    let maxBatch: Int
    private let state = Mutex<(queue: [Event], stats: Statistics)>(([], Statistics()))

    public init(server: URL, token: String, host: Device, maxQueue: Int = 100_000, maxBatch: Int = 5_000) {
        self.endpoint = server.appendingPathComponent("api/v1/events")
        self.token = token
        self.host = host
        self.maxQueue = maxQueue
        self.maxBatch = maxBatch
    }

    /// Queues events for the next send.
    public func enqueue(_ events: [Event]) {
        guard !events.isEmpty else { return }
        state.withLock { s in
            s.queue.append(contentsOf: events)
            let excess = s.queue.count - maxQueue
            if excess > 0 {
                s.queue.removeFirst(excess)
                s.stats.dropped += excess
            }
            s.stats.queued = s.queue.count
        }
    }

    public var statistics: Statistics { state.withLock { $0.stats } }

    /// Sends everything queued, batch by batch. Returns false when the server could not be reached
    /// (the events stay queued).
    ///
    /// A batch the server refuses for its content (400: an event it will never take; 413: too many events or
    /// bytes) is split in halves and resent, down to single events; a single event still refused is dropped
    /// and counted in `dropped`. Retrying such a batch as it was would block every later event. Other
    /// answers (401, 415, 5xx) are failures: the events stay queued, since splitting cannot help.
    @discardableResult
    public func flush() async -> Bool {
        var size = maxBatch
        while true {
            let batch = state.withLock { Array($0.queue.prefix(size)) }
            if batch.isEmpty { return true }
            do {
                let ack = try await send(batch)
                state.withLock { s in
                    s.queue.removeFirst(min(batch.count, s.queue.count))
                    s.stats.sent += ack.accepted
                    s.stats.duplicates += ack.duplicates
                    s.stats.queued = s.queue.count
                }
            } catch is Refused {
                if batch.count > 1 {
                    size = batch.count / 2
                    continue
                }
                state.withLock { s in
                    s.queue.removeFirst(min(1, s.queue.count))
                    s.stats.dropped += 1
                    s.stats.queued = s.queue.count
                }
            } catch {
                state.withLock { $0.stats.failures += 1 }
                return false
            }
        }
    }

    /// The server refused a batch for what it holds; sending it again unchanged cannot succeed.
    struct Refused: Error {
        var status: Int
        static let statuses: Set<Int> = [400, 413]
    }

    func send(_ events: [Event]) async throws -> BatchAcknowledgement {
        var request = URLRequest(url: endpoint)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.httpBody = try JSON.encoder().encode(EventBatch(host: host, events: events))
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        if Refused.statuses.contains(http.statusCode) { throw Refused(status: http.statusCode) }
        guard http.statusCode == 200 else { throw URLError(.badServerResponse) }
        return try JSONDecoder().decode(BatchAcknowledgement.self, from: data)
    }

    /// Runs until cancelled: flushes every `interval`, backing off (with jitter, up to a minute) while the
    /// server cannot be reached; flushes once more when cancelled.
    public func run(interval: Duration = .seconds(1)) async {
        var backoff = interval
        while !Task.isCancelled {
            try? await Task.sleep(for: backoff)
            if await flush() {
                backoff = interval
            } else {
                let doubled = backoff * 2
                backoff = min(doubled, .seconds(60))
                backoff += .milliseconds(Int.random(in: 0...250))
            }
        }
        await flush()
    }
}
