import Foundation
import Synchronization
import VigilCore
import VigilHTTP
import VigilRules
import VigilStore

/// Limits on what one batch may hold.
public struct IngestLimits: Sendable {
    /// Largest batch after decompression.
    public var maxBatchBytes: Int
    /// Most events in one batch.
    public var maxBatchEvents: Int
    /// Largest single event (one NDJSON line).
    public var maxEventBytes: Int
    /// How far in the future an event time may be (clock skew allowance), milliseconds.
    public var maxFutureMilliseconds: Int64

    public init(
        maxBatchBytes: Int = 64 << 20, maxBatchEvents: Int = 10_000, maxEventBytes: Int = 256 << 10,
        maxFutureMilliseconds: Int64 = 3_600_000
    ) {
        self.maxBatchBytes = maxBatchBytes
        self.maxBatchEvents = maxBatchEvents
        self.maxEventBytes = maxEventBytes
        self.maxFutureMilliseconds = maxFutureMilliseconds
    }
}

/// Sigma detection over ingested events, with correlation state kept across batches (per node).
public final class DetectionEngine: Sendable {
    let detector: Mutex<Detector>
    let ruleSet: RuleSet
    /// For each rule: the fields its selections test, to record what matched.
    let ruleFields: [[String]]

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        detector = Mutex(Detector(ruleSet))
        ruleFields = ruleSet.rules.map { rule in
            Array(Set(rule.selections.flatMap { $0.groups.flatMap { $0.compactMap(\.field) } })).sorted()
        }
    }

    /// An alert as appended to the archive.
    struct AlertEntry: Encodable {
        var type = "alert"
        var ruleID: String
        var ruleTitle: String
        var level: String
        var hostUID: String
        var eventUIDs: [String]
        var time: Int64
        var fields: [String: String]
        var dedupKey: String

        enum CodingKeys: String, CodingKey {
            case type
            case ruleID = "rule_id"
            case ruleTitle = "rule_title"
            case level
            case hostUID = "host_uid"
            case eventUIDs = "event_uids"
            case time, fields
            case dedupKey = "dedup_key"
        }
    }

    /// Runs the events through the rules and correlations; returns alert drafts and their archive entries.
    func detect(_ events: [Event], hostUID: String) -> (alerts: [AlertDraft], alertEntries: [[UInt8]]) {
        var alerts: [AlertDraft] = []
        detector.withLock { detector in
            for event in events {
                for detection in detector.process(event) {
                    switch detection {
                    case .rule(let index):
                        let rule = ruleSet.rules[index]
                        let key = rule.logSource.indexKey
                        var fields: [String: String] = [:]
                        for field in ruleFields[index] {
                            if let value = FieldMapping.extractor(field, indexKey: key)(event) {
                                fields[field] = String(value.prefix(4096))
                            }
                        }
                        alerts.append(
                            AlertDraft(
                                ruleID: rule.metadata.id ?? rule.metadata.key, ruleTitle: rule.metadata.title,
                                level: rule.metadata.level ?? "medium", hostUID: hostUID, eventUIDs: [event.id],
                                time: event.time, fields: fields,
                                dedupKey: "rule|\(rule.metadata.key)|\(hostUID)"))
                    case .correlation(let alert):
                        let rule = ruleSet.correlations[alert.correlation]
                        var fields: [String: String] = ["count": String(alert.count)]
                        for (name, value) in zip(rule.groupBy, alert.group) { fields[name] = value }
                        alerts.append(
                            AlertDraft(
                                ruleID: rule.metadata.id ?? rule.metadata.key, ruleTitle: rule.metadata.title,
                                level: rule.metadata.level ?? "medium", hostUID: hostUID, eventUIDs: [event.id],
                                time: alert.lastTime, fields: fields,
                                dedupKey: "correlation|\(rule.metadata.key)|\(hostUID)|"
                                    + alert.group.joined(separator: "\u{1f}")))
                    }
                }
            }
        }
        let encoder = JSON.encoder()
        let entries = alerts.map { alert in
            (try? encoder.encode(
                AlertEntry(
                    ruleID: alert.ruleID, ruleTitle: alert.ruleTitle, level: alert.level, hostUID: alert.hostUID,
                    eventUIDs: alert.eventUIDs, time: alert.time, fields: alert.fields, dedupKey: alert.dedupKey)))
                .map { Array($0) } ?? Array(#"{"type":"alert"}"#.utf8)
        }
        return (alerts, entries)
    }
}

/// Decoding and validation of `POST /api/v1/events` bodies.
enum BatchDecoder {
    /// The events of a batch and the exact JSON text stored for each.
    struct Decoded {
        var events: [Event]
        var json: [String]
    }

    static func decode(_ request: HTTPRequest, agent: AgentRecord, limits: IngestLimits, now: Int64) throws -> Decoded {
        var body = request.body
        if let encoding = request.header("content-encoding")?.lowercased(), encoding != "identity" {
            guard encoding == "zstd" else {
                throw HTTPError(
                    status: 415, code: "unsupported-encoding",
                    message: "Content-Encoding \(encoding) is not supported; send zstd or identity")
            }
            do {
                body = try Zstd.decompress(body, maxOutput: limits.maxBatchBytes)
            } catch let error as StoreError {
                throw HTTPError(
                    status: error.code == "zstd.too-large" ? 413 : 400, code: error.code, message: error.message)
            }
        }
        guard body.count <= limits.maxBatchBytes else {
            throw HTTPError(
                status: 413, code: "batch-too-large",
                message: "the batch is over \(limits.maxBatchBytes) bytes; send smaller batches")
        }
        let contentType = (request.header("content-type") ?? "application/x-ndjson").lowercased()
        let decoded: Decoded
        if contentType.hasPrefix("application/x-ndjson") {
            decoded = try ndjson(body, limits: limits)
        } else if contentType.hasPrefix("application/json") {
            decoded = try legacyBatch(body, agent: agent, limits: limits)
        } else {
            throw HTTPError(
                status: 415, code: "unsupported-media-type",
                message: "send application/x-ndjson (one OCSF event per line) or an application/json EventBatch")
        }
        try validate(decoded.events, agent: agent, limits: limits, now: now)
        return decoded
    }

    static func ndjson(_ body: [UInt8], limits: IngestLimits) throws -> Decoded {
        let decoder = JSONDecoder()
        var events: [Event] = []
        var json: [String] = []
        var lineNumber = 0
        var start = 0
        while start < body.count {
            let end = body[start...].firstIndex(of: 0x0a) ?? body.count
            lineNumber += 1
            defer { start = end + 1 }
            var line = body[start..<end]
            if line.last == 0x0d { line = line.dropLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard line.count <= limits.maxEventBytes else {
                throw HTTPError(
                    status: 413, code: "event-too-large",
                    message: "line \(lineNumber): the event is over \(limits.maxEventBytes) bytes; drop or trim it")
            }
            guard events.count < limits.maxBatchEvents else {
                throw HTTPError(
                    status: 413, code: "batch-too-large",
                    message: "a batch holds at most \(limits.maxBatchEvents) events; send smaller batches")
            }
            do {
                events.append(try decoder.decode(Event.self, from: Data(line)))
            } catch let error as DecodingError {
                throw HTTPError(
                    status: 400, code: "invalid-event", message: "line \(lineNumber): \(HTTPError.describe(error))")
            }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw HTTPError(status: 400, code: "invalid-event", message: "line \(lineNumber): not UTF-8")
            }
            json.append(text)
        }
        return Decoded(events: events, json: json)
    }

    static func legacyBatch(_ body: [UInt8], agent: AgentRecord, limits: IngestLimits) throws -> Decoded {
        let batch: EventBatch
        do {
            batch = try JSONDecoder().decode(EventBatch.self, from: Data(body))
        } catch let error as DecodingError {
            throw HTTPError(status: 400, code: "invalid-json", message: HTTPError.describe(error))
        }
        guard batch.events.count <= limits.maxBatchEvents else {
            throw HTTPError(
                status: 413, code: "batch-too-large",
                message: "a batch holds at most \(limits.maxBatchEvents) events; send smaller batches")
        }
        guard batch.host.uid == agent.hostUID else {
            throw HTTPError(
                status: 403, code: "host-mismatch",
                message: "the batch's host.uid is not the host this agent enrolled for; re-enroll on that host")
        }
        let encoder = JSON.encoder()
        var events = batch.events
        var json: [String] = []
        json.reserveCapacity(events.count)
        for index in events.indices {
            if events[index].device == nil { events[index].device = batch.host }
            json.append(String(decoding: try encoder.encode(events[index]), as: UTF8.self))
        }
        return Decoded(events: events, json: json)
    }

    /// 2000-01-01T00:00:00Z: nothing Vigil watches happened before.
    static let earliest: Int64 = 946_684_800_000

    static func validate(_ events: [Event], agent: AgentRecord, limits: IngestLimits, now: Int64) throws {
        let latest = now + limits.maxFutureMilliseconds
        for (index, event) in events.enumerated() {
            let at = "event \(index + 1)"
            guard !event.id.isEmpty, event.id.utf8.count <= 256 else {
                throw HTTPError(
                    status: 400, code: "invalid-event", message: "\(at): metadata.uid must be 1 to 256 bytes")
            }
            guard event.time >= earliest, event.time <= latest else {
                throw HTTPError(
                    status: 400, code: "invalid-event",
                    message: "\(at): time \(event.time) is before 2000 or more than "
                        + "\(limits.maxFutureMilliseconds / 1000) s in the future; check the host's clock")
            }
            guard let uid = event.device?.uid else {
                throw HTTPError(
                    status: 400, code: "invalid-event", message: "\(at): device.uid (the host's machine id) is missing")
            }
            guard uid == agent.hostUID else {
                throw HTTPError(
                    status: 403, code: "host-mismatch",
                    message: "\(at): device.uid is not the host this agent enrolled for; the batch was refused")
            }
        }
    }
}

/// Per-key token buckets (one per agent): `rate` requests a second, bursts up to `burst`.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Int64
    }

    public let rate: Double
    public let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])

    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Takes one token for `key`; returns nil when allowed, else the seconds to wait.
    public func take(_ key: String, now: Int64) -> Int? {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + Double(max(0, now - bucket.updated)) / 1000 * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            if buckets.count > 100_000 { buckets = buckets.filter { now - $0.value.updated < 60_000 } }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }
}
