import Foundation
import Testing
import VigilTestSupport

@testable import VigilCLI

@Suite struct ArgumentParserTests {
    /// Parses against the test table and returns what would run.
    func run(_ arguments: [String]) throws -> (CommandSpec, ParsedArguments) {
        switch try ArgumentParser.parse(arguments, root: TestCommands.root) {
        case .run(let command, let parsed): return (command, parsed)
        case .help: throw TestFailure("got help for \(arguments)")
        case .version: throw TestFailure("got version for \(arguments)")
        }
    }

    /// The usage error `arguments` give.
    func usageError(_ arguments: [String]) throws -> UsageError {
        try #require(throws: UsageError.self) { try ArgumentParser.parse(arguments, root: TestCommands.root) }
    }

    @Test func subcommandWithOptionsAndArguments() throws {
        let (command, parsed) = try run(["fim", "check", "--db", "base.db", "--json", "-v", "/etc", "/usr/bin"])
        #expect(command.name == "check")
        #expect(parsed.path == ["fim", "check"])
        #expect(parsed.value("db") == "base.db")
        #expect(parsed.flag("json") && parsed.flag("verbose"))
        #expect(!parsed.flag("db"))
        #expect(parsed.positionals == ["/etc", "/usr/bin"])
    }

    @Test func inlineValuesAndRepeatedOptions() throws {
        let (_, parsed) = try run(["fim", "check", "--db=a=b.db", "--exclude", "*.log", "-x", "*.tmp", "--exclude=x"])
        #expect(parsed.value("db") == "a=b.db")
        #expect(parsed.all("exclude") == ["*.log", "*.tmp", "x"])
        #expect(parsed.value("exclude") == "x")
        #expect(parsed.all("jobs").isEmpty)
        let (_, empty) = try run(["fim", "check", "--db="])
        #expect(empty.value("db") == "")
    }

    @Test func optionsAndPositionalsInterleave() throws {
        let (_, parsed) = try run(["fim", "check", "/a", "--json", "/b", "-v", "/c"])
        #expect(parsed.positionals == ["/a", "/b", "/c"])
        #expect(parsed.flags == ["json", "verbose"])
    }

    @Test(
        "--help at every level",
        arguments: [
            ([], "USAGE: vigil <command> [options]"), (["--help"], "USAGE: vigil <command> [options]"),
            (["-h"], "USAGE: vigil <command> [options]"), (["help"], "USAGE: vigil <command> [options]"),
            (["fim", "--help"], "USAGE: vigil fim <command>"), (["fim", "help"], "USAGE: vigil fim <command>"),
            (["fim", "check", "--help"], "USAGE: vigil fim check"),
            (["fim", "check", "/etc", "-h"], "USAGE: vigil fim check"),
            (["fim", "check", "--db", "x", "--help"], "USAGE: vigil fim check"),
            (["fim", "init", "--help"], "USAGE: vigil fim init PATH"),
            (["archive", "verify", "--help"], "USAGE: vigil archive verify"), (["up", "--help"], "USAGE: vigil up"),
        ] as [([String], String)])
    func help(arguments: [String], usage: String) throws {
        if arguments.isEmpty {
            // No command at all is a usage error that lists the commands.
            let error = try usageError(arguments)
            #expect(error.message.contains("fim, archive, up, fail"))
            #expect(error.description.contains("See 'vigil --help'."))
            return
        }
        guard case .help(let text) = try ArgumentParser.parse(arguments, root: TestCommands.root) else {
            Issue.record("\(arguments) did not give help")
            return
        }
        #expect(text.contains(usage))
        for section in ["USAGE:", "OPTIONS:", "EXAMPLES:", "EXIT CODES:", "--help"] {
            #expect(text.contains(section), "\(section) missing from help for \(arguments)")
        }
        #expect(text.contains("  0  success"))
        #expect(text.contains("  2  usage error"))
    }

    @Test func helpListsCommandsOptionsAndExitCodes() throws {
        guard case .help(let root) = try ArgumentParser.parse(["--help"], root: TestCommands.root),
            case .help(let check) = try ArgumentParser.parse(["fim", "check", "-h"], root: TestCommands.root)
        else {
            Issue.record("no help")
            return
        }
        #expect(root.contains("COMMANDS:"))
        for name in ["fim", "archive", "up", "fail"] { #expect(root.contains("  \(name)")) }
        #expect(root.contains("--version"))
        #expect(check.contains("--db FILE"))
        #expect(check.contains("-v, --verbose"))
        #expect(check.contains("-x, --exclude GLOB"))
        #expect(check.contains("  1  files were added"))
        #expect(check.contains("  4  files changed"))
        #expect(check.contains("vigil fim check --json --db base.db /usr/bin"))
        #expect(!check.contains("COMMANDS:"))
    }

    @Test func version() throws {
        guard case .version = try ArgumentParser.parse(["--version"], root: TestCommands.root) else {
            Issue.record("--version did not give the version")
            return
        }
        let leaf = CommandSpec(name: "vigil", summary: "s", usage: "u", options: [OptionSpec("version", help: "v")])
        guard case .version = try ArgumentParser.parse(["--version"], root: leaf) else {
            Issue.record("--version on a root without subcommands did not give the version")
            return
        }
        // Only the root has --version.
        #expect(try usageError(["fim", "--version"]).message.contains("unknown option '--version'"))
        #expect(try usageError(["up", "--version"]).message.contains("unknown option '--version'"))
    }

    @Test(
        "unknown options and commands suggest the closest name",
        arguments: [
            (["fim", "check", "--jsn"], "unknown option '--jsn'; did you mean '--json'?"),
            (["fim", "check", "--exlcude", "x"], "unknown option '--exlcude'; did you mean '--exclude'?"),
            (["fim", "check", "--db-path=x"], "unknown option '--db-path'"),
            (["fim", "chek"], "unknown command 'chek'; did you mean 'check'?"),
            (["fmi", "check"], "unknown command 'fmi'; did you mean 'fim'?"),
            (["archiv", "verify"], "unknown command 'archiv'; did you mean 'archive'?"),
            (["--verison"], "unknown option '--verison'; did you mean '--version'?"),
            (["--hlep"], "unknown option '--hlep'; did you mean '--help'?"),
            (["up", "--listn", "x"], "unknown option '--listn'; did you mean '--listen'?"),
            (["fim", "check", "-q"], "unknown option '-q'"),
            (["fim", "check", "-vx"], "unknown option '-vx'"),
        ] as [([String], String)])
    func unknown(arguments: [String], message: String) throws {
        let error = try usageError(arguments)
        #expect(error.message.hasPrefix(message))
        #expect(error.description.hasPrefix("vigil: "))
        #expect(error.description.contains("See 'vigil "))
    }

    @Test(
        "no suggestion when nothing is close",
        arguments: [
            ["ls"], ["zz"], ["scan-everything"], ["fim", "xyz"], ["fim", "check", "--quiet"], ["--zz"],
        ])
    func noSuggestion(arguments: [String]) throws {
        let error = try usageError(arguments)
        #expect(error.message.hasPrefix("unknown "))
        #expect(!error.message.contains("did you mean"))
    }

    @Test(
        "missing, repeated and misplaced values",
        arguments: [
            (["fim", "check", "--db"], "option --db needs a value"),
            (["fim", "check", "-x"], "option --exclude needs a value"),
            (["fim", "check", "--db", "--json", "/etc"], "option --db needs a value before '--json'"),
            (["fim", "check", "--db", "a.db", "--db", "b.db"], "option --db is given twice"),
            (["fim", "check", "--db=a.db", "--db=b.db"], "option --db is given twice"),
            (["fim", "check", "--json=yes"], "option --json takes no value"),
            (["fim", "check", "--jobs", "four"], ""),
        ] as [([String], String)])
    func values(arguments: [String], message: String) throws {
        if message.isEmpty {
            // Parsing succeeds; reading the value as a number is the command's usage error.
            let (_, parsed) = try run(arguments)
            let error = try #require(throws: UsageError.self) { try parsed.integer("jobs", default: 1) }
            #expect(error.message == "--jobs takes a whole number, not 'four'")
            return
        }
        #expect(try usageError(arguments).message.hasPrefix(message))
    }

    @Test func doubleDashEndsOptions() throws {
        let (_, parsed) = try run(["fim", "check", "--json", "--", "--db", "-v", "--", "-"])
        #expect(parsed.positionals == ["--db", "-v", "--", "-"])
        #expect(parsed.flags == ["json"])
        #expect(parsed.value("db") == nil)
    }

    @Test func dashIsAPositional() throws {
        let (_, parsed) = try run(["fim", "check", "-", "--db", "-"])
        #expect(parsed.positionals == ["-"])
        #expect(parsed.value("db") == "-")
        let (_, initParsed) = try run(["fim", "init", "-"])
        #expect(initParsed.positionals == ["-"])
    }

    @Test(
        "positional argument counts",
        arguments: [
            (["fim", "init"], "missing argument PATH"),
            (["fim", "init", "/etc", "/usr"], "unexpected argument '/usr'"),
            (["archive", "verify"], "missing argument DIR"),
            (["archive", "verify", "d", "o", "extra"], "unexpected argument 'extra'"),
            (["up", "now"], "unexpected argument 'now'"),
            (["fim"], "'vigil fim' needs a command: check, init"),
            (["fim", "check", "--", "--help"], ""), (["fim", "check"], ""), (["archive", "verify", "d"], ""),
            (["archive", "verify", "d", "o"], ""), (["fim", "init", "--", "-x"], ""),
        ] as [([String], String)])
    func positionals(arguments: [String], message: String) throws {
        if message.isEmpty {
            _ = try run(arguments)
        } else {
            let error = try usageError(arguments)
            #expect(error.message == message)
            #expect(error.path == Array(arguments.prefix(2)).filter { !$0.hasPrefix("-") && $0 != "now" })
        }
    }

    @Test func parsedArgumentsAccessors() throws {
        let (_, parsed) = try run(["fim", "check", "--jobs", "8", "--db", "x"])
        #expect(try parsed.integer("jobs", default: 1) == 8)
        #expect(try parsed.integer("missing", default: 5) == 5)
        #expect(try parsed.required("db") == "x")
        let error = try #require(throws: UsageError.self) { try parsed.required("listen") }
        #expect(error.message == "missing required option --listen")
        #expect(error.description == "vigil: missing required option --listen\nSee 'vigil fim check --help'.")
    }

    @Test func leafRootWithoutRunRejectsStrayArguments() throws {
        let leaf = CommandSpec(name: "vigil", summary: "s", usage: "u", options: [OptionSpec("version", help: "v")])
        guard case .help = try ArgumentParser.parse([], root: leaf),
            case .help = try ArgumentParser.parse(["--help"], root: leaf)
        else {
            Issue.record("a root without commands did not give help")
            return
        }
        #expect(throws: UsageError.self) { try ArgumentParser.parse(["--bogus"], root: leaf) }
        #expect(throws: UsageError.self) { try ArgumentParser.parse(["up"], root: leaf) }
    }

    @Test(
        "edit distance",
        arguments: [
            ("", "", 0), ("", "abc", 3), ("abc", "", 3), ("json", "json", 0), ("jsn", "json", 1),
            ("verison", "version", 2), ("kitten", "sitting", 3), ("ls", "up", 2), ("ünï", "uni", 2),
        ] as [(String, String, Int)])
    func editDistance(a: String, b: String, distance: Int) {
        #expect(ArgumentParser.editDistance(a, b) == distance)
        #expect(ArgumentParser.editDistance(b, a) == distance)
    }
}

/// A failed assumption inside a helper, thrown so the test fails with a message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite struct HelpGoldenTests {
    /// The whole `--help` layout of one leaf and one group, against files in Fixtures/.
    @Test(
        "help text layout",
        arguments: [(["fim", "check", "--help"], "help-fim-check.txt"), (["--help"], "help-root.txt")])
    func golden(arguments: [String], fixture: String) throws {
        guard case .help(let text) = try ArgumentParser.parse(arguments, root: TestCommands.root) else {
            Issue.record("\(arguments) did not give help")
            return
        }
        let url = Fixtures.url(fixture)
        if ProcessInfo.processInfo.environment["VIGIL_RECORD"] == "1" {
            try Data(text.utf8).write(to: url)
            Issue.record("VIGIL_RECORD=1: rewrote \(url.path); run again without it to test")
            return
        }
        #expect(text == (try Fixtures.string(fixture)))
    }
}

@Suite struct ArgumentParserGarbageTests {
    /// Odd words in every position: the parser answers with a result or a UsageError, never a crash.
    static let words = [
        "", "-", "--", "---", "-=", "--=", "--=x", "=", "-\u{0}", "\u{0}", "--db\u{0}", "💥", "--💥", "-💥",
        String(repeating: "x", count: 10_000), "--" + String(repeating: "y", count: 2_000), "fim", "check", "--db",
        "--json", "help", "-h",
    ]

    @Test(arguments: words)
    func garbageWord(word: String) {
        for prefix in [[], ["fim"], ["fim", "check"], ["fim", "check", "--db"], ["up"], ["archive", "verify"]] {
            for arguments in [prefix + [word], prefix + [word, word], prefix + [word, "--help"]] {
                do {
                    _ = try ArgumentParser.parse(arguments, root: TestCommands.root)
                } catch let error as UsageError {
                    #expect(!error.message.isEmpty)
                } catch {
                    Issue.record("\(arguments.map { $0.prefix(20) }): unexpected \(error)")
                }
            }
        }
    }
}
