import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTestSupport

/// The dashboard's reads, one behaviour on both engines.
enum DashboardQueriesConformance {
    static let base: Int64 = 1_796_342_400_000  // 2026-12-04T00:00:00Z
    static let hour: Int64 = 3_600_000

    static func event(
        _ id: String, _ time: Int64, _ eventClass: EventClass = .processActivity, user: String? = "root",
        exe: String? = "/usr/bin/tool", cmd: String? = nil, file: String? = nil, severity: Severity = .informational
    ) -> Event {
        Event(
            id: id, classUID: eventClass, activityID: 1, time: time, severityID: severity,
            metadata: EventMetadata(logName: "test"),
            process: Process(pid: 1, cmdLine: cmd, file: exe.map { FileObject(path: $0) }, user: User(name: user)),
            file: file.map { FileObject(path: $0) })
    }

    static func check(_ store: any EventStore & DashboardQueries) throws {
        let alpha = Device(hostname: "alpha", uid: "machine-a", os: "Debian 12")
        let beta = Device(hostname: "beta", uid: "machine-b")
        let a: [Event] = [
            event("a1", base + 1_000, cmd: "curl https://example.net"),
            event("a2", base + 2_000, user: "alice", exe: "/usr/bin/CURL", cmd: "CURL -v"),
            event("a3", base + 2_000, .fileSystemActivity, user: "alice", file: "/etc/shadow", severity: .high),
            event("a4", base + hour + 5, .networkActivity, user: "bob", cmd: "100% done_ok"),
            event("a5", base + 3 * hour, .authentication, user: nil, exe: nil, severity: .medium),
        ]
        let b: [Event] = [
            event("b1", base + 2_000, user: "alice", cmd: "ls"),
            event("b2", base + 2 * hour, cmd: "100x done-ok", severity: .critical),
        ]
        _ = try store.insert(a, host: alpha, receivedAt: base + 4 * hour)
        _ = try store.insert(b, host: beta, receivedAt: base + 5 * hour)

        let hosts = try store.hosts()
        #expect(hosts.map(\.hostname) == ["alpha", "beta"])
        #expect(hosts[0].uid == "machine-a" && hosts[0].os == "Debian 12" && hosts[1].os == nil)
        #expect(hosts[0].lastSeen == base + 4 * hour && hosts[1].firstSeen == base + 5 * hour)
        let alphaID = hosts[0].id
        let betaID = hosts[1].id
        #expect(try store.host(id: betaID)?.hostname == "beta")
        #expect(try store.host(id: 987_654) == nil)

        func ids(_ query: EventQuery) throws -> [String] { try store.searchEvents(query).events.map(\.event.id) }
        // Newest first; equal times in the order stored.
        #expect(try ids(EventQuery()) == ["a5", "b2", "a4", "a2", "a3", "b1", "a1"])
        #expect(try ids(EventQuery(hostID: betaID)) == ["b2", "b1"])
        #expect(try ids(EventQuery(user: "alice")) == ["a2", "a3", "b1"])
        #expect(try ids(EventQuery(user: "ALICE")).isEmpty)  // user names are exact
        #expect(try ids(EventQuery(process: "curl")) == ["a2"])  // part of the path, any case
        #expect(try ids(EventQuery(classes: [.fileSystemActivity, .authentication])) == ["a5", "a3"])
        #expect(try ids(EventQuery(text: "curl")) == ["a2", "a1"])
        #expect(try ids(EventQuery(text: "SHADOW")) == ["a3"])  // anywhere in the JSON
        // % and _ are literal characters, not patterns.
        #expect(try ids(EventQuery(text: "100%")) == ["a4"])
        #expect(try ids(EventQuery(text: "done_ok")) == ["a4"])
        #expect(try ids(EventQuery(text: "'; DROP TABLE events; --")).isEmpty)
        #expect(try ids(EventQuery(from: base + 2_000, until: base + 2 * hour)) == ["a4", "a2", "a3", "b1"])
        #expect(try ids(EventQuery(hostID: alphaID, user: "alice", classes: [.processActivity])) == ["a2"])
        let first = try store.searchEvents(EventQuery(hostID: alphaID, limit: 2))
        #expect(first.events.map(\.hostID) == [alphaID, alphaID])
        #expect(first.events.map(\.hostname) == ["alpha", "alpha"])
        #expect(first.events.first?.event == a[4])

        // Paging by cursor visits every event once, in order, for every page size.
        let all = try ids(EventQuery())
        for size in 1...8 {
            var seen: [String] = []
            var cursor: EventCursor? = nil
            var pages = 0
            repeat {
                let page = try store.searchEvents(EventQuery(before: cursor, limit: size))
                seen += page.events.map(\.event.id)
                cursor = page.next
                pages += 1
            } while cursor != nil && pages < 20
            #expect(seen == all, "page size \(size)")
            #expect(pages == (all.count + size - 1) / size, "page size \(size)")
        }

        // Statistics: hourly buckets from midnight; lower bound inclusive, upper exclusive.
        let day = try store.eventStatistics(from: base, bucketMilliseconds: hour, buckets: 3, hostID: nil)
        #expect(day.total == 6)  // a5 at 03:00 is outside 00:00–03:00
        #expect(day.bySeverity.count == 3)
        #expect(day.bySeverity[0] == [0, 3, 0, 0, 1, 0, 0])
        #expect(day.bySeverity[1] == [0, 1, 0, 0, 0, 0, 0])
        #expect(day.bySeverity[2] == [0, 0, 0, 0, 0, 1, 0])
        #expect(day.byClass == [1007: 4, 1001: 1, 4001: 1])
        #expect(day.byHost == [alphaID: 4, betaID: 2])
        let justBeta = try store.eventStatistics(from: base, bucketMilliseconds: hour, buckets: 24, hostID: betaID)
        #expect(justBeta.byHost == [betaID: 2] && justBeta.total == 2)
        let late = try store.eventStatistics(from: base + 1_000 + 1, bucketMilliseconds: hour, buckets: 3, hostID: nil)
        #expect(late.total == 6)  // a1 just before; a5 at 03:00:00 just inside (…+1 ms + 3 h)
        #expect(
            try store.eventStatistics(from: base - 10 * hour, bucketMilliseconds: hour, buckets: 5, hostID: nil).total
                == 0)

        // Whole days over every host come from the daily counts the triggers keep: the same numbers as
        // counting the events, and an agent's retry (all duplicates) counts nothing twice.
        _ = try store.insert(a, host: alpha, receivedAt: base + 6 * hour)
        let days = try store.eventStatistics(from: base, bucketMilliseconds: 86_400_000, buckets: 2, hostID: nil)
        #expect(days.total == 7)
        #expect(days.bySeverity == [[0, 4, 0, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0, 0]])
        #expect(days.byClass == [1007: 4, 1001: 1, 4001: 1, 3002: 1])
        #expect(days.byHost == [alphaID: 5, betaID: 2])
        let counted = try store.eventStatistics(
            from: base - 1, bucketMilliseconds: 86_400_000, buckets: 1, hostID: nil)
        #expect(counted.byClass == days.byClass && counted.byHost == days.byHost)
        let later = [event("a6", base + 86_400_000 + 7, severity: .low)]
        _ = try store.insert(later, host: beta, receivedAt: base + 86_400_000 + 8)
        let both = try store.eventStatistics(from: base, bucketMilliseconds: 86_400_000, buckets: 2, hostID: nil)
        #expect(both.bySeverity[1] == [0, 0, 1, 0, 0, 0, 0] && both.byHost[betaID] == 3)
        #expect(
            try store.eventStatistics(from: base + 86_400_000, bucketMilliseconds: 86_400_000, buckets: 1, hostID: nil)
                .total == 1)
    }
}

@Suite struct DashboardQueriesTests {
    @Test func sqlite() throws {
        try DashboardQueriesConformance.check(try SQLiteEventStore(database: try .inMemory()))
    }

    @Test func postgres() throws {
        guard let cluster = try PostgresCluster.start() else {
            print(PostgresCluster.unavailableReason)
            return
        }
        defer { cluster.stop() }
        try DashboardQueriesConformance.check(try PostgresEventStore(conninfo: cluster.conninfo))
    }

    @Test(arguments: ["", "1", "1.", ".1", "a.b", "1.2.3", "1.-2", "9999999999999999999999.1", " 1.2", "1,2"])
    func cursorTextIsStrict(text: String) {
        #expect(EventCursor(text: text) == nil, "\(text)")
    }

    @Test func cursorRoundTrips() {
        for cursor in [
            EventCursor(time: 0, rowID: 0), EventCursor(time: 1_796_342_400_000, rowID: 42),
            EventCursor(time: -5, rowID: Int64.max),
        ] {
            #expect(EventCursor(text: cursor.text) == cursor)
        }
    }

    @Test func theHostTimelineAndUserFiltersUseTheirIndexes() throws {
        let store = try SQLiteEventStore(database: try .inMemory())
        let plan = { (query: EventQuery) in try store.queryPlan(query).joined(separator: " | ") }
        #expect(
            try plan(EventQuery(hostID: 1, classes: [.processActivity, .authentication])).contains("events_host_time"))
        #expect(try plan(EventQuery(user: "alice")).contains("events_user_time"))
        #expect(try plan(EventQuery()).contains("events_time"))
        #expect(!(try plan(EventQuery(hostID: 1))).contains("SCAN events"))
        // Newest first walks the indexes as they are ordered: no sort step for the common filters.
        for query in [
            EventQuery(), EventQuery(hostID: 1), EventQuery(user: "alice"), EventQuery(from: 5),
            EventQuery(classes: [.processActivity]), EventQuery(before: EventCursor(time: 9, rowID: 3)),
        ] {
            #expect(!(try plan(query)).contains("TEMP B-TREE"), "\(query)")
        }
    }
}
