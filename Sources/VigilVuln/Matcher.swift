/// Matches installed packages against advisories.
///
/// - dpkg: by **source** package and **source** version (a binary's own version may differ:
///   `bsdutils 1:2.38.1-5+deb12u3` is built from `util-linux 2.38.1-5+deb12u3`);
/// - apk: by origin package (what the secdb names) and the installed version;
/// - rpm: by rpm name and EVR, then by source rpm name when the name has no advisory.
public enum Matcher {
    /// Every finding for `packages` in the releases `distributions` (e.g. `["debian:bookworm", "debian:12"]`).
    /// Not-affected verdicts produce no finding. One finding per package, architecture and advisory id.
    public static func match(
        _ packages: [InstalledPackage], distributions: [String], index: AdvisoryIndex
    )
        -> [Finding]
    {
        var findings: [Finding] = []
        for package in packages {
            var seen: Set<String> = []
            for (name, version) in candidates(package) {
                var matched = false
                for distribution in distributions {
                    for advisory in index.advisories(distribution: distribution, package: name)
                    where advisory.scheme == package.scheme {
                        matched = true
                        guard !seen.contains(advisory.id), let hit = advisory.match(version) else { continue }
                        seen.insert(advisory.id)
                        let subject =
                            name == package.name && version == package.version
                            ? "\(name) \(version)" : "source \(name) \(version)"
                        findings.append(
                            Finding(
                                package: package.name, installed: package.version, architecture: package.architecture,
                                sourcePackage: name, sourceVersion: version, advisory: advisory.id,
                                aliases: advisory.aliases,
                                status: status(advisory.status, fixed: hit.fixed),
                                fixed: hit.fixed, severity: advisory.severity,
                                reason: "\(subject): \(hit.reason) (\(advisory.feed) \(distribution))",
                                feed: advisory.feed,
                                distribution: distribution))
                    }
                }
                if matched { break }
            }
        }
        return findings
    }

    /// A fix in the matching span makes it fix-available, unless the distribution will not ship it.
    static func status(_ status: FindingStatus, fixed: String?) -> FindingStatus {
        if status == .willNotFix { return status }
        if fixed != nil { return .fixAvailable }
        return status == .fixAvailable ? .noFixYet : status
    }

    /// The names and versions to look a package up under, in order.
    static func candidates(_ package: InstalledPackage) -> [(String, String)] {
        switch package.scheme {
        case .dpkg, .apk: [(package.sourceName, package.sourceVersion)]
        case .rpm:
            package.sourceName == package.name
                ? [(package.name, package.version)]
                : [(package.name, package.version), (package.sourceName, package.sourceVersion)]
        }
    }

    /// The release keys advisories use for a host's os-release: `debian:bookworm` and `debian:12`,
    /// `alpine:3.19`, `rocky:9`, `ubuntu:22.04`.
    public static func distributions(for os: OSRelease) -> [String] {
        var keys: [String] = []
        let id = os.id.lowercased()
        if !os.codename.isEmpty { keys.append("\(id):\(os.codename)") }
        if !os.versionID.isEmpty {
            switch id {
            case "alpine":
                keys.append("alpine:" + os.versionID.split(separator: ".").prefix(2).joined(separator: "."))
            case "ubuntu":
                keys.append("ubuntu:\(os.versionID)")
            default:
                keys.append("\(id):\(os.versionID.split(separator: ".").first ?? "")")
            }
        }
        return keys
    }
}
