/// What one advisory says about one package in one distribution release, in a form every feed maps to.
public struct Advisory: Sendable, Hashable, Codable {
    /// The advisory's identifier: a CVE, `DSA-…`, `ALPINE-…`, an OSV id.
    public var id: String
    /// Other names for it (CVE ids of an OSV record).
    public var aliases: [String]
    /// Which feed it came from: `debian-tracker`, `osv`, `alpine-secdb`.
    public var feed: String
    /// The normalized release key, e.g. `debian:bookworm`, `debian:12`, `alpine:3.11`, `rocky:9`.
    public var distribution: String
    /// The package the advisory names: the source package for Debian and Alpine, the rpm name for RPM.
    public var package: String
    public var scheme: VersionScheme
    public var status: FindingStatus
    /// The first fixed version, when there is one.
    public var fixedVersion: String?
    /// Affected spans; empty with no `versions` means every version (for open advisories).
    public var ranges: [AffectedRange]
    /// Explicitly listed affected versions (OSV `versions`).
    public var versions: [String]
    /// Debian urgency (`unimportant`, `low`, …) or a CVSS vector/score.
    public var severity: String?
    /// Extra words for the reader (`nodsa: minor issue`, `urgency set from NVD (**)`).
    public var note: String?

    public init(
        id: String, aliases: [String] = [], feed: String, distribution: String, package: String,
        scheme: VersionScheme, status: FindingStatus, fixedVersion: String? = nil, ranges: [AffectedRange] = [],
        versions: [String] = [], severity: String? = nil, note: String? = nil
    ) {
        self.id = id
        self.aliases = aliases
        self.feed = feed
        self.distribution = distribution
        self.package = package
        self.scheme = scheme
        self.status = status
        self.fixedVersion = fixedVersion
        self.ranges = ranges
        self.versions = versions
        self.severity = severity
        self.note = note
    }

    /// Whether `version` is affected: why, and the fix of the span it falls in; nil when not affected.
    public func match(_ version: String) -> (reason: String, fixed: String?)? {
        if status == .notAffected { return nil }
        if ranges.isEmpty && versions.isEmpty {
            if status == .fixAvailable { return nil }
            return ("every version of \(package) is affected (\(status.rawValue))", nil)
        }
        if versions.contains(where: { scheme.compare(version, $0) == .equal }) {
            return ("\(version) is listed as affected", ranges.lazy.compactMap(\.fixed).first)
        }
        for range in ranges where range.contains(version, scheme: scheme) {
            var words: [String] = []
            if let introduced = range.introduced, introduced != "0" { words.append(">= \(introduced)") }
            if let fixed = range.fixed { words.append("< \(fixed)") }
            if let last = range.lastAffected { words.append("<= \(last)") }
            if let limit = range.limit { words.append("< \(limit) (limit)") }
            return (words.isEmpty ? "every version is affected" : words.joined(separator: ", "), range.fixed)
        }
        return nil
    }

    /// Why `version` is affected, or nil when it is not.
    public func affects(_ version: String) -> String? { match(version)?.reason }
}
