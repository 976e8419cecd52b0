import Foundation
import Synchronization
import VigilCore

/// Somewhere new alerts are sent. `deliver` makes one attempt and throws `NotifierError` on failure; retries
/// and the delivery record are the dispatcher's.
public protocol Notifier: Sendable {
    /// A short name for delivery records and metrics, e.g. `webhook:https://hooks.example.org/…`.
    var name: String { get }
    func deliver(_ alert: AlertRecord) throws
}

/// A failed delivery attempt: what went wrong, never a credential from a URL.
public struct NotifierError: VigilError {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// Sends each new alert to every notifier, retrying failures with exponential backoff, and records every
/// attempt in `notification_deliveries`. Deliveries run on a background queue so ingest never waits on a
/// slow receiver.
public final class NotificationDispatcher: Sendable {
    public struct Policy: Sendable {
        /// Attempts per notifier and alert, the first included.
        public var maxAttempts = 5
        /// Wait before the second attempt; doubled for each further one.
        public var initialBackoffMilliseconds: Int64 = 1_000
        /// Longest wait between attempts.
        public var maxBackoffMilliseconds: Int64 = 60_000

        public init() {}
    }

    let notifiers: [any Notifier]
    let alerts: AlertStore
    let clock: any Clock
    let policy: Policy
    let metrics: Metrics
    let sleep: @Sendable (Int64) -> Void
    let queue = DispatchQueue(label: "vigil.notifications")
    let pending = Mutex(0)

    /// - Parameter sleep: waits the given milliseconds between attempts (tests record instead of waiting).
    public init(
        notifiers: [any Notifier], alerts: AlertStore, clock: any Clock, metrics: Metrics, policy: Policy = Policy(),
        sleep: @escaping @Sendable (Int64) -> Void = { Thread.sleep(forTimeInterval: Double($0) / 1000) }
    ) {
        self.notifiers = notifiers
        self.alerts = alerts
        self.clock = clock
        self.policy = policy
        self.metrics = metrics
        self.sleep = sleep
    }

    /// The wait before attempt `attempt` (2, 3, …).
    func backoff(before attempt: Int) -> Int64 {
        let shift = Int64(min(attempt - 2, 20))
        return min(policy.maxBackoffMilliseconds, policy.initialBackoffMilliseconds << shift)
    }

    /// Queues an alert for delivery and returns at once.
    public func enqueue(_ alert: AlertRecord) {
        pending.withLock { $0 += 1 }
        metrics.set("vigil_notification_queue_depth", Double(pending.withLock { $0 }))
        queue.async {
            self.deliverNow(alert)
            let depth = self.pending.withLock { count -> Int in
                count -= 1
                return count
            }
            self.metrics.set("vigil_notification_queue_depth", Double(depth))
        }
    }

    /// Waits until everything queued so far is delivered or given up (shutdown, tests).
    public func drain() { queue.sync {} }

    /// Delivers one alert to every notifier, retrying; returns the names of notifiers that succeeded.
    @discardableResult
    public func deliverNow(_ alert: AlertRecord) -> [String] {
        var delivered: [String] = []
        for notifier in notifiers {
            for attempt in 1...max(1, policy.maxAttempts) {
                if attempt > 1 { sleep(backoff(before: attempt)) }
                var detail: String?
                var succeeded = false
                do {
                    try notifier.deliver(alert)
                    succeeded = true
                } catch let error as NotifierError {
                    detail = error.message
                } catch {
                    detail = "\(type(of: error))"
                }
                metrics.increment(
                    "vigil_notification_deliveries_total",
                    labels: [
                        "notifier": notifier.name.split(separator: ":").first.map(String.init) ?? "",
                        "result": succeeded ? "ok" : "failed",
                    ])
                try? alerts.recordDelivery(
                    alertID: alert.id, notifier: notifier.name, attempt: attempt, time: clock.nowMilliseconds(),
                    succeeded: succeeded, detail: detail)
                if succeeded {
                    delivered.append(notifier.name)
                    break
                }
            }
        }
        return delivered
    }
}
