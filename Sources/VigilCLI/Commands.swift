import VigilCore

/// The command table: every command `vigil` has. Each command lives in its own file as a
/// `static let` on this enum; add it to `all` and it appears in `vigil --help`.
public enum Commands {
    public static var all: [CommandSpec] {
        [up, server, agent, vuln, audit, rules, archive, fim, report]
    }

    /// `vigil` itself.
    public static var root: CommandSpec {
        CommandSpec(
            name: "vigil",
            summary:
                "Vigil \(VigilVersion.current): host intrusion detection, file integrity, vulnerabilities and a tamper-evident archive for Linux.",
            usage: "<command> [options]",
            discussion: "Start with 'vigil up' on one machine. Every command has --help with examples and exit codes.",
            examples: ["vigil up", "vigil up --help", "vigil --version"],
            options: [OptionSpec("version", help: "Print the version and exit.")],
            subcommands: all
        )
    }
}
