import Foundation
import Synchronization
import VigilCore
import VigilRules
import VigilServer
import VigilStore
import VigilTestSupport

extension Benchmarks {
    /// `vigil-bench server sqlite|postgres RULES_DIR [AGENTS] [BATCHES] [EVENTS] [CONNECTIONS]`: a server on
    /// loopback with the built-in rules; AGENTS agents enroll, then send BATCHES zstd NDJSON batches of EVENTS
    /// events each over CONNECTIONS keep-alive sockets (raw HTTP/1.1, written here). Prints events/s acknowledged
    /// (stored and detected) and archived (outbox drained into the ledger), ack latency percentiles, and the raw
    /// insert rate of the same engine (pre-encoded rows straight into `events`) measured in the same run.
    static func server(_ arguments: [String]) async throws {
        guard arguments.count >= 2, ["sqlite", "postgres"].contains(arguments[0]) else {
            throw ServerBenchError(
                description: "usage: vigil-bench server sqlite|postgres RULES_DIR [AGENTS] [BATCHES] [EVENTS] [CONNS]")
        }
        let engine = arguments[0]
        let agents = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
        let batches = arguments.count > 3 ? Int(arguments[3]) ?? 5 : 5
        let perBatch = arguments.count > 4 ? Int(arguments[4]) ?? 100 : 100
        let connections = arguments.count > 5 ? Int(arguments[5]) ?? 32 : 32
        let rules = try loadRules(arguments[1])
        let work = NSTemporaryDirectory() + "vigil-server-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var cluster: PostgresCluster?
        defer { cluster?.stop() }
        func openStore(_ name: String) throws -> (any ServerStore, any JobLock, () throws -> Double) {
            if engine == "sqlite" {
                let path = "\(work)/\(name).db"
                let store = try SQLiteEventStore(path: path)
                return (store, FileJobLock(path: path + ".lock"), { try rawSQLite(path: path) })
            }
            if cluster == nil {
                guard let started = try PostgresCluster.start() else {
                    throw ServerBenchError(description: PostgresCluster.unavailableReason)
                }
                cluster = started
            }
            let conninfo = cluster!.conninfo
            let admin = try PostgresConnection(conninfo)
            try admin.execute("CREATE DATABASE \(name)")
            let target = conninfo.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(name)")
            return (
                try PostgresEventStore(conninfo: target), PostgresJobLock(conninfo: target),
                { try rawPostgres(conninfo: target) }
            )
        }

        // The engine's raw insert rate, in the same run, on its own database.
        let (_, _, raw) = try openStore("raw")
        let rawRate = try raw()

        let (store, lock, _) = try openStore("e2e")
        let server = try Server(
            configuration: .init(
                http: .init(
                    port: 0, maxBodyBytes: 8 << 20, threads: connections, connectionTimeout: 60,
                    connectionLimit: connections + 64, threadPerConnection: true),
                agentRate: 1000, agentBurst: 1000, checkpointSeconds: 1, jobInterval: .milliseconds(100)),
            store: store, rules: rules, jobLock: lock)
        try server.start()
        defer { server.stop() }
        let port = server.port

        // Enroll every agent (over HTTP, keep-alive), then build its batches up front (client CPU stays out).
        let token = try server.agents.createToken(uses: agents, expiresAt: nil)
        let enrolled = Mutex<[Int: String]>([:])
        let enrollStart = DispatchTime.now().uptimeNanoseconds
        runThreads(connections) { connection in
            guard let client = try? KeepAliveClient(port: port) else { return }
            for agent in stride(from: connection, to: agents, by: connections) {
                let body =
                    #"{"token":"\#(token)","host":{"hostname":"bench-\#(agent)","uid":"bench-machine-\#(agent)"}}"#
                guard
                    let (status, reply) = try? client.post(
                        "/api/v1/agents/enroll", headers: [("Content-Type", "application/json")], body: Array(body.utf8)
                    ),
                    status == 201,
                    let object = try? JSONSerialization.jsonObject(with: Data(reply)) as? [String: String],
                    let id = object["agent_id"], let secret = object["secret"]
                else { continue }
                enrolled.withLock { $0[agent] = "\(id).\(secret)" }
            }
        }
        let credentials = try (0..<agents).map { agent in
            guard let credential = enrolled.withLock({ $0[agent] }) else {
                throw ServerBenchError(description: "agent \(agent) did not enroll")
            }
            return credential
        }
        let enrollSeconds = Double(DispatchTime.now().uptimeNanoseconds - enrollStart) / 1e9
        var generator = BenchEventMix(seed: 7)
        let encoder = JSON.encoder()
        let now = SystemClock().nowMilliseconds()
        var bodies: [[[UInt8]]] = []
        var eventID = 0
        for agent in 0..<agents {
            var mine: [[UInt8]] = []
            let device = Device(hostname: "bench-\(agent)", uid: "bench-machine-\(agent)")
            for _ in 0..<batches {
                var lines: [UInt8] = []
                for _ in 0..<perBatch {
                    eventID += 1
                    var event = generator.next(id: eventID)
                    event.device = device
                    event.time = now - Int64(generator.random(60_000))
                    lines += try encoder.encode(event)
                    lines.append(0x0a)
                }
                mine.append(Zstd.compress(lines, level: 1))
            }
            bodies.append(mine)
        }
        let total = agents * batches * perBatch

        // Send: each connection serves agents i, i+C, i+2C…, one batch per agent per round.
        let latencies = Mutex<[Double]>([])
        let failures = Atomic<Int>(0)
        let accepted = Atomic<Int>(0)
        let start = DispatchTime.now().uptimeNanoseconds
        let credentialList = credentials
        let bodyList = bodies
        runThreads(connections) { connection in
            guard let client = try? KeepAliveClient(port: port) else {
                failures.add(1, ordering: .relaxed)
                return
            }
            var mine: [Double] = []
            for round in 0..<batches {
                for agent in stride(from: connection, to: agents, by: connections) {
                    let sent = DispatchTime.now().uptimeNanoseconds
                    let headers = [
                        ("Content-Type", "application/x-ndjson"), ("Content-Encoding", "zstd"),
                        ("Authorization", "Bearer \(credentialList[agent])"),
                    ]
                    guard
                        let (status, reply) = try? client.post(
                            "/api/v1/events", headers: headers, body: bodyList[agent][round]),
                        status == 200,
                        let ack = try? JSONSerialization.jsonObject(with: Data(reply)) as? [String: Int]
                    else {
                        failures.add(1, ordering: .relaxed)
                        continue
                    }
                    accepted.add(ack["accepted"] ?? 0, ordering: .relaxed)
                    mine.append(Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e6)
                }
            }
            latencies.withLock { $0 += mine }
        }
        let acked = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // Archived: the leader has drained the outbox into the ledger.
        while try store.ledgerOutboxCount() > 0 { try await Task.sleep(for: .milliseconds(20)) }
        let archived = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let sorted = latencies.withLock { $0 }.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        let alerts = try store.alerts(limit: 100_000).reduce(0) { $0 + $1.repeatCount }
        print("server_engine \(engine)")
        print("server_agents \(agents) agents, \(batches) batches × \(perBatch) events, \(connections) connections")
        print("server_enroll_per_s \(String(format: "%.0f", Double(agents) / enrollSeconds)) enrollments/s")
        print(
            "server_events \(total) sent, \(accepted.load(ordering: .relaxed)) accepted, \(failures.load(ordering: .relaxed)) failed batches"
        )
        print("server_detections \(alerts) alert detections (open alerts × repeats)")
        print(
            "server_acked_events_per_s \(String(format: "%.0f", Double(total) / acked)) events/s stored+detected (acknowledged)"
        )
        print(
            "server_archived_events_per_s \(String(format: "%.0f", Double(total) / archived)) events/s stored+detected+archived"
        )
        let commits = server.commitStatistics
        print(
            "server_group_commit \(commits.transactions) transactions, \(commits.batches) batches, "
                + String(format: "%.1f s writing", commits.seconds))
        print("server_ack_p50_ms \(String(format: "%.1f", percentile(0.5))) ms")
        print("server_ack_p99_ms \(String(format: "%.1f", percentile(0.99))) ms")
        print("server_raw_insert_per_s \(String(format: "%.0f", rawRate)) events/s (same engine, pre-encoded rows)")
        print("server_ratio_to_raw \(String(format: "%.2f", Double(total) / archived / rawRate))")
    }

    /// Runs `body(i)` for i in 0..<count on `count` threads (not a pool: every connection must be live at once).
    static func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            let thread = Thread {
                body(i)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
    }

    struct ServerBenchError: Error, CustomStringConvertible {
        var description: String
    }

    static func loadRules(_ directory: String) throws -> RuleSet {
        var files: [(text: String, file: String)] = []
        let walker = FileManager.default.enumerator(atPath: directory)
        while let entry = walker?.nextObject() as? String {
            guard entry.hasSuffix(".yml") else { continue }
            files.append((try String(contentsOfFile: directory + "/" + entry, encoding: .utf8), entry))
        }
        let result = SigmaLoader.load(files)
        return RuleSet(rules: result.rules, correlations: result.correlations)
    }

    /// Pre-encoded event rows for the raw insert measurements (the same columns the server writes).
    static func rawRows(_ count: Int) throws -> [(uid: String, time: Int64, cmd: String, json: String)] {
        var generator = BenchEventMix(seed: 11)
        let encoder = JSON.encoder()
        let now = SystemClock().nowMilliseconds()
        return try (0..<count).map { i in
            var event = generator.next(id: i + 1)
            event.time = now - Int64(i % 60_000)
            return (
                event.id, event.time, event.process?.cmdLine ?? "",
                String(decoding: try encoder.encode(event), as: UTF8.self)
            )
        }
    }

    /// SQLite: prepared INSERTs into `events`, 100 rows per durable (synchronous=FULL) transaction.
    static func rawSQLite(path: String) throws -> Double {
        let rows = try rawRows(200_000)
        let db = try SQLiteDatabase(path: path)
        try db.run("INSERT INTO hosts (uid, hostname, first_seen, last_seen) VALUES ('raw', 'raw', 0, 0)")
        let start = DispatchTime.now().uptimeNanoseconds
        var index = 0
        while index < rows.count {
            let end = min(rows.count, index + 100)
            try db.transaction {
                let insert = try db.prepare(
                    """
                    INSERT OR IGNORE INTO events (host_id, uid, time, received, class_uid, activity_id, severity_id,
                        user_name, process_path, cmd_line, json) VALUES (1, ?, ?, 0, 1007, 1, 1, 'u', '/p', ?, ?)
                    """, persistent: true)
                for row in rows[index..<end] { try insert.run([row.uid, row.time, row.cmd, row.json]) }
            }
            index = end
        }
        return Double(rows.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// PostgreSQL: COPY of 100-row batches into `events` (partitions created first), one transaction each.
    static func rawPostgres(conninfo: String) throws -> Double {
        let rows = try rawRows(200_000)
        let store = try PostgresEventStore(conninfo: conninfo)
        // Creates the host and the day partitions the rows fall in.
        _ = try store.insert([], host: Device(hostname: "raw", uid: "raw"), receivedAt: 0)
        let db = try PostgresConnection(conninfo)
        let hostID = try db.query("SELECT id FROM hosts WHERE uid = 'raw'").first?.first.flatMap { $0 } ?? "1"
        for day in Set(rows.map { $0.time / 86_400_000 }) {
            try db.execute(
                "CREATE TABLE IF NOT EXISTS events_d\(day) PARTITION OF events FOR VALUES FROM (\(day * 86_400_000)) TO (\((day + 1) * 86_400_000))"
            )
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var index = 0
        while index < rows.count {
            let end = min(rows.count, index + 100)
            try db.transaction {
                try db.copy(
                    into: "events",
                    columns: [
                        "host_id", "uid", "time", "received", "class_uid", "activity_id", "severity_id", "cmd_line",
                        "json",
                    ],
                    rows: rows[index..<end].map {
                        [hostID, $0.uid, String($0.time), "0", "1007", "1", "1", $0.cmd, $0.json]
                    })
            }
            index = end
        }
        return Double(rows.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}

/// A minimal HTTP/1.1 keep-alive client on a blocking socket: one request at a time, Content-Length bodies.
final class KeepAliveClient {
    let fd: Int32
    var buffer: [UInt8] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Benchmarks.ServerBenchError(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw Benchmarks.ServerBenchError(description: "connect: errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    func post(_ path: String, headers: [(String, String)], body: [UInt8]) throws -> (Int, [UInt8]) {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes {
                send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw Benchmarks.ServerBenchError(description: "send: errno \(errno)") }
            sent += n
        }
        // Headers, then Content-Length bytes of body.
        var headerEnd: Int?
        while true {
            if headerEnd == nil, let end = find([13, 10, 13, 10]) { headerEnd = end + 4 }
            if let end = headerEnd {
                let text = String(decoding: buffer[0..<end], as: UTF8.self)
                let lines = text.split(separator: "\r\n")
                let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
                let length =
                    lines.compactMap { line -> Int? in
                        let parts = line.split(separator: ":", maxSplits: 1)
                        guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                        return Int(parts[1].trimmingCharacters(in: .whitespaces))
                    }.first ?? 0
                if buffer.count >= end + length {
                    let reply = Array(buffer[end..<end + length])
                    buffer.removeFirst(end + length)
                    return (status, reply)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw Benchmarks.ServerBenchError(description: "the server closed the connection") }
            buffer += chunk[0..<n]
        }
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where buffer[i] == pattern[0] {
            if Array(buffer[i..<i + pattern.count]) == pattern { return i }
        }
        return nil
    }
}
