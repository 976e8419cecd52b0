import Foundation
import VigilCore
import VigilZip

/// Reads an OSV zip archive — how OSV publishes a whole ecosystem (`all.zip`, one JSON record per entry) —
/// like a directory of OSV records.
///
/// Pure: the archive comes in as bytes. Each `.json` entry is inflated (with every check and limit of
/// `ZipArchive`) and loaded with `OSVLoader`; other entries (directories, text, nested archives, which are
/// never opened) are skipped and counted. A refused entry or a bad record is reported as
/// `ARCHIVE!ENTRY` and the rest still loads; an archive whose layout is damaged or hostile loads nothing.
public enum OSVArchiveLoader {
    /// What an archive held.
    public struct Summary: Sendable, Hashable {
        /// Entries in the central directory.
        public var entries = 0
        /// `.json` entries read and loaded.
        public var records = 0
        /// Entries that are not `.json` (directories included), not read.
        public var skipped = 0
        /// `.json` entries refused (encrypted, other method, limits, CRC, damaged DEFLATE).
        public var refused = 0
        /// Uncompressed bytes of the records read.
        public var inflatedBytes = 0

        public init() {}
    }

    /// True when `data` (named `file`) is a zip archive: its first bytes, or a `.zip` name.
    public static func isArchive(_ data: Data, file: String) -> Bool {
        data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || data.starts(with: [0x50, 0x4B, 0x05, 0x06])
            || file.lowercased().hasSuffix(".zip")
    }

    /// Loads the records of the archive `data`; `archive` names it in problems. The summary is nil when the
    /// archive could not be read at all (its problem says why).
    public static func load(
        _ data: Data, archive: String, limits: ZipLimits = ZipLimits()
    ) -> (AdvisoryLoad, Summary?) {
        var load = AdvisoryLoad()
        let zip: ZipArchive
        do {
            zip = try ZipArchive(data, name: archive, limits: limits)
        } catch {
            load.problems.append(problem(error, archive: archive, what: "the archive is not read"))
            return (load, nil)
        }
        var summary = Summary()
        summary.entries = zip.entries.count
        for entry in zip.entries {
            guard !entry.isDirectory, entry.name.lowercased().hasSuffix(".json") else {
                summary.skipped += 1
                continue
            }
            let bytes: [UInt8]
            do {
                bytes = try zip.contents(of: entry)
            } catch {
                summary.refused += 1
                load.problems.append(problem(error, archive: archive, what: "this entry is skipped"))
                continue
            }
            summary.records += 1
            summary.inflatedBytes += bytes.count
            load.append(OSVLoader.load(Data(bytes), file: "\(archive)!\(entry.displayName)"))
        }
        return (load, summary)
    }

    /// A zip error as the loaders report problems: `ARCHIVE!ENTRY` as the file, the archive offset in words.
    static func problem(_ error: ZipError, archive: String, what: String) -> VulnError {
        let file = error.location?.field.map { "\(archive)!\($0)" } ?? archive
        let offset = error.location?.offset.map { " (archive offset \($0))" } ?? ""
        return VulnError(
            code: error.code, message: "\(error.message)\(offset); \(what).", location: ErrorLocation(file: file))
    }
}
