import Foundation
import VigilCore
import VigilFIM
import VigilSystem

extension Commands {
    /// The default baseline database.
    static let defaultFIMDatabase = "/var/lib/vigil/fim.sqlite"

    /// `vigil fim`: offline file integrity checks (AIDE-like) and real-time change and access events.
    static var fim: CommandSpec {
        CommandSpec(
            name: "fim", summary: "File integrity: baselines, checks (AIDE-style exit codes) and real-time events.",
            usage: "fim <command> [options]",
            discussion: """
                'init' records a baseline of the configured paths (the built-in Linux default, --config FILE, or \
                the paths given), 'check' compares the file system with it, 'update' accepts the current state, \
                'watch' prints changes and reads of sensitive files as they happen, with the process that did it.
                """,
            examples: ["vigil fim init", "vigil fim check --fast", "vigil fim watch /srv/data"],
            subcommands: [fimInit, fimCheck, fimUpdate, fimWatch])
    }

    static let fimErrorCodes: [(Int32, String)] = [
        (17, "invalid configuration (the message names the file, line and key)"),
        (18, "the baseline database cannot be read or written, or was written by a newer vigil"),
    ]

    static var fimInit: CommandSpec {
        CommandSpec(
            name: "init", summary: "Record a baseline of the configured paths.",
            usage: "fim init [PATH…] [--config FILE] [--db FILE] [--json]",
            discussion: """
                Paths given here are watched with the 'all' group in place of the configuration's. Without \
                paths or --config, the built-in Linux default is used (/etc, /bin, /sbin, /usr/bin, /usr/sbin, \
                parts of /usr/lib, /boot, /root/.ssh, cron spools, /var/log as log files). Refuses to replace \
                an existing baseline: use 'update'.
                """,
            examples: [
                "vigil fim init", "vigil fim init /etc /usr/bin --db ./fim.sqlite",
                "vigil fim init --config /etc/vigil/fim.yaml",
            ],
            exitCodes: [(1, "the baseline was written, but some entries could not be read (listed)")] + fimErrorCodes,
            options: [
                OptionSpec("config", .value(placeholder: "FILE"), help: "YAML configuration (see 'vigil fim --help')."),
                OptionSpec("db", .value(placeholder: "FILE"), help: "Baseline database (\(defaultFIMDatabase))."),
                OptionSpec("json", help: "Print a JSON summary."),
            ], arguments: ["PATH…"],
            run: { args in
                await fimRun {
                    let config = try fimConfig(args)
                    let session = try fimSession(args, create: true)
                    let scan = try session.initialize(config: config)
                    reportProblems(scan.problems)
                    if args.flag("json") {
                        Output.out(
                            try JSON.line([
                                "entries": scan.records.count, "hashed_files": scan.hashedFiles,
                                "problems": scan.problems.count,
                            ]))
                    } else {
                        Output.out(
                            "baseline written to \(session.store.path): \(scan.records.count) entries, \(scan.hashedFiles) files hashed"
                        )
                    }
                    return scan.problems.isEmpty ? 0 : 1
                }
            })
    }

    static let modeOptions = [
        OptionSpec("full", help: "Rehash every file (the default; what an auditor asks for)."),
        OptionSpec("fast", help: "Rehash only files whose inode, size, mtime or ctime changed."),
    ]

    static var fimCheck: CommandSpec {
        CommandSpec(
            name: "check", summary: "Compare the file system with the baseline.",
            usage: "fim check [--db FILE] [--full|--fast] [--json]",
            discussion: """
                Reports added, removed, changed and moved entries, with each changed attribute as old → new. \
                The exit code adds up like AIDE's: 1 added, 2 removed, 4 changed (a move counts as added and \
                removed). Entries that could not be read are listed on stderr. Note that 2 is also the usage-error \
                code; the message on stderr tells which.
                """,
            examples: ["vigil fim check", "vigil fim check --fast --json | jq .summary"],
            exitCodes: [
                (1, "entries were added"), (2, "entries were removed"), (4, "entries were changed"),
                (7, "all three (codes add up)"),
            ] + fimErrorCodes,
            options: modeOptions + [
                OptionSpec("db", .value(placeholder: "FILE"), help: "Baseline database (\(defaultFIMDatabase))."),
                OptionSpec("json", help: "Print the report as one JSON document."),
            ],
            run: { args in
                await fimRun {
                    let session = try fimSession(args, create: false)
                    let outcome = try session.check(mode: try fimMode(args))
                    reportProblems(outcome.scan.problems)
                    if args.flag("json") {
                        Output.out(try FIMCheckDocument(outcome).line())
                    } else {
                        Output.out(outcome.report.text(problems: outcome.scan.problems.count))
                    }
                    return outcome.report.exitCode
                }
            })
    }

    static var fimUpdate: CommandSpec {
        CommandSpec(
            name: "update", summary: "Accept the current state as the new baseline (recorded as an event).",
            usage: "fim update [--db FILE] [--full|--fast] [--json]",
            discussion:
                "Checks as 'check' does, prints what is being accepted, writes the new baseline and records an event in the database's history.",
            examples: ["vigil fim update", "vigil fim update --json"],
            exitCodes: fimErrorCodes,
            options: modeOptions + [
                OptionSpec("db", .value(placeholder: "FILE"), help: "Baseline database (\(defaultFIMDatabase))."),
                OptionSpec("json", help: "Print the report and the event as JSON."),
            ],
            run: { args in
                await fimRun {
                    let session = try fimSession(args, create: false)
                    let host = ProcessInfo.processInfo.hostName
                    let (outcome, event) = try session.update(mode: try fimMode(args), hostname: host)
                    reportProblems(outcome.scan.problems)
                    if args.flag("json") {
                        Output.out(try FIMCheckDocument(outcome).line())
                        Output.out(try JSON.line(event))
                    } else {
                        Output.out(outcome.report.text(problems: outcome.scan.problems.count))
                        Output.out(event.message ?? "baseline updated")
                    }
                    return 0
                }
            })
    }

    static var fimWatch: CommandSpec {
        CommandSpec(
            name: "watch", summary: "Print changes and reads of sensitive files as they happen, as JSON lines.",
            usage: "fim watch [PATH…] [--config FILE] [--sensitive PATH]… [--count N] [--duration SECONDS]",
            discussion: """
                Each line is an OCSF File System Activity event (class_uid 1001) with the acting process (pid, \
                executable, user, login user) under 'actor'. With fanotify (root, kernel ≥ 5.9) changes are \
                watched on the file systems of the configured paths and reads on the sensitive ones; otherwise \
                inotify is used and 'unmapped.fim.attribution' is 'missing'. Repeats within 200 ms are folded \
                into one event ('fim.count'); events the queues dropped come as one event saying how many. \
                Ctrl-C stops it; the kernel removes the marks when the process ends.
                """,
            examples: [
                "vigil fim watch", "vigil fim watch /srv/app --sensitive /srv/app/cards.db",
                "vigil fim watch --config fim.yaml --duration 60 | jq .message",
            ],
            exitCodes: fimErrorCodes,
            options: [
                OptionSpec("config", .value(placeholder: "FILE"), help: "YAML configuration (default: built-in)."),
                OptionSpec(
                    "sensitive", .repeated(placeholder: "PATH"), help: "Also report reads of PATH (repeatable)."),
                OptionSpec("count", .value(placeholder: "N"), help: "Stop after N events."),
                OptionSpec("duration", .value(placeholder: "SECONDS"), help: "Stop after SECONDS."),
                OptionSpec("inotify", help: "Use inotify even where fanotify works (no attribution)."),
            ], arguments: ["PATH…"],
            run: { args in
                await fimRun {
                    var config = try fimConfig(args)
                    config.sensitive += args.all("sensitive").map { BytePath($0) }
                    let limit = try args.integer("count", default: Int.max)
                    let duration = try args.integer("duration", default: 0)
                    let clock = SystemClock()
                    let watcher = try FIMWatcher(config: config, clock: clock, preferInotify: args.flag("inotify"))
                    for warning in watcher.warnings { Output.err("warning: \(warning)") }
                    Output.err("watching with \(watcher.backend.rawValue); attribution \(watcher.attribution)")
                    watcher.start()
                    defer { watcher.stop() }
                    let host = ProcessInfo.processInfo.hostName
                    let end = duration > 0 ? clock.nowMilliseconds() + Int64(duration) * 1000 : Int64.max
                    var sequence: UInt64 = 0
                    while sequence < limit && clock.nowMilliseconds() < end {
                        for event in watcher.next(timeout: 500) where sequence < limit {
                            sequence += 1
                            Output.out(
                                try JSON.line(
                                    event.event(hostname: host, sequence: sequence, attribution: watcher.attribution)))
                        }
                    }
                    return 0
                }
            })
    }

    /// Runs a fim command, turning configuration and baseline errors into their exit codes.
    static func fimRun(_ body: () throws -> Int32) async -> Int32 {
        do {
            return try body()
        } catch let error as FIMError {
            Output.err("vigil: \(error.description)")
            return error.code.hasPrefix("config.") ? 17 : 18
        } catch let error as any VigilError {
            Output.err("vigil: \(error.description)")
            return 18
        } catch {
            Output.err("vigil: \(error)")
            return 18
        }
    }

    static func fimConfig(_ args: ParsedArguments) throws -> FIMConfig {
        if !args.positionals.isEmpty {
            guard args.value("config") == nil else {
                throw UsageError("give either paths or --config, not both", path: args.path)
            }
            let cwd = FileManager.default.currentDirectoryPath
            return .watching(
                args.positionals.map { text in
                    var bytes = Array((text.hasPrefix("/") ? text : cwd + "/" + text).utf8)
                    while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
                    return BytePath(bytes: bytes)
                })
        }
        if let file = args.value("config") { return try FIMConfig.load(contentsOf: file) }
        return .linuxDefault
    }

    static func fimSession(_ args: ParsedArguments, create: Bool) throws -> FIMSession {
        let path = args.value("db") ?? defaultFIMDatabase
        if create {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        }
        return FIMSession(store: try BaselineStore(path: path, create: create), clock: SystemClock())
    }

    static func fimMode(_ args: ParsedArguments) throws -> FIMSession.Mode {
        if args.flag("full") && args.flag("fast") {
            throw UsageError("--full and --fast exclude each other", path: args.path)
        }
        return args.flag("fast") ? .fast : .full
    }

    static func reportProblems(_ problems: [ScanProblem]) {
        for problem in problems { Output.err("warning: \(problem.path): \(problem.message) [\(problem.code)]") }
    }
}
