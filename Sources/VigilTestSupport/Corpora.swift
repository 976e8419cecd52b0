import Foundation

/// Locates the shared test corpora (`../shared/corpora/` beside the repository, or `$VIGIL_CORPORA`).
///
/// Tests that read them call `Corpora.directory(...)` and skip, with a message naming the folder,
/// where it is absent.
public enum Corpora {
    /// The corpora root, or nil when it is not on this machine.
    public static func root(file: StaticString = #filePath) -> URL? {
        if let env = ProcessInfo.processInfo.environment["VIGIL_CORPORA"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        var directory = URL(fileURLWithPath: "\(file)").deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("../shared/corpora").standardized
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("README.md").path) {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// A folder inside the corpora, or nil (print `skipMessage`) when absent.
    public static func directory(_ relative: String, file: StaticString = #filePath) -> URL? {
        guard let root = root(file: file) else { return nil }
        let url = root.appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The line a test prints when it skips for want of a corpus.
    public static func skipMessage(_ relative: String) -> String {
        "SKIPPED: shared corpus '\(relative)' not found (looked for ../shared/corpora/\(relative) from the package root, or $VIGIL_CORPORA)"
    }
}

/// Fixture files beside a test file (`Tests/<Module>Tests/Fixtures/`).
public enum Fixtures {
    public static func url(_ name: String, file: StaticString = #filePath) -> URL {
        URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Fixtures")
            .appendingPathComponent(name)
    }

    public static func data(_ name: String, file: StaticString = #filePath) throws -> Data {
        try Data(contentsOf: url(name, file: file))
    }

    public static func string(_ name: String, file: StaticString = #filePath) throws -> String {
        String(decoding: try data(name, file: file), as: UTF8.self)
    }
}
