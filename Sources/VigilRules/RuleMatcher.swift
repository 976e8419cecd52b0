import Foundation
import VigilCore

/// Evaluates a `RuleSet` against events, one at a time, reusing its scratch space (not thread-safe:
/// use one per thread).
///
/// For each event: find the rules of its log sources (cached per kind of event), scan the fields those
/// rules read once for all rule literals, and evaluate only the rules whose literals occurred (plus the
/// few that cannot be prefiltered, such as pure negations or regular expressions).
public final class RuleMatcher {
    struct Plan {
        var filtered: [Int]
        var always: [Int]
        var scan: [Int]
        /// Whether each rule (by index) is in `filtered`.
        var member: [Bool]
        /// Every slot the plan's rules read, filled before evaluation.
        var slots: [Int]
    }

    /// A rule literal's meaning for one rule: which clause bit it sets.
    struct Hit {
        var rule: Int32
        var bit: UInt8
    }

    struct PlanKey: Hashable {
        var classUID: Int
        var activityID: Int
        var logName: String?
        var program: String?
    }

    public let ruleSet: RuleSet
    let record: FieldRecord
    var hitStamp: [UInt32]
    var clauseMask: [UInt8]
    var fullMask: [UInt8]
    var literalHits: [[Hit]]
    var candidates: [Int] = []
    var generation: UInt32 = 0
    var eventPlans: [PlanKey: Plan] = [:]
    var keyPlans: [[String]: Plan] = [:]
    /// Rules evaluated so far (after the prefilter), for benchmarks and tuning.
    public private(set) var evaluatedRules = 0
    /// Plans for events without a program name, by class, activity and log kind.
    var fastPlanKeys: [Int] = []
    var fastPlans: [Plan] = []
    let extractors: [@Sendable (Event) -> String?]
    let slotFields: [String]

    public init(_ ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        var needsRaw = [Bool](repeating: false, count: max(ruleSet.slots.count, 1))
        for rule in ruleSet.compiled {
            for selection in rule.selections {
                for group in selection {
                    for test in group {
                        for value in test.values {
                            switch value {
                            case .pattern(let p) where p.cased: needsRaw[test.slot] = true
                            case .fieldRef(let other, _, let cased) where cased:
                                needsRaw[test.slot] = true
                                needsRaw[other] = true
                            default: break
                            }
                        }
                    }
                }
            }
        }
        record = FieldRecord(slots: max(ruleSet.slots.count, 1), needsRaw: needsRaw)
        hitStamp = [UInt32](repeating: 0, count: ruleSet.rules.count)
        clauseMask = [UInt8](repeating: 0, count: ruleSet.rules.count)
        fullMask = [UInt8](repeating: 0, count: ruleSet.rules.count)
        literalHits = [[Hit]](repeating: [], count: ruleSet.prefilter.literalCount)
        extractors = ruleSet.extractors
        slotFields = ruleSet.slots.map { $0.field?.lowercased() ?? "_raw" }
        for (i, rule) in ruleSet.compiled.enumerated() {
            let clauses = rule.clauses ?? []
            precondition(clauses.count <= 8, "at most 8 literal clauses per rule")
            fullMask[i] = UInt8(truncatingIfNeeded: (1 << clauses.count) - 1)
            for (c, clause) in clauses.enumerated() {
                for id in clause { literalHits[id].append(Hit(rule: Int32(i), bit: UInt8(1 << c))) }
            }
        }
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
        var slots = Set<Int>()
        for r in rules {
            for selection in ruleSet.compiled[r].selections {
                for group in selection {
                    for test in group {
                        slots.insert(test.slot)
                        for value in test.values { if case .fieldRef(let other, _, _) = value { slots.insert(other) } }
                    }
                }
            }
        }
        return Plan(
            filtered: filtered, always: rules.filter { ruleSet.compiled[$0].clauses == nil }, scan: scan.sorted(),
            member: member, slots: slots.sorted())
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
        for slot in plan.slots { record.fill(slot, extractors[slot](event)) }
        run(plan, body)
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
        for slot in plan.slots { record.fill(slot, fields[slotFields[slot]]) }
        run(plan, body)
    }

    /// Evaluates the plan's rules over the filled record.
    func run(_ plan: Plan, _ body: (Int) -> Void) {
        generation &+= 1
        if generation == 0 {
            for i in hitStamp.indices { hitStamp[i] = 0 }
            generation = 1
        }
        // Scan the fields once; a rule is a candidate when every one of its clauses has a literal hit.
        var found = candidates
        candidates = []
        found.removeAll(keepingCapacity: true)
        if !plan.filtered.isEmpty {
            let gen = generation
            var stamps = hitStamp
            var masks = clauseMask
            hitStamp = []
            clauseMask = []
            let full = fullMask
            let member = plan.member
            let hits = literalHits
            for slot in plan.scan {
                if record.present[slot] {
                    ruleSet.prefilter.scan(record.lower[slot]) { id in
                        for hit in hits[id] {
                            let r = Int(hit.rule)
                            if stamps[r] != gen {
                                stamps[r] = gen
                                masks[r] = 0
                            }
                            let before = masks[r]
                            if before & hit.bit == 0 {
                                masks[r] = before | hit.bit
                                if masks[r] == full[r] && member[r] { found.append(r) }
                            }
                        }
                    }
                }
            }
            hitStamp = stamps
            clauseMask = masks
            found.sort()
        }
        // Evaluate candidates and unfiltered rules in rule order.
        var f = 0
        var a = 0
        let always = plan.always
        while f < found.count || a < always.count {
            let rule: Int
            if a >= always.count || (f < found.count && found[f] < always[a]) {
                rule = found[f]
                f += 1
            } else {
                rule = always[a]
                a += 1
            }
            evaluatedRules &+= 1
            if evaluate(ruleSet.compiled[rule]) { body(rule) }
        }
        candidates = found
    }

    func evaluate(_ rule: RuleSet.CompiledRule) -> Bool {
        evaluate(rule.condition, rule)
    }

    func evaluate(_ condition: Condition, _ rule: RuleSet.CompiledRule) -> Bool {
        switch condition {
        case .selection(let i):
            return selection(rule.selections[i])
        case .not(let inner):
            return !evaluate(inner, rule)
        case .and(let items):
            for item in items where !evaluate(item, rule) { return false }
            return true
        case .or(let items):
            for item in items where evaluate(item, rule) { return true }
            return false
        case .of(let count, let indices):
            let needed = count ?? indices.count
            var hits = 0
            for i in indices where selection(rule.selections[i]) {
                hits += 1
                if hits >= needed { return true }
            }
            return hits >= needed && needed > 0
        }
    }

    func selection(_ groups: [[RuleSet.Test]]) -> Bool {
        for group in groups {
            var ok = true
            for test in group where !self.test(test) {
                ok = false
                break
            }
            if ok { return true }
        }
        return false
    }

    func test(_ test: RuleSet.Test) -> Bool {
        let slot = test.slot
        if test.requireAll {
            for value in test.values where !self.value(value, slot) { return false }
            return true
        }
        for value in test.values where self.value(value, slot) { return true }
        return false
    }

    func value(_ value: RuleSet.Value, _ slot: Int) -> Bool {
        let present = record.present[slot]
        switch value {
        case .pattern(let p):
            guard present else { return false }
            return p.matches(p.cased ? record.raw[slot] : record.lower[slot])
        case .null:
            return !present
        case .exists(let flag):
            return present == flag
        case .regex(let regex):
            guard present, let text = record.strings[slot] else { return false }
            let ns = text as NSString
            return regex.firstMatch(in: text, options: [], range: NSRange(location: 0, length: ns.length)) != nil
        case .cidr(let network):
            guard present, let text = record.strings[slot] else { return false }
            return network.contains(text)
        case .compare(let op, let bound):
            guard present, let text = record.strings[slot], let n = Double(text) else { return false }
            switch op {
            case .gt: return n > bound
            case .gte: return n >= bound
            case .lt: return n < bound
            case .lte: return n <= bound
            }
        case .fieldRef(let other, let kind, let cased):
            guard present, record.present[other] else { return false }
            let a = cased ? record.raw[slot] : record.lower[slot]
            let b = cased ? record.raw[other] : record.lower[other]
            switch kind {
            case .equals: return a == b
            case .contains: return SigmaPattern.contains(a, b)
            case .startsWith: return a.starts(with: b)
            case .endsWith: return a.count >= b.count && a.suffix(b.count).elementsEqual(b)
            }
        }
    }
}
