import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTestSupport

/// One behaviour, two engines: every `EventStore` must pass `EventStoreConformance.check`.
enum EventStoreConformance {
    static let day: Int64 = 86_400_000
    static let base: Int64 = 1_764_720_000_000  // 2025-12-03T00:00:00Z

    static func event(_ id: String, time: Int64, cmd: String, classUID: EventClass = .processActivity) -> Event {
        Event(
            id: id, classUID: classUID, activityID: 1, time: time,
            metadata: EventMetadata(logName: "test"),
            process: Process(pid: 42, cmdLine: cmd, file: FileObject(path: "/usr/bin/tool"), user: User(uid: "0", name: "root")))
    }

    static func check(_ store: any EventStore) throws {
        let hostA = Device(hostname: "alpha", uid: "machine-a", os: "Debian 12")
        let hostB = Device(hostname: "beta", uid: "machine-b")
        let hostile = [
            "'; DROP TABLE events; --",
            "<script>alert(1)</script>",
            "tab\there\nnewline\\backslash \\N",
            "unicode ✓ 日本語",
        ]
        let batch = [
            event("e1", time: base + 1_000, cmd: hostile[0]),
            event("e2", time: base + day + 5, cmd: hostile[1]),  // the next day: another partition in PostgreSQL
            event("e3", time: base + 2_000, cmd: hostile[2]),
            event("e4", time: base + 3_000, cmd: hostile[3], classUID: .networkActivity),
        ]
        #expect(try store.insert(batch, host: hostA, receivedAt: base + 10) == InsertResult(inserted: 4, duplicates: 0))
        // The same batch again (an agent retrying after a lost acknowledgement): all duplicates.
        #expect(try store.insert(batch, host: hostA, receivedAt: base + 20) == InsertResult(inserted: 0, duplicates: 4))
        // Part old, part new.
        let mixed = [batch[0], event("e5", time: base + 4_000, cmd: "new")]
        #expect(try store.insert(mixed, host: hostA, receivedAt: base + 30) == InsertResult(inserted: 1, duplicates: 1))
        // The same id from another host is another event.
        #expect(try store.insert([batch[0]], host: hostB, receivedAt: base + 40) == InsertResult(inserted: 1, duplicates: 0))
        // An empty batch still records the host and stores nothing.
        #expect(try store.insert([], host: hostB, receivedAt: base + 50) == InsertResult(inserted: 0, duplicates: 0))
        #expect(try store.eventCount() == 6)

        let recent = try store.recentEvents(classUID: nil, limit: 100)
        #expect(recent.map(\.event.id) == ["e2", "e5", "e4", "e3", "e1", "e1"])
        let processes = try store.recentEvents(classUID: .processActivity, limit: 100)
        #expect(!processes.contains { $0.event.id == "e4" })
        #expect(processes.count == 5)
        #expect(try store.recentEvents(classUID: nil, limit: 2).count == 2)
        #expect(try store.recentEvents(classUID: .authentication, limit: 10).isEmpty)
        // Hostile strings come back byte for byte, and the round trip keeps the whole event.
        for original in batch {
            let stored = recent.first { $0.event.id == original.id && $0.hostname == "alpha" }
            #expect(stored?.event == original)
        }
        #expect(Set(recent.map(\.hostname)) == ["alpha", "beta"])
    }
}

@Suite struct EventStoreConformanceTests {
    @Test func sqlite() throws {
        try EventStoreConformance.check(try SQLiteEventStore(database: try .inMemory()))
    }

    @Test func sqliteOnDisk() throws {
        let directory = NSTemporaryDirectory() + "vigil-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try EventStoreConformance.check(try SQLiteEventStore(path: "\(directory)/vigil.db"))
        // Reopening runs no migration twice and keeps the data.
        #expect(try SQLiteEventStore(path: "\(directory)/vigil.db").eventCount() == 6)
    }

    @Test func postgres() throws {
        guard let cluster = try PostgresCluster.start() else {
            print(PostgresCluster.unavailableReason)
            return
        }
        defer { cluster.stop() }
        try EventStoreConformance.check(try PostgresEventStore(conninfo: cluster.conninfo))
        // A second node on the same database: migrations are not repeated, data is shared.
        let second = try PostgresEventStore(conninfo: cluster.conninfo)
        #expect(try second.eventCount() == 6)

        // A database migrated by a newer Vigil is refused and left alone.
        let admin = try PostgresConnection(cluster.conninfo)
        try admin.execute("INSERT INTO vigil_schema (version) VALUES (999)")
        #expect {
            try PostgresEventStore(conninfo: cluster.conninfo)
        } throws: { error in
            (error as? StoreError)?.code == "store.newer-schema"
        }
        #expect(try admin.query("SELECT count(*) FROM events").first?.first == "6")
    }

    @Test func postgresConnectionErrorsNameTheTargetNotThePassword() throws {
        let port = 1  // nothing listens on port 1
        do {
            _ = try PostgresConnection("postgres://vigil:hunter2@127.0.0.1:\(port)/vigil?connect_timeout=2")
            Issue.record("connecting to a closed port succeeded")
        } catch let error as StoreError {
            #expect(error.code == "postgres.connect")
            #expect(error.message.contains("127.0.0.1:\(port)/vigil"))
            #expect(!error.message.contains("hunter2"))
        }
    }
}
