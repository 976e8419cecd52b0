/// The options and arguments given to one command.
public struct ParsedArguments: Sendable {
    /// The command path, e.g. `["fim", "check"]`.
    public var path: [String]
    public var flags: Set<String> = []
    public var values: [String: [String]] = [:]
    public var positionals: [String] = []

    public init(path: [String]) { self.path = path }

    public func flag(_ name: String) -> Bool { flags.contains(name) }
    public func value(_ name: String) -> String? { values[name]?.last }
    public func all(_ name: String) -> [String] { values[name] ?? [] }

    /// A required option's value.
    /// - Throws: `UsageError` naming the option.
    public func required(_ name: String) throws -> String {
        guard let value = value(name) else { throw UsageError("missing required option --\(name)", path: path) }
        return value
    }

    /// An integer option, with a default.
    public func integer(_ name: String, default fallback: Int) throws -> Int {
        guard let text = value(name) else { return fallback }
        guard let number = Int(text) else {
            throw UsageError("--\(name) takes a whole number, not '\(text)'", path: path)
        }
        return number
    }
}

/// A command line that does not fit the command: exits 2 with the message and a pointer to `--help`.
public struct UsageError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var path: [String]

    public init(_ message: String, path: [String]) {
        self.message = message
        self.path = path
    }

    public var description: String {
        "vigil: \(message)\nSee 'vigil \((path + ["--help"]).joined(separator: " "))'."
    }
}

/// What the parser decided to do.
public enum ParseOutcome: Sendable {
    case run(CommandSpec, ParsedArguments)
    case help(String)
    case version
}

/// Parses `argv` against the command table.
public enum ArgumentParser {
    /// - Parameter arguments: the arguments after the program name.
    /// - Throws: `UsageError` for unknown commands or options (with a suggestion), missing values, or
    ///   positional arguments the command does not take.
    public static func parse(_ arguments: [String], root: CommandSpec) throws -> ParseOutcome {
        var command = root
        var path: [String] = []
        var index = 0
        // Checked first: with no subcommands yet, the loop below never sees it.
        if arguments.first == "--version" { return .version }
        // Walk down subcommands.
        while index < arguments.count, !command.subcommands.isEmpty {
            let word = arguments[index]
            if word == "--help" || word == "-h" || word == "help" { return .help(command.helpText(path: path)) }
            guard let sub = command.subcommands.first(where: { $0.name == word }) else {
                // A command that runs itself and has subcommands (`vigil server`) takes its options here.
                if word.hasPrefix("-") && command.run != nil { break }
                if word.hasPrefix("-") {
                    // A mistyped option (`--verison`) is compared with this level's options.
                    let options = command.options.map(\.long) + ["help"]
                    throw UsageError(
                        "unknown option '\(word)'\(suggestion(word, options, prefix: "--"))", path: path)
                }
                throw UsageError(
                    "unknown command '\(word)'\(suggestion(word, command.subcommands.map(\.name)))", path: path)
            }
            command = sub
            path.append(word)
            index += 1
        }
        guard command.run != nil else {
            if command.subcommands.isEmpty {
                // Nothing to run: only help. Anything else is a mistake, not a request for help.
                if index < arguments.count, !["--help", "-h", "help"].contains(arguments[index]) {
                    let word = arguments[index]
                    throw UsageError("unknown \(word.hasPrefix("-") ? "option" : "command") '\(word)'", path: path)
                }
                return .help(command.helpText(path: path))
            }
            throw UsageError(
                "'\((["vigil"] + path).joined(separator: " "))' needs a command: "
                    + command.subcommands.map(\.name).joined(separator: ", "), path: path)
        }
        var parsed = ParsedArguments(path: path)
        var onlyPositionals = false
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if onlyPositionals || word == "-" || !word.hasPrefix("-") {
                parsed.positionals.append(word)
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }
            if word == "--help" || word == "-h" { return .help(command.helpText(path: path)) }
            var name: String
            var inlineValue: String?
            let option: OptionSpec
            if word.hasPrefix("--") {
                name = String(word.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                guard let found = command.options.first(where: { $0.long == name }) else {
                    throw UsageError(
                        "unknown option '--\(name)'\(suggestion(name, command.options.map(\.long), prefix: "--"))",
                        path: path)
                }
                option = found
            } else {
                let letters = Array(word.dropFirst())
                guard letters.count == 1, let found = command.options.first(where: { $0.short == letters[0] }) else {
                    throw UsageError("unknown option '\(word)'", path: path)
                }
                option = found
            }
            if option.takesValue {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else {
                        throw UsageError("option --\(option.long) needs a value", path: path)
                    }
                    // `--db --json` is a forgotten value, not a database named "--json".
                    guard !arguments[index].hasPrefix("--") else {
                        throw UsageError(
                            "option --\(option.long) needs a value before '\(arguments[index])'; "
                                + "write --\(option.long)=VALUE for a value that starts with '--'", path: path)
                    }
                    value = arguments[index]
                    index += 1
                }
                if case .value = option.kind, parsed.values[option.long] != nil {
                    throw UsageError("option --\(option.long) is given twice", path: path)
                }
                parsed.values[option.long, default: []].append(value)
            } else {
                if inlineValue != nil { throw UsageError("option --\(option.long) takes no value", path: path) }
                parsed.flags.insert(option.long)
            }
        }
        try checkPositionals(parsed, command: command)
        return .run(command, parsed)
    }

    private static func checkPositionals(_ parsed: ParsedArguments, command: CommandSpec) throws {
        let variadic = command.arguments.contains { $0.hasSuffix("…") }
        let required = command.arguments.filter { !$0.hasSuffix("?") && !$0.hasSuffix("…") }.count
        if parsed.positionals.count < required {
            let missing = command.arguments.filter { !$0.hasSuffix("?") && !$0.hasSuffix("…") }[
                parsed.positionals.count]
            throw UsageError("missing argument \(missing)", path: parsed.path)
        }
        if !variadic && parsed.positionals.count > command.arguments.count {
            let extra = parsed.positionals[command.arguments.count]
            throw UsageError("unexpected argument '\(extra)'", path: parsed.path)
        }
    }

    /// ", did you mean 'x'?" for the closest candidate within a small edit distance.
    static func suggestion(_ word: String, _ candidates: [String], prefix: String = "") -> String {
        let bare = word.hasPrefix("--") ? String(word.dropFirst(2)) : word
        let scored = candidates.map { ($0, editDistance(bare, $0)) }.min { $0.1 < $1.1 }
        // Close, and not a complete rewrite ("ls" is 2 edits from "up" but nothing like it).
        guard let (best, distance) = scored, distance <= max(2, bare.count / 3),
            distance < max(bare.count, best.count)
        else { return "" }
        return "; did you mean '\(prefix)\(best)'?"
    }

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
