import Foundation
import VigilCore

/// Evaluates a `RuleSet` against events, one at a time, reusing its scratch space (not thread-safe:
/// use one per thread).
///
/// For each event: find the rules of its log sources (cached per kind of event), scan the fields those
/// rules read once for all rule literals, and evaluate only the rules whose literals occurred (plus the
/// few that cannot be prefiltered, such as pure negations or regular expressions).
public final class RuleMatcher {
    /// The rules of one kind of event, and the slots the prefilter scans for them (in buffers, so reading them
    /// per event retains nothing).
    final class Plan {
        let hasFiltered: Bool
        let always: UnsafeMutableBufferPointer<Int>
        let scan: UnsafeMutableBufferPointer<Int>
        /// Whether each rule (by index) is among the prefiltered rules of this plan.
        let member: UnsafeMutableBufferPointer<Bool>

        init(filtered: [Int], always: [Int], scan: [Int], member: [Bool]) {
            hasFiltered = !filtered.isEmpty
            self.always = Plan.buffer(always)
            self.scan = Plan.buffer(scan)
            self.member = Plan.buffer(member)
        }

        deinit {
            always.deallocate()
            scan.deallocate()
            member.deallocate()
        }

        private static func buffer<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
            let storage = UnsafeMutableBufferPointer<T>.allocate(capacity: max(array.count, 1))
            _ = storage.initialize(from: array)
            return UnsafeMutableBufferPointer(rebasing: storage[0..<array.count])
        }
    }

    struct PlanKey: Hashable {
        var classUID: Int
        var activityID: Int
        var logName: String?
        var program: String?
    }

    public let ruleSet: RuleSet
    let program: RuleProgram
    var state: MatchState
    var eventPlans: [PlanKey: Plan] = [:]
    var keyPlans: [[String]: Plan] = [:]
    /// Rules evaluated so far (after the prefilter), for benchmarks and tuning.
    public var evaluatedRules: Int { state.evaluated }
    /// Plans for events without a program name, by class, activity and log kind.
    var fastPlanKeys: [Int] = []
    var fastPlans: [Plan] = []
    /// How each slot is read from an event: the table entry's index, else `keywordSpec` for the keyword text,
    /// else -1: `unmapped` under the field's name only (no table entry, or one that reads just that).
    let slotSpec: [Int]
    /// The slots of each field name, for spreading an event's `unmapped` entries.
    let unmappedSlots: [String: [Int]]
    let tableExtractors = FieldMapping.extractors
    static let keywordSpec = -2
    let slotFields: [String]

    public init(_ ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        program = ruleSet.program
        state = MatchState(slots: program.slotCount, rules: ruleSet.rules.count)
        slotSpec = ruleSet.slots.map { slot in
            guard let field = slot.field else { return RuleMatcher.keywordSpec }
            guard let spec = FieldMapping.specIndex(field, indexKey: slot.indexKey) else { return -1 }
            return FieldMapping.readsOnlyUnmapped(spec, field) ? -1 : spec
        }
        var unmappedSlots: [String: [Int]] = [:]
        for (i, slot) in ruleSet.slots.enumerated() {
            if let field = slot.field { unmappedSlots[field, default: []].append(i) }
        }
        self.unmappedSlots = unmappedSlots
        slotFields = ruleSet.slots.map { $0.field?.lowercased() ?? "_raw" }
    }

    func plan(for keys: [String]) -> Plan {
        var rules: [Int] = []
        var seen = Set<Int>()
        var scan = Set<Int>()
        for key in keys {
            for r in ruleSet.buckets[key] ?? [] where seen.insert(r).inserted { rules.append(r) }
            scan.formUnion(ruleSet.scanSlots[key] ?? [])
        }
        rules.sort()
        let filtered = rules.filter { ruleSet.compiled[$0].clauses != nil }
        var member = [Bool](repeating: false, count: ruleSet.rules.count)
        for r in filtered { member[r] = true }
        return Plan(
            filtered: filtered, always: rules.filter { ruleSet.compiled[$0].clauses == nil }, scan: scan.sorted(),
            member: member)
    }

    /// Calls `body` with the index (in `ruleSet.rules`) of every rule `event` matches, in rule order.
    public func match(_ event: Event, _ body: (Int) -> Void) {
        let plan: Plan
        let log = event.metadata.logName
        let logCode = log == nil ? 0 : log == "audit" ? 1 : log == "auth-log" || log == "syslog" ? 2 : 3
        if logCode == 2 || logCode == 3 {
            let key = PlanKey(
                classUID: event.classUID.rawValue, activityID: event.activityID, logName: log,
                program: event.unmapped?["program"])
            if let cached = eventPlans[key] {
                plan = cached
            } else {
                plan = self.plan(for: FieldMapping.logSourceKeys(of: event))
                eventPlans[key] = plan
            }
        } else {
            let key = (event.classUID.rawValue &* 1000 &+ event.activityID) &* 4 &+ logCode
            if let i = fastPlanKeys.firstIndex(of: key) {
                plan = fastPlans[i]
            } else {
                plan = self.plan(for: FieldMapping.logSourceKeys(of: event))
                fastPlanKeys.append(key)
                fastPlans.append(plan)
            }
        }
        // The extractors are called here, not through a closure: capturing `event` would copy it.
        var s = MatchState()
        swap(&s, &state)
        s.begin()
        if let unmapped = event.unmapped, !unmapped.isEmpty {
            for (name, value) in unmapped {
                guard let slots = unmappedSlots[name] else { continue }
                for slot in slots { s.setUnmapped(slot, value) }
            }
        }
        let p = program
        if plan.hasFiltered {
            for slot in plan.scan {
                s.fill(slot, read(slot, event, s), p)
                if s.length[slot] > 0 { s.scan(slot, plan.member, p) }
            }
        }
        s.collect(plan)
        for rule in s.found {
            for i in Int(p.ruleSlotStart[rule])..<Int(p.ruleSlotStart[rule + 1]) {
                let slot = Int(p.ruleSlots[i])
                if s.needs(slot) { s.fill(slot, read(slot, event, s), p) }
            }
        }
        s.evaluate(p)
        swap(&s, &state)
        report(body)
    }

    /// The indices of the rules `event` matches.
    public func matches(_ event: Event) -> [Int] {
        var out: [Int] = []
        match(event) { out.append($0) }
        return out
    }

    /// Evaluates a flat record of Sigma fields (keys lower-cased; `_raw` holds the keyword text) for the
    /// given log-source keys, as the differential test and benchmarks feed events.
    public func match(fields: [String: String], logSourceKeys keys: [String], _ body: (Int) -> Void) {
        let plan: Plan
        if let cached = keyPlans[keys] {
            plan = cached
        } else {
            plan = self.plan(for: keys)
            keyPlans[keys] = plan
        }
        var s = MatchState()
        swap(&s, &state)
        s.begin()
        let p = program
        if plan.hasFiltered {
            for slot in plan.scan {
                s.fill(slot, fields[slotFields[slot]], p)
                if s.length[slot] > 0 { s.scan(slot, plan.member, p) }
            }
        }
        s.collect(plan)
        for rule in s.found {
            for i in Int(p.ruleSlotStart[rule])..<Int(p.ruleSlotStart[rule + 1]) {
                let slot = Int(p.ruleSlots[i])
                if s.needs(slot) { s.fill(slot, fields[slotFields[slot]], p) }
            }
        }
        s.evaluate(p)
        swap(&s, &state)
        report(body)
    }

    /// `slot`'s value in `event` (whose `unmapped` entries `state` holds): as `FieldMapping.extractor` reads it.
    @inline(__always)
    func read(_ slot: Int, _ event: Event, _ state: MatchState) -> String? {
        let spec = slotSpec[slot]
        if spec >= 0, let value = tableExtractors[spec].read(event) { return value }
        if spec == RuleMatcher.keywordSpec { return FieldMapping.keywordText(event) }
        return state.unmapped(slot)
    }

    /// Reports the last event's matches (after the scratch space is back in place, so `body` may use the
    /// matcher again).
    func report(_ body: (Int) -> Void) {
        if state.matched.isEmpty { return }
        let matched = state.matched
        for rule in matched { body(rule) }
    }
}
