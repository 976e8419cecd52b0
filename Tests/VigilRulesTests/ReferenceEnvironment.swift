import Foundation

/// pySigma and its SQLite backend in a virtualenv under `.build/`, created from PyPI on first use.
enum ReferenceEnvironment {
    /// The package root (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let venv = packageRoot.appendingPathComponent(".build/sigma-venv")
    static let python = venv.appendingPathComponent("bin/python")
    static let work = packageRoot.appendingPathComponent(".build/sigma-reference")

    /// Runs a program, returning its exit status and output (stdout and stderr together).
    static func run(_ executable: String, _ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return (-1, "\(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The venv's python, or the reason the reference cannot be had (printed by the skipping test).
    static func prepare() -> Result<URL, SkipReason> {
        let check = run(python.path, ["-c", "import sigma.backends.sqlite"])
        if check.0 == 0 { return .success(python) }
        guard
            let system = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            return .failure(SkipReason("python3 is not installed (apt-get install python3 python3-venv)"))
        }
        let created = run(system, ["-m", "venv", venv.path])
        guard created.0 == 0 else {
            return .failure(SkipReason("cannot create a virtualenv at \(venv.path): \(created.1.suffix(300))"))
        }
        let pip = run(
            venv.appendingPathComponent("bin/pip").path, ["install", "-q", "pysigma", "pysigma-backend-sqlite"])
        guard pip.0 == 0 else {
            return .failure(SkipReason("pip could not install pysigma pysigma-backend-sqlite: \(pip.1.suffix(300))"))
        }
        return .success(python)
    }

    struct SkipReason: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = "SKIPPED: pySigma reference unavailable: \(text)" }
    }
}
