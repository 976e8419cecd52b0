import Foundation
import VigilCore
import VigilStore

/// The dashboard's data layer: the only code that asks the store anything for a page. It turns request
/// parameters into store queries and store results into view models; the pages never see the store.
/// (Re-point these functions when the store grows alert, finding or archive tables.)
struct DashboardData: Sendable {
    let queries: any DashboardQueries
    let clock: any Clock

    /// A host counts as online when its agent sent something this recently.
    static let onlineWindow: Int64 = 10 * PageKit.minute
    static let pageSize = 100
    static let timelinePageSize = 50

    // MARK: Overview

    func overview() throws -> OverviewModel {
        let now = clock.nowMilliseconds()
        let hosts = try queries.hosts()
        let hourStart = now - now % PageKit.hour - 23 * PageKit.hour
        let dayStart = now - now % PageKit.day - 29 * PageKit.day
        let hourly = try queries.eventStatistics(
            from: hourStart, bucketMilliseconds: PageKit.hour, buckets: 24, hostID: nil)
        let daily = try queries.eventStatistics(
            from: dayStart, bucketMilliseconds: PageKit.day, buckets: 30, hostID: nil)
        // "Last 24 h" in the tables is the hourly window (the current hour and the 23 before it).
        let names = Dictionary(hosts.map { ($0.id, $0.hostname) }, uniquingKeysWith: { first, _ in first })
        let byClass = Set(daily.byClass.keys).union(hourly.byClass.keys).map { uid in
            CountRow(
                label: EventClass(rawValue: uid)?.name ?? "class \(uid)",
                href: PageKit.link("/events", [("class", String(uid)), ("range", "30d")]),
                day: hourly.byClass[uid] ?? 0, month: daily.byClass[uid] ?? 0)
        }
        let byHost = Set(daily.byHost.keys).union(hourly.byHost.keys).map { id in
            CountRow(
                label: names[id] ?? "host \(id)", href: "/hosts/\(id)", day: hourly.byHost[id] ?? 0,
                month: daily.byHost[id] ?? 0)
        }
        let rows = hosts.map { Self.hostRow($0, now: now, events24h: hourly.byHost[$0.id] ?? 0) }
        return OverviewModel(
            now: now, hostsTotal: hosts.count, hostsOnline: rows.filter(\.online).count, events24h: hourly.total,
            events30d: daily.total,
            hourly: Self.bars(hourly, label: PageKit.hourMinute),
            daily: Self.bars(daily, label: { String(PageKit.date($0).dropFirst(5)) }),
            byClass: byClass.sorted { ($0.month, $0.day, $1.label) > ($1.month, $1.day, $0.label) },
            byHost: Array(byHost.sorted { ($0.month, $0.day, $1.label) > ($1.month, $1.day, $0.label) }.prefix(20)),
            silentHosts: rows.filter { !$0.online })
    }

    static func bars(_ statistics: EventStatistics, label: (Int64) -> String) -> [Charts.StackedBar] {
        statistics.bySeverity.enumerated().map { index, counts in
            let start = statistics.from + Int64(index) * statistics.bucketMilliseconds
            return Charts.StackedBar(
                label: label(start), counts: counts,
                href: PageKit.link(
                    "/events",
                    [
                        ("from", PageKit.inputTime(start)),
                        ("to", PageKit.inputTime(start + statistics.bucketMilliseconds)),
                    ]))
        }
    }

    static func hostRow(_ host: VigilStore.HostRecord, now: Int64, events24h: Int) -> HostRow {
        HostRow(
            id: host.id, hostname: host.hostname, uid: host.uid, os: host.os ?? "", firstSeen: host.firstSeen,
            lastSeen: host.lastSeen, online: now - host.lastSeen <= onlineWindow, events24h: events24h)
    }

    // MARK: Events

    /// Reads the events form (`host`, `user`, `process`, `class`, `q`, `range`, `from`, `to`, `before`) into a
    /// store query; values that cannot be read become messages and do not filter.
    static func eventQuery(
        _ parameters: [String: String], now: Int64
    ) -> (VigilStore.EventQuery, EventFilterForm, [String]) {
        func value(_ name: String) -> String {
            (parameters[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var form = EventFilterForm(
            host: value("host"), user: value("user"), process: value("process"), classUID: value("class"),
            text: value("q"), from: value("from"), to: value("to"), range: value("range"))
        var errors: [String] = []
        var query = VigilStore.EventQuery(limit: pageSize)
        if !form.host.isEmpty {
            if let id = Int64(form.host) {
                query.hostID = id
            } else {
                errors.append("Host must be a host id."); form.host = ""
            }
        }
        if !form.user.isEmpty { query.user = form.user }
        if !form.process.isEmpty { query.process = form.process }
        if !form.text.isEmpty { query.text = form.text }
        if !form.classUID.isEmpty {
            if let uid = Int(form.classUID), let eventClass = EventClass(rawValue: uid) {
                query.classes = [eventClass]
            } else {
                errors.append("Class \(form.classUID) is not an event class; pick one from the list.")
                form.classUID = ""
            }
        }
        let window = PageKit.timeWindow(range: &form.range, from: form.from, to: form.to, now: now, errors: &errors)
        if let from = window.from { query.from = from }
        if let until = window.until { query.until = until }
        if let before = parameters["before"], !before.isEmpty {
            if let cursor = EventCursor(text: before) {
                query.before = cursor
            } else {
                errors.append("The page position is not valid; start again from the newest events.")
            }
        }
        return (query, form, errors)
    }

    func events(_ parameters: [String: String]) throws -> EventsPageModel {
        let now = clock.nowMilliseconds()
        let (query, form, errors) = Self.eventQuery(parameters, now: now)
        let page = try queries.searchEvents(query)
        let hosts = try queries.hosts().map { HostOption(id: $0.id, hostname: $0.hostname) }
        return EventsPageModel(
            now: now, form: form, errors: errors, hosts: hosts, rows: page.events.map(Self.row),
            nextCursor: page.next?.text, paged: query.before != nil)
    }

    static func row(_ found: FoundEvent) -> EventRow {
        EventRow(rowID: found.rowID, hostID: found.hostID, hostname: found.hostname, event: found.event)
    }

    // MARK: Hosts

    func hosts() throws -> HostsPageModel {
        let now = clock.nowMilliseconds()
        let counts = try queries.eventStatistics(
            from: now - PageKit.day + 1, bucketMilliseconds: PageKit.day, buckets: 1, hostID: nil)
        let rows = try queries.hosts().map { Self.hostRow($0, now: now, events24h: counts.byHost[$0.id] ?? 0) }
        return HostsPageModel(now: now, hosts: rows)
    }

    /// The host page, or nil when there is no such host.
    func host(id: Int64, parameters: [String: String]) throws -> HostPageModel? {
        let now = clock.nowMilliseconds()
        guard let record = try queries.host(id: id) else { return nil }
        let hourStart = now - now % PageKit.hour - 23 * PageKit.hour
        let hourly = try queries.eventStatistics(
            from: hourStart, bucketMilliseconds: PageKit.hour, buckets: 24, hostID: id)
        let kind = parameters["kind"].flatMap(TimelineKind.init(rawValue:)).flatMap { $0 == .other ? nil : $0 }
        let cursor = parameters["before"].flatMap(EventCursor.init(text:))
        let timeline = try queries.searchEvents(
            VigilStore.EventQuery(
                hostID: id, classes: kind?.classes ?? TimelineKind.timelineClasses, before: cursor,
                limit: Self.timelinePageSize))
        let recent = try queries.searchEvents(VigilStore.EventQuery(hostID: id, limit: 200)).events
        let latestDevice = recent.first?.event.device
        let sensors = Set(recent.compactMap { $0.event.metadata.logName }).sorted()
        var kindCounts: [TimelineKind: Int] = [:]
        for kind in TimelineKind.allCases {
            kindCounts[kind] = kind.classes.reduce(0) { $0 + (hourly.byClass[$1.rawValue] ?? 0) }
        }
        let row = Self.hostRow(record, now: now, events24h: hourly.total)
        var facts: [(String, String)] = [
            ("Hostname", record.hostname), ("Machine id", record.uid), ("Operating system", record.os ?? "unknown"),
        ]
        if let ip = latestDevice?.ip { facts.append(("Address", ip)) }
        facts += [
            ("Status", row.online ? "online" : "silent for \(PageKit.age(record.lastSeen, now: now))"),
            ("Last seen", PageKit.time(record.lastSeen) + " UTC"),
            ("First seen", PageKit.time(record.firstSeen) + " UTC"),
            ("Sensors (recent events)", sensors.isEmpty ? "none yet" : sensors.joined(separator: ", ")),
            ("Events, last 24 h", PageKit.count(hourly.total)),
        ]
        return HostPageModel(
            now: now, host: row, facts: facts, hourly: hourly.bySeverity.map { $0.reduce(0, +) },
            hourLabels: (0..<24).map { PageKit.hourMinute(hourStart + Int64($0) * PageKit.hour) }, kind: kind,
            kindCounts: kindCounts, timeline: timeline.events.map(Self.row), nextCursor: timeline.next?.text,
            paged: cursor != nil)
    }

    // MARK: File integrity

    func fileIntegrity(_ parameters: [String: String]) throws -> FileIntegrityModel {
        let now = clock.nowMilliseconds()
        let cursor = parameters["before"].flatMap(EventCursor.init(text:))
        let page = try queries.searchEvents(
            VigilStore.EventQuery(classes: [.fileSystemActivity], before: cursor, limit: Self.pageSize))
        return FileIntegrityModel(
            now: now, rows: page.events.map(Self.row), nextCursor: page.next?.text, paged: cursor != nil)
    }
}
