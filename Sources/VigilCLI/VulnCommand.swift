import Foundation
import VigilCore
import VigilVuln
import VigilVulnIndex

extension Commands {
    /// `vigil vuln`: package inventories, version comparison, advisory index, scans and reports.
    public static var vuln: CommandSpec {
        CommandSpec(
            name: "vuln", summary: "Vulnerability assessment: inventory packages and match them against advisories.",
            usage: "vuln <command> [options]",
            discussion: """
                Reads the package databases (dpkg, rpm, apk) of this host or of a mounted root, and matches them
                against Debian Security Tracker JSON, OSV records or the Alpine secdb — compiled into a local index
                with 'vigil vuln update', or given directly with --advisories.
                """,
            examples: [
                "vigil vuln update --from debian-tracker.json --from osv/",
                "vigil vuln scan --json",
                "vigil vuln compare --ecosystem dpkg 1:2.38.1-5 2.38.1-6",
            ],
            subcommands: [vulnScan, vulnCompare, vulnUpdate, vulnReport, vulnSBOM])
    }

    static let indexOption = OptionSpec(
        "index", .value(placeholder: "FILE"),
        help: "The advisory index and findings history (default .vigil/vuln.sqlite).")

    static func indexPath(_ arguments: ParsedArguments) throws -> String {
        let path = arguments.value("index") ?? ".vigil/vuln.sqlite"
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        return path
    }

    static func printProblems(_ problems: [VulnError], limit: Int = 50) {
        guard !problems.isEmpty else { return }
        var text = problems.prefix(limit).map { "vigil: warning: \($0.description)\n" }.joined()
        if problems.count > limit { text += "vigil: warning: … and \(problems.count - limit) more skipped records\n" }
        Output.err(text)
    }

    static func inventory(_ arguments: ParsedArguments) -> Inventory {
        var inventory = HostInventory.read(root: arguments.value("root") ?? "/", dpkgStatus: arguments.value("status"))
        if let release = arguments.value("os-release"), let text = try? String(contentsOfFile: release, encoding: .utf8)
        {
            inventory.os = OSRelease.parse(text)
        }
        return inventory
    }

    static var vulnScan: CommandSpec {
        CommandSpec(
            name: "scan", summary: "Inventory installed packages and list the advisories that affect them.",
            usage: "vuln scan [--root DIR] [--advisories PATH…] [--distribution KEY…] [--json]",
            discussion: """
                Debian packages are matched by source package and source version, Alpine by origin, RPM by name;
                each with its distribution's version rules. Without --advisories the local index is used and the
                findings are recorded for 'vigil vuln report daily'. --json prints one object per finding per line
                with package, installed, advisory, status (fix-available, no-fix-yet, will-not-fix), fixed,
                severity and reason.
                """,
            examples: [
                "vigil vuln scan", "vigil vuln scan --root /mnt/image --json",
                "vigil vuln scan --status dpkg-status --distribution debian:bookworm --advisories tracker.json",
            ],
            exitCodes: [
                (1, "error (unreadable index, no package database)"),
                (3, "scan done, but some records were skipped (see stderr)"),
            ],
            options: [
                OptionSpec(
                    "root", .value(placeholder: "DIR"), help: "Root directory of the system to scan (default /)."),
                OptionSpec(
                    "status", .value(placeholder: "FILE"), help: "A dpkg status file to read instead of the root's."),
                OptionSpec(
                    "os-release", .value(placeholder: "FILE"), help: "An os-release file to read instead of the root's."
                ),
                OptionSpec(
                    "distribution", .repeated(placeholder: "KEY"),
                    help: "Release keys to match (debian:bookworm, alpine:3.19); default from os-release."),
                OptionSpec(
                    "advisories", .repeated(placeholder: "PATH"),
                    help: "Advisory files, directories or OSV zip archives to match directly."),
                indexOption,
                OptionSpec("no-record", help: "Do not record the findings in the history."),
                OptionSpec("json", help: "One JSON object per finding per line."),
            ],
            run: { arguments in
                let inventory = inventory(arguments)
                var problems = inventory.problems
                guard !inventory.packages.isEmpty else {
                    printProblems(problems)
                    throw VulnError(
                        code: "vuln.no-packages",
                        message:
                            "no installed packages found under \(arguments.value("root") ?? "/") (looked for var/lib/dpkg/status, lib/apk/db/installed, var/lib/rpm/rpmdb.sqlite); pass --root or --status"
                    )
                }
                var distributions = arguments.all("distribution")
                if distributions.isEmpty, let os = inventory.os { distributions = Matcher.distributions(for: os) }
                guard !distributions.isEmpty else {
                    throw VulnError(
                        code: "vuln.no-release",
                        message: "cannot tell the release (no os-release); pass --distribution debian:bookworm")
                }
                let index: AdvisoryIndex
                var history: VulnIndex?
                if !arguments.all("advisories").isEmpty {
                    let loaded = AdvisorySources.load(arguments.all("advisories"))
                    problems += loaded.load.problems
                    index = AdvisoryIndex(loaded.load.advisories)
                } else {
                    let store = try VulnIndex(path: try indexPath(arguments))
                    index = try store.advisoryIndex(for: inventory.packages, distributions: distributions)
                    history = store
                }
                let findings = Matcher.match(inventory.packages, distributions: distributions, index: index)
                var out = ""
                out.reserveCapacity(findings.count * 160)
                if arguments.flag("json") {
                    let encoder = JSON.encoder()
                    for finding in findings {
                        out += String(decoding: try encoder.encode(finding), as: UTF8.self) + "\n"
                    }
                } else {
                    for finding in findings {
                        out += "\(finding.advisory) \(finding.package) \(finding.installed) \(finding.status.rawValue)"
                        out +=
                            (finding.fixed.map { " fixed in \($0)" } ?? "")
                            + (finding.severity.map { " (\($0))" } ?? "") + "\n"
                    }
                }
                if !out.isEmpty { Output.out(out) }
                if let history, !arguments.flag("no-record") {
                    try history.record(findings: findings, packages: inventory.packages, clock: SystemClock())
                }
                printProblems(problems)
                return problems.isEmpty ? 0 : 3
            })
    }

    static var vulnCompare: CommandSpec {
        CommandSpec(
            name: "compare", summary: "Compare two package versions (<, =, > or ! for invalid).",
            usage: "vuln compare --ecosystem dpkg|rpm|apk (A B | --batch FILE)",
            discussion: """
                dpkg follows dpkg --compare-versions, rpm follows rpm 4.18 (EVR with ~ and ^), apk follows
                apk-tools 2.14 (which orders any two strings; --strict prints ! when apk would reject either).
                --batch reads one pair per line (tab- or space-separated, '-' for standard input).
                """,
            examples: [
                "vigil vuln compare --ecosystem dpkg 1:2.38.1-5 2.38.1-6",
                "vigil vuln compare --ecosystem apk 1.0_rc1 1.0-r0",
                "cut -f1,2 pairs.tsv | vigil vuln compare --ecosystem rpm --batch -",
            ],
            exitCodes: [(1, "the batch file cannot be read")],
            options: [
                OptionSpec("ecosystem", .value(placeholder: "NAME"), help: "dpkg, rpm or apk."),
                OptionSpec(
                    "batch", .value(placeholder: "FILE"), help: "Compare every pair of FILE, one verdict per line."),
                OptionSpec("strict", help: "apk: print ! when apk would reject either version."),
            ],
            arguments: ["A?", "B?"],
            run: { arguments in
                let name = try arguments.required("ecosystem")
                guard let scheme = VersionScheme(rawValue: name) else {
                    throw UsageError("--ecosystem must be dpkg, rpm or apk, not '\(name)'", path: arguments.path)
                }
                let strict = arguments.flag("strict")
                func verdict(_ a: String, _ b: String) -> String {
                    if strict && (scheme.problem(a) != nil || scheme.problem(b) != nil) { return "!" }
                    return scheme.compare(a, b).symbol
                }
                if let batch = arguments.value("batch") {
                    let data: Data
                    if batch == "-" {
                        data = FileHandle.standardInput.readDataToEndOfFile()
                    } else {
                        guard let contents = FileManager.default.contents(atPath: batch) else {
                            throw VulnError(
                                code: "vuln.read", message: "cannot read the batch file \(batch); check the path")
                        }
                        data = contents
                    }
                    var out = ""
                    for line in String(decoding: data, as: UTF8.self).split(
                        separator: "\n", omittingEmptySubsequences: false)
                    {
                        if line.isEmpty { continue }
                        let fields =
                            line.contains("\t")
                            ? line.split(separator: "\t", omittingEmptySubsequences: false)
                            : line.split(separator: " ")
                        out += (fields.count >= 2 ? verdict(String(fields[0]), String(fields[1])) : "!") + "\n"
                    }
                    Output.out(out)
                    return 0
                }
                guard arguments.positionals.count == 2 else {
                    throw UsageError("give two versions, or --batch FILE", path: arguments.path)
                }
                Output.out(verdict(arguments.positionals[0], arguments.positionals[1]))
                return 0
            })
    }

    static var vulnUpdate: CommandSpec {
        CommandSpec(
            name: "update", summary: "Compile advisory files into the local index.",
            usage: "vuln update --from PATH… [--index FILE] [--release CODENAME…] [--json]",
            discussion: """
                Each PATH is a file or a directory of Debian Security Tracker JSON, OSV JSON (one record or an
                array per file) or Alpine secdb JSON/YAML; the format is told from the content. A file loaded again
                replaces its earlier rows; the index records each file's feed, size and load time. Damaged records
                are reported on stderr with the file and record, and the rest loads. http(s) URLs are downloaded next
                to the index first. A zip archive (OSV's all.zip) is read like a directory of OSV records, in memory:
                entries that are not .json are skipped and counted, a refused entry or bad record is reported as
                ARCHIVE!ENTRY; encrypted entries, zip bombs and damaged archives are refused.
                """,
            examples: [
                "vigil vuln update --from /srv/feeds/debian.json --release bookworm",
                "vigil vuln update --from osv-debian/ --from alpine-v3.19-main.json",
                "vigil vuln update --from Debian-all.zip",
                "vigil vuln update --from https://security-tracker.debian.org/tracker/data/json --release bookworm",
            ],
            exitCodes: [
                (1, "error (index cannot be written, nothing could be read)"),
                (3, "loaded, but some records were skipped"),
            ],
            options: [
                OptionSpec("from", .repeated(placeholder: "PATH"), help: "Advisory file or directory (repeatable)."),
                OptionSpec(
                    "release", .repeated(placeholder: "CODENAME"), help: "Only these Debian releases from tracker JSON."
                ),
                indexOption,
                OptionSpec("json", help: "Print the loaded files as JSON lines."),
            ],
            run: { arguments in
                let paths = arguments.all("from")
                guard !paths.isEmpty else { throw UsageError("give at least one --from PATH", path: arguments.path) }
                let indexFile = try indexPath(arguments)
                var local: [String] = []
                for path in paths {
                    guard path.hasPrefix("http://") || path.hasPrefix("https://"), let url = URL(string: path) else {
                        local.append(path)
                        continue
                    }
                    local.append(try download(url, beside: indexFile))
                }
                let releases = arguments.all("release")
                let result = AdvisorySources.load(local, debianReleases: releases.isEmpty ? nil : Set(releases))
                printProblems(result.load.problems)
                guard !result.files.isEmpty else {
                    throw VulnError(
                        code: "vuln.nothing-loaded",
                        message: "no advisory file could be read from \(paths.joined(separator: ", "))")
                }
                let index = try VulnIndex(path: indexFile)
                try index.update(result, clock: SystemClock())
                var out = ""
                for file in result.files {
                    if arguments.flag("json") {
                        var fields = [
                            "path": file.path, "feed": file.feed, "bytes": String(file.bytes),
                            "advisories": String(file.advisories), "problems": String(file.problems),
                        ]
                        if let archive = file.archive {
                            fields["entries"] = String(archive.entries)
                            fields["records"] = String(archive.records)
                            fields["entries_skipped"] = String(archive.skipped)
                            fields["entries_refused"] = String(archive.refused)
                            fields["inflated_bytes"] = String(archive.inflatedBytes)
                        }
                        out += try JSON.line(fields) + "\n"
                    } else {
                        out +=
                            "\(file.feed) \(file.path): \(file.advisories) advisories, \(file.bytes) bytes, \(file.problems) skipped"
                        if let archive = file.archive {
                            out +=
                                " (zip: \(archive.entries) entries, \(archive.records) JSON records read, \(archive.refused) refused, \(archive.skipped) not JSON skipped)"
                        }
                        out += "\n"
                    }
                }
                Output.out(out)
                return result.load.problems.isEmpty ? 0 : 3
            })
    }

    /// Downloads an advisory feed next to the index (`feeds/<host>/<last path component>`), so that
    /// reloading the same URL replaces its rows.
    static func download(_ url: URL, beside indexFile: String) throws -> String {
        let directory = ((indexFile as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("feeds/\(url.host ?? "unknown")")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = url.path.split(separator: "/").last.map(String.init) ?? "feed"
        let target = (directory as NSString).appendingPathComponent(name.isEmpty ? "feed" : name)
        // curl, not URLSession: linking FoundationNetworking would slow every vigil start-up.
        let curl = ["/usr/bin/curl", "/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let curl else {
            throw VulnError(
                code: "vuln.download",
                message: "cannot download \(url.absoluteString): curl is not installed; download it and pass the file")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: curl)
        process.arguments = [
            "--fail", "--silent", "--show-error", "--location", "--proto", "=https,http", "-o", target,
            url.absoluteString,
        ]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw VulnError(
                code: "vuln.download",
                message:
                    "cannot download \(url.absoluteString) (curl exit \(process.terminationStatus)); check the network, or download it and pass the file"
            )
        }
        return target
    }

    static var vulnReport: CommandSpec {
        CommandSpec(
            name: "report", summary: "Reports from the findings history.",
            usage: "vuln report daily [--format html|json|csv]",
            examples: ["vigil vuln report daily --format html > report.html"],
            exitCodes: [(1, "error (no scans recorded yet, index unreadable)")],
            subcommands: [
                CommandSpec(
                    name: "daily",
                    summary:
                        "Installed packages with findings: what is new since the previous scan, and what was resolved.",
                    usage: "vuln report daily [--format html|json|csv] [--index FILE]",
                    discussion:
                        "Run 'vigil vuln scan' (daily, e.g. from cron) first; each scan is recorded in the index.",
                    examples: [
                        "vigil vuln report daily --format html > report.html", "vigil vuln report daily --format csv",
                    ],
                    exitCodes: [(1, "error (no scans recorded yet, index unreadable)")],
                    options: [
                        OptionSpec("format", .value(placeholder: "FORMAT"), help: "html, json (default) or csv."),
                        indexOption,
                    ],
                    run: { arguments in
                        let formatName = arguments.value("format") ?? "json"
                        guard let format = DailyReport.Format(rawValue: formatName) else {
                            throw UsageError(
                                "--format must be html, json or csv, not '\(formatName)'", path: arguments.path)
                        }
                        let index = try VulnIndex(path: try indexPath(arguments))
                        guard try index.latestScanTime() != nil else {
                            throw VulnError(
                                code: "vuln.no-scans",
                                message: "no scan is recorded in the index yet; run 'vigil vuln scan' first")
                        }
                        let since = try index.previousScanTime() ?? 0
                        let report = DailyReport(
                            generatedAt: SystemClock().nowMilliseconds(), since: since,
                            entries: try index.history(resolvedSince: since))
                        Output.out(try report.render(format))
                        return 0
                    })
            ])
    }

    static var vulnSBOM: CommandSpec {
        CommandSpec(
            name: "sbom", summary: "Print the package inventory as a CycloneDX 1.5 JSON SBOM.",
            usage: "vuln sbom [--root DIR] [--status FILE]",
            examples: ["vigil vuln sbom > sbom.cdx.json", "vigil vuln sbom --root /mnt/image"],
            exitCodes: [(1, "no package database found")],
            options: [
                OptionSpec("root", .value(placeholder: "DIR"), help: "Root directory of the system (default /)."),
                OptionSpec(
                    "status", .value(placeholder: "FILE"), help: "A dpkg status file to read instead of the root's."),
                OptionSpec(
                    "os-release", .value(placeholder: "FILE"), help: "An os-release file to read instead of the root's."
                ),
            ],
            run: { arguments in
                let inventory = inventory(arguments)
                printProblems(inventory.problems)
                guard !inventory.packages.isEmpty else {
                    throw VulnError(
                        code: "vuln.no-packages", message: "no installed packages found; pass --root or --status")
                }
                let formatter = ISO8601DateFormatter()
                let data = try CycloneDX.document(
                    inventory, timestamp: formatter.string(from: SystemClock().now()),
                    serial: UUID().uuidString.lowercased(),
                    toolVersion: VigilVersion.current)
                Output.out(String(decoding: data, as: UTF8.self))
                return 0
            })
    }
}
