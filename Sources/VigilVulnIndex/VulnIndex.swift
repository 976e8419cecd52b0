import Foundation
import VigilCore
import VigilStore
import VigilVuln

/// The local advisory index and findings history, in SQLite.
///
/// `update` compiles advisory files into rows keyed by release and package, recording each file's
/// path, feed, size and load time (a file loaded again replaces its rows). `scan` results are kept with
/// the time each finding was first and last seen and when it was resolved, so the daily report lists
/// what is new since the previous scan.
public final class VulnIndex {
    let database: SQLiteDatabase

    static let migrations = [
        Migration(
            version: 1, name: "advisory index and findings history",
            sql: """
                CREATE TABLE vuln_sources (
                    id INTEGER PRIMARY KEY, path TEXT NOT NULL, feed TEXT NOT NULL, loaded_at INTEGER NOT NULL,
                    bytes INTEGER NOT NULL, advisories INTEGER NOT NULL, problems INTEGER NOT NULL);
                CREATE TABLE vuln_advisories (
                    source_id INTEGER NOT NULL REFERENCES vuln_sources(id) ON DELETE CASCADE,
                    distribution TEXT NOT NULL, package TEXT NOT NULL, id TEXT NOT NULL, feed TEXT NOT NULL,
                    scheme TEXT NOT NULL, status TEXT NOT NULL, fixed TEXT, ranges TEXT NOT NULL, versions TEXT NOT NULL,
                    severity TEXT, note TEXT, aliases TEXT NOT NULL);
                CREATE INDEX vuln_advisories_lookup ON vuln_advisories(distribution, package);
                CREATE INDEX vuln_advisories_source ON vuln_advisories(source_id);
                CREATE TABLE vuln_findings (
                    key TEXT PRIMARY KEY, body TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
                    resolved INTEGER);
                CREATE TABLE vuln_packages (
                    key TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, removed INTEGER);
                CREATE TABLE vuln_scans (
                    id INTEGER PRIMARY KEY, at INTEGER NOT NULL, packages INTEGER NOT NULL, findings INTEGER NOT NULL,
                    new INTEGER NOT NULL, resolved INTEGER NOT NULL);
                """),
        // One row per (file, release, package) instead of one per advisory: a scan reads all of a package's
        // advisories at once anyway, and compiling then costs a few SQLite rows per package instead of one
        // row and two index entries per advisory (the rows were 90% of the compile time). Existing rows are
        // converted in file order; the path index keeps replacing a file cheap when there are many files.
        Migration(
            version: 2, name: "advisories grouped by package",
            sql: """
                CREATE TABLE vuln_advisory_groups (
                    source_id INTEGER NOT NULL REFERENCES vuln_sources(id) ON DELETE CASCADE,
                    distribution TEXT NOT NULL, package TEXT NOT NULL, advisories INTEGER NOT NULL, body TEXT NOT NULL);
                CREATE INDEX vuln_advisory_groups_lookup ON vuln_advisory_groups(distribution, package);
                CREATE INDEX vuln_advisory_groups_source ON vuln_advisory_groups(source_id);
                CREATE INDEX vuln_sources_path ON vuln_sources(path);
                INSERT INTO vuln_advisory_groups(source_id, distribution, package, advisories, body)
                SELECT source_id, distribution, package, n, body FROM (
                    SELECT source_id, distribution, package, first, row_number() OVER w AS position,
                        count(*) OVER whole AS n, group_concat(encoded, '') OVER whole AS body
                    FROM (
                        SELECT rowid, source_id, distribution, package,
                            min(rowid) OVER (PARTITION BY source_id, distribution, package) AS first,
                            length(CAST(id AS BLOB)) || ':' || id || length(CAST(feed AS BLOB)) || ':' || feed
                            || length(CAST(scheme AS BLOB)) || ':' || scheme
                            || length(CAST(status AS BLOB)) || ':' || status
                            || CASE WHEN fixed IS NULL THEN '-' ELSE length(CAST(fixed AS BLOB)) || ':' || fixed END
                            || length(CAST(ranges AS BLOB)) || ':' || ranges
                            || length(CAST(versions AS BLOB)) || ':' || versions
                            || CASE WHEN severity IS NULL THEN '-' ELSE length(CAST(severity AS BLOB)) || ':' || severity END
                            || CASE WHEN note IS NULL THEN '-' ELSE length(CAST(note AS BLOB)) || ':' || note END
                            || length(CAST(aliases AS BLOB)) || ':' || aliases AS encoded
                        FROM vuln_advisories)
                    WINDOW w AS (PARTITION BY source_id, distribution, package ORDER BY rowid),
                        whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
                WHERE position = 1 ORDER BY first;
                DROP TABLE vuln_advisories;
                """),
    ]

    /// Opens (creating when absent) the index at `path`.
    public init(path: String) throws {
        database = try SQLiteDatabase(path: path, durability: .normal)
        try database.migrate(Self.migrations, what: "vulnerability index")
    }

    /// One compiled file.
    public struct Source: Sendable, Hashable {
        public var path: String
        public var feed: String
        public var loadedAt: Int64
        public var bytes: Int
        public var advisories: Int
        public var problems: Int
    }

    /// Compiles the files of `result` into the index, replacing earlier loads of the same paths.
    public func update(_ result: AdvisorySources.Result, clock: any Clock) throws {
        let now = clock.nowMilliseconds()
        try database.transaction {
            let insertSource = try database.prepare(
                "INSERT INTO vuln_sources(path, feed, loaded_at, bytes, advisories, problems) VALUES (?,?,?,?,?,?)")
            let insert = try database.prepare(
                "INSERT INTO vuln_advisory_groups(source_id, distribution, package, advisories, body) VALUES (?,?,?,?,?)"
            )
            let delete = try database.prepare("DELETE FROM vuln_sources WHERE path = ?")
            for (file, advisories) in zip(result.files, result.perFile) {
                try delete.run([file.path])
                try insertSource.run([file.path, file.feed, now, file.bytes, file.advisories, file.problems])
                let sourceID = database.lastInsertRowID
                for group in RowCodec.groups(advisories) {
                    // Bound one by one: an array of existentials per row costs more than SQLite's insert.
                    insert.reset()
                    try insert.bind(.integer(sourceID), at: 1)
                    try insert.bind(.text(group.distribution), at: 2)
                    try insert.bind(.text(group.package), at: 3)
                    try insert.bind(.integer(Int64(group.count)), at: 4)
                    try insert.bind(.text(group.body), at: 5)
                    while try insert.step() {}
                }
            }
        }
    }

    /// The compiled files, newest first.
    public func sources() throws -> [Source] {
        try database.query(
            "SELECT path, feed, loaded_at, bytes, advisories, problems FROM vuln_sources ORDER BY loaded_at DESC, path"
        ).map {
            Source(
                path: $0[0].string ?? "", feed: $0[1].string ?? "", loadedAt: $0[2].int64 ?? 0,
                bytes: Int($0[3].int64 ?? 0), advisories: Int($0[4].int64 ?? 0), problems: Int($0[5].int64 ?? 0))
        }
    }

    /// The advisories that can concern `packages` in `distributions`, ready for `Matcher`.
    public func advisoryIndex(for packages: [InstalledPackage], distributions: [String]) throws -> AdvisoryIndex {
        var names: Set<String> = []
        for package in packages {
            names.insert(package.name)
            names.insert(package.sourceName)
        }
        var index = AdvisoryIndex()
        let select = try database.prepare(
            "SELECT body FROM vuln_advisory_groups WHERE distribution = ? AND package = ? ORDER BY rowid")
        for distribution in distributions {
            // Most hosts have advisories under one of their release keys; skip the others at once.
            guard
                try database.scalar(
                    "SELECT 1 FROM vuln_advisory_groups WHERE distribution = ? LIMIT 1", [distribution]) != nil
            else { continue }
            for name in names.sorted() {
                select.reset()
                try select.bind([distribution, name])
                while try select.step() {
                    RowCodec.decode(select.string(at: 0) ?? "", distribution: distribution, package: name) {
                        index.insert($0)
                    }
                }
            }
        }
        return index
    }

    /// Records a scan: new findings get today as first seen, missing ones are resolved.
    /// Returns what changed since the previous scan.
    @discardableResult
    public func record(findings: [Finding], packages: [InstalledPackage], clock: any Clock) throws -> FindingsDiff {
        let now = clock.nowMilliseconds()
        return try database.transaction {
            let decoder = JSONDecoder()
            let previous = try database.query("SELECT body FROM vuln_findings WHERE resolved IS NULL").compactMap {
                try? decoder.decode(Finding.self, from: Data(($0[0].string ?? "").utf8))
            }
            let previousPackages = Set(
                try database.query("SELECT key FROM vuln_packages WHERE removed IS NULL").compactMap { $0[0].string })
            let diff = FindingsDiff.compute(previous: previous, previousPackages: previousPackages, current: findings)
            let encoder = JSON.encoder()
            let upsert = try database.prepare(
                """
                INSERT INTO vuln_findings(key, body, first_seen, last_seen, resolved) VALUES (?,?,?,?,NULL)
                ON CONFLICT(key) DO UPDATE SET body = excluded.body, last_seen = excluded.last_seen,
                first_seen = CASE WHEN vuln_findings.resolved IS NULL THEN vuln_findings.first_seen ELSE excluded.first_seen END,
                resolved = NULL
                """)
            for finding in findings {
                let body = String(decoding: try encoder.encode(finding), as: UTF8.self)
                try upsert.run([finding.key, body, now, now])
            }
            let resolve = try database.prepare("UPDATE vuln_findings SET resolved = ? WHERE key = ?")
            for finding in diff.resolved { try resolve.run([now, finding.key]) }
            let current = Set(packages.map(FindingsDiff.packageKey))
            let upsertPackage = try database.prepare(
                """
                INSERT INTO vuln_packages(key, first_seen, last_seen, removed) VALUES (?,?,?,NULL)
                ON CONFLICT(key) DO UPDATE SET last_seen = excluded.last_seen, removed = NULL
                """)
            for key in current { try upsertPackage.run([key, now, now]) }
            let remove = try database.prepare("UPDATE vuln_packages SET removed = ? WHERE key = ?")
            for key in previousPackages.subtracting(current) { try remove.run([now, key]) }
            _ = try database.run(
                "INSERT INTO vuln_scans(at, packages, findings, new, resolved) VALUES (?,?,?,?,?)",
                [
                    now, packages.count, findings.count, diff.newAdvisories.count + diff.newlyInstalled.count,
                    diff.resolved.count,
                ])
            return diff
        }
    }

    /// A finding with when it was first seen and, if so, resolved.
    public struct HistoryEntry: Sendable, Hashable {
        public var finding: Finding
        public var firstSeen: Int64
        public var lastSeen: Int64
        public var resolved: Int64?
    }

    /// Findings still open, and those resolved at or after `since` (milliseconds).
    public func history(resolvedSince since: Int64) throws -> [HistoryEntry] {
        let decoder = JSONDecoder()
        return try database.query(
            """
            SELECT body, first_seen, last_seen, resolved FROM vuln_findings
            WHERE resolved IS NULL OR resolved >= ? ORDER BY key
            """, [since]
        ).compactMap { row in
            guard let finding = try? decoder.decode(Finding.self, from: Data((row[0].string ?? "").utf8)) else {
                return nil
            }
            return HistoryEntry(
                finding: finding, firstSeen: row[1].int64 ?? 0, lastSeen: row[2].int64 ?? 0, resolved: row[3].int64)
        }
    }

    /// The time of the scan before the latest one (the start of "new since the previous report"), if any.
    public func previousScanTime() throws -> Int64? {
        try database.query("SELECT at FROM vuln_scans ORDER BY id DESC LIMIT 2").dropFirst().first?[0].int64
    }

    /// The time of the latest scan, if any.
    public func latestScanTime() throws -> Int64? {
        try database.scalar("SELECT max(at) FROM vuln_scans")?.int64
    }
}

/// Compact text columns for lists and ranges: fields split by U+001F, items by U+001E — characters no
/// package version or advisory id contains.
enum RowCodec {
    static func list(_ items: [String]) -> String { items.joined(separator: "\u{1e}") }

    static func list(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: "\u{1e}", omittingEmptySubsequences: false).map(String.init)
    }

    /// The advisories of one (release, package), encoded as one row's body.
    struct Group {
        var distribution: String
        var package: String
        var count = 0
        var bytes: [UInt8] = []

        /// The row's text.
        var body: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// `advisories` grouped by release and package, in order of first appearance, each group's advisories
    /// in their order. A body is the advisories one after another, each its ten fields (id, feed, scheme,
    /// status, fixed, ranges, versions, severity, note, aliases) written as `LENGTH:TEXT` (UTF-8 bytes), or
    /// `-` for an absent optional, so any text round-trips.
    static func groups(_ advisories: [Advisory]) -> [Group] {
        var groups: [Group] = []
        var positions: [String: Int] = [:]
        var last = -1
        var scratch: [UInt8] = []
        for advisory in advisories {
            // Feeds list a package's advisories together: check the group before last before hashing.
            if last < 0 || groups[last].package != advisory.package
                || groups[last].distribution != advisory.distribution
            {
                let key = "\(advisory.distribution)\u{0}\(advisory.package)"
                if let position = positions[key] {
                    last = position
                } else {
                    last = groups.count
                    positions[key] = last
                    groups.append(Group(distribution: advisory.distribution, package: advisory.package))
                }
            }
            groups[last].count += 1
            encode(advisory, into: &groups[last].bytes, scratch: &scratch)
        }
        return groups
    }

    /// Appends one advisory's fields. Bytes, not `String.append`: that was most of the encoding time.
    static func encode(_ advisory: Advisory, into body: inout [UInt8], scratch: inout [UInt8]) {
        func length(_ count: Int) {
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
            )
            var rest = count
            var used = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                repeat {
                    buffer[used] = UInt8(0x30 + rest % 10)
                    rest /= 10
                    used += 1
                } while rest > 0 && used < buffer.count
                for index in stride(from: used - 1, through: 0, by: -1) { body.append(buffer[index]) }
            }
            body.append(UInt8(ascii: ":"))
        }
        func field(_ text: String?) {
            guard var text else {
                body.append(UInt8(ascii: "-"))
                return
            }
            text.withUTF8 { bytes in
                length(bytes.count)
                body.append(contentsOf: bytes)
            }
        }
        /// A list or ranges field, built in `scratch` first for its length.
        func field(_ build: (inout [UInt8]) -> Void) {
            scratch.removeAll(keepingCapacity: true)
            build(&scratch)
            length(scratch.count)
            body.append(contentsOf: scratch)
        }
        func append(_ text: String?, to bytes: inout [UInt8]) {
            guard var text else { return }
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
        func list(_ items: [String], into bytes: inout [UInt8]) {
            for (position, item) in items.enumerated() {
                if position > 0 { bytes.append(0x1e) }
                append(item, to: &bytes)
            }
        }
        field(advisory.id)
        field(advisory.feed)
        field(advisory.scheme.rawValue)
        field(advisory.status.rawValue)
        field(advisory.fixedVersion)
        field { bytes in
            for (position, range) in advisory.ranges.enumerated() {
                if position > 0 { bytes.append(0x1e) }
                append(range.introduced, to: &bytes)
                bytes.append(0x1f)
                append(range.fixed, to: &bytes)
                bytes.append(0x1f)
                append(range.lastAffected, to: &bytes)
                bytes.append(0x1f)
                append(range.limit, to: &bytes)
            }
        }
        field { list(advisory.versions, into: &$0) }
        field(advisory.severity)
        field(advisory.note)
        field { list(advisory.aliases, into: &$0) }
    }

    /// Calls `each` with every advisory of a group's body; a damaged body stops at the damage.
    static func decode(_ body: String, distribution: String, package: String, _ each: (Advisory) -> Void) {
        var body = body
        body.withUTF8 { bytes in
            var position = 0
            func field() -> String?? {
                guard position < bytes.count else { return .none }
                if bytes[position] == UInt8(ascii: "-") {
                    position += 1
                    return .some(nil)
                }
                var count = 0
                while position < bytes.count, bytes[position] != UInt8(ascii: ":") {
                    let digit = Int(bytes[position]) - 0x30
                    guard (0...9).contains(digit), count < 1 << 40 else { return .none }
                    count = count * 10 + digit
                    position += 1
                }
                position += 1
                guard position + count <= bytes.count else { return .none }
                let text = String(
                    decoding: UnsafeBufferPointer(rebasing: bytes[position..<position + count]), as: UTF8.self)
                position += count
                return .some(text)
            }
            while position < bytes.count {
                guard let id = field(), let feed = field(), let scheme = field(), let status = field(),
                    let fixed = field(), let rangeText = field(), let versionText = field(),
                    let severity = field(), let note = field(), let aliasText = field()
                else { return }
                guard let scheme = VersionScheme(rawValue: scheme ?? ""),
                    let status = FindingStatus(rawValue: status ?? "")
                else { continue }
                each(
                    Advisory(
                        id: id ?? "", aliases: list(aliasText ?? ""), feed: feed ?? "", distribution: distribution,
                        package: package, scheme: scheme, status: status, fixedVersion: fixed,
                        ranges: ranges(rangeText ?? ""), versions: list(versionText ?? ""), severity: severity,
                        note: note))
            }
        }
    }

    static func ranges(_ ranges: [AffectedRange]) -> String {
        ranges.map {
            [$0.introduced, $0.fixed, $0.lastAffected, $0.limit].map { $0 ?? "" }.joined(separator: "\u{1f}")
        }
        .joined(separator: "\u{1e}")
    }

    static func ranges(_ text: String) -> [AffectedRange] {
        list(text).map { item in
            let fields = item.split(separator: "\u{1f}", omittingEmptySubsequences: false).map {
                $0.isEmpty ? nil : String($0)
            }
            func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
            return AffectedRange(introduced: field(0), fixed: field(1), lastAffected: field(2), limit: field(3))
        }
    }
}
