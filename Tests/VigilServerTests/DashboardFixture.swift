import Foundation
import Testing
import VigilCore
import VigilCrypto
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
    static let userName = "analyst"
    static let password = "dashboard analyst 2026"
    /// The analyst's TOTP secret, for signing in (the API here, the login form in the browser).
    private(set) var totpSecret: [UInt8] = []
    /// The signed-in analyst's session cookie, sent with every raw request.
    private(set) var cookie = ""

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-dash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteEventStore(path: directory.appendingPathComponent("vigil.db").path)
        clock = FakeClock(milliseconds: Self.now)
        var people = PeoplePolicy()
        people.passwordCost = PasswordHash(logN: 4, r: 8, p: 1)
        server = try Server(
            configuration: .init(
                http: .init(port: 0, maxBodyBytes: 1 << 20, threads: 2, connectionTimeout: 10),
                people: people),
            store: store, clock: clock)
        try server.start()
        let created = try server.authenticator.addUser(name: Self.userName, role: .analyst, password: Self.password)
        let secret = URLComponents(string: created.otpauthURI)?.queryItems?.first { $0.name == "secret" }?.value
        totpSecret = try #require(secret.flatMap { Base32.decode($0) })
        let body = try JSONSerialization.data(withJSONObject: [
            "username": Self.userName, "password": Self.password, "code": code(),
        ])
        let response = try RawHTTPClient.request(
            port: port, method: "POST", path: "/api/v1/session", headers: [("Content-Type", "application/json")],
            body: Array(body))
        try #require(response.status == 201, "sign-in failed: \(response.text)")
        let setCookie = try #require(response.header("Set-Cookie"))
        cookie = String(try #require(setCookie.split(separator: ";").first))
        // Each TOTP code is accepted once: the browser's sign-in uses the next step.
        clock.advance(by: 30_000)
    }

    /// The analyst's current TOTP code.
    func code() -> String { TOTP(secret: totpSecret).code(at: clock.nowMilliseconds() / 1000) }

    /// Headers that carry the analyst's session.
    var authHeaders: [(String, String)] { [("Cookie", cookie)] }

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
            try enqueue(events, host: device)
        }
        try seedAlerts()
        try archive()
    }

    /// Hostile strings for rule titles and matched fields.
    static let hostile = [
        "<script>alert(1)</script>", #""><img src=x onerror=alert(1)>"#, "javascript:alert(1)",
        "' onmouseover='alert(1)", "<svg/onload=alert(1)>",
    ]

    /// Alerts on the first seeded host, raised by its newest events: one critical with hostile title and
    /// matched fields, and a few more, so the alert pages have events and neighbours to show.
    func seedAlerts() throws {
        guard let host = try store.hosts().first else { return }
        let found = try store.searchEvents(VigilStore.EventQuery(hostID: host.id, limit: 4)).events
        for (index, event) in found.enumerated() {
            let hostile = Self.hostile[index % Self.hostile.count]
            let fields = try JSONSerialization.data(
                withJSONObject: ["process.cmd_line": hostile, "user.name": "root", "count": index + 1],
                options: [.sortedKeys])
            try server.alerts.insert(
                ruleID: "rule-\(index)", ruleTitle: "Suspicious \(hostile) #\(index)",
                level: index == 0 ? "critical" : index == 1 ? "high" : "medium", hostUID: host.uid,
                eventUID: event.event.id, time: event.event.time, dedupKey: "k\(index)",
                matchedFields: String(decoding: fields, as: UTF8.self))
        }
    }

    /// Queues events for the archive as ingest does (a plain `insert` does not; ingest's batch path does).
    func enqueue(_ events: [Event], host: Device) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try store.enqueueLedger(
            try events.map {
                LedgerItem(kind: "event", ref: "\(host.uid ?? "")/\($0.id)", entry: Array(try encoder.encode($0)))
            })
    }

    /// Moves everything stored into the archive and signs a checkpoint (the job runner is off in tests).
    func archive() throws {
        while try server.archivist.drain() > 0 {}
        try server.archivist.checkpointIfDue(now: clock.nowMilliseconds(), entries: 1, seconds: 0)
    }

    func get(_ path: String) throws -> RawHTTPResponse {
        try RawHTTPClient.request(port: port, path: path, headers: authHeaders)
    }

    /// Waits up to 10 s for a click's navigation to reach an address containing `fragment`.
    static func waitForURL(_ session: WebDriverSession, containing fragment: String) throws -> Bool {
        for _ in 0..<100 {
            if try session.currentURL().contains(fragment),
                try session.execute("return document.readyState;") as? String == "complete"
            {
                return true
            }
            usleep(100_000)
        }
        return false
    }

    /// Signs the browser in through the login form, as a person would.
    func signIn(_ session: WebDriverSession) throws {
        try session.navigate(origin + "/login")
        try session.type(try session.findElement(css: "input[name=username]"), Self.userName)
        try session.type(try session.findElement(css: "input[name=password]"), Self.password)
        try session.type(try session.findElement(css: "input[name=code]"), code())
        try session.click(try session.findElement(css: "form.login button[type=submit]"))
        // The form posts and the browser follows the redirect to the overview: wait for it (up to 10 s).
        var url = try session.currentURL()
        for _ in 0..<100
        where url.hasSuffix("/login") || (try? session.findElements(css: "header.top nav").isEmpty) != false {
            usleep(100_000)
            url = try session.currentURL()
        }
        clock.advance(by: 30_000)
        try #require(!url.hasSuffix("/login"), "the browser's sign-in failed: \(url)")
    }

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

    static func start(test: String, fixture: DashboardFixture) throws -> Browser? {
        guard let driver = try ChromeDriver.start() else {
            print("\(ChromeDriver.unavailableReason) [\(test)]")
            return nil
        }
        do {
            let session = try WebDriverSession(driver: driver)
            try fixture.signIn(session)
            return Browser(driver: driver, session: session)
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
