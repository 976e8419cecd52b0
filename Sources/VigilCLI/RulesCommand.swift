import Foundation
import VigilCore
import VigilRules

extension Commands {
    /// `vigil rules lint|test|list`: Sigma rules offline.
    static var rules: CommandSpec {
        CommandSpec(
            name: "rules",
            summary: "Check Sigma rules, run them over events, and list what is loaded.",
            usage: "rules <command> [options]",
            discussion:
                "Rules are Sigma YAML files (detection and correlation rules); a directory is read recursively "
                + "for *.yml and *.yaml. --builtin adds Vigil's own ruleset (Rules/ in the source tree, "
                + "/usr/share/vigil/rules when installed, or $VIGIL_RULES_DIR).",
            examples: [
                "vigil rules lint --builtin", "vigil rules test --builtin --events /var/log/auth.log",
                "vigil rules list ../sigma/rules/linux --json",
            ],
            subcommands: [rulesLint, rulesTest, rulesList]
        )
    }

    static let rulesSourceOptions: [OptionSpec] = [
        OptionSpec("builtin", help: "Add Vigil's built-in ruleset."),
        OptionSpec("json", help: "Print JSON lines instead of text."),
    ]

    static var rulesLint: CommandSpec {
        CommandSpec(
            name: "lint", summary: "Load rules and print every error and warning with file:line:column.",
            usage: "rules lint [RULES…] [--builtin] [--json]",
            discussion:
                "Loading runs in stages (read, parse, compile, link). Errors keep a rule out; warnings (an unknown "
                + "field or modifier, a deprecated key) do not.",
            examples: ["vigil rules lint my-rules/", "vigil rules lint --builtin --json"],
            exitCodes: [(1, "at least one rule has an error (or a file cannot be read)")],
            options: rulesSourceOptions, arguments: ["RULES…"],
            run: { args in
                let (result, _) = try loadRules(args)
                let json = args.flag("json")
                for diagnostic in result.diagnostics {
                    if json {
                        Output.out(try JSON.line(DiagnosticOutput(diagnostic)))
                    } else {
                        Output.out(diagnostic.description)
                    }
                }
                let summary =
                    "\(result.rules.count) rules and \(result.correlations.count) correlations loaded; "
                    + "\(result.errors.count) errors, \(result.warnings.count) warnings"
                if !json { Output.out(summary) } else { Output.err(summary) }
                return result.errors.isEmpty ? 0 : 1
            })
    }

    static var rulesTest: CommandSpec {
        CommandSpec(
            name: "test", summary: "Run rules over a file of events and print each alert as a JSON line.",
            usage: "rules test [RULES…] [--builtin] --events FILE [--year YYYY]",
            discussion:
                "Each line of FILE is detected by content: a Vigil event in JSON, a raw audit record "
                + "(type=… msg=audit(…)), or a syslog/auth-log line (RFC 3164 or 5424). FILE '-' reads standard "
                + "input. Alerts name the rule (id, title, level, tags) and carry the event; correlation alerts "
                + "carry the group and the window instead. Diagnostics go to standard error.",
            examples: [
                "vigil rules test --builtin --events /var/log/auth.log",
                "vigil audit parse /var/log/audit/audit.log | vigil rules test --builtin --events -",
            ],
            exitCodes: [(1, "a rule has an error, or the events cannot be read")],
            options: rulesSourceOptions.filter { $0.long != "json" } + [
                OptionSpec("events", .value(placeholder: "FILE"), help: "The events to run the rules over."),
                OptionSpec(
                    "year", .value(placeholder: "YYYY"),
                    help: "Year for syslog dates that have none (RFC 3164); default: this year."),
            ],
            arguments: ["RULES…"],
            run: { args in
                let (result, set) = try loadRules(args)
                for diagnostic in result.diagnostics { Output.err(diagnostic.description) }
                if !result.errors.isEmpty { return 1 }
                let path = try args.required("events")
                let year = try args.integer(
                    "year", default: Calendar(identifier: .gregorian).component(.year, from: Date()))
                let text = try readText(path)
                let detector = Detector(set)
                var number = 0
                for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
                    number += 1
                    guard let (_, event) = try EventDecoder.decode(String(line), number: number, year: year, file: path)
                    else { continue }
                    for detection in detector.process(event) {
                        Output.out(try JSON.line(AlertOutput(detection, set: set, event: event)))
                    }
                }
                return 0
            })
    }

    static var rulesList: CommandSpec {
        CommandSpec(
            name: "list", summary: "List loaded rules by log source.",
            usage: "rules list [RULES…] [--builtin] [--json]",
            examples: ["vigil rules list --builtin"],
            exitCodes: [(1, "a rule has an error")],
            options: rulesSourceOptions, arguments: ["RULES…"],
            run: { args in
                let (result, set) = try loadRules(args)
                for diagnostic in result.diagnostics { Output.err(diagnostic.description) }
                let json = args.flag("json")
                let grouped = Dictionary(grouping: set.rules, by: \.logSource.indexKey)
                for key in grouped.keys.sorted() {
                    if !json { Output.out("\(key) (\(grouped[key]?.count ?? 0))") }
                    for rule in grouped[key] ?? [] {
                        let m = rule.metadata
                        if json {
                            Output.out(try JSON.line(RuleOutput(m, logSource: key, kind: "detection")))
                        } else {
                            Output.out("  \(m.id ?? "-")  \(m.level ?? "-")  \(m.title)")
                        }
                    }
                }
                if !set.correlations.isEmpty && !json { Output.out("correlations (\(set.correlations.count))") }
                for c in set.correlations {
                    if json {
                        Output.out(try JSON.line(RuleOutput(c.metadata, logSource: nil, kind: c.kind.rawValue)))
                    } else {
                        Output.out(
                            "  \(c.metadata.id ?? "-")  \(c.metadata.level ?? "-")  \(c.metadata.title) [\(c.kind.rawValue)]"
                        )
                    }
                }
                return result.errors.isEmpty ? 0 : 1
            })
    }

    /// Loads the named files and directories (and the built-in ruleset with --builtin).
    static func loadRules(_ args: ParsedArguments) throws -> (RuleLoadResult, RuleSet) {
        var paths = args.positionals
        if args.flag("builtin") { paths.insert(try builtinRulesDirectory(), at: 0) }
        if paths.isEmpty {
            throw UsageError("name rule files or directories, or give --builtin", path: args.path)
        }
        var files: [(text: String, file: String)] = []
        for path in paths {
            for file in try ruleFiles(path) { files.append((try readText(file), file)) }
        }
        let result = SigmaLoader.load(files)
        return (result, RuleSet(rules: result.rules, correlations: result.correlations))
    }

    static func ruleFiles(_ path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RulesError(
                code: "rules.not-found", message: "no such rule file or directory; check the path",
                location: ErrorLocation(file: path))
        }
        guard isDirectory.boolValue else { return [path] }
        let walker = FileManager.default.enumerator(atPath: path)
        var out: [String] = []
        while let entry = walker?.nextObject() as? String {
            if entry.hasSuffix(".yml") || entry.hasSuffix(".yaml") { out.append(path + "/" + entry) }
        }
        return out.sorted()
    }

    static func readText(_ path: String) throws -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            // FileHandle, not Data(contentsOf:), so pipes and devices (/dev/stdin, fifos) read too.
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw RulesError(
                    code: "rules.read", message: "cannot open the file; check the path and permissions",
                    location: ErrorLocation(file: path))
            }
            defer { try? handle.close() }
            do {
                data = try handle.readToEnd() ?? Data()
            } catch {
                throw RulesError(
                    code: "rules.read",
                    message: "cannot read the file (\(error.localizedDescription)); check it is readable",
                    location: ErrorLocation(file: path))
            }
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `$VIGIL_RULES_DIR`, else `Rules/` beside or above the executable (a source checkout), else
    /// `/usr/share/vigil/rules`.
    static func builtinRulesDirectory() throws -> String {
        if let env = ProcessInfo.processInfo.environment["VIGIL_RULES_DIR"], !env.isEmpty { return env }
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("Rules")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("auth").path) {
                return candidate.path
            }
            directory = directory.deletingLastPathComponent()
        }
        let installed = "/usr/share/vigil/rules"
        if FileManager.default.fileExists(atPath: installed) { return installed }
        throw RulesError(
            code: "rules.builtin-missing",
            message: "the built-in ruleset was not found; set VIGIL_RULES_DIR to the Rules directory of the source tree"
        )
    }
}

/// A diagnostic as JSON.
struct DiagnosticOutput: Encodable {
    var severity: String
    var stage: String
    var code: String
    var message: String
    var file: String
    var line: Int
    var column: Int
    var rule: String?

    init(_ d: RuleDiagnostic) {
        severity = d.severity.rawValue
        stage = d.stage.rawValue
        code = d.code
        message = d.message
        file = d.file
        line = d.line
        column = d.column
        rule = d.ruleTitle
    }
}

/// A rule as `vigil rules list --json` prints it.
struct RuleOutput: Encodable {
    var id: String?
    var title: String
    var level: String?
    var tags: [String]
    var logsource: String?
    var kind: String
    var file: String

    init(_ m: RuleMetadata, logSource: String?, kind: String) {
        id = m.id
        title = m.title
        level = m.level
        tags = m.tags
        logsource = logSource
        self.kind = kind
        file = m.origin.file
    }
}

/// An alert as `vigil rules test` prints it.
struct AlertOutput: Encodable {
    var ruleID: String?
    var title: String
    var level: String?
    var tags: [String]
    var event: Event?
    var group: [String: String]?
    var count: Int?
    var firstTime: Int64?
    var lastTime: Int64?

    enum CodingKeys: String, CodingKey {
        case ruleID = "rule_id"
        case title, level, tags, event, group, count
        case firstTime = "first_time"
        case lastTime = "last_time"
    }

    init(_ detection: Detection, set: RuleSet, event: Event) {
        switch detection {
        case .rule(let index):
            let m = set.rules[index].metadata
            ruleID = m.id
            title = m.title
            level = m.level
            tags = m.tags
            self.event = event
        case .correlation(let alert):
            let c = set.correlations[alert.correlation]
            ruleID = c.metadata.id
            title = c.metadata.title
            level = c.metadata.level
            tags = c.metadata.tags
            group = Dictionary(zip(c.groupBy, alert.group), uniquingKeysWith: { first, _ in first })
            count = alert.count
            firstTime = alert.firstTime
            lastTime = alert.lastTime
        }
    }
}
