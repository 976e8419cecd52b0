/// One option a command accepts.
public struct OptionSpec: Sendable {
    public enum Kind: Sendable {
        /// `--flag`: present or not.
        case flag
        /// `--name VALUE` or `--name=VALUE`, at most once.
        case value(placeholder: String)
        /// `--name VALUE`, any number of times.
        case repeated(placeholder: String)
    }

    public var long: String
    public var short: Character?
    public var kind: Kind
    public var help: String

    public init(_ long: String, short: Character? = nil, _ kind: Kind = .flag, help: String) {
        self.long = long
        self.short = short
        self.kind = kind
        self.help = help
    }

    var takesValue: Bool {
        if case .flag = kind { return false }
        return true
    }

    var synopsis: String {
        let names = (short.map { "-\($0), " } ?? "    ") + "--\(long)"
        switch kind {
        case .flag: return names
        case .value(let placeholder), .repeated(let placeholder): return "\(names) \(placeholder)"
        }
    }
}

/// A command or subcommand: its help text, its options, and what it runs.
///
/// Commands are values in one table (`Commands.all`), so `vigil --help` lists exactly what exists.
public struct CommandSpec: Sendable {
    public typealias Run = @Sendable (ParsedArguments) async throws -> Int32

    public var name: String
    /// One line, shown in the parent's command list.
    public var summary: String
    /// The usage line after `vigil`, e.g. `fim check [--db FILE] [--json]`.
    public var usage: String
    /// Paragraphs of explanation.
    public var discussion: String
    public var examples: [String]
    /// Exit codes and their meaning; 0 and 2 (usage error) are added to every command's help.
    public var exitCodes: [(Int32, String)]
    public var options: [OptionSpec]
    /// Names of positional arguments, with a trailing `…` for "any number" and `?` for optional.
    public var arguments: [String]
    public var subcommands: [CommandSpec]
    public var run: Run?

    public init(
        name: String, summary: String, usage: String, discussion: String = "", examples: [String] = [],
        exitCodes: [(Int32, String)] = [], options: [OptionSpec] = [], arguments: [String] = [],
        subcommands: [CommandSpec] = [], run: Run? = nil
    ) {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.discussion = discussion
        self.examples = examples
        self.exitCodes = exitCodes
        self.options = options
        self.arguments = arguments
        self.subcommands = subcommands
        self.run = run
    }

    /// The full `--help` text.
    public func helpText(path: [String]) -> String {
        var out = "\(summary)\n\nUSAGE: vigil \(usage)\n"
        if !discussion.isEmpty { out += "\n\(discussion)\n" }
        if !subcommands.isEmpty {
            out += "\nCOMMANDS:\n"
            let width = (subcommands.map(\.name.count).max() ?? 0) + 2
            for sub in subcommands {
                out += "  " + sub.name.padding(toLength: width, withPad: " ", startingAt: 0) + sub.summary + "\n"
            }
            out +=
                "\n  See 'vigil \((path + ["<command>"]).joined(separator: " ")) --help' for each command's options.\n"
        }
        let allOptions = options + [OptionSpec("help", short: "h", help: "Show this help and exit.")]
        out += "\nOPTIONS:\n"
        let width = (allOptions.map(\.synopsis.count).max() ?? 0) + 2
        for option in allOptions {
            out += "  " + option.synopsis.padding(toLength: width, withPad: " ", startingAt: 0) + option.help + "\n"
        }
        if !examples.isEmpty {
            out += "\nEXAMPLES:\n" + examples.map { "  \($0)\n" }.joined()
        }
        var codes: [(Int32, String)] = [(0, "success")]
        codes += exitCodes
        codes.append((2, "usage error (unknown option, missing argument)"))
        codes.sort { $0.0 < $1.0 }
        out += "\nEXIT CODES:\n" + codes.map { "  \($0.0)  \($0.1)\n" }.joined()
        return out
    }
}
