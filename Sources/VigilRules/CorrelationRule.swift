/// A Sigma correlation rule: counts, distinct values or sequences of other rules' matches, per group,
/// within a time span of event time.
public struct CorrelationRule: Sendable {
    /// The correlation types Sigma defines.
    public enum Kind: String, Sendable {
        case eventCount = "event_count"
        case valueCount = "value_count"
        case temporal
        case temporalOrdered = "temporal_ordered"
    }

    /// A comparison such as `gte: 10`.
    public struct Threshold: Sendable, Hashable {
        public enum Operator: String, Sendable, CaseIterable {
            case gt, gte, lt, lte, eq, neq
        }

        public var op: Operator
        public var value: Int

        public init(_ op: Operator, _ value: Int) {
            self.op = op
            self.value = value
        }

        /// Whether `count` satisfies the threshold.
        public func holds(_ count: Int) -> Bool {
            switch op {
            case .gt: count > value
            case .gte: count >= value
            case .lt: count < value
            case .lte: count <= value
            case .eq: count == value
            case .neq: count != value
            }
        }
    }

    public var metadata: RuleMetadata
    public var kind: Kind
    /// The rules it correlates, by id or name as written.
    public var ruleRefs: [String]
    /// Keys (`RuleMetadata.key`) of the referenced rules, filled in when linked.
    public var ruleKeys: [String]
    public var groupBy: [String]
    /// Window length in milliseconds of event time.
    public var timespan: Int64
    /// For event_count and value_count; temporal kinds need every rule (at least once).
    public var threshold: Threshold?
    /// For value_count: the field whose distinct values are counted.
    public var valueField: String?
    /// Field aliases: alias → (rule ref → field name in that rule's events).
    public var aliases: [String: [String: String]]
    /// Whether the referenced rules also raise alerts of their own.
    public var generate: Bool

    public init(
        metadata: RuleMetadata, kind: Kind, ruleRefs: [String], groupBy: [String], timespan: Int64,
        threshold: Threshold?, valueField: String?, aliases: [String: [String: String]] = [:], generate: Bool = false
    ) {
        self.metadata = metadata
        self.kind = kind
        self.ruleRefs = ruleRefs
        self.ruleKeys = []
        self.groupBy = groupBy
        self.timespan = timespan
        self.threshold = threshold
        self.valueField = valueField
        self.aliases = aliases
        self.generate = generate
    }

    /// Parses a Sigma time span: a number and a unit `s`, `m`, `h`, `d` (also `M` months, `y` years,
    /// counted as 30 and 365 days). Returns milliseconds, or nil.
    public static func parseTimespan(_ text: String) -> Int64? {
        guard let unit = text.last, let n = Int64(text.dropLast()), n > 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86_400
        case "w": seconds = 7 * 86_400
        case "M": seconds = 30 * 86_400
        case "y": seconds = 365 * 86_400
        default: return nil
        }
        let (ms, overflow) = n.multipliedReportingOverflow(by: seconds * 1000)
        return overflow ? nil : ms
    }
}
