import Foundation
import Synchronization
import Testing
import VigilCore
import VigilLedger
import VigilServer
import VigilStore
import VigilTestSupport

/// Two server nodes on one PostgreSQL: agents spread across both, the job leader killed during ingest.
@Suite struct TwoNodeTests {
    static func node(_ conninfo: String) throws -> Server {
        let server = try Server(
            configuration: .init(
                http: .init(port: 0, threads: 2, connectionTimeout: 10), agentRate: 1000, agentBurst: 1000,
                checkpointSeconds: 0, jobInterval: .milliseconds(30)),
            store: try PostgresEventStore(conninfo: conninfo), rules: try BuiltinRules.ruleSet(),
            jobLock: PostgresJobLock(conninfo: conninfo))
        try server.start()
        return server
    }

    @Test func nothingAcknowledgedIsLostTheSignerMovesAndTheArchiveVerifies() throws {
        guard let cluster = try PostgresCluster.start() else {
            print(PostgresCluster.unavailableReason)
            return
        }
        defer { cluster.stop() }
        let a = try Self.node(cluster.conninfo)
        Thread.sleep(forTimeInterval: 0.2)
        let b = try Self.node(cluster.conninfo)
        defer { b.stop() }
        #expect(a.isJobLeader)
        #expect(!b.isJobLeader)

        // Eight agents, enrolled through either node, each sending to both nodes in turn.
        let hosts = (0..<8).map { Device(hostname: "host-\($0)", uid: "machine-\($0)") }
        let credentials = try hosts.enumerated().map { index, host in
            try ServerFixture.enroll(index % 2 == 0 ? a : b, host)
        }
        let acknowledged = Atomic<Int>(0)
        let aStopped = Atomic<Bool>(false)
        let now = SystemClock().nowMilliseconds()
        DispatchQueue.concurrentPerform(iterations: hosts.count) { agent in
            for round in 0..<30 {
                let events = (0..<20).map { i -> Event in
                    var event = ServerEndToEndTests.event(
                        "a\(agent)-r\(round)-\(i)", cmd: i == 0 ? "useradd u\(round)" : "ls",
                        time: now - 1000, path: i == 0 ? "/usr/sbin/useradd" : "/bin/ls")
                    event.device = hosts[agent]
                    return event
                }
                guard let body = try? Zstd.compress(NDJSON.lines(events)) else { continue }
                // Retry on the other node when one does not answer (it was killed).
                for attempt in 0..<4 {
                    let useA = (round + agent + attempt) % 2 == 0 && !aStopped.load(ordering: .acquiring)
                    let port = useA ? a.port : b.port
                    guard
                        let response = try? RawHTTPClient.request(
                            port: port, method: "POST", path: "/api/v1/events",
                            headers: NDJSON.headers + [("Authorization", "Bearer \(credentials[agent])")], body: body),
                        response.status == 200,
                        let ack = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Int]
                    else { continue }
                    // A batch whose first answer was lost comes back as duplicates: acknowledged either way.
                    acknowledged.add((ack["accepted"] ?? 0) + (ack["duplicates"] ?? 0), ordering: .relaxed)
                    break
                }
                if agent == 0 && round == 10 {
                    // Node A dies mid-ingest: its job lock session is cut (as when the process is killed), then
                    // its HTTP server goes away.
                    if let killer = try? PostgresConnection(cluster.conninfo) {
                        let killed = try? killer.query(
                            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                + "AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1",
                            [
                                String(PostgresJobLock.defaultKey >> 32),
                                String(PostgresJobLock.defaultKey & 0xffff_ffff),
                            ])
                        #expect(killed?.first?.first == "t", "the job leader's lock session was found and cut")
                    }
                    aStopped.store(true, ordering: .releasing)
                    a.stop()
                }
            }
        }
        let store = try PostgresEventStore(conninfo: cluster.conninfo)
        #expect(acknowledged.load(ordering: .acquiring) == hosts.count * 30 * 20)
        #expect(try store.eventCount() == hosts.count * 30 * 20)
        // B took over the jobs: the outbox drains and a checkpoint covers everything.
        var drained = false
        for _ in 0..<500 {
            let size = try store.ledgerSize()
            if b.isJobLeader, try store.ledgerOutboxCount() == 0, try store.ledgerCheckpoints().last?.size == size {
                drained = true
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(drained)
        #expect(b.isJobLeader)
        let alerts = try store.alerts(limit: 100)
        #expect(alerts.count == hosts.count)
        #expect(alerts.allSatisfy { $0.repeatCount == 30 })
        // Every event and alert once; the rest of the log is the access log's rows (enrollments).
        #expect(try ArchiveCount.of(store, kinds: ["event", "alert"]) == hosts.count * 30 * 21)
        #expect(
            try store.ledgerSize()
                == UInt64(hosts.count * 30 * 21 + (try ArchiveCount.of(store, kinds: ["access"]))))
        let export = NSTemporaryDirectory() + "vigil-two-node-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: export) }
        try b.archivist.export(to: export)
        let report = try Archive.verify(directory: export, keys: [try NoteVerifierKey(b.archivist.verifierKey)])
        #expect(report.failures.isEmpty)
        #expect(report.entries == (try store.ledgerSize()))
        #expect(a.archivist.verifierKey == b.archivist.verifierKey)
    }
}
