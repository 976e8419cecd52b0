import Glibc
import Synchronization
import VigilCrypto
import VigilSystem

/// Something the scan could not do for one path; the scan goes on.
public struct ScanProblem: Sendable, Hashable {
    /// `vanished`, `permission`, `changed-during-scan`, `replaced-during-scan`, or `errno.*`.
    public var code: String
    public var path: BytePath
    public var message: String

    public init(code: String, path: BytePath, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }
}

/// What one scan found.
public struct ScanResult: Sendable {
    /// Records sorted by path.
    public var records: [FileRecord]
    public var problems: [ScanProblem]
    /// Files whose content was read and hashed.
    public var hashedFiles: Int
    public var hashedBytes: Int64
    /// Hashes reused from the previous baseline by a fast check.
    public var reusedHashes: Int
}

/// Walks the configured paths in parallel and records each entry's checked attributes (the edge that
/// does I/O; comparing is `FIMDiff`'s job).
public struct FIMScanner: Sendable {
    public var config: FIMConfig
    public var threads: Int

    public init(config: FIMConfig, threads: Int = DirectoryWalker.processorCount) {
        self.config = config
        self.threads = threads
    }

    /// Per-worker state: one SHA-256 context and result lists, touched only by that worker.
    private final class Slot: @unchecked Sendable {
        let hasher = SHA256()
        var records: [FileRecord] = []
        var problems: [ScanProblem] = []
        var hashedFiles = 0
        var hashedBytes: Int64 = 0
        var reused = 0
    }

    /// Problems reported by the walker from any thread.
    private final class Failures: Sendable {
        let list = Mutex<[ScanProblem]>([])
    }

    /// Scans every rule's path.
    /// - Parameter previous: for a fast check, the baseline by path: a regular file whose inode, size,
    ///   mtime and ctime are unchanged keeps its recorded hash instead of being read again.
    public func scan(previous: [BytePath: FileRecord]? = nil) -> ScanResult {
        let rules = config.rules
        let roots = Set(rules.map(\.path))
        let slots = (0..<threads).map { _ in Slot() }
        let failures = Failures()
        let walker = DirectoryWalker(threads: threads)
        walker.walk(roots: rules.map(\.path)) { entry, worker in
            let rule = rules[entry.root]
            if entry.depth > 0 && roots.contains(entry.path) { return false }  // another rule's root
            if FIMConfig.isExcluded(entry.path, by: rule) { return false }
            if let depth = rule.depth, entry.depth > depth { return false }
            let slot = slots[worker]
            slot.records.append(record(entry, rule: rule, previous: previous?[entry.path], slot: slot))
            return rule.depth.map { entry.depth < $0 } ?? true
        } failure: { path, error in
            failures.list.withLock { $0.append(Self.problem(path, error)) }
        }
        var records = slots.flatMap(\.records)
        records.sort { $0.path < $1.path }
        var problems = failures.list.withLock { $0 } + slots.flatMap(\.problems)
        problems.sort { $0.path < $1.path }
        return ScanResult(
            records: records, problems: problems, hashedFiles: slots.reduce(0) { $0 + $1.hashedFiles },
            hashedBytes: slots.reduce(0) { $0 + $1.hashedBytes }, reusedHashes: slots.reduce(0) { $0 + $1.reused })
    }

    private func record(_ entry: WalkEntry, rule: FIMRule, previous: FileRecord?, slot: Slot) -> FileRecord {
        var record = FileRecord(path: entry.path, checks: rule.checks, status: entry.status)
        let checks = rule.checks
        do {
            switch entry.status.type {
            case .symlink where checks.contains(.linkTarget):
                record.linkTarget = try entry.linkTarget()
            case .regular where checks.contains(.sha256) && !checks.growOnly:
                if let previous, previous.unchangedSinceHash(entry.status) {
                    record.sha256 = previous.sha256
                    slot.reused += 1
                } else {
                    try hash(entry, into: &record, slot: slot)
                }
            default:
                break
            }
        } catch let error as SystemError {
            slot.problems.append(Self.problem(entry.path, error))
        } catch {
            slot.problems.append(ScanProblem(code: "read", path: entry.path, message: "\(error)"))
        }
        if checks.contains(.xattrs) || checks.contains(.acl) {
            do {
                record.setExtendedAttributes(try entry.extendedAttributes())
            } catch let error as SystemError {
                slot.problems.append(Self.problem(entry.path, error))
            } catch {
                preconditionFailure("ExtendedAttributes.read throws only SystemError")
            }
        }
        return record
    }

    /// Hashes a regular file, and records the state it was hashed in; a file written meanwhile is reported.
    private func hash(_ entry: WalkEntry, into record: inout FileRecord, slot: Slot) throws {
        guard let file = try entry.openRegularFile() else {
            slot.problems.append(
                ScanProblem(
                    code: "replaced-during-scan", path: entry.path,
                    message: "the file was replaced by another entry while it was scanned; check again"))
            return
        }
        let digest = try slot.hasher.hash(fileDescriptor: file.rawValue)
        let after = try FileStatus.of(descriptor: file.rawValue)
        slot.hashedFiles += 1
        slot.hashedBytes += after.size
        record.sha256 = digest
        if after.size != entry.status.size || after.mtime != entry.status.mtime {
            slot.problems.append(
                ScanProblem(
                    code: "changed-during-scan", path: entry.path,
                    message: "the file was written while it was hashed; the recorded hash may be of a partial write"))
            record.size = after.size
            record.mtime = after.mtime
            record.ctime = after.ctime
        }
    }

    static func problem(_ path: BytePath, _ error: SystemError) -> ScanProblem {
        let code: String =
            switch error.errno {
            case ENOENT: "vanished"
            case EACCES, EPERM: "permission"
            default: error.code
            }
        let message =
            error.errno == ENOENT
            ? "the entry vanished while the scan was running (\(error.call))" : error.message
        return ScanProblem(code: code, path: path, message: message)
    }
}
