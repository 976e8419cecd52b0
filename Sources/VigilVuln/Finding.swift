/// One installed package affected by one advisory.
public struct Finding: Sendable, Hashable, Codable {
    /// The binary package as installed (`bsdutils`).
    public var package: String
    /// Its installed version.
    public var installed: String
    public var architecture: String
    /// The package name the advisory was matched on (`util-linux`) and its version.
    public var sourcePackage: String
    public var sourceVersion: String
    /// The advisory id (a CVE for the Debian tracker).
    public var advisory: String
    public var aliases: [String]
    public var status: FindingStatus
    /// The fixed version, when there is one.
    public var fixed: String?
    /// Urgency or CVSS.
    public var severity: String?
    /// Why it matched, e.g. `source util-linux 2.38.1-5+deb12u3 < 2.38.1-6 (debian:bookworm)`.
    public var reason: String
    public var feed: String
    public var distribution: String

    enum CodingKeys: String, CodingKey {
        case package, installed, architecture
        case sourcePackage = "source_package"
        case sourceVersion = "source_version"
        case advisory, aliases, status, fixed, severity, reason, feed, distribution
    }

    /// What identifies a finding across days: package, architecture and advisory.
    public var key: String { "\(package):\(architecture) \(advisory)" }
}
