/// One span of affected versions: from `introduced` (inclusive; nil or `"0"` is the beginning) up to
/// `fixed` (exclusive) or `lastAffected` (inclusive), and never at or past `limit`.
public struct AffectedRange: Sendable, Hashable, Codable {
    public var introduced: String?
    public var fixed: String?
    public var lastAffected: String?
    public var limit: String?

    public init(introduced: String? = nil, fixed: String? = nil, lastAffected: String? = nil, limit: String? = nil) {
        self.introduced = introduced
        self.fixed = fixed
        self.lastAffected = lastAffected
        self.limit = limit
    }

    /// Whether `version` falls in this span.
    public func contains(_ version: String, scheme: VersionScheme) -> Bool {
        if let introduced, introduced != "0" {
            let verdict = scheme.compare(version, introduced)
            if verdict != .equal && verdict != .greater { return false }
        }
        if let fixed, scheme.compare(version, fixed) != .less { return false }
        if let lastAffected {
            let verdict = scheme.compare(version, lastAffected)
            if verdict != .less && verdict != .equal { return false }
        }
        if let limit, scheme.compare(version, limit) != .less { return false }
        return true
    }
}
