/// The advisories read from one or more feeds, and the records that were skipped.
public struct AdvisoryLoad: Sendable {
    public var advisories: [Advisory]
    /// Each names the file and the record (package, advisory id, field) and says what to fix.
    public var problems: [VulnError]

    public init(advisories: [Advisory] = [], problems: [VulnError] = []) {
        self.advisories = advisories
        self.problems = problems
    }

    public mutating func append(_ other: AdvisoryLoad) {
        advisories += other.advisories
        problems += other.problems
    }
}
