/// A package version scheme: how a distribution orders its package versions.
public enum VersionScheme: String, Sendable, Hashable, CaseIterable, Codable {
    /// Debian and Ubuntu (`dpkg --compare-versions`).
    case dpkg
    /// Red Hat, Fedora, SUSE, Rocky, Alma, Amazon Linux (rpm 4.18's `rpmverCmp` on EVR strings).
    case rpm
    /// Alpine (apk-tools 2.14).
    case apk

    /// Compares two versions. dpkg and rpm report versions they reject as `.invalid`; apk-tools 2.14
    /// orders any two strings (as `apk version -t` does), so for apk check `problem(_:)` separately.
    public func compare(_ a: String, _ b: String) -> VersionComparison {
        switch self {
        case .dpkg: DpkgVersion.compare(a, b)
        case .rpm: RPMVersion.compare(a, b)
        case .apk: APKVersion.compare(a, b)
        }
    }

    /// Why `version` is not valid under this scheme, or nil when it is.
    public func problem(_ version: String) -> String? {
        switch self {
        case .dpkg: DpkgVersion.problem(version)
        case .rpm: RPMVersion.problem(version)
        case .apk: APKVersion.problem(version)
        }
    }

    /// Whether `installed` sorts strictly before `fixed`; false when either is invalid.
    public func isBefore(_ installed: String, _ fixed: String) -> Bool {
        compare(installed, fixed) == .less
    }
}
