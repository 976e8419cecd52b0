import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTestSupport

@Suite struct SQLiteEventStoreTests {
    static let web = Device(hostname: "web-01", uid: "machine-web", os: "Debian 12")
    static let db = Device(hostname: "db-01", uid: "machine-db", os: "Debian 12")

    static func event(
        _ id: String, time: Int64, _ classUID: EventClass = .processActivity, cmd: String = "ls"
    )
        -> Event
    {
        Event(
            id: id, classUID: classUID, activityID: 1, time: time, metadata: EventMetadata(logName: "proc"),
            process: Process(
                pid: 1, name: "ls", cmdLine: cmd, file: FileObject(path: "/usr/bin/ls"),
                user: User(uid: "1000", name: "alice")))
    }

    static func store() throws -> SQLiteEventStore { try SQLiteEventStore(database: try SQLiteDatabase.inMemory()) }

    @Test func insertsABatchAndCountsIt() throws {
        let store = try Self.store()
        let batch = (0..<50).map { Self.event("e\($0)", time: 1_700_000_000_000 + Int64($0)) }
        #expect(try store.insert(batch, host: Self.web, receivedAt: 1) == InsertResult(inserted: 50, duplicates: 0))
        #expect(try store.eventCount() == 50)
    }

    @Test func duplicatesByHostAndUIDAreDiscardedAndCounted() throws {
        let store = try Self.store()
        let first = (0..<5).map { Self.event("e\($0)", time: 1_000 + Int64($0)) }
        #expect(try store.insert(first, host: Self.web, receivedAt: 1) == InsertResult(inserted: 5, duplicates: 0))
        // The same batch again: all duplicates, nothing changes.
        #expect(try store.insert(first, host: Self.web, receivedAt: 2) == InsertResult(inserted: 0, duplicates: 5))
        // Overlapping batch: three old, two new.
        let overlap = (3..<8).map { Self.event("e\($0)", time: 1_000 + Int64($0)) }
        #expect(try store.insert(overlap, host: Self.web, receivedAt: 3) == InsertResult(inserted: 3, duplicates: 2))
        // A duplicate inside one batch.
        let twice = [Self.event("x", time: 5), Self.event("x", time: 6)]
        #expect(try store.insert(twice, host: Self.web, receivedAt: 4) == InsertResult(inserted: 1, duplicates: 1))
        // The same ids from another host are not duplicates.
        #expect(try store.insert(first, host: Self.db, receivedAt: 5) == InsertResult(inserted: 5, duplicates: 0))
        #expect(try store.eventCount() == 8 + 1 + 5)
    }

    @Test func aHostWithoutUIDIsKeyedByHostname() throws {
        let store = try Self.store()
        let bare = Device(hostname: "bare")
        #expect(try store.insert([Self.event("a", time: 1)], host: bare, receivedAt: 1).inserted == 1)
        #expect(try store.insert([Self.event("a", time: 1)], host: bare, receivedAt: 2).duplicates == 1)
        #expect(try store.recentEvents(classUID: nil, limit: 10).map(\.hostname) == ["bare"])
    }

    @Test func anEmptyBatchDoesNothing() throws {
        let store = try Self.store()
        #expect(try store.insert([], host: Self.web, receivedAt: 1) == InsertResult(inserted: 0, duplicates: 0))
        #expect(try store.eventCount() == 0)
        #expect(try store.recentEvents(classUID: nil, limit: 10).isEmpty)
    }

    @Test func recentEventsAreNewestFirstWithClassFilterAndLimit() throws {
        let store = try Self.store()
        let events = [
            Self.event("p1", time: 300), Self.event("f1", time: 500, .fileSystemActivity),
            Self.event("p2", time: 100), Self.event("p3", time: 400), Self.event("a1", time: 200, .authentication),
        ]
        _ = try store.insert(events, host: Self.web, receivedAt: 1)
        // Same time as p3, inserted later: ties go to the later row.
        _ = try store.insert([Self.event("p4", time: 400)], host: Self.db, receivedAt: 2)
        #expect(
            try store.recentEvents(classUID: nil, limit: 100).map(\.event.id) == ["f1", "p4", "p3", "p1", "a1", "p2"])
        #expect(
            try store.recentEvents(classUID: .processActivity, limit: 100).map(\.event.id) == ["p4", "p3", "p1", "p2"])
        #expect(try store.recentEvents(classUID: .processActivity, limit: 2).map(\.event.id) == ["p4", "p3"])
        #expect(try store.recentEvents(classUID: .authentication, limit: 5).map(\.event.id) == ["a1"])
        #expect(try store.recentEvents(classUID: .networkActivity, limit: 5).isEmpty)
        #expect(try store.recentEvents(classUID: nil, limit: 0).isEmpty)
        #expect(try store.recentEvents(classUID: nil, limit: -5).isEmpty)
        let hosts = try store.recentEvents(classUID: .processActivity, limit: 2).map(\.hostname)
        #expect(hosts == ["db-01", "web-01"])
    }

    @Test func anEventSurvivesTheJSONRoundTripUnchanged() throws {
        let event = try JSON.decoder().decode(Event.self, from: Fixtures.data("event-full.json"))
        #expect(event.unmapped?["nul"] == "a\u{0}b")
        let store = try Self.store()
        _ = try store.insert([event], host: Self.web, receivedAt: 9)
        let stored = try store.recentEvents(classUID: nil, limit: 1)
        #expect(stored.count == 1)
        #expect(stored.first?.event == event)
        #expect(stored.first?.hostname == "web-01")
    }

    @Test func dataPersistsAcrossReopen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("events.db")
        do {
            let store = try SQLiteEventStore(path: path)
            _ = try store.insert(
                [Self.event("keep", time: 1, cmd: "echo '); DROP TABLE events;--")], host: Self.web,
                receivedAt: 1)
        }
        let store = try SQLiteEventStore(path: path)
        #expect(try store.eventCount() == 1)
        #expect(
            try store.recentEvents(classUID: nil, limit: 1).first?.event.process?.cmdLine
                == "echo '); DROP TABLE events;--")
        #expect(try store.insert([Self.event("keep", time: 1)], host: Self.web, receivedAt: 2).duplicates == 1)
        let db = try SQLiteDatabase(path: path)
        #expect(try db.userVersion == SQLiteEventStore.migrations.count)
    }
}
