import Foundation
import VigilCore

/// Loaded rules compiled for evaluation: field slots, rules indexed by log source, and the literal
/// prefilter. Immutable and shareable; evaluate with a `RuleMatcher` per thread.
public struct RuleSet: @unchecked Sendable {
    /// A field slot: one Sigma field as read for one log source (nil field: the keyword text).
    struct Slot: Hashable {
        var field: String?
        var indexKey: String
    }

    enum Value {
        case pattern(SigmaPattern)
        case regex(NSRegularExpression, RegexFacts)
        case cidr(CIDR)
        case compare(ValueMatcher.Comparison, Double)
        case null
        case exists(Bool)
        case fieldRef(Int, ValueMatcher.FieldRefKind, cased: Bool)
    }

    /// What makes two slots read the same value: the field name and the mapping table entry (nil: `unmapped`).
    struct SlotIdentity: Hashable {
        var field: String?
        var spec: Int?
    }

    /// A literal a rule needs in one slot's lower-cased text.
    struct SlotLiteral: Hashable {
        var slot: Int
        var bytes: [UInt8]
    }

    struct Test {
        var slot: Int
        var values: [Value]
        var requireAll: Bool
    }

    final class CompiledRule {
        /// Per selection: OR of groups of AND of tests.
        let selections: [[[Test]]]
        let condition: Condition
        /// Clauses of literal ids: for the rule to match, each clause needs one of its literals in the event.
        /// Nil when the rule cannot promise any literal (it is then evaluated on every event of its source).
        let clauses: [[Int]]?

        init(selections: [[[Test]]], condition: Condition, clauses: [[Int]]?) {
            self.selections = selections
            self.condition = condition
            self.clauses = clauses
        }
    }

    public let rules: [SigmaRule]
    public let correlations: [CorrelationRule]
    let compiled: [CompiledRule]
    let slots: [Slot]
    let extractors: [@Sendable (Event) -> String?]
    /// Rule indices by log-source key.
    let buckets: [String: [Int]]
    /// Slots whose text the prefilter scans, by log-source key.
    let scanSlots: [String: [Int]]
    /// Everything above compiled into flat tables for the matcher.
    let program: RuleProgram

    /// Compiles loaded rules (and linked correlations).
    public init(rules: [SigmaRule], correlations: [CorrelationRule] = []) {
        self.rules = rules
        self.correlations = correlations
        // Log sources that read a field the same way (through the same table entry, or both from `unmapped`,
        // or the keyword text) share one slot, so an event's value is extracted and scanned once.
        var slotIndex: [SlotIdentity: Int] = [:]
        var slots: [Slot] = []
        func slot(_ field: String?, _ key: String) -> Int {
            let identity = SlotIdentity(field: field, spec: field.flatMap { FieldMapping.specIndex($0, indexKey: key) })
            if let i = slotIndex[identity] { return i }
            slotIndex[identity] = slots.count
            slots.append(Slot(field: field, indexKey: key))
            return slots.count - 1
        }
        var literalIndex: [SlotLiteral: Int] = [:]
        var literals: [SlotLiteral] = []
        var buckets: [String: [Int]] = [:]
        var scan: [String: Set<Int>] = [:]
        var compiled: [CompiledRule] = []
        for (ruleIndex, rule) in rules.enumerated() {
            let key = rule.logSource.indexKey
            buckets[key, default: []].append(ruleIndex)
            let selections: [[[Test]]] = rule.selections.map { selection in
                selection.groups.map { group in
                    group.map { test in
                        let values: [Value] = test.values.map { value in
                            switch value {
                            case .pattern(let p): .pattern(p)
                            case .regex(let r, _):
                                .regex(
                                    r, RegexFacts.of(r.pattern, caseInsensitive: r.options.contains(.caseInsensitive)))
                            case .cidr(let c): .cidr(c)
                            case .compare(let op, let n): .compare(op, n)
                            case .null: .null
                            case .exists(let b): .exists(b)
                            case .fieldRef(let other, let kind, let cased):
                                .fieldRef(slot(other, key), kind, cased: cased)
                            }
                        }
                        return Test(slot: slot(test.field, key), values: values, requireAll: test.requireAll)
                    }
                }
            }
            // Literal clauses the rule needs (each clause: one of its literals must occur), with their slots.
            var needSlots: Set<Int> = []
            let need = RuleSet.required(rule.condition, rule: rule, selections: selections, slots: &needSlots)
            var clauses: [[Int]]?
            if let need {
                clauses = need.map { clause in
                    clause.map { literal in
                        if let id = literalIndex[literal] { return id }
                        literalIndex[literal] = literals.count
                        literals.append(literal)
                        return literals.count - 1
                    }
                }
                // Only the slots of the clauses kept need scanning.
                for clause in need { scan[key, default: []].formUnion(clause.map(\.slot)) }
            }
            compiled.append(CompiledRule(selections: selections, condition: rule.condition, clauses: clauses))
        }
        self.slots = slots
        self.extractors = slots.map { slot in
            if let field = slot.field { return FieldMapping.extractor(field, indexKey: slot.indexKey) }
            return { FieldMapping.keywordText($0) }
        }
        self.buckets = buckets
        self.compiled = compiled
        self.scanSlots = scan.mapValues { $0.sorted() }
        self.program = RuleProgram(
            compiled: compiled, slotCount: slots.count, literals: literals.map(\.bytes),
            literalSlots: literals.map(\.slot))
    }

    /// Loads and compiles in one step; diagnostics are in the returned load result.
    public static func load(_ files: [(text: String, file: String)]) -> (RuleSet, RuleLoadResult) {
        let result = SigmaLoader.load(files)
        return (RuleSet(rules: result.rules, correlations: result.correlations), result)
    }

    /// At most this many clauses per rule (the most selective are kept).
    static let maxClauses = 4

    /// Literal clauses every match of `condition` satisfies (in each clause, one literal occurs), or nil.
    static func required(
        _ condition: Condition, rule: SigmaRule, selections: [[[Test]]], slots: inout Set<Int>
    ) -> [Set<SlotLiteral>]? {
        switch condition {
        case .selection(let i):
            return requiredSelection(selections[i], slots: &slots)
        case .not:
            return nil
        case .and(let items):
            return conjunction(items.map { required($0, rule: rule, selections: selections, slots: &slots) })
        case .or(let items):
            return disjunction(items.map { required($0, rule: rule, selections: selections, slots: &slots) })
        case .of(let count, let indices):
            let needs = indices.map { requiredSelection(selections[$0], slots: &slots) }
            return count == nil ? conjunction(needs) : disjunction(needs)
        }
    }

    /// Every clause of every known part holds; keep the most selective.
    static func conjunction(_ parts: [[Set<SlotLiteral>]?]) -> [Set<SlotLiteral>]? {
        var all: [Set<SlotLiteral>] = []
        for part in parts.compactMap({ $0 }) {
            for clause in part where !all.contains(clause) { all.append(clause) }
        }
        if all.isEmpty { return nil }
        return Array(all.sorted { score($0) > score($1) }.prefix(maxClauses))
    }

    /// One of the parts holds: the union of each part's best clause.
    static func disjunction(_ parts: [[Set<SlotLiteral>]?]) -> [Set<SlotLiteral>]? {
        var union: Set<SlotLiteral> = []
        for part in parts {
            guard let part, let best = part.max(by: { score($0) < score($1) }) else { return nil }
            union.formUnion(best)
        }
        return union.isEmpty ? nil : [union]
    }

    static func requiredSelection(_ groups: [[Test]], slots: inout Set<Int>) -> [Set<SlotLiteral>]? {
        var perGroup: [[Set<SlotLiteral>]?] = []
        for group in groups {
            var clauses: [Set<SlotLiteral>] = []
            for test in group {
                // Per value, literals one of which every match of the value contains in the test's slot.
                let lits = test.values.map { value -> Set<SlotLiteral>? in
                    switch value {
                    case .pattern(let p):
                        let l = p.requiredLiteral
                        return l.isEmpty ? nil : [SlotLiteral(slot: test.slot, bytes: l)]
                    case .regex(_, let facts):
                        return facts.literals.isEmpty
                            ? nil : Set(facts.literals.map { SlotLiteral(slot: test.slot, bytes: $0) })
                    default:
                        return nil
                    }
                }
                // A clause with a one-byte literal is left out: it occurs in nearly every event, and looking
                // for it costs more than evaluating the rule (leaving a clause out never loses a match).
                if test.requireAll {
                    for set in lits.compactMap({ $0 }) where useful(set) {
                        clauses.append(set)
                        slots.insert(test.slot)
                    }
                } else if !lits.isEmpty, lits.allSatisfy({ $0 != nil }) {
                    let set = lits.reduce(into: Set<SlotLiteral>()) { $0.formUnion($1 ?? []) }
                    if useful(set) {
                        clauses.append(set)
                        slots.insert(test.slot)
                    }
                }
            }
            perGroup.append(clauses.isEmpty ? nil : clauses)
        }
        if perGroup.count == 1 {
            return perGroup[0].map { Array($0.sorted { score($0) > score($1) }.prefix(maxClauses)) }
        }
        return disjunction(perGroup)
    }

    /// Whether a clause is worth looking for: its shortest literal is at least `minLiteralLength` bytes.
    static func useful(_ set: Set<SlotLiteral>) -> Bool {
        (set.map(\.bytes.count).min() ?? 0) >= minLiteralLength
    }

    static let minLiteralLength = 2

    static func score(_ set: Set<SlotLiteral>) -> Int {
        let shortest = set.map(\.bytes.count).min() ?? 0
        return min(shortest, 8) * 1000 - set.count
    }

    /// The names of log-source keys rules are indexed by, with their rule counts.
    public var index: [(key: String, rules: Int)] {
        buckets.map { ($0.key, $0.value.count) }.sorted { $0.key < $1.key }
    }
}

extension RuleSet {
    /// Titles of the rules the literal prefilter cannot skip (they are evaluated on every event of their source).
    public var unfilteredRuleTitles: [String] {
        compiled.indices.filter { compiled[$0].clauses == nil }.map { rules[$0].metadata.title }
    }
}
