import VigilCLI
import VigilCore

/// A small command table shaped like Vigil's, so the parser is tested apart from the real commands.
enum TestCommands {
    struct Failure: VigilError {
        var code: String { "test.failure" }
        var message: String { "the command failed; this is what a command error looks like" }
    }

    static let check = CommandSpec(
        name: "check", summary: "Compare files with the baseline.", usage: "fim check [--db FILE] [--json] PATH…",
        examples: ["vigil fim check /etc", "vigil fim check --json --db base.db /usr/bin"],
        exitCodes: [(1, "files were added"), (4, "files changed")],
        options: [
            OptionSpec("db", .value(placeholder: "FILE"), help: "Baseline database."),
            OptionSpec("json", help: "Print JSON lines."),
            OptionSpec("verbose", short: "v", help: "Say more."),
            OptionSpec("exclude", short: "x", .repeated(placeholder: "GLOB"), help: "Skip matching paths."),
            OptionSpec("jobs", .value(placeholder: "N"), help: "Parallel readers."),
        ],
        arguments: ["PATH…"],
        run: { parsed in parsed.flag("json") ? 0 : 3 })

    static let initialize = CommandSpec(
        name: "init", summary: "Record a baseline.", usage: "fim init PATH", examples: ["vigil fim init /etc"],
        arguments: ["PATH"], run: { _ in 0 })

    static let fim = CommandSpec(
        name: "fim", summary: "File integrity monitoring.", usage: "fim <command>",
        examples: ["vigil fim check /etc"], subcommands: [check, initialize])

    static let verify = CommandSpec(
        name: "verify", summary: "Verify an exported archive.", usage: "archive verify DIR [OUTPUT]",
        examples: ["vigil archive verify ./export"], arguments: ["DIR", "OUTPUT?"], run: { _ in 0 })

    static let archive = CommandSpec(
        name: "archive", summary: "Tamper-evident archive.", usage: "archive <command>",
        examples: ["vigil archive verify ./export"], subcommands: [verify])

    static let up = CommandSpec(
        name: "up", summary: "Server and agent on this host.", usage: "up [--listen ADDR:PORT]",
        examples: ["vigil up", "vigil up --listen 127.0.0.1:9000"],
        options: [OptionSpec("listen", .value(placeholder: "ADDR:PORT"), help: "Where to listen.")],
        run: { parsed in
            _ = try parsed.integer("listen", default: 8470)
            return 0
        })

    static let fail = CommandSpec(
        name: "fail", summary: "Always fails.", usage: "fail", examples: ["vigil fail"],
        run: { _ in throw Failure() })

    static let root = CommandSpec(
        name: "vigil", summary: "Vigil for tests.", usage: "<command> [options]", examples: ["vigil up"],
        options: [OptionSpec("version", help: "Print the version and exit.")],
        subcommands: [fim, archive, up, fail])
}
