import Foundation

/// Every file of an archive directory, read as bytes, for the verifier (which does no I/O itself).
public struct ArchiveContents: Sendable {
    public var format: [UInt8]?
    public var entries: [UInt8]
    public var index: [UInt8]
    public var tree: [UInt8]
    /// Checkpoint files by name (any name found in `checkpoints/`).
    public var checkpoints: [(name: String, bytes: [UInt8])]
    /// Files and folders in the directory that the format does not define.
    public var strayFiles: [String]

    public init(
        format: [UInt8]?, entries: [UInt8], index: [UInt8], tree: [UInt8],
        checkpoints: [(name: String, bytes: [UInt8])], strayFiles: [String] = []
    ) {
        self.format = format
        self.entries = entries
        self.index = index
        self.tree = tree
        self.checkpoints = checkpoints
        self.strayFiles = strayFiles
    }

    /// Reads the archive at `path`; a missing data file reads as empty (the verifier says what is missing).
    /// - Throws: `LedgerError` if `path` is not a directory or a file cannot be read.
    public static func read(directory path: String) throws -> ArchiveContents {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LedgerError(
                code: "ledger.not-archive", message: "\(path) is not a directory; give the archive directory")
        }
        func file(_ name: String) throws -> [UInt8]? {
            let full = path + "/" + name
            guard FileManager.default.fileExists(atPath: full) else { return nil }
            return try ArchiveFile(path: full, writable: false).readAll()
        }
        let known: Set<String> = [
            ArchiveLayout.formatFile, ArchiveLayout.entriesFile, ArchiveLayout.indexFile, ArchiveLayout.treeFile,
            ArchiveLayout.checkpointsDirectory,
        ]
        let stray = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !known.contains($0) }
        let checkpointDirectory = path + "/" + ArchiveLayout.checkpointsDirectory
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: checkpointDirectory)) ?? []).sorted()
        let checkpoints = try names.map { name in
            (name: name, bytes: try ArchiveFile(path: checkpointDirectory + "/" + name, writable: false).readAll())
        }
        return ArchiveContents(
            format: try file(ArchiveLayout.formatFile), entries: try file(ArchiveLayout.entriesFile) ?? [],
            index: try file(ArchiveLayout.indexFile) ?? [], tree: try file(ArchiveLayout.treeFile) ?? [],
            checkpoints: checkpoints, strayFiles: stray.sorted())
    }
}
