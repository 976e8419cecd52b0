import Foundation
import VigilCore

/// Reads OSV records (https://ossf.github.io/osv-schema/): one record, or an array of records, per file.
///
/// Only distribution ecosystems are used (`Debian:12`, `Ubuntu:22.04`, `Alpine:v3.19`, `Rocky Linux:9`,
/// `AlmaLinux:9`, `Red Hat:…`, `openSUSE:…`, `SUSE:…`); `ECOSYSTEM` ranges become affected spans
/// (`introduced`, `fixed`, `last_affected`, `limit`), `versions` are explicit affected versions, and the
/// first `severity` score (a CVSS vector) is kept. An unknown ecosystem or an invalid version is reported
/// with the file and record id; the rest of the file still loads. Withdrawn records are skipped.
public enum OSVLoader {
    public static let feed = "osv"

    /// Loads one file's bytes.
    ///
    /// The usual shapes are read in one pass without building a JSON tree (`OSVStreamReader`); anything it
    /// does not take exactly as the tree reading would (invalid JSON, a repeated member, an escaped member
    /// name) is read again through `JSONValue`, so the result and its problems are the same either way.
    public static func load(_ data: Data, file: String) -> AdvisoryLoad {
        if let records = OSVStreamReader.records(data) {
            var load = AdvisoryLoad()
            var ecosystems = Ecosystems()
            for (index, record) in records.enumerated() {
                append(record, index: index, file: file, into: &load, ecosystems: &ecosystems)
            }
            return load
        }
        return loadTree(data, file: file)
    }

    /// Loads one file's bytes through the JSON tree.
    static func loadTree(_ data: Data, file: String) -> AdvisoryLoad {
        var load = AdvisoryLoad()
        let root: JSONValue
        do {
            root = try JSONValue.parse(data)
        } catch {
            load.problems.append(
                VulnError(
                    code: "osv.not-json", message: "is not JSON (\(error.message)).",
                    location: ErrorLocation(file: file, offset: error.offset)))
            return load
        }
        let records = root.items ?? [root]
        var ecosystems = Ecosystems()
        for (index, record) in records.enumerated() {
            append(OSVRecord(record), index: index, file: file, into: &load, ecosystems: &ecosystems)
        }
        return load
    }

    /// The scheme and normalized release key for an OSV ecosystem, or nil when it is not a distribution's.
    public static func ecosystem(_ text: String) -> (scheme: VersionScheme, distribution: String)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let name = parts.first else { return nil }
        let release = parts.count > 1 ? parts[1] : ""
        switch name {
        case "Debian":
            return (.dpkg, "debian:\(release)")
        case "Ubuntu":
            // `Ubuntu:22.04:LTS`, `Ubuntu:Pro:18.04:LTS`.
            let version = parts.dropFirst().first { $0.first?.isNumber ?? false } ?? release
            return (.dpkg, "ubuntu:\(version)")
        case "Alpine":
            return (.apk, "alpine:\(release.hasPrefix("v") ? String(release.dropFirst()) : release)")
        case "Rocky Linux":
            return (.rpm, "rocky:\(release.split(separator: ".").first ?? "")")
        case "AlmaLinux":
            return (.rpm, "almalinux:\(release.split(separator: ".").first ?? "")")
        case "Red Hat":
            return (.rpm, "rhel:\(release)")
        case "openSUSE", "SUSE":
            return (.rpm, "\(name.lowercased()):\(release)")
        default:
            return nil
        }
    }

    /// Ecosystem names already read, with the last one at hand.
    struct Ecosystems {
        var known: [String: (VersionScheme, String)?] = [:]
        var lastName: String?
        var last: (VersionScheme, String)?
    }

    /// Adds one record's advisories to `load`; `ecosystems` caches parsed ecosystem names across records.
    static func append(
        _ record: OSVRecord, index recordIndex: Int, file: String, into load: inout AdvisoryLoad,
        ecosystems: inout Ecosystems
    ) {
        guard let id = record.id else {
            load.problems.append(
                .record(
                    "osv.shape", "record \(recordIndex) is not an OSV object with an 'id'; skipped.", file: file,
                    field: "[\(recordIndex)]"))
            return
        }
        if record.withdrawn { return }
        let aliases = record.aliases
        let severity = record.severity
        for (index, affected) in record.affected.enumerated() {
            func report(_ code: String, _ text: String) {
                load.problems.append(
                    .record(
                        code, "\(id): \(text); this entry was skipped.", file: file, field: "\(id)/affected[\(index)]"))
            }
            guard let name = affected.name, let ecosystemName = affected.ecosystem else {
                report("osv.shape", "affected[\(index)] has no package name and ecosystem")
                continue
            }
            // Records of one file share an ecosystem: compare with the last one before hashing.
            if ecosystemName != ecosystems.lastName {
                if ecosystems.known[ecosystemName] == nil {
                    ecosystems.known[ecosystemName] = .some(ecosystem(ecosystemName))
                }
                ecosystems.lastName = ecosystemName
                ecosystems.last = ecosystems.known[ecosystemName] ?? nil
            }
            guard let (scheme, distribution) = ecosystems.last else {
                report(
                    "osv.unknown-ecosystem",
                    "ecosystem '\(ecosystemName)' is not a Linux distribution Vigil knows (Debian, Ubuntu, Alpine, Rocky Linux, AlmaLinux, Red Hat, SUSE)"
                )
                continue
            }
            var ranges: [AffectedRange] = []
            var invalid: String?
            func check(_ version: String?) -> String? {
                guard let version, version != "0" else { return version }
                if invalid == nil, let problem = scheme.problem(version) { invalid = "'\(version)': \(problem)" }
                return version
            }
            for events in affected.ranges {
                var current: AffectedRange?
                var limit: String?
                for event in events {
                    if let introduced = event.introduced {
                        if let open = current { ranges.append(open) }
                        current = AffectedRange(introduced: check(introduced))
                    } else if let fixed = event.fixed {
                        var range = current ?? AffectedRange()
                        range.fixed = check(fixed)
                        ranges.append(range)
                        current = nil
                    } else if let last = event.lastAffected {
                        var range = current ?? AffectedRange()
                        range.lastAffected = check(last)
                        ranges.append(range)
                        current = nil
                    } else if let value = event.limit {
                        limit = check(value)
                    }
                }
                if let open = current { ranges.append(open) }
                if let limit {
                    for position in ranges.indices where ranges[position].limit == nil {
                        ranges[position].limit = limit
                    }
                }
            }
            let versions = affected.versions.map { check($0) ?? $0 }
            if let invalid {
                report("osv.invalid-version", "version \(invalid) under \(scheme.rawValue) rules")
                continue
            }
            if ranges.isEmpty && versions.isEmpty { continue }
            var fixed: String?
            for range in ranges where range.fixed != nil {
                fixed = range.fixed
                break
            }
            load.advisories.append(
                Advisory(
                    id: id, aliases: aliases, feed: feed, distribution: distribution, package: name, scheme: scheme,
                    status: fixed == nil ? .noFixYet : .fixAvailable, fixedVersion: fixed, ranges: ranges,
                    versions: versions, severity: severity))
        }
    }
}
