/// OCSF severity (`severity_id`).
public enum Severity: Int, Sendable, Codable, Hashable, CaseIterable, Comparable {
    case unknown = 0
    case informational = 1
    case low = 2
    case medium = 3
    case high = 4
    case critical = 5
    case fatal = 6

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The lower-case name used in Sigma `level` and in the dashboard.
    public var name: String {
        switch self {
        case .unknown: "unknown"
        case .informational: "informational"
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        case .critical: "critical"
        case .fatal: "fatal"
        }
    }

    /// Parses a Sigma level or OCSF name (`informational`, `low`, `medium`, `high`, `critical`).
    public init?(name: String) {
        guard let match = Severity.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = match
    }
}
