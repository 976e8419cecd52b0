import VigilCore

/// One thing detection found: a rule matched an event, or a correlation completed.
public enum Detection: Sendable, Hashable {
    /// Index in `RuleSet.rules`.
    case rule(Int)
    case correlation(CorrelationAlert)
}

/// Rules and correlations together over a stream of events: what `vigil rules test` and the server run.
///
/// A rule that correlations use raises no alert of its own unless one of them says `generate: true`
/// (Sigma's default), so a brute-force correlation does not also raise one alert per failed login.
public final class Detector {
    public let ruleSet: RuleSet
    public let matcher: RuleMatcher
    public let correlations: CorrelationEngine
    let quiet: [Bool]
    let referenced: [Bool]

    public init(_ ruleSet: RuleSet, maxGroups: Int = 10_000, maxEntriesPerGroup: Int = 1_000) {
        self.ruleSet = ruleSet
        matcher = RuleMatcher(ruleSet)
        correlations = CorrelationEngine(
            correlations: ruleSet.correlations, maxGroups: maxGroups, maxEntriesPerGroup: maxEntriesPerGroup)
        var generating = Set<String>()
        var used = Set<String>()
        for correlation in ruleSet.correlations {
            used.formUnion(correlation.ruleKeys)
            if correlation.generate { generating.formUnion(correlation.ruleKeys) }
        }
        referenced = ruleSet.rules.map { used.contains($0.metadata.key) }
        quiet = ruleSet.rules.map { used.contains($0.metadata.key) && !generating.contains($0.metadata.key) }
    }

    /// Runs every rule over `event`, feeds matches to the correlations, and returns what to report.
    public func process(_ event: Event) -> [Detection] {
        var out: [Detection] = []
        var matched: [Int] = []
        matcher.match(event) { matched.append($0) }
        for index in matched {
            if !quiet[index] { out.append(.rule(index)) }
            guard referenced[index] else { continue }
            let rule = ruleSet.rules[index]
            let key = rule.logSource.indexKey
            let alerts = correlations.observe(ruleKey: rule.metadata.key, time: event.time) { field in
                FieldMapping.extractor(field, indexKey: key)(event)
            }
            out += alerts.map(Detection.correlation)
        }
        return out
    }
}
