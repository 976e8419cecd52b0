import Foundation
import VigilCore

/// Reads the Debian Security Tracker's JSON (`https://security-tracker.debian.org/tracker/data/json`):
/// `{ source-package: { CVE: { "releases": { codename: { "status", "fixed_version", "urgency",
/// "nodsa", "nodsa_reason" } } } } }`.
///
/// - `resolved` with `fixed_version` `"0"` means the release was never affected;
/// - `resolved` with a version means versions before it are affected;
/// - `open` and `undetermined` mean every version is affected; `nodsa_reason` `ignored` and urgency
///   `end-of-life` mean the fix will not come;
/// - urgency is kept as given (`unimportant` included), with the `**` mark (urgency not yet reviewed)
///   moved to the note.
public enum DebianTrackerLoader {
    public static let feed = "debian-tracker"

    /// Loads every release, or only `releases` (codenames) when given.
    public static func load(_ data: Data, file: String, releases: Set<String>? = nil) -> AdvisoryLoad {
        var load = AdvisoryLoad()
        let root: JSONValue
        do {
            root = try JSONValue.parse(data)
        } catch {
            load.problems.append(
                VulnError(
                    code: "tracker.not-json",
                    message:
                        "is not JSON (\(error.message)); download it again from https://security-tracker.debian.org/tracker/data/json",
                    location: ErrorLocation(file: file, offset: error.offset)))
            return load
        }
        guard let packages = root.members else {
            load.problems.append(
                .record("tracker.shape", "the top level must be an object of source packages.", file: file))
            return load
        }
        for package in packages {
            guard let entries = package.value.members else {
                load.problems.append(
                    .record(
                        "tracker.shape", "package '\(package.key)' must map to an object of CVEs; skipped.", file: file,
                        field: package.key))
                continue
            }
            for entry in entries {
                let path = "\(package.key)/\(entry.key)"
                guard let releaseMap = entry.value["releases"]?.members else {
                    load.problems.append(
                        .record("tracker.shape", "\(path) has no 'releases' object; skipped.", file: file, field: path))
                    continue
                }
                for release in releaseMap {
                    if let releases, !releases.contains(release.key) { continue }
                    let field = "\(path)/releases/\(release.key)"
                    guard release.value.members != nil else {
                        load.problems.append(
                            .record("tracker.shape", "\(field) is not an object; skipped.", file: file, field: field))
                        continue
                    }
                    switch advisory(id: entry.key, package: package.key, release: release.key, info: release.value) {
                    case .success(let advisory): load.advisories.append(advisory)
                    case .failure(let problem):
                        load.problems.append(
                            .record(problem.code, "\(field): \(problem.message)", file: file, field: field))
                    }
                }
            }
        }
        return load
    }

    struct Problem: Error {
        var code: String
        var message: String
    }

    static func advisory(id: String, package: String, release: String, info: JSONValue) -> Result<Advisory, Problem> {
        let status = info["status"]?.string
        var urgency = info["urgency"]?.string ?? "not yet assigned"
        var notes: [String] = []
        if urgency.hasSuffix("**") {
            urgency = String(urgency.dropLast(2))
            notes.append("urgency not yet reviewed (**)")
        }
        let nodsa = info["nodsa"]?.string
        let nodsaReason = info["nodsa_reason"]?.string
        if let nodsa { notes.append("no DSA: \(nodsa)\(nodsaReason.map { " (\($0))" } ?? "")") }
        var advisory = Advisory(
            id: id, feed: feed, distribution: "debian:\(release)",
            package: package, scheme: .dpkg, status: .noFixYet, severity: urgency,
            note: notes.isEmpty ? nil : notes.joined(separator: "; "))
        switch status {
        case "resolved":
            guard let fixed = info["fixed_version"]?.string else {
                return .failure(
                    Problem(
                        code: "tracker.missing-fixed", message: "status 'resolved' without 'fixed_version'; skipped."))
            }
            if fixed == "0" {
                advisory.status = .notAffected
                return .success(advisory)
            }
            if let problem = DpkgVersion.problem(fixed) {
                return .failure(
                    Problem(
                        code: "tracker.invalid-version",
                        message: "fixed_version '\(fixed)' is not a dpkg version (\(problem)); skipped."))
            }
            advisory.status = .fixAvailable
            advisory.fixedVersion = fixed
            advisory.ranges = [AffectedRange(fixed: fixed)]
        case "open", "undetermined":
            if urgency == "end-of-life" || nodsaReason == "ignored" {
                advisory.status = .willNotFix
            }
            if status == "undetermined" {
                advisory.note = ([advisory.note, "undetermined"].compactMap { $0 }).joined(separator: "; ")
            }
        default:
            return .failure(
                Problem(
                    code: "tracker.unknown-status",
                    message: "status '\(status ?? "(missing)")' is not resolved, open or undetermined; skipped."))
        }
        return .success(advisory)
    }
}
