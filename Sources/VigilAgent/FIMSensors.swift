import Foundation
import Synchronization
import VigilCore
import VigilCrypto
import VigilFIM
import VigilSystem

/// A sensor whose settings the signed policy may change (the agent hands it the policy in force).
public protocol PolicyFollowing: AnyObject {
    func follow(policy: @escaping @Sendable () -> AgentPolicy)
}

/// What the agent's file integrity monitoring watches: from the agent configuration, replaced by the signed
/// policy's `fim.watch`/`fim.sensitive`/`fim.scan_interval_seconds` where the policy names them.
public struct FIMSettings: Sendable, Equatable {
    /// Paths whose changes are reported (in real time and by the scheduled check against the baseline).
    public var watch: [String]
    /// Paths whose reads are reported too, with the user and process.
    public var sensitive: [String]
    /// Seconds between scheduled checks against the baseline.
    public var scanIntervalSeconds: Int

    public init(watch: [String], sensitive: [String], scanIntervalSeconds: Int) {
        self.watch = watch
        self.sensitive = sensitive
        self.scanIntervalSeconds = scanIntervalSeconds
    }

    public static let defaultWatch = ["/etc", "/usr/bin", "/usr/sbin", "/boot"]
    public static let defaultSensitive = [
        "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh/sshd_config",
        "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key",
    ]

    /// The defaults, plus the agent's own binary (`agentBinary`) among the watched paths.
    public static func defaults(agentBinary: String?) -> FIMSettings {
        FIMSettings(
            watch: defaultWatch + (agentBinary.map { [$0] } ?? []), sensitive: defaultSensitive,
            scanIntervalSeconds: 12 * 3600)
    }

    /// These settings with what `policy` names (an empty list in the policy keeps the configured one).
    public func applying(_ policy: AgentPolicy) -> FIMSettings {
        var settings = self
        if !policy.fimWatch.isEmpty { settings.watch = policy.fimWatch }
        if !policy.fimSensitive.isEmpty { settings.sensitive = policy.fimSensitive }
        if policy.fimScanIntervalSeconds > 0 { settings.scanIntervalSeconds = policy.fimScanIntervalSeconds }
        return settings
    }

    /// The FIM configuration: `/etc` and `/boot` with every attribute (editor and cache files excluded under
    /// `/etc`), everything else by content and permissions. Duplicates and non-absolute paths are left out.
    public var config: FIMConfig {
        var rules: [FIMRule] = []
        for path in Self.clean(watch) {
            if path == "/etc" {
                rules.append(
                    FIMRule(
                        path: BytePath(path), checks: AttributeGroup.all, groupName: "all",
                        exclude: ["/etc/mtab", "*.swp", "*~", "/etc/ld.so.cache", "/etc/adjtime"]))
            } else if path == "/boot" {
                rules.append(FIMRule(path: BytePath(path), checks: AttributeGroup.all, groupName: "all"))
            } else {
                rules.append(
                    FIMRule(
                        path: BytePath(path), checks: AttributeGroup.content.union(AttributeGroup.permissions),
                        groupName: "content+permissions"))
            }
        }
        return FIMConfig(rules: rules, sensitive: Self.clean(sensitive).map(BytePath.init), schedule: "interval")
    }

    static func clean(_ paths: [String]) -> [String] {
        var seen = Set<String>()
        return paths.compactMap { path in
            var path = path
            while path.count > 1, path.hasSuffix("/") { path.removeLast() }
            guard path.hasPrefix("/"), seen.insert(path).inserted else { return nil }
            return path
        }
    }
}

/// Real-time file integrity: changes under the watched paths and reads of sensitive files, each with the user and
/// process (`VigilFIM.FIMWatcher`: fanotify, inotify where fanotify is unavailable).
///
/// The fanotify group and its marks are set up in `init`, before the agent hardens itself; the reader thread
/// starts on the first poll (after hardening, so it inherits the seccomp filter). When a new signed policy changes
/// the FIM paths the watcher is rebuilt (fanotify_init needs `CAP_SYS_ADMIN`, which the agent keeps for this sensor);
/// if that fails the previous watcher stays and the failure shows in the sensor's health.
public final class FIMRealtimeSensor: Sensor, PolicyFollowing, @unchecked Sendable {
    // Touched only by the sensor's own thread (one poll at a time), `follow` before `start`, `shutdown` after.
    public let name = "fim"
    public let interval: Double = 0
    let host: HostFacts
    let clock: any Clock
    let base: FIMSettings
    private var settings: FIMSettings
    private var watcher: FIMWatcher
    private var started = false
    private var sequence: UInt64 = 0
    private let runID: String
    private var policy: (@Sendable () -> AgentPolicy)?
    private var policyVersion = 0
    private let preferInotify: Bool
    private let coalesceWindow: Int64
    /// Notes from the watcher (fanotify unavailable, marks that could not be placed), reported once each.
    private var reportedWarnings = Set<String>()

    public init(
        host: HostFacts, settings: FIMSettings, clock: any Clock = SystemClock(), preferInotify: Bool = false,
        coalesceWindow: Int64 = 200
    ) throws {
        self.host = host
        self.clock = clock
        self.base = settings
        self.settings = settings
        self.preferInotify = preferInotify
        self.coalesceWindow = coalesceWindow
        self.watcher = try FIMWatcher(
            config: settings.config, clock: clock, coalesceWindow: coalesceWindow, preferInotify: preferInotify)
        // Ids must not repeat across restarts (the server discards duplicate ids).
        runID = String(SHA256.hash("\(host.bootID)|\(getpid())|\(clock.nowMilliseconds())").hex.prefix(12))
    }

    public var backend: FIMWatcher.Backend { watcher.backend }
    public var warnings: [String] { watcher.warnings }

    public func follow(policy: @escaping @Sendable () -> AgentPolicy) { self.policy = policy }

    public func poll() throws -> [Event] {
        if !started {
            watcher.start()
            started = true
        }
        var events: [Event] = []
        try applyPolicyIfChanged()
        for warning in watcher.warnings where reportedWarnings.insert(warning).inserted {
            events.append(
                Event(
                    id: "fim-\(runID)-w\(reportedWarnings.count)", classUID: .deviceConfigState,
                    activityID: Activity.other, time: clock.nowMilliseconds(), severityID: .medium,
                    message: "FIM: \(warning)", metadata: EventMetadata(logName: "fim"), device: host.device,
                    unmapped: ["fim.backend": watcher.backend.rawValue]))
        }
        for live in watcher.next(timeout: 200) { events.append(event(live)) }
        return events
    }

    func event(_ live: LiveEvent) -> Event {
        sequence += 1
        var event = live.event(hostname: host.hostname, sequence: sequence, attribution: watcher.attribution)
        event.id = "fim-\(runID)-\(sequence)"
        event.device = host.device
        return event
    }

    private func applyPolicyIfChanged() throws {
        guard let policy else { return }
        let current = policy()
        guard current.version != policyVersion else { return }
        policyVersion = current.version
        let wanted = base.applying(current)
        guard wanted.watch != settings.watch || wanted.sensitive != settings.sensitive else { return }
        let replacement = try FIMWatcher(
            config: wanted.config, clock: clock, coalesceWindow: coalesceWindow, preferInotify: preferInotify)
        let leftover = watcher.flush()
        watcher.stop()
        watcher = replacement
        settings = wanted
        if started { watcher.start() }
        for live in leftover { _ = event(live) }
        AgentLog.log(
            "vigil agent: fim: policy \(current.version) applied: watching \(wanted.watch.count) path(s), "
                + "\(wanted.sensitive.count) sensitive")
    }

    public func shutdown() { watcher.stop() }
}

/// Scheduled file integrity checks against a baseline kept in `<state>/fim/baseline.db` (`VigilFIM`: scan, diff,
/// baseline store). At the first poll a baseline is taken when there is none (or when the watched paths changed);
/// afterwards each check (every `scanIntervalSeconds`, and once at start) reports each added, removed, changed or
/// moved entry as a File System Activity event and accepts the current state as the new baseline, so each change
/// is reported once. Checks are `fast` (a file's hash is reused while its inode, size, mtime and ctime are
/// unchanged — ctime cannot be set from user space) except the first after start, which rehashes everything.
public final class FIMScanSensor: Sensor, PolicyFollowing, @unchecked Sendable {
    public let name = "fim-scan"
    public let interval: Double = 1
    let host: HostFacts
    let clock: any Clock
    let base: FIMSettings
    let databasePath: String
    /// At most this many change events per check; the rest are counted in the summary event.
    let maxChangeEvents: Int
    private var policy: (@Sendable () -> AgentPolicy)?
    private var nextCheck: Int64 = 0
    private var checks = 0
    private var runID: String

    public init(
        host: HostFacts, settings: FIMSettings, stateDirectory: String, clock: any Clock = SystemClock(),
        maxChangeEvents: Int = 1000
    ) throws {
        self.host = host
        self.base = settings
        self.clock = clock
        self.maxChangeEvents = maxChangeEvents
        let directory = "\(stateDirectory)/fim"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        databasePath = "\(directory)/baseline.db"
        runID = String(SHA256.hash("\(host.bootID)|\(getpid())|\(clock.nowMilliseconds())|scan").hex.prefix(12))
    }

    public func follow(policy: @escaping @Sendable () -> AgentPolicy) { self.policy = policy }

    var settings: FIMSettings { policy.map { base.applying($0()) } ?? base }

    public func poll() throws -> [Event] {
        let now = clock.nowMilliseconds()
        guard now >= nextCheck else { return [] }
        let settings = self.settings
        nextCheck = now + Int64(settings.scanIntervalSeconds) * 1000
        return try check(settings: settings)
    }

    /// One check now (the baseline is taken instead when there is none or the paths changed).
    func check(settings: FIMSettings) throws -> [Event] {
        let config = settings.config
        let store = try BaselineStore(path: databasePath, create: true)
        let session = FIMSession(store: store, clock: clock, threads: 1)
        let now = clock.nowMilliseconds()
        checks += 1
        guard let info = try store.info(), info.configYAML == config.yaml else {
            let hadBaseline = try store.info() != nil
            let scan = FIMScanner(config: config, threads: 1).scan()
            try store.replace(
                with: scan.records,
                info: BaselineInfo(created: now, configYAML: config.yaml, writer: VigilVersion.current))
            try store.appendHistory(
                time: now, action: "init", report: FIMReport(changes: []), problems: scan.problems.count, event: nil)
            return [
                summary(
                    message: hadBaseline
                        ? "FIM baseline taken again: the watched paths changed (\(scan.records.count) entries)"
                        : "FIM baseline taken: \(scan.records.count) entries under \(settings.watch.count) path(s)",
                    report: FIMReport(changes: []), problems: scan.problems.count, entries: scan.records.count,
                    time: now)
            ]
        }
        let (outcome, _) = try session.update(mode: checks == 1 ? .full : .fast, hostname: host.hostname)
        var events: [Event] = []
        for (index, change) in outcome.report.changes.prefix(maxChangeEvents).enumerated() {
            events.append(event(change, index: index, time: now, config: config))
        }
        let report = outcome.report
        events.append(
            summary(
                message:
                    "FIM check (\(outcome.mode.rawValue)): \(report.count(.added)) added, \(report.count(.removed)) removed, \(report.count(.changed)) changed, \(report.count(.moved)) moved",
                report: report, problems: outcome.scan.problems.count, entries: outcome.scan.records.count, time: now))
        return events
    }

    func summary(message: String, report: FIMReport, problems: Int, entries: Int, time: Int64) -> Event {
        Event(
            id: "fimscan-\(runID)-\(checks)", classUID: .configStateChange, activityID: Activity.other, time: time,
            severityID: report.changes.isEmpty ? .informational : .medium, statusID: 1, message: message,
            metadata: EventMetadata(logName: "fim"), device: host.device,
            unmapped: [
                "fim.added": String(report.count(.added)), "fim.removed": String(report.count(.removed)),
                "fim.changed": String(report.count(.changed)), "fim.moved": String(report.count(.moved)),
                "fim.entries": String(entries), "fim.problems": String(problems),
                "fim.reported": String(min(report.changes.count, maxChangeEvents)),
            ])
    }

    func event(_ change: FIMChange, index: Int, time: Int64, config: FIMConfig) -> Event {
        let activity: Int =
            switch change.kind {
            case .added: Activity.File.create
            case .removed: Activity.File.delete
            case .changed: Activity.File.update
            case .moved: Activity.File.rename
            }
        let sensitive = config.isSensitive(change.path)
        var unmapped = ["fim.change": change.kind.rawValue, "fim.source": "scheduled-check"]
        if let from = change.from { unmapped["fim.from"] = from.description }
        if !change.attributes.isEmpty {
            unmapped["fim.attributes"] = change.attributes.map(\.attribute.rawValue).joined(separator: ",")
            for attribute in change.attributes {
                unmapped["fim.old.\(attribute.attribute.rawValue)"] = attribute.old
                unmapped["fim.new.\(attribute.attribute.rawValue)"] = attribute.new
            }
        }
        if sensitive { unmapped["fim.sensitive"] = "true" }
        return Event(
            id: "fimscan-\(runID)-\(checks)-\(index)", classUID: .fileSystemActivity, activityID: activity, time: time,
            severityID: sensitive ? .high : .medium, message: "FIM check: \(change.kind.rawValue) \(change.path)",
            metadata: EventMetadata(logName: "fim"), device: host.device,
            file: FileObject(path: change.path.description), unmapped: unmapped)
    }
}
