import Foundation
import Testing
import VigilCore
import VigilServer
import VigilStore
import VigilTestSupport

/// A server on port 0 over an SQLite store filled with a seeded fleet, for the dashboard's tests, and
/// (when a browser is installed) a chromedriver and session to look at it with.
final class DashboardFixture: @unchecked Sendable {
    /// 2026-12-04 15:20:00 UTC: a working afternoon, so the day's chart has its rhythm.
    static let now: Int64 = 1_796_397_600_000
    let directory: URL
    let store: SQLiteEventStore
    let server: Server
    let clock: FakeClock

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-dash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteEventStore(path: directory.appendingPathComponent("vigil.db").path)
        clock = FakeClock(milliseconds: Self.now)
        server = Server(
            configuration: .init(
                http: .init(port: 0, maxBodyBytes: 1 << 20, threads: 2, connectionTimeout: 10),
                agentToken: "dashboard-test-token"),
            store: store, clock: clock)
        try server.start()
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    var port: UInt16 { server.port }
    var origin: String { "http://127.0.0.1:\(port)" }

    /// A fleet of `hosts` hosts: `recent` events over the last day and `older` over the last 30 days. Every
    /// host reported a minute ago except the last, silent for three hours.
    func seed(hosts: Int = 6, recent: Int = 500, older: Int = 400, seed: UInt64 = 20_261_204) throws {
        var day = FleetGenerator(seed: seed, hosts: hosts, now: Self.now, span: 86_400_000)
        var month = FleetGenerator(seed: seed, hosts: hosts, now: Self.now - 86_400_000, span: 29 * 86_400_000)
        var byHost: [Int: [Event]] = [:]
        for (host, event) in day.events(count: recent) { byHost[host, default: []].append(event) }
        for (host, var event) in month.events(count: older) {
            event.id = "old-" + event.id
            byHost[host, default: []].append(event)
        }
        // Each host's events arrive in two batches: the older ones when it enrolled, a month ago (its first
        // sighting), the recent ones a minute ago (three hours ago for the silent host).
        for (index, device) in day.devices.enumerated() {
            let enrolled = Self.now - 30 * 86_400_000 + Int64(index) * 3_600_000
            let received = index == hosts - 1 ? Self.now - 3 * 3_600_000 : Self.now - 60_000
            let events = (byHost[index] ?? []).filter { $0.time <= received }
            _ = try store.insert(events.filter { $0.id.hasPrefix("old-") }, host: device, receivedAt: enrolled)
            _ = try store.insert(events.filter { !$0.id.hasPrefix("old-") }, host: device, receivedAt: received)
        }
    }

    func get(_ path: String) throws -> RawHTTPResponse { try RawHTTPClient.request(port: port, path: path) }

    /// The host's row id, by hostname.
    func hostID(_ hostname: String) throws -> Int64 {
        try #require(try store.hosts().first { $0.hostname == hostname }?.id)
    }
}

/// A running chromedriver and one session, or nil (the reason printed) where Chromium is not installed.
final class Browser: @unchecked Sendable {
    let driver: ChromeDriver
    let session: WebDriverSession

    private init(driver: ChromeDriver, session: WebDriverSession) {
        self.driver = driver
        self.session = session
    }

    static func start(test: String) throws -> Browser? {
        guard let driver = try ChromeDriver.start() else {
            print("\(ChromeDriver.unavailableReason) [\(test)]")
            return nil
        }
        do {
            return Browser(driver: driver, session: try WebDriverSession(driver: driver))
        } catch {
            driver.stop()
            throw error
        }
    }

    deinit {
        session.close()
        driver.stop()
    }
}
