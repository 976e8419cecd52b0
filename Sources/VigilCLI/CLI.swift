import Foundation
import VigilCore

/// The entry point `vigil`'s `main` calls: parse, run, and map errors to exit codes.
public enum CLI {
    /// Runs the command line and returns the process exit code.
    /// - Parameter root: the command table (tests pass their own).
    public static func run(_ arguments: [String], root: CommandSpec = Commands.root) async -> Int32 {
        do {
            switch try ArgumentParser.parse(arguments, root: root) {
            case .help(let text):
                Output.out(text)
                return 0
            case .version:
                Output.out("vigil \(VigilVersion.current)")
                return 0
            case .run(let command, let parsed):
                guard let run = command.run else { return 2 }
                return try await run(parsed)
            }
        } catch let error as UsageError {
            Output.err(error.description)
            return 2
        } catch let error as any VigilError {
            Output.err("vigil: \(error.description)")
            return 1
        } catch {
            Output.err("vigil: \(error)")
            return 1
        }
    }
}

/// Writing to standard output and standard error, unbuffered by Foundation.
public enum Output {
    /// A line on standard output.
    public static func out(_ text: String) { write(text + (text.hasSuffix("\n") ? "" : "\n"), to: STDOUT_FILENO) }
    /// A line on standard error.
    public static func err(_ text: String) { write(text + (text.hasSuffix("\n") ? "" : "\n"), to: STDERR_FILENO) }

    static func write(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
        bytes.removeAll()
    }
}
