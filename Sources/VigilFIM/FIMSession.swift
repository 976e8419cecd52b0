import Foundation
import VigilCore
import VigilCrypto
import VigilSystem

/// The three offline operations of `vigil fim` over a baseline database: take, check, update.
public struct FIMSession {
    /// How a check hashes.
    public enum Mode: String, Sendable {
        /// Rehash every file (what an auditor asks for weekly).
        case full
        /// Rehash only files whose inode, size, mtime or ctime changed (git's index rule).
        case fast
    }

    /// What a check found.
    public struct Outcome: Sendable {
        public var report: FIMReport
        public var scan: ScanResult
        public var baseline: BaselineInfo
        public var mode: Mode
    }

    public var store: BaselineStore
    public var clock: any Clock
    public var threads: Int

    public init(store: BaselineStore, clock: any Clock, threads: Int = DirectoryWalker.processorCount) {
        self.store = store
        self.clock = clock
        self.threads = threads
    }

    /// Takes a first baseline with `config`.
    /// - Throws: `FIMError` `baseline.exists` when the database already holds one (use `update`), or a
    ///   storage error.
    public func initialize(config: FIMConfig) throws -> ScanResult {
        if try store.info() != nil {
            throw FIMError(
                code: "baseline.exists",
                message:
                    "the database already holds a baseline; run 'vigil fim update' to accept the current state, or choose another --db",
                location: ErrorLocation(file: store.path))
        }
        let scan = FIMScanner(config: config, threads: threads).scan()
        let info = BaselineInfo(created: clock.nowMilliseconds(), configYAML: config.yaml, writer: VigilVersion.current)
        try store.replace(with: scan.records, info: info)
        try store.appendHistory(
            time: info.created, action: "init", report: FIMReport(changes: []), problems: scan.problems.count,
            event: nil)
        return scan
    }

    /// Compares the file system with the baseline.
    /// - Throws: `FIMError` `baseline.missing` when none was taken, or a storage error.
    public func check(mode: Mode) throws -> Outcome {
        guard let info = try store.info() else {
            throw FIMError(
                code: "baseline.missing", message: "the database holds no baseline; run 'vigil fim init' first",
                location: ErrorLocation(file: store.path))
        }
        let config = try FIMConfig.load(yaml: info.configYAML, file: "\(store.path) (stored configuration)")
        let baseline = try store.records()
        var previous: [BytePath: FileRecord]?
        if mode == .fast {
            var byPath: [BytePath: FileRecord] = [:]
            byPath.reserveCapacity(baseline.count)
            for record in baseline { byPath[record.path] = record }
            previous = byPath
        }
        let scan = FIMScanner(config: config, threads: threads).scan(previous: previous)
        let report = FIMDiff.compare(baseline: baseline, current: scan.records)
        try store.appendHistory(
            time: clock.nowMilliseconds(), action: "check-\(mode.rawValue)", report: report,
            problems: scan.problems.count, event: nil)
        return Outcome(report: report, scan: scan, baseline: info, mode: mode)
    }

    /// Accepts the current state as the new baseline, and records that as an event (returned and kept
    /// in the database's history).
    public func update(mode: Mode, hostname: String) throws -> (Outcome, Event) {
        var outcome = try check(mode: mode)
        let now = clock.nowMilliseconds()
        let config = try FIMConfig.load(yaml: outcome.baseline.configYAML)
        let info = BaselineInfo(created: now, configYAML: config.yaml, writer: VigilVersion.current)
        try store.replace(with: outcome.scan.records, info: info)
        let report = outcome.report
        let message =
            "FIM baseline updated: accepted \(report.count(.added)) added, \(report.count(.removed)) removed, \(report.count(.changed)) changed, \(report.count(.moved)) moved"
        let id = SHA256.hash("fim-update|\(hostname)|\(now)|\(store.path)").hex
        let event = Event(
            id: String(id.prefix(32)), classUID: .configStateChange, activityID: Activity.other, time: now,
            severityID: report.changes.isEmpty ? .informational : .medium, statusID: 1, message: message,
            metadata: EventMetadata(logName: "fim"), device: Device(hostname: hostname),
            unmapped: [
                "fim.added": String(report.count(.added)), "fim.removed": String(report.count(.removed)),
                "fim.changed": String(report.count(.changed)), "fim.moved": String(report.count(.moved)),
                "fim.database": store.path,
            ])
        try store.appendHistory(
            time: now, action: "update", report: report, problems: outcome.scan.problems.count,
            event: try JSON.line(event))
        outcome.baseline = info
        return (outcome, event)
    }
}
