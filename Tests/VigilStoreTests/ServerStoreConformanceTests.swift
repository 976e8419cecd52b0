import Foundation
import Synchronization
import Testing
import VigilCore
import VigilStore
import VigilTestSupport

/// One behaviour, two engines: every `ServerStore` must pass `ServerStoreConformance.check`.
enum ServerStoreConformance {
    static let base = EventStoreConformance.base
    static let day = EventStoreConformance.day

    static func hash(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 32) }

    static func check(_ store: any ServerStore) throws {
        try enrollment(store)
        try ingest(store)
        try ledger(store)
        try securityLogSecretsAndRetention(store)
    }

    static func enrollment(_ store: any ServerStore) throws {
        try store.addEnrollmentToken(id: "t1", sha256: hash(1), uses: 2, expiresAt: base + 1000, createdAt: base)
        try store.addEnrollmentToken(id: "t2", sha256: hash(2), uses: 1, expiresAt: nil, createdAt: base)
        func agent(_ id: String, host: String) -> AgentRecord {
            AgentRecord(id: id, hostUID: host, hostname: "h-\(host)", secretSHA256: hash(9), enrolledAt: base + 1)
        }
        #expect(try store.enroll(tokenSHA256: hash(1), agent: agent("a1", host: "m1"), now: base + 1) == nil)
        #expect(try store.enroll(tokenSHA256: hash(1), agent: agent("a2", host: "m2"), now: base + 2) == nil)
        #expect(try store.enroll(tokenSHA256: hash(1), agent: agent("a3", host: "m3"), now: base + 3) == .used)
        #expect(try store.enroll(tokenSHA256: hash(2), agent: agent("a4", host: "m4"), now: base + 10) == nil)
        #expect(try store.enroll(tokenSHA256: hash(2), agent: agent("a5", host: "m5"), now: base + 10) == .used)
        #expect(try store.enroll(tokenSHA256: hash(7), agent: agent("a6", host: "m6"), now: base) == .unknown)
        try store.addEnrollmentToken(id: "t3", sha256: hash(3), uses: 5, expiresAt: base + 1000, createdAt: base)
        #expect(try store.enroll(tokenSHA256: hash(3), agent: agent("a7", host: "m7"), now: base + 1000) == .expired)
        #expect(try store.agents().map(\.id) == ["a1", "a2", "a4"])
        let a1 = try #require(try store.agent(id: "a1"))
        #expect(a1 == agent("a1", host: "m1"))
        #expect(try store.agent(id: "a3") == nil)
        #expect(try store.revokeAgent(id: "a1", at: base + 50))
        #expect(try store.revokeAgent(id: "a1", at: base + 60))
        #expect(try store.agent(id: "a1")?.revokedAt == base + 50)
        #expect(try !store.revokeAgent(id: "nobody", at: base))
    }

    static func ingest(_ store: any ServerStore) throws {
        let host = Device(hostname: "alpha", uid: "machine-a")
        let hostile = "'; DROP TABLE alerts; -- <script>alert(1)</script>\t\\N"
        let events = (0..<5).map {
            EventStoreConformance.event("i\($0)", time: base + Int64($0) + ($0 == 4 ? day : 0), cmd: hostile)
        }
        let json = try events.map { try JSON.line($0) }
        @Sendable func detect(_ indexes: [Int]) -> (alerts: [AlertDraft], alertEntries: [[UInt8]]) {
            let alerts = indexes.filter { $0 % 2 == 0 }.map { index in
                AlertDraft(
                    ruleID: "r1", ruleTitle: "Rule \(hostile)", level: "high", hostUID: "machine-a",
                    eventUIDs: ["i\(index)"], time: base + Int64(index), fields: ["CommandLine": hostile],
                    dedupKey: "rule|r1|machine-a")
            }
            return (alerts, alerts.map { Array("{\"alert\":\"\($0.eventUIDs[0])\"}".utf8) })
        }
        let seen = Mutex<[[Int]]>([])
        let first = try store.ingest(events, json: json, host: host, receivedAt: base + 100) { indexes in
            seen.withLock { $0.append(indexes) }
            return detect(indexes)
        }
        #expect(first == InsertResult(inserted: 5, duplicates: 0))
        // Resent with one new event: only the new one reaches detection.
        let more = events + [EventStoreConformance.event("i5", time: base + 5, cmd: "new")]
        let second = try store.ingest(
            more, json: try more.map { try JSON.line($0) }, host: host, receivedAt: base + 200
        ) { indexes in
            seen.withLock { $0.append(indexes) }
            return detect(indexes)
        }
        #expect(second == InsertResult(inserted: 1, duplicates: 5))
        #expect(seen.withLock { $0 } == [[0, 1, 2, 3, 4], [5]])
        // Three detections of one open alert: one row, counted.
        let alerts = try store.alerts(limit: 10)
        #expect(alerts.count == 1)
        #expect(alerts.first?.repeatCount == 3)
        #expect(alerts.first?.status == "open")
        #expect(alerts.first?.draft.eventUIDs == ["i0"])
        #expect(alerts.first?.draft.fields == ["CommandLine": hostile])
        #expect(alerts.first?.draft.ruleTitle == "Rule \(hostile)")
        #expect(alerts.first?.lastTime == base + 4)
        // Outbox: six events then their three alert entries, in order, bytes as given.
        let outbox = try store.ledgerOutbox(limit: 100)
        #expect(
            outbox.map(\.item.kind) == [
                "event", "event", "event", "event", "event", "alert", "alert", "alert", "event",
            ])
        #expect(outbox.first?.item.ref == "machine-a/i0")
        #expect(outbox.first?.item.entry == Array(json[0].utf8))
        #expect(outbox.map(\.id) == outbox.map(\.id).sorted())
        #expect(try store.ledgerOutboxCount() == 9)
        let stored = try store.recentEvents(classUID: nil, limit: 10)
        #expect(stored.filter { $0.event.process?.cmdLine == hostile }.count == 5)
    }

    static func ledger(_ store: any ServerStore) throws {
        let outbox = try store.ledgerOutbox(limit: 4)
        #expect(try store.ledgerSize() == 0)
        // Four entries complete nodes at positions 0..<7 (2·4 − popcount(4)).
        let nodes = (0..<7).flatMap { hash(UInt8(100 + $0)) }
        try store.ledgerAppend(
            firstIndex: 0, items: outbox.map(\.item), firstPosition: 0, nodes: nodes, outboxIDs: outbox.map(\.id))
        #expect(try store.ledgerSize() == 4)
        #expect(try store.ledgerOutboxCount() == 5)
        // Another node appending at a stale size is refused and changes nothing.
        #expect {
            try store.ledgerAppend(firstIndex: 2, items: [outbox[0].item], firstPosition: 3, nodes: [], outboxIDs: [])
        } throws: { ($0 as? StoreError)?.code == "ledger.moved" }
        #expect(try store.ledgerSize() == 4)
        let rest = try store.ledgerOutbox(limit: 10)
        try store.ledgerAppend(
            firstIndex: 4, items: [rest[0].item], firstPosition: 7, nodes: hash(200), outboxIDs: [rest[0].id])
        #expect(try store.ledgerNodes([0, 6, 3, 7]) == [hash(100), hash(106), hash(103), hash(200)])
        #expect {
            try store.ledgerNodes([8])
        } throws: { ($0 as? StoreError)?.code == "ledger.node-missing" }
        #expect(try store.ledgerEntry(0) == outbox[0].item)
        #expect(try store.ledgerEntry(4) == rest[0].item)
        #expect(try store.ledgerEntry(5) == nil)
        #expect(try store.ledgerIndex(kind: "event", ref: "machine-a/i2") == 2)
        #expect(try store.ledgerIndex(kind: "event", ref: "machine-b/i2") == nil)
        try store.addLedgerCheckpoint(size: 4, note: Array("note 4\n".utf8), at: base)
        try store.addLedgerCheckpoint(size: 2, note: Array("note 2\n".utf8), at: base)
        try store.addLedgerCheckpoint(size: 4, note: Array("note 4 cosigned\n".utf8), at: base + 1)
        let checkpoints = try store.ledgerCheckpoints()
        #expect(checkpoints.map(\.size) == [2, 4])
        #expect(checkpoints.last?.note == Array("note 4 cosigned\n".utf8))
        // Another table joins the archive through the same outbox.
        try store.enqueueLedger([LedgerItem(kind: "access", ref: "42", entry: Array(#"{"who":"alice"}"#.utf8))])
        #expect(try store.ledgerOutbox(limit: 100).last?.item.kind == "access")
    }

    static func securityLogSecretsAndRetention(_ store: any ServerStore) throws {
        try store.logSecurity(
            SecurityRecord(time: base, kind: "auth.revoked", agentID: "a1", remote: "::1", detail: "x"))
        try store.logSecurity(SecurityRecord(time: base + day * 400, kind: "enroll.used", detail: "<b>'; --"))
        let log = try store.securityLog(limit: 10)
        #expect(log.map(\.kind) == ["enroll.used", "auth.revoked"])
        #expect(log.first?.detail == "<b>'; --")
        #expect(log.last?.remote == "::1")
        var made = 0
        let first = try store.serverSecret("k") {
            made += 1
            return "one"
        }
        let second = try store.serverSecret("k") {
            made += 1
            return "two"
        }
        #expect(first == "one" && second == "one" && made == 1)
        let before = try store.eventCount()
        // Retention: events before base + 3 (three of them, all on the first day) go; the next day's stay.
        #expect(try store.deleteEvents(before: base + 3) == 3)
        #expect(try store.eventCount() == before - 3)
        #expect(try store.deleteEvents(before: base + 2 * day) == before - 3)
        #expect(try store.eventCount() == 0)
        #expect(try store.deleteOld(alertsBefore: base + 2 * day, securityLogBefore: base + day) == 1)
        #expect(try store.securityLog(limit: 10).map(\.kind) == ["enroll.used"])
        // The archive is kept whatever the retention (it proves the deleted events existed).
        #expect(try store.ledgerSize() == 5)
    }
}

@Suite struct ServerStoreConformanceTests {
    @Test func sqlite() throws {
        try ServerStoreConformance.check(try SQLiteEventStore(database: try .inMemory()))
    }

    @Test func postgres() throws {
        guard let cluster = try PostgresCluster.start() else {
            print(PostgresCluster.unavailableReason)
            return
        }
        defer { cluster.stop() }
        let store = try PostgresEventStore(conninfo: cluster.conninfo)
        try ServerStoreConformance.check(store)
        // The server ends the store's sessions (a restart, a failover): the next call fails, the one after works.
        let admin = try PostgresConnection(cluster.conninfo)
        let killed = try admin.query(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                + "AND backend_type = 'client backend'")
        #expect(killed.first?.first == "2")
        #expect(throws: StoreError.self) { try store.eventCount() }
        #expect(try store.eventCount() == 0)
        #expect(throws: StoreError.self) { try store.agent(id: "a2") }
        #expect(try store.agent(id: "a2")?.hostUID == "m2")
    }
}
