import Foundation
import VigilYAML

/// Reads Alpine's secdb (`https://secdb.alpinelinux.org/v3.19/main.json`, or the YAML it is made from):
/// `distroversion`, then `packages[].pkg.{name, secfixes: {fixed-version: [CVE…]}}`.
///
/// A fix version of `"0"` means the package was never affected. Entries as published are sometimes
/// malformed (a version apk rejects such as `2.7.16-33`, an id such as `CVE_2019-2426`): each is
/// reported with the file and package and skipped. Extra words after an id (`CVE-2016-6258 XSA-182`,
/// `CVE-2018-14468 (FrameRelay)`) become aliases or are dropped.
public enum AlpineSecdbLoader {
    public static let feed = "alpine-secdb"

    /// One `secfixes` entry before it becomes advisories.
    struct Entry {
        var package: String
        var version: String
        var ids: [String]
        var line: Int?
    }

    /// Loads the JSON form.
    public static func loadJSON(_ data: Data, file: String) -> AdvisoryLoad {
        var load = AdvisoryLoad()
        guard let root = try? JSONValue.parse(data), root.members != nil else {
            load.problems.append(
                .record(
                    "secdb.not-json", "is not a JSON object; download it again from https://secdb.alpinelinux.org/",
                    file: file))
            return load
        }
        guard let distribution = distribution(root["distroversion"]?.string) else {
            load.problems.append(
                .record(
                    "secdb.distroversion", "'distroversion' is missing or not like 'v3.19'; nothing loaded.",
                    file: file, field: "distroversion"))
            return load
        }
        var entries: [Entry] = []
        for (index, item) in (root["packages"]?.items ?? []).enumerated() {
            guard let pkg = item["pkg"], let name = pkg["name"]?.string else {
                load.problems.append(
                    .record(
                        "secdb.shape", "packages[\(index)] has no pkg.name; skipped.", file: file,
                        field: "packages[\(index)]"))
                continue
            }
            guard let secfixes = pkg["secfixes"]?.members else { continue }
            for member in secfixes {
                let version = member.key
                guard let ids = member.value.items else {
                    load.problems.append(
                        .record(
                            "secdb.shape", "\(name) \(version): the fixes are not a list; skipped.", file: file,
                            field: "\(name)/\(version)"))
                    continue
                }
                entries.append(Entry(package: name, version: version, ids: ids.compactMap(\.string), line: nil))
            }
        }
        load.append(advisories(entries, distribution: distribution, file: file))
        return load
    }

    /// Loads the YAML form.
    public static func loadYAML(_ text: String, file: String) -> AdvisoryLoad {
        var load = AdvisoryLoad()
        let documents: [YAMLNode]
        do {
            documents = try YAMLParser.parse(text, file: file)
        } catch let error as YAMLError {
            load.problems.append(VulnError(code: "secdb.yaml", message: error.message, location: error.location))
            return load
        } catch {
            load.problems.append(.record("secdb.yaml", "could not be read as YAML.", file: file))
            return load
        }
        guard let root = documents.first, let distribution = distribution(root["distroversion"]?.scalar) else {
            load.problems.append(
                .record(
                    "secdb.distroversion", "'distroversion' is missing or not like 'v3.19'; nothing loaded.", file: file
                ))
            return load
        }
        var entries: [Entry] = []
        for item in root["packages"]?.sequence ?? [] {
            guard let pkg = item["pkg"], let name = pkg["name"]?.scalar else {
                load.problems.append(
                    .record("secdb.shape", "a package has no pkg.name; skipped.", file: file, line: item.mark.line))
                continue
            }
            for pair in pkg["secfixes"]?.mapping ?? [] {
                let version = pair.key.scalar ?? ""
                guard let ids = pair.value.sequence else {
                    load.problems.append(
                        .record(
                            "secdb.shape", "\(name) \(version): the fixes are not a list; skipped.", file: file,
                            line: pair.key.mark.line))
                    continue
                }
                entries.append(
                    Entry(package: name, version: version, ids: ids.compactMap(\.scalar), line: pair.key.mark.line))
            }
        }
        load.append(advisories(entries, distribution: distribution, file: file))
        return load
    }

    /// `v3.19` → `alpine:3.19`; `edge` → `alpine:edge`.
    static func distribution(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        if text == "edge" { return "alpine:edge" }
        guard text.hasPrefix("v"), text.dropFirst().split(separator: ".").count == 2 else { return nil }
        return "alpine:\(text.dropFirst())"
    }

    static func advisories(_ entries: [Entry], distribution: String, file: String) -> AdvisoryLoad {
        var load = AdvisoryLoad()
        for entry in entries {
            let record = "\(entry.package) \(entry.version)"
            let notAffected = entry.version == "0"
            if !notAffected, let problem = APKVersion.problem(entry.version) {
                load.problems.append(
                    .record(
                        "secdb.invalid-version",
                        "\(record): '\(entry.version)' is not an apk version (\(problem)); skipped.",
                        file: file, line: entry.line,
                        field: entry.line == nil ? "\(entry.package)/\(entry.version)" : nil))
                continue
            }
            for raw in entry.ids {
                let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard let id = words.first, isAdvisoryID(id) else {
                    load.problems.append(
                        .record(
                            "secdb.invalid-id",
                            "\(record): '\(raw)' does not start with an id like CVE-2019-1234; skipped.",
                            file: file, line: entry.line,
                            field: entry.line == nil ? "\(entry.package)/\(entry.version)" : nil))
                    continue
                }
                let aliases = words.dropFirst().filter(isAdvisoryID).map(String.init)
                load.advisories.append(
                    Advisory(
                        id: String(id), aliases: aliases, feed: feed, distribution: distribution,
                        package: entry.package,
                        scheme: .apk, status: notAffected ? .notAffected : .fixAvailable,
                        fixedVersion: notAffected ? nil : entry.version,
                        ranges: notAffected ? [] : [AffectedRange(fixed: entry.version)]))
            }
        }
        return load
    }

    /// `CVE-2019-1234`, `XSA-182`, `GHSA-…`, `TALOS-2017-0488`: letters, a hyphen, then a digit.
    static func isAdvisoryID(_ word: Substring) -> Bool {
        guard let hyphen = word.firstIndex(of: "-"), hyphen != word.startIndex else { return false }
        let prefix = word[..<hyphen]
        let rest = word[word.index(after: hyphen)...]
        return prefix.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) } && (rest.first?.isNumber ?? false)
    }
}
