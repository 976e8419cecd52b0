import Foundation
import VigilCore
import VigilVuln

/// Reads advisory files and directories (the I/O edge of the loaders): Debian tracker JSON, OSV JSON
/// (one record or an array per file; directories of them), Alpine secdb JSON or YAML. The format is
/// told from the content. A zip archive (OSV's `all.zip`) is read like a directory of OSV records, in
/// memory: nothing is extracted to disk and entry names are never used as paths.
public enum AdvisorySources {
    /// One file that was read.
    public struct File: Sendable, Hashable {
        public var path: String
        public var feed: String
        public var bytes: Int
        public var advisories: Int
        public var problems: Int
        /// For a zip archive: its entries, records read, entries skipped and refused.
        public var archive: OSVArchiveLoader.Summary?

        public init(
            path: String, feed: String, bytes: Int, advisories: Int, problems: Int,
            archive: OSVArchiveLoader.Summary? = nil
        ) {
            self.path = path
            self.feed = feed
            self.bytes = bytes
            self.advisories = advisories
            self.problems = problems
            self.archive = archive
        }
    }

    /// What a set of paths held.
    public struct Result: Sendable {
        public var load: AdvisoryLoad
        public var files: [File]
        /// The advisories of each file, in `files` order.
        public var perFile: [[Advisory]]

        public init(load: AdvisoryLoad, files: [File], perFile: [[Advisory]]) {
            self.load = load
            self.files = files
            self.perFile = perFile
        }
    }

    /// Loads every advisory file under `paths` (files, or directories walked recursively).
    /// `debianReleases` limits the tracker JSON to some codenames (nil: all).
    public static func load(_ paths: [String], debianReleases: Set<String>? = nil) -> Result {
        var result = Result(load: AdvisoryLoad(), files: [], perFile: [])
        for path in paths {
            for file in expand(path, problems: &result.load.problems) {
                let data: Data
                do {
                    data = try Data(contentsOf: URL(fileURLWithPath: file))
                } catch {
                    result.load.problems.append(
                        VulnError(
                            code: "vuln.read",
                            message: "cannot read it (\(error.localizedDescription)); check the path and permissions.",
                            location: ErrorLocation(file: file)))
                    continue
                }
                if OSVArchiveLoader.isArchive(data, file: file) {
                    let (load, summary) = OSVArchiveLoader.load(data, archive: file)
                    result.load.problems += load.problems
                    guard let summary else { continue }
                    result.files.append(
                        File(
                            path: file, feed: OSVLoader.feed, bytes: data.count, advisories: load.advisories.count,
                            problems: load.problems.count, archive: summary))
                    result.perFile.append(load.advisories)
                    result.load.advisories += load.advisories
                    continue
                }
                let (feed, load) = loadFile(data, file: file, debianReleases: debianReleases)
                guard let feed else {
                    result.load.problems += load.problems
                    continue
                }
                result.files.append(
                    File(
                        path: file, feed: feed, bytes: data.count, advisories: load.advisories.count,
                        problems: load.problems.count))
                result.perFile.append(load.advisories)
                result.load.append(load)
            }
        }
        return result
    }

    /// Detects the format of one file's bytes and loads it; the feed is nil when the format is unknown.
    public static func loadFile(
        _ data: Data, file: String, debianReleases: Set<String>? = nil
    ) -> (String?, AdvisoryLoad) {
        if OSVArchiveLoader.isArchive(data, file: file) {
            let (load, summary) = OSVArchiveLoader.load(data, archive: file)
            return (summary == nil ? nil : OSVLoader.feed, load)
        }
        if file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
            return (
                AlpineSecdbLoader.feed, AlpineSecdbLoader.loadYAML(String(decoding: data, as: UTF8.self), file: file)
            )
        }
        // Look at the first bytes to tell the JSON shapes apart without parsing twice.
        let head = String(decoding: data.prefix(4096), as: UTF8.self)
        let trimmed = head.drop { $0.isWhitespace }
        if trimmed.hasPrefix("[") || head.contains("\"affected\"") || head.contains("\"schema_version\"")
            || (head.contains("\"id\"") && head.contains("\"modified\""))
        {
            return (OSVLoader.feed, OSVLoader.load(data, file: file))
        }
        if head.contains("\"distroversion\"") {
            return (AlpineSecdbLoader.feed, AlpineSecdbLoader.loadJSON(data, file: file))
        }
        if trimmed.hasPrefix("{") {
            return (DebianTrackerLoader.feed, DebianTrackerLoader.load(data, file: file, releases: debianReleases))
        }
        return (
            nil,
            AdvisoryLoad(problems: [
                VulnError(
                    code: "vuln.unknown-format",
                    message: "is not Debian tracker JSON, OSV JSON or an Alpine secdb; pass one of those.",
                    location: ErrorLocation(file: file))
            ])
        )
    }

    /// A file, or the regular files under a directory (sorted, hidden files skipped).
    static func expand(_ path: String, problems: inout [VulnError]) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            problems.append(
                VulnError(
                    code: "vuln.missing", message: "does not exist; check the path.",
                    location: ErrorLocation(file: path)))
            return []
        }
        guard isDirectory.boolValue else { return [path] }
        var files: [String] = []
        if let walker = FileManager.default.enumerator(atPath: path) {
            while let relative = walker.nextObject() as? String {
                let full = (path as NSString).appendingPathComponent(relative)
                var isDir: ObjCBool = false
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") { continue }
                if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                    files.append(full)
                }
            }
        }
        return files.sorted()
    }
}
