import Foundation
import VigilCompliance
import VigilCore
import VigilServer
import VigilStore

extension Commands {
    /// `vigil report`: compliance evidence from the store.
    static var report: CommandSpec {
        CommandSpec(
            name: "report",
            summary: "Compliance reports built from what Vigil recorded.",
            usage: "report <command> [options]",
            discussion: "The same report is served at GET /api/v1/reports/pci (auditors may read it).",
            examples: ["vigil report pci --store sqlite:/var/lib/vigil/vigil.db --from 2026-09-01 --to 2026-11-30"],
            subcommands: [reportPCI])
    }

    static var reportPCI: CommandSpec {
        let catalogue = PCICatalogue.all.map { "\($0.id): \($0.paraphrase)" }.joined(separator: "\n")
        return CommandSpec(
            name: "pci",
            summary: "PCI DSS v4.0.1 evidence, requirement by requirement: met, not met or no evidence.",
            usage:
                "report pci [--store URL] [--from DATE] [--to DATE] [--host H] [--format json|html|csv] [--out FILE]",
            discussion: """
                Reads the store (read-only queries) for the period and evaluates each requirement. Nothing is \
                marked met without evidence for the whole period; "no evidence" means Vigil recorded nothing that \
                shows the control working. The HTML is printable and ends with the archive checkpoint it was \
                built against. DATE is a UTC date (--to inclusive) or milliseconds since 1970; the default \
                period is the 90 days up to now.

                Requirements:
                \(catalogue)
                """,
            examples: [
                "vigil report pci --store sqlite:/var/lib/vigil/vigil.db",
                "vigil report pci --store postgres://vigil@db/vigil --from 2026-10-01 --to 2026-12-31 --format html --out q4.html",
            ],
            exitCodes: [
                (1, "the store cannot be read, or --host names no host"), (2, "an option is wrong (dates, format)"),
            ],
            options: [
                StoreOption.spec,
                OptionSpec("from", .value(placeholder: "DATE"), help: "First day (UTC) of the period."),
                OptionSpec("to", .value(placeholder: "DATE"), help: "Last day (UTC) of the period, inclusive."),
                OptionSpec("host", .value(placeholder: "H"), help: "Only this host (name or machine id)."),
                OptionSpec("format", .value(placeholder: "FORMAT"), help: "json (default), html or csv."),
                OptionSpec("out", .value(placeholder: "FILE"), help: "Write to FILE instead of standard output."),
                OptionSpec(
                    "rules", .value(placeholder: "DIR"),
                    help: "The server's detection rules, for 11.5.1 (default: the built-in ruleset)."),
                OptionSpec(
                    "retention-days", .value(placeholder: "N"),
                    help:
                        "Days the server keeps events (default: the server's, \(Server.Configuration().retentionDays.events))."
                ),
            ],
            run: { arguments in
                let format = arguments.value("format") ?? "json"
                guard ["json", "html", "csv"].contains(format) else {
                    throw UsageError("--format takes json, html or csv, not '\(format)'", path: arguments.path)
                }
                let now = SystemClock().nowMilliseconds()
                let period: ReportPeriod
                do {
                    period = try ReportPeriod.parse(from: arguments.value("from"), to: arguments.value("to"), now: now)
                } catch let error as PeriodError {
                    throw UsageError(error.message, path: arguments.path)
                }
                let retention = try arguments.integer(
                    "retention-days", default: Server.Configuration().retentionDays.events)
                let rules = try loadServerRules(arguments.value("rules"))
                let url = arguments.value("store") ?? "sqlite:.vigil/vigil.db"
                if url.hasPrefix("sqlite:"), !FileManager.default.fileExists(atPath: String(url.dropFirst(7))) {
                    throw CLIError("no store at \(url.dropFirst(7)): give --store with the server's database")
                }
                guard
                    let store = try StoreOption.open(arguments.value("store"), path: arguments.path) as? any ServerStore
                else { throw CLIError("this store cannot hold a server's tables") }
                let report = try PCISnapshotBuilder(
                    store: store, retentionDays: retention,
                    detectionRules: rules.rules.count + rules.correlations.count, host: arguments.value("host")
                ).report(from: period.from, until: period.until, now: now)
                let text =
                    switch format {
                    case "html": report.html()
                    case "csv": report.csv()
                    default: try report.json()
                    }
                if let out = arguments.value("out") {
                    // Written in place (open, truncate, write), never by replacing the path: `--out /dev/stdout`
                    // or a device must stay what it is, and a file keeps its owner and mode.
                    let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
                    guard fd >= 0 else {
                        throw CLIError(
                            "cannot write \(out): \(String(cString: strerror(errno))); check the directory exists and is writable"
                        )
                    }
                    defer { close(fd) }
                    let bytes = Array(text.utf8)
                    var offset = 0
                    while offset < bytes.count {
                        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                        if n < 0, errno == EINTR { continue }
                        guard n > 0 else {
                            throw CLIError(
                                "cannot write \(out): \(String(cString: strerror(errno))); the report is incomplete")
                        }
                        offset += n
                    }
                } else {
                    Output.write(text, to: STDOUT_FILENO)
                }
                return 0
            })
    }
}
