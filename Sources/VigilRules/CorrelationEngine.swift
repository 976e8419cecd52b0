/// What a correlation rule raises: which rule, for which group, over which stretch of event time.
public struct CorrelationAlert: Sendable, Hashable {
    /// Index in the engine's `correlations`.
    public var correlation: Int
    /// The group-by field values, in the rule's `group-by` order.
    public var group: [String]
    /// Events (event_count, temporal kinds) or distinct values (value_count) in the window.
    public var count: Int
    /// Event time of the window's first and last event, milliseconds.
    public var firstTime: Int64
    public var lastTime: Int64
}

/// Evaluates correlation rules over a stream of rule matches, by event time, with bounded memory.
///
/// Each correlation keeps, per group, the matches of the last `timespan` (by the latest event time seen),
/// at most `maxEntriesPerGroup` of them, in at most `maxGroups` groups (the least recently active group is
/// dropped first). Events may arrive out of order: an event is placed by its own time, and every window of
/// length `timespan` that contains it is considered; windows are closed (events exactly `timespan` apart
/// are in the same window). An event older than the latest time minus `timespan` is counted in `lateEvents`
/// and ignored. After a group fires, its state is cleared, so one burst raises one alert.
public final class CorrelationEngine {
    struct Entry {
        var time: Int64
        var value: String
        var rule: Int
    }

    final class Group {
        var entries: [Entry] = []
        var lastSeen: Int64 = .min
    }

    public let correlations: [CorrelationRule]
    public let maxGroups: Int
    public let maxEntriesPerGroup: Int
    /// Events dropped because they were older than the window of the latest event.
    public private(set) var lateEvents = 0
    /// Groups dropped to stay within `maxGroups`.
    public private(set) var evictedGroups = 0
    var groups: [[String: Group]]
    var watermark: [Int64]
    /// Rule key → (correlation index, position of the rule in its `ruleKeys`).
    let byRule: [String: [(Int, Int)]]

    public init(correlations: [CorrelationRule], maxGroups: Int = 10_000, maxEntriesPerGroup: Int = 1_000) {
        precondition(maxGroups > 0 && maxEntriesPerGroup > 0, "correlation limits must be positive")
        self.correlations = correlations
        self.maxGroups = maxGroups
        self.maxEntriesPerGroup = maxEntriesPerGroup
        groups = Array(repeating: [:], count: correlations.count)
        watermark = Array(repeating: .min, count: correlations.count)
        var byRule: [String: [(Int, Int)]] = [:]
        for (c, correlation) in correlations.enumerated() {
            for (position, key) in correlation.ruleKeys.enumerated() { byRule[key, default: []].append((c, position)) }
        }
        self.byRule = byRule
    }

    /// Whether any correlation reads matches of the rule with this key.
    public func isReferenced(_ ruleKey: String) -> Bool { byRule[ruleKey] != nil }

    /// Feeds one match of the rule `ruleKey` on an event at `time` (ms); `field` reads the event's Sigma
    /// fields (for group-by and value_count). Returns the alerts this match completes.
    public func observe(ruleKey: String, time: Int64, field: (String) -> String?) -> [CorrelationAlert] {
        guard let targets = byRule[ruleKey] else { return [] }
        var alerts: [CorrelationAlert] = []
        for (c, position) in targets {
            let rule = correlations[c]
            let ref = rule.ruleRefs[position]
            func read(_ name: String) -> String {
                let actual = rule.aliases[name]?[ref] ?? rule.aliases[name]?[ruleKey] ?? name
                return field(actual) ?? ""
            }
            if time > watermark[c] { watermark[c] = time }
            let horizon = watermark[c] - rule.timespan
            if time < horizon {
                lateEvents += 1
                continue
            }
            let groupValues = rule.groupBy.map(read)
            let key = groupValues.joined(separator: "\u{1F}")
            let group: Group
            if let existing = groups[c][key] {
                group = existing
            } else {
                if groups[c].count >= maxGroups { evictOldest(c) }
                group = Group()
                groups[c][key] = group
            }
            group.lastSeen = max(group.lastSeen, time)
            // Drop what no future window can reach, insert in time order, keep the newest entries.
            if let firstKept = group.entries.firstIndex(where: { $0.time >= horizon }) {
                group.entries.removeFirst(firstKept)
            } else {
                group.entries.removeAll()
            }
            let value = rule.valueField.map(read) ?? ""
            let index = group.entries.lastIndex { $0.time <= time }.map { $0 + 1 } ?? 0
            group.entries.insert(Entry(time: time, value: value, rule: position), at: index)
            if group.entries.count > maxEntriesPerGroup {
                group.entries.removeFirst(group.entries.count - maxEntriesPerGroup)
            }
            if let alert = evaluate(c, group, at: time, groupValues) {
                alerts.append(alert)
                groups[c][key] = nil
            }
        }
        return alerts
    }

    func evictOldest(_ c: Int) {
        guard let oldest = groups[c].min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key else { return }
        groups[c][oldest] = nil
        evictedGroups += 1
    }

    /// Checks every window of length timespan that contains `time`.
    func evaluate(_ c: Int, _ group: Group, at time: Int64, _ groupValues: [String]) -> CorrelationAlert? {
        let rule = correlations[c]
        let entries = group.entries
        let span = rule.timespan
        guard let threshold = rule.threshold else { return nil }
        if threshold.op == .lt || threshold.op == .lte {
            // "Fewer than": the trailing window ending at this event.
            let inWindow = entries.filter { $0.time >= time - span && $0.time <= time }
            let count = measure(rule.kind, inWindow[...])
            guard threshold.holds(count), let first = inWindow.first else { return nil }
            return CorrelationAlert(
                correlation: c, group: groupValues, count: count, firstTime: first.time, lastTime: time)
        }
        // Windows [entries[k].time, entries[k].time + span] for every k that can contain `time`, with two
        // pointers and running counts: linear in the group's entries.
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].time < time - span { low = mid + 1 } else { high = mid }
        }
        var k = low
        var end = k
        var counts: [String: Int] = [:]
        var rules = [Int](repeating: 0, count: rule.ruleKeys.count)
        var distinctRules = 0
        func add(_ e: Entry) {
            switch rule.kind {
            case .valueCount: counts[e.value, default: 0] += 1
            case .temporal, .temporalOrdered:
                if rules[e.rule] == 0 { distinctRules += 1 }
                rules[e.rule] += 1
            case .eventCount: break
            }
        }
        func remove(_ e: Entry) {
            switch rule.kind {
            case .valueCount:
                let n = (counts[e.value] ?? 1) - 1
                counts[e.value] = n == 0 ? nil : n
            case .temporal, .temporalOrdered:
                rules[e.rule] -= 1
                if rules[e.rule] == 0 { distinctRules -= 1 }
            case .eventCount: break
            }
        }
        while k < entries.count && entries[k].time <= time {
            while end < entries.count && entries[end].time <= entries[k].time + span {
                add(entries[end])
                end += 1
            }
            var measured = 0
            var fires = false
            switch rule.kind {
            case .eventCount:
                measured = end - k
                fires = threshold.holds(measured)
            case .valueCount:
                measured = counts.count
                fires = threshold.holds(measured)
            case .temporal:
                measured = distinctRules
                fires = threshold.holds(measured)
            case .temporalOrdered:
                measured = end - k
                fires = distinctRules == rule.ruleKeys.count && ordered(entries[k..<end], count: rule.ruleKeys.count)
            }
            if fires {
                return CorrelationAlert(
                    correlation: c, group: groupValues, count: measured, firstTime: entries[k].time,
                    lastTime: entries[end - 1].time)
            }
            remove(entries[k])
            k += 1
        }
        return nil
    }

    func measure(_ kind: CorrelationRule.Kind, _ window: ArraySlice<Entry>) -> Int {
        switch kind {
        case .eventCount: return window.count
        case .valueCount: return Set(window.map(\.value)).count
        case .temporal, .temporalOrdered: return Set(window.map(\.rule)).count
        }
    }

    /// Whether the window holds matches of rule 0, then 1, … in time order.
    func ordered(_ window: ArraySlice<Entry>, count: Int) -> Bool {
        var next = 0
        for entry in window where entry.rule == next {
            next += 1
            if next == count { return true }
        }
        return false
    }
}
