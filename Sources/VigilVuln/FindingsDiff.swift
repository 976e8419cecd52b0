/// What changed between two scans of one host: the "new since" part of the daily report.
public struct FindingsDiff: Sendable, Hashable {
    /// Findings on packages that were already installed: a new advisory (or a newly affected version).
    public var newAdvisories: [Finding]
    /// Findings on packages that were not installed at the previous scan (or had another version).
    public var newlyInstalled: [Finding]
    /// Findings of the previous scan that are gone (package upgraded or removed, advisory withdrawn).
    public var resolved: [Finding]
    /// Findings present in both scans.
    public var unchanged: [Finding]

    /// Compares two scans. `previousPackages` are the package keys (`name:arch version`) installed at the
    /// previous scan, to tell a new advisory from a newly installed vulnerable package.
    public static func compute(
        previous: [Finding], previousPackages: Set<String>, current: [Finding]
    ) -> FindingsDiff {
        let before = Set(previous.map(\.key))
        let now = Set(current.map(\.key))
        var diff = FindingsDiff(newAdvisories: [], newlyInstalled: [], resolved: [], unchanged: [])
        for finding in current {
            if before.contains(finding.key) {
                diff.unchanged.append(finding)
            } else if previousPackages.contains(packageKey(finding)) {
                diff.newAdvisories.append(finding)
            } else {
                diff.newlyInstalled.append(finding)
            }
        }
        diff.resolved = previous.filter { !now.contains($0.key) }
        return diff
    }

    /// `name:arch version`, the identity of an installed package at one version.
    public static func packageKey(_ package: InstalledPackage) -> String {
        "\(package.name):\(package.architecture) \(package.version)"
    }

    static func packageKey(_ finding: Finding) -> String {
        "\(finding.package):\(finding.architecture) \(finding.installed)"
    }
}
