import Foundation
import VigilCore
import VigilCrypto
import VigilVuln
import VigilVulnIndex

/// The installed packages (dpkg, rpm, apk, with `/etc/os-release`), read by `VigilVulnIndex.HostInventory` at
/// start, every `intervalSeconds` (daily by default; the signed policy's `inventory.interval_seconds` replaces it)
/// and when a package database changes (its inode, size or mtime, polled every `interval` seconds — no inotify
/// descriptor, and a replaced database file, as dpkg does, is seen the same way).
///
/// Each inventory is **one** OCSF Device Inventory Info event (class 5001, activity 2 Collect) whose `device.os`
/// is the release and whose `unmapped` holds `inventory.packages` — the full list as a JSON array of
/// `{"name","version","arch","source","source_version","scheme"}` — with its SHA-256, counts, the trigger, and
/// the names added, removed and changed since the previous inventory (kept in `<state>/inventory.json`, so the
/// diff survives restarts). One event per snapshot keeps the server's store to one row per host per inventory,
/// lets the vulnerability matcher take the whole list at once, and makes a removal visible (a per-package stream
/// would need a tombstone). A database change that leaves the list identical sends nothing.
///
/// A list longer than `packagesPerEvent` (1,000 by default: about 160 KB of JSON, under the server's 256 KiB
/// per-event limit) is sent as several events of the same snapshot: `inventory.part` (`1/3`…) and
/// `inventory.packages` hold that part's slice, while the count, SHA-256 of the whole list and the diff are in
/// every part, so the server can tell when it holds the whole snapshot.
public final class InventorySensor: Sensor, PolicyFollowing, @unchecked Sendable {
    // Touched only by the sensor's own thread.
    public let name = "inventory"
    public let interval: Double
    let host: HostFacts
    let root: String
    let clock: any Clock
    let statePath: String
    let baseIntervalSeconds: Int
    private var policy: (@Sendable () -> AgentPolicy)?
    private var nextFull: Int64 = 0
    private var signature: [String]?
    private var previous: [InstalledPackage]?
    private var runID: String
    private var count = 0
    /// Most packages in one event; longer lists are split into parts.
    let packagesPerEvent: Int

    /// The package databases whose change triggers an inventory, relative to `root`.
    static let databases = [
        "var/lib/dpkg/status", "lib/apk/db/installed", "var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite-wal",
        "etc/os-release",
    ]

    public init(
        host: HostFacts, stateDirectory: String, root: String = "/", intervalSeconds: Int = 86_400,
        pollSeconds: Double = 5, clock: any Clock = SystemClock(), packagesPerEvent: Int = 1_000
    ) {
        self.host = host
        self.packagesPerEvent = max(1, packagesPerEvent)
        self.root = root
        self.clock = clock
        self.interval = pollSeconds
        self.baseIntervalSeconds = intervalSeconds
        self.statePath = "\(stateDirectory)/inventory.json"
        runID = String(SHA256.hash("\(host.bootID)|\(getpid())|\(clock.nowMilliseconds())|inv").hex.prefix(12))
        if let data = FileManager.default.contents(atPath: statePath),
            let saved = try? JSONDecoder().decode([InstalledPackage].self, from: data)
        {
            previous = saved
        }
    }

    public func follow(policy: @escaping @Sendable () -> AgentPolicy) { self.policy = policy }

    var intervalSeconds: Int {
        let fromPolicy = policy?().inventoryIntervalSeconds ?? 0
        return fromPolicy > 0 ? fromPolicy : baseIntervalSeconds
    }

    /// inode, size and mtime (ns) of each database, "-" when absent.
    func currentSignature() -> [String] {
        Self.databases.map { relative in
            var info = stat()
            let path = (root as NSString).appendingPathComponent(relative)
            guard stat(path, &info) == 0 else { return "-" }
            return "\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
    }

    public func poll() throws -> [Event] {
        let now = clock.nowMilliseconds()
        let current = currentSignature()
        let trigger: String
        if signature == nil {
            trigger = "start"
        } else if now >= nextFull {
            trigger = "scheduled"
        } else if current != signature {
            trigger = "database-change"
        } else {
            return []
        }
        signature = current
        if trigger != "database-change" { nextFull = now + Int64(intervalSeconds) * 1000 }
        let inventory = HostInventory.read(root: root)
        let packages = inventory.packages.sorted {
            ($0.name, $0.architecture, $0.version) < ($1.name, $1.architecture, $1.version)
        }
        if trigger == "database-change", packages == previous { return [] }
        let events = try self.events(inventory: inventory, packages: packages, trigger: trigger, time: now)
        // Saved before the agent spools the event: after a crash in between, the next inventory's diff misses
        // this change, but the full list it carries is still right.
        try JSONEncoder().encode(packages).write(to: URL(fileURLWithPath: statePath), options: .atomic)
        chmod(statePath, 0o600)
        previous = packages
        return events
    }

    /// The snapshot as one event, or as parts of at most `packagesPerEvent` packages each.
    func events(inventory: Inventory, packages: [InstalledPackage], trigger: String, time: Int64) throws -> [Event] {
        let whole = try event(inventory: inventory, packages: packages, trigger: trigger, time: time)
        guard packages.count > packagesPerEvent else { return [whole] }
        let parts = (packages.count + packagesPerEvent - 1) / packagesPerEvent
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try (0..<parts).map { index in
            let slice = packages[(index * packagesPerEvent)..<min(packages.count, (index + 1) * packagesPerEvent)]
            var part = whole
            part.id = "\(whole.id)-p\(index + 1)"
            part.unmapped?["inventory.part"] = "\(index + 1)/\(parts)"
            part.unmapped?["inventory.packages"] = String(
                decoding: try encoder.encode(slice.map(Self.entry)), as: UTF8.self)
            part.message = (whole.message ?? "") + " (part \(index + 1) of \(parts))"
            return part
        }
    }

    static func entry(_ package: InstalledPackage) -> Entry {
        Entry(
            name: package.name, version: package.version, arch: package.architecture, source: package.sourceName,
            sourceVersion: package.sourceVersion, scheme: "\(package.scheme)")
    }

    struct Entry: Encodable {
        var name: String
        var version: String
        var arch: String
        var source: String
        var sourceVersion: String
        var scheme: String
        enum CodingKeys: String, CodingKey {
            case name, version, arch, source, scheme
            case sourceVersion = "source_version"
        }
    }

    func event(inventory: Inventory, packages: [InstalledPackage], trigger: String, time: Int64) throws -> Event {
        count += 1
        let entries = packages.map(Self.entry)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let list = String(decoding: try encoder.encode(entries), as: UTF8.self)
        let digest = SHA256.hash(list).hex
        var unmapped: [String: String] = [
            "inventory.trigger": trigger, "inventory.count": String(packages.count), "inventory.packages": list,
            "inventory.sha256": digest, "inventory.problems": String(inventory.problems.count),
        ]
        if !inventory.problems.isEmpty {
            // The first problem of each database file (each names its file and record), bounded.
            var byFile: [String: String] = [:]
            for problem in inventory.problems where byFile[problem.location?.file ?? ""] == nil {
                byFile[problem.location?.file ?? ""] = String("\(problem)".prefix(300))
            }
            unmapped["inventory.problem_examples"] = byFile.keys.sorted().map { byFile[$0]! }.joined(separator: "; ")
        }
        if let os = inventory.os {
            unmapped["inventory.os.id"] = os.id
            unmapped["inventory.os.version_id"] = os.versionID
        }
        var summary = ""
        if let previous {
            let key = { (p: InstalledPackage) in "\(p.name):\(p.architecture)" }
            let before = Dictionary(previous.map { (key($0), $0.version) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(packages.map { (key($0), $0.version) }, uniquingKeysWith: { a, _ in a })
            let added = after.keys.filter { before[$0] == nil }.sorted()
            let removed = before.keys.filter { after[$0] == nil }.sorted()
            let changed = after.keys.filter { before[$0] != nil && before[$0] != after[$0] }.sorted()
                .map { "\($0) \(before[$0]!) → \(after[$0]!)" }
            func capped(_ list: [String]) -> String {
                list.prefix(500).joined(separator: ", ") + (list.count > 500 ? ", … (\(list.count - 500) more)" : "")
            }
            unmapped["inventory.added"] = capped(added)
            unmapped["inventory.removed"] = capped(removed)
            unmapped["inventory.changed"] = capped(changed)
            summary = ": \(added.count) added, \(removed.count) removed, \(changed.count) changed"
        }
        var device = host.device
        if let pretty = inventory.os?.prettyName, !pretty.isEmpty { device.os = pretty }
        return Event(
            id: "inv-\(runID)-\(count)", classUID: .deviceInventoryInfo, activityID: 2, time: time,
            message: "package inventory (\(trigger)): \(packages.count) packages" + summary,
            metadata: EventMetadata(logName: "inventory"), device: device, unmapped: unmapped)
    }
}
