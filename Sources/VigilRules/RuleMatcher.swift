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
    var literalRules: [[Int32]]
    var generation: UInt32 = 0
    var eventPlans: [PlanKey: Plan] = [:]
    var keyPlans: [[String]: Plan] = [:]

    public init(_ ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        record = FieldRecord(slots: max(ruleSet.slots.count, 1))
        hitStamp = [UInt32](repeating: 0, count: ruleSet.rules.count)
        literalRules = [[Int32]](repeating: [], count: ruleSet.prefilter.literalCount)
        for (i, rule) in ruleSet.compiled.enumerated() {
            for id in rule.literals ?? [] { literalRules[id].append(Int32(i)) }
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
        return Plan(
            filtered: rules.filter { ruleSet.compiled[$0].literals != nil },
            always: rules.filter { ruleSet.compiled[$0].literals == nil }, scan: scan.sorted())
    }

    /// Calls `body` with the index (in `ruleSet.rules`) of every rule `event` matches, in rule order.
    public func match(_ event: Event, _ body: (Int) -> Void) {
        let key = PlanKey(
            classUID: event.classUID.rawValue, activityID: event.activityID, logName: event.metadata.logName,
            program: event.unmapped?["program"])
        let plan: Plan
        if let cached = eventPlans[key] {
            plan = cached
        } else {
            plan = self.plan(for: FieldMapping.logSourceKeys(of: event))
            eventPlans[key] = plan
        }
        let extractors = ruleSet.extractors
        run(plan, read: { slot in extractors[slot](event) }, body)
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
        let slots = ruleSet.slots
        run(plan, read: { slot in fields[slots[slot].field?.lowercased() ?? "_raw"] }, body)
    }

    func run(_ plan: Plan, read: (Int) -> String?, _ body: (Int) -> Void) {
        record.reset()
        generation &+= 1
        if generation == 0 {
            for i in hitStamp.indices { hitStamp[i] = 0 }
            generation = 1
        }
        if !plan.filtered.isEmpty {
            let gen = generation
            for slot in plan.scan {
                record.fill(slot) { read(slot) }
                if record.present[slot] {
                    ruleSet.prefilter.scan(record.lower[slot]) { id in
                        for r in literalRules[id] { hitStamp[Int(r)] = gen }
                    }
                }
            }
        }
        var f = 0
        var a = 0
        let filtered = plan.filtered
        let always = plan.always
        // Merge the two sorted lists so matches come out in rule order.
        while f < filtered.count || a < always.count {
            let rule: Int
            if a >= always.count || (f < filtered.count && filtered[f] < always[a]) {
                rule = filtered[f]
                f += 1
                if hitStamp[rule] != generation { continue }
            } else {
                rule = always[a]
                a += 1
            }
            if evaluate(ruleSet.compiled[rule], read: read) { body(rule) }
        }
    }

    func evaluate(_ rule: RuleSet.CompiledRule, read: (Int) -> String?) -> Bool {
        evaluate(rule.condition, rule, read)
    }

    func evaluate(_ condition: Condition, _ rule: RuleSet.CompiledRule, _ read: (Int) -> String?) -> Bool {
        switch condition {
        case .selection(let i):
            return selection(rule.selections[i], read)
        case .not(let inner):
            return !evaluate(inner, rule, read)
        case .and(let items):
            for item in items where !evaluate(item, rule, read) { return false }
            return true
        case .or(let items):
            for item in items where evaluate(item, rule, read) { return true }
            return false
        case .of(let count, let indices):
            let needed = count ?? indices.count
            var hits = 0
            for i in indices where selection(rule.selections[i], read) {
                hits += 1
                if hits >= needed { return true }
            }
            return hits >= needed && needed > 0
        }
    }

    func selection(_ groups: [[RuleSet.Test]], _ read: (Int) -> String?) -> Bool {
        for group in groups {
            var ok = true
            for test in group where !self.test(test, read) {
                ok = false
                break
            }
            if ok { return true }
        }
        return false
    }

    func test(_ test: RuleSet.Test, _ read: (Int) -> String?) -> Bool {
        let slot = test.slot
        record.fill(slot) { read(slot) }
        if test.requireAll {
            for value in test.values where !self.value(value, slot, read) { return false }
            return true
        }
        for value in test.values where self.value(value, slot, read) { return true }
        return false
    }

    func value(_ value: RuleSet.Value, _ slot: Int, _ read: (Int) -> String?) -> Bool {
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
            record.fill(other) { read(other) }
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
