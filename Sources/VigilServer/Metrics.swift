import Foundation
import Synchronization

/// Counters, gauges and histograms rendered in the Prometheus text exposition format (version 0.0.4).
/// Any part of the server may feed it; names are declared with their help text so `/metrics` lists them
/// (at zero) before the first sample.
public final class Metrics: Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    struct Family {
        var kind: Kind
        var help: String
        /// Rendered label set (`{code="200"}` or empty) → value.
        var values: [String: Double] = [:]
        /// Histograms: label set → (bucket counts, sum, count).
        var histograms: [String: ([Double], Double, Double)] = [:]
        var buckets: [Double] = []
    }

    private let families = Mutex<[String: Family]>([:])

    /// Seconds buckets for latencies (1 ms to 10 s).
    public static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

    public init() {
        declare("vigil_http_requests_total", .counter, "HTTP requests answered, by status code.")
        declare(
            "vigil_access_log_failures_total", .counter, "Requests refused because the access log could not be written."
        )
        declare("vigil_events_ingested_total", .counter, "Events stored from agents' batches.")
        declare("vigil_events_duplicate_total", .counter, "Events discarded as already stored.")
        declare("vigil_events_dropped_total", .counter, "Events refused (invalid, too large, wrong host).")
        declare("vigil_ingest_queue_depth", .gauge, "Batches waiting to be stored.")
        declare("vigil_agents_online", .gauge, "Agents that sent a batch in the last 5 minutes.")
        declare("vigil_notification_deliveries_total", .counter, "Alert notification attempts, by notifier and result.")
        declare("vigil_detection_latency_seconds", .histogram, "Time from receipt to detection verdict per batch.")
        declare("vigil_store_latency_seconds", .histogram, "Time to store one batch durably.")
    }

    /// Declares a metric (idempotent). Names are `[a-zA-Z_:][a-zA-Z0-9_:]*`; a bad name is a bug.
    public func declare(_ name: String, _ kind: Kind, _ help: String, buckets: [Double] = Metrics.latencyBuckets) {
        precondition(
            !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
                && !(name.first?.isNumber ?? true), "bad metric name \(name)")
        families.withLock { all in
            if all[name] == nil { all[name] = Family(kind: kind, help: help, buckets: buckets.sorted()) }
        }
    }

    static func labelText(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let parts = labels.sorted { $0.key < $1.key }.map { key, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// Adds `by` to a counter (declared as a counter on first use if unknown).
    public func increment(_ name: String, by amount: Double = 1, labels: [String: String] = [:]) {
        let key = Self.labelText(labels)
        families.withLock { all in
            if all[name] == nil { all[name] = Family(kind: .counter, help: name) }
            all[name]!.values[key, default: 0] += amount
        }
    }

    /// Sets a gauge.
    public func set(_ name: String, _ value: Double, labels: [String: String] = [:]) {
        let key = Self.labelText(labels)
        families.withLock { all in
            if all[name] == nil { all[name] = Family(kind: .gauge, help: name) }
            all[name]!.values[key] = value
        }
    }

    /// Records one observation in a histogram.
    public func observe(_ name: String, _ value: Double, labels: [String: String] = [:]) {
        let key = Self.labelText(labels)
        families.withLock { all in
            if all[name] == nil { all[name] = Family(kind: .histogram, help: name, buckets: Self.latencyBuckets) }
            var family = all[name]!
            var entry = family.histograms[key] ?? ([Double](repeating: 0, count: family.buckets.count), 0, 0)
            for (index, bound) in family.buckets.enumerated() where value <= bound { entry.0[index] += 1 }
            entry.1 += value
            entry.2 += 1
            family.histograms[key] = entry
            all[name] = family
        }
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// The exposition text.
    public func render() -> String {
        let snapshot = families.withLock { $0 }
        var out = ""
        for (name, family) in snapshot.sorted(by: { $0.key < $1.key }) {
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
            switch family.kind {
            case .counter, .gauge:
                if family.values.isEmpty { out += "\(name) 0\n" }
                for (labels, value) in family.values.sorted(by: { $0.key < $1.key }) {
                    out += "\(name)\(labels) \(Self.number(value))\n"
                }
            case .histogram:
                let entries =
                    family.histograms.isEmpty
                    ? ["": ([Double](repeating: 0, count: family.buckets.count), 0.0, 0.0)] : family.histograms
                for (labels, entry) in entries.sorted(by: { $0.key < $1.key }) {
                    let inner = labels.isEmpty ? "" : String(labels.dropFirst().dropLast()) + ","
                    for (index, bound) in family.buckets.enumerated() {
                        out += "\(name)_bucket{\(inner)le=\"\(bound)\"} \(Self.number(entry.0[index]))\n"
                    }
                    out += "\(name)_bucket{\(inner)le=\"+Inf\"} \(Self.number(entry.2))\n"
                    out += "\(name)_sum\(labels) \(entry.1)\n\(name)_count\(labels) \(Self.number(entry.2))\n"
                }
            }
        }
        return out
    }
}
