import Testing

@testable import VigilCLI

@Suite struct CLIRunTests {
    @Test(
        "exit codes",
        arguments: [
            (["fim", "check", "--json", "/etc"], 0), (["fim", "check", "/etc"], 3), (["up"], 0),
            (["--help"], 0), (["fim", "check", "--help"], 0), (["--version"], 0),
            (["fim", "check", "--bogus"], 2), (["nope"], 2), (["fim"], 2), ([], 2), (["fim", "init"], 2),
            (["fim", "check", "--db"], 2), (["up", "--listen", "not-a-port"], 2), (["fail"], 1),
        ] as [([String], Int32)])
    func exitCodes(arguments: [String], code: Int32) async {
        #expect(await CLI.run(arguments, root: TestCommands.root) == code)
    }

    @Test(
        "the real table",
        arguments: [(["--help"], 0), (["-h"], 0), (["--version"], 0), (["--bogus"], 2)] as [([String], Int32)])
    func realRoot(arguments: [String], code: Int32) async {
        #expect(await CLI.run(arguments) == code)
    }

    @Test func realHelpListsEveryCommand() throws {
        guard case .help(let text) = try ArgumentParser.parse(["--help"], root: Commands.root) else {
            Issue.record("vigil --help did not give help")
            return
        }
        for section in ["USAGE: vigil", "EXAMPLES:", "EXIT CODES:", "--version"] {
            #expect(text.contains(section))
        }
        for command in Commands.all {
            #expect(text.contains("  \(command.name)"), "vigil --help does not list \(command.name)")
        }
    }

    /// Every command in the real table has help with usage, examples and exit codes.
    @Test func everyRealCommandHasCompleteHelp() throws {
        var pending: [([String], CommandSpec)] = Commands.all.map { ([$0.name], $0) }
        while let (path, command) = pending.popLast() {
            guard case .help(let text) = try ArgumentParser.parse(path + ["--help"], root: Commands.root) else {
                Issue.record("vigil \(path.joined(separator: " ")) --help did not give help")
                continue
            }
            for section in ["USAGE: vigil", "EXAMPLES:", "EXIT CODES:"] {
                #expect(text.contains(section), "\(section) missing from vigil \(path.joined(separator: " ")) --help")
            }
            pending += command.subcommands.map { (path + [$0.name], $0) }
        }
    }
}
