import Foundation
import VigilCore
import VigilServer
import VigilStore
import VigilTestSupport

extension Benchmarks {
    /// The dashboard over a large SQLite store: each page's time as the server answers it on loopback
    /// (median of several requests after a warm-up), and `EXPLAIN QUERY PLAN` of the queries behind the
    /// pages' filters.
    ///
    /// Arguments: `[DB_PATH] [EVENTS] [HOSTS] [RUNS]` (default `.build/bench-dashboard/vigil.db`, 1000000,
    /// 100, 7). The store is generated once (seeded fleet, 30 days) and kept for later runs; delete it to
    /// regenerate. Prints `key value unit` lines and `plan <page> <step>` lines.
    static func dashboard(_ arguments: [String]) throws {
        let path = arguments.first ?? ".build/bench-dashboard/vigil.db"
        let events = arguments.count > 1 ? (Int(arguments[1]) ?? 1_000_000) : 1_000_000
        let hosts = arguments.count > 2 ? (Int(arguments[2]) ?? 100) : 100
        let runs = arguments.count > 3 ? (Int(arguments[3]) ?? 7) : 7
        // A fixed "now" so the store and the pages agree across runs: 2026-12-04 15:20 UTC.
        let now: Int64 = 1_796_397_600_000
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var store = try SQLiteEventStore(path: path)
        if try store.eventCount() != events {
            store = try generate(path: path, events: events, hosts: hosts, now: now)
        }
        print("events \(try store.eventCount()) events")
        try insertCost(
            events: 100_000, rounds: 2, directory: (path as NSString).deletingLastPathComponent, now: now)
        print("hosts \(try store.hosts().count) hosts")

        let server = try Server(
            configuration: .init(http: .init(port: 0, threads: 2)),
            store: store, clock: FakeClock(milliseconds: now))
        try server.start()
        defer { server.stop() }
        // Pages need a credential: an analyst's API token (each request also writes its access-log row, as in
        // production).
        let token = try server.authenticator.createToken(
            name: "bench", role: .analyst, createdBy: "bench", expiresAt: nil
        ).secret
        let auth = [("Authorization", "Bearer \(token)")]
        let busiest =
            try store.eventStatistics(from: now - 86_400_000, bucketMilliseconds: 86_400_000, buckets: 1)
            .byHost.max { $0.value < $1.value }?.key ?? 1
        let quiet = try store.hosts().last?.id ?? 1
        // A cursor ten pages deep, for paging.
        var cursor: EventCursor? = nil
        for _ in 0..<10 { cursor = try store.searchEvents(VigilStore.EventQuery(before: cursor, limit: 100)).next }
        let pages: [(String, String)] = [
            ("overview", "/"),
            ("events", "/events"),
            ("events_24h", "/events?range=24h"),
            ("events_host", "/events?host=\(quiet)"),
            ("events_user", "/events?user=alice"),
            ("events_process", "/events?process=openssl"),
            ("events_class", "/events?class=3001"),
            ("events_text", "/events?q=authorized_keys"),
            ("events_text_rare", "/events?q=no-such-text-anywhere&range=24h"),
            ("events_page_11", "/events?before=\(cursor?.text ?? "")"),
            ("events_combined", "/events?host=\(busiest)&user=root&class=1001&range=7d"),
            ("hosts", "/hosts"),
            ("host", "/hosts/\(busiest)"),
            ("host_logins", "/hosts/\(busiest)?kind=login"),
            ("file_integrity", "/file-integrity"),
        ]
        for (name, target) in pages {
            let first = try RawHTTPClient.request(port: server.port, path: target, headers: auth, timeoutSeconds: 120)
            guard first.status == 200 else {
                throw BenchError("GET \(target) answered \(first.status): \(first.text.prefix(300))")
            }
            let seconds = try median(runs: runs) {
                _ = try RawHTTPClient.request(port: server.port, path: target, headers: auth, timeoutSeconds: 120)
            }
            print(String(format: "page_%@_ms %.1f ms (%d bytes)", name, seconds * 1000, first.body.count))
        }

        // The query plans behind the filters.
        let plans: [(String, VigilStore.EventQuery)] = [
            ("events", VigilStore.EventQuery()),
            ("events_24h", VigilStore.EventQuery(from: now - 86_400_000)),
            ("events_host", VigilStore.EventQuery(hostID: quiet)),
            ("events_user", VigilStore.EventQuery(user: "alice")),
            ("events_process", VigilStore.EventQuery(process: "openssl")),
            ("events_class", VigilStore.EventQuery(classes: [.accountChange])),
            ("events_text", VigilStore.EventQuery(text: "authorized_keys")),
            ("events_page_11", VigilStore.EventQuery(before: cursor)),
            ("host_timeline", VigilStore.EventQuery(hostID: busiest, classes: [.authentication])),
        ]
        for (name, query) in plans {
            for step in try store.queryPlan(query) { print("plan \(name) \(step)") }
        }
        let day: Int64 = 86_400_000
        let monthStart = now - now % day - 29 * day
        for step in try store.statisticsPlan(from: monthStart, bucketMilliseconds: day, buckets: 30) {
            print("plan overview_30d_daily_counts \(step)")
        }
        for step in try store.statisticsPlan(
            from: now - now % 3_600_000 - 23 * 3_600_000, bucketMilliseconds: 3_600_000, buckets: 24)
        {
            print("plan overview_24h_hourly \(step)")
        }
        for step in try store.statisticsPlan(
            from: now - 86_400_000, bucketMilliseconds: 3_600_000, buckets: 24, hostID: busiest)
        {
            print("plan statistics_host \(step)")
        }
    }

    /// What the dashboard's schema (three indexes, the daily-count trigger) costs ingest: `events` events in
    /// batches of 1,000 (in time order, as agents send them) into a fresh store with it and one with it
    /// dropped, alternating, best of `rounds`.
    static func insertCost(events: Int, rounds: Int, directory: String, now: Int64) throws {
        /// `drop`: what of the dashboard schema to drop before inserting.
        func run(_ name: String, drop: String) throws -> Double {
            let path = "\(directory)/insert-\(name).db"
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            if !drop.isEmpty {
                _ = try SQLiteEventStore(path: path)  // creates the schema, then closes
                try SQLiteDatabase(path: path).execute(drop)
            }
            let store = try SQLiteEventStore(path: path)
            var fleet = FleetGenerator(seed: 77, hosts: 100, now: now, span: 30 * 86_400_000)
            var batches: [(Device, [Event])] = []
            var pending: [Int: [Event]] = [:]
            // Agents send their events roughly in time order: so do these batches.
            for (host, event) in fleet.events(count: events).sorted(by: { $0.event.time < $1.event.time }) {
                pending[host, default: []].append(event)
                if pending[host]?.count == 1_000 {
                    batches.append((fleet.devices[host], pending[host] ?? []))
                    pending[host] = nil
                }
            }
            for (host, rest) in pending { batches.append((fleet.devices[host], rest)) }
            let start = DispatchTime.now().uptimeNanoseconds
            for (device, batch) in batches { _ = try store.insert(batch, host: device, receivedAt: now) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            return Double(events) / seconds
        }
        let trigger = "DROP TRIGGER events_count_insert; DROP TRIGGER events_count_delete;"
        let indexes = "DROP INDEX events_host_time; DROP INDEX events_user_time; DROP INDEX events_time_counts;"
        var best: [String: Double] = [:]
        for _ in 0..<rounds {
            for (name, drop) in [("v1", trigger + indexes), ("indexes", trigger), ("full", "")] {
                best[name] = max(best[name] ?? 0, try run(name, drop: drop))
            }
        }
        let base = max(best["v1"] ?? 0, 1)
        print(String(format: "insert_v1_schema_s %.0f events/s (%d events, batches of 1000)", base, events))
        print(
            String(
                format: "insert_with_dashboard_indexes_s %.0f events/s (ratio %.2f)", best["indexes"] ?? 0,
                (best["indexes"] ?? 0) / base))
        print(
            String(
                format: "insert_with_indexes_and_daily_counts_s %.0f events/s (ratio %.2f)", best["full"] ?? 0,
                (best["full"] ?? 0) / base))
    }

    /// Writes `events` seeded events for `hosts` hosts over the 30 days before `now`: rounds of 200,000,
    /// one batch (one transaction) per host per round, as agents would send them.
    static func generate(path: String, events: Int, hosts: Int, now: Int64) throws -> SQLiteEventStore {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let store = try SQLiteEventStore(path: path)
        var fleet = FleetGenerator(seed: 1_000_003, hosts: hosts, now: now, span: 30 * 86_400_000)
        let start = DispatchTime.now().uptimeNanoseconds
        var written = 0
        while written < events {
            let count = min(200_000, events - written)
            var byHost: [Int: [Event]] = [:]
            for (host, event) in fleet.events(count: count) { byHost[host, default: []].append(event) }
            for (host, batch) in byHost.sorted(by: { $0.key < $1.key }) {
                _ = try store.insert(batch, host: fleet.devices[host], receivedAt: now - 60_000)
            }
            written += count
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(
            String(
                format: "generate_events_s %.0f events/s (generation, JSON and SQLite insert)", Double(events) / seconds
            ))
        return store
    }

    struct BenchError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
