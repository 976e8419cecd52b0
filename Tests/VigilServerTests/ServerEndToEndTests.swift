import Foundation
import Synchronization
import Testing
import VigilAgent
import VigilCore
import VigilHTTP
import VigilServer
import VigilStore
import VigilTestSupport

/// A real server on port 0 with an SQLite store in a temporary directory, fed by the agent's `Shipper`
/// and by raw requests.
final class ServerFixture: Sendable {
    /// Stands for "this fixture's agent credential" in `post`'s default argument.
    static let agentPlaceholder = "<the fixture's agent>"
    /// The API credential the fixture's authenticator accepts (users and API tokens are another module's).
    static let apiToken = "test-api-token-0123456789"
    static let now: Int64 = 1_764_787_800_000
    static let host = Device(hostname: "web-01", uid: "machine-web-01", os: "Debian GNU/Linux 12")
    let directory: URL
    let store: SQLiteEventStore
    let server: Server
    /// An analyst API token: the agent credential cannot read the API.
    let reader: String
    /// `agent_id.secret` of an agent enrolled for `host`.
    let token: String

    init(
        maxBatchEvents: Int = 50, maxBatchBytes: Int = 1 << 20, agentRate: Double = 1000, agentBurst: Double = 1000
    ) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteEventStore(path: directory.appendingPathComponent("vigil.db").path)
        server = try Server(
            configuration: .init(
                http: .init(port: 0, maxBodyBytes: 4 << 20, threads: 2, connectionTimeout: 10),
                limits: IngestLimits(maxBatchBytes: maxBatchBytes, maxBatchEvents: maxBatchEvents),
                agentRate: agentRate, agentBurst: agentBurst,
                checkpointSeconds: 0, jobInterval: .milliseconds(20)),
            store: store, rules: try BuiltinRules.ruleSet(),
            jobLock: FileJobLock(path: directory.appendingPathComponent("jobs.lock").path),
            clock: FakeClock(milliseconds: Self.now))
        try server.start()
        reader = try server.authenticator.createToken(name: "reader", role: .analyst, createdBy: "test", expiresAt: nil)
            .secret
        token = try Self.enroll(server, Self.host)
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Enrolls an agent for `host` with a new one-use token; returns its credential.
    func enroll(_ host: Device) throws -> String { try Self.enroll(server, host) }

    static func enroll(_ server: Server, _ host: Device) throws -> String {
        let enrollment = try server.agents.createToken(uses: 1, expiresAt: nil)
        let response = try RawHTTPClient.request(
            port: server.port, method: "POST", path: "/api/v1/agents/enroll",
            headers: [("Content-Type", "application/json")],
            body: Array(try JSON.encoder().encode(EnrollBody(token: enrollment, host: host))))
        guard response.status == 201,
            let reply = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String],
            let id = reply["agent_id"], let secret = reply["secret"]
        else { throw RawHTTPError(description: "enrollment failed: \(response.status) \(response.text)") }
        return "\(id).\(secret)"
    }

    struct EnrollBody: Encodable {
        var token: String
        var host: Device
    }

    var port: UInt16 { server.port }
    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    func post(
        _ body: [UInt8], token: String? = ServerFixture.agentPlaceholder, headers: [(String, String)] = []
    ) throws -> RawHTTPResponse {
        var all = headers
        if let token { all.append(("Authorization", "Bearer \(token == Self.agentPlaceholder ? self.token : token)")) }
        if !all.contains(where: { $0.0 == "Content-Type" }) { all.append(("Content-Type", "application/json")) }
        return try RawHTTPClient.request(port: port, method: "POST", path: "/api/v1/events", headers: all, body: body)
    }

    func get(_ path: String, token: String? = nil) throws -> RawHTTPResponse {
        let token = token ?? reader
        return try RawHTTPClient.request(
            port: port, path: path, headers: [("Authorization", "Bearer \(token)")])
    }

    func expectHealthy(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let health = try RawHTTPClient.request(port: port, path: "/healthz")
        #expect(health.status == 200, sourceLocation: sourceLocation)
        #expect(health.text == "ok\n", sourceLocation: sourceLocation)
    }

    /// The `events` array of a `GET /api/v1/events` page.
    static func events(_ response: RawHTTPResponse) throws -> [Event] {
        struct Page: Decodable { var events: [Event] }
        return try JSONDecoder().decode(Page.self, from: Data(response.body)).events
    }

    static func errorCode(_ response: RawHTTPResponse) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String: String]]
        return object?["error"]?["code"]
    }
}

@Suite struct ServerEndToEndTests {
    static let host = ServerFixture.host

    static func event(
        _ id: String, cmd: String, time: Int64 = ServerFixture.now - 1000, path: String = "/usr/bin/x"
    )
        -> Event
    {
        Event(
            id: id, classUID: .processActivity, activityID: Activity.Process.launch, time: time,
            metadata: EventMetadata(logName: "proc"), device: host,
            process: Process(
                pid: 4242, name: "x", cmdLine: cmd, file: FileObject(path: path), user: User(uid: "1000", name: "alice")
            ))
    }

    static func batch(_ events: [Event], host: Device = host) throws -> [UInt8] {
        Array(try JSON.encoder().encode(EventBatch(host: host, events: events)))
    }

    static func hostileLines() throws -> [String] {
        try Fixtures.string("hostile-command-lines.txt").split(separator: "\n").map(String.init)
    }

    @Test func shipperBatchAppearsInTheAPIAndEscapedOnThePage() async throws {
        let fixture = try ServerFixture()
        let redactor = Redactor()
        let hostile = try Self.hostileLines()
        var events = [Self.event("card", cmd: redactor.redact("/opt/pay/charge --card 4111 1111 1111 1111 --cvv 123"))]
        for (index, line) in hostile.enumerated() {
            events.append(
                Self.event("hostile-\(index)", cmd: "echo \(line)", time: ServerFixture.now - 2000 - Int64(index)))
        }
        events.append(Self.event("exe", cmd: "run", path: "/tmp/<b>bold</b>"))
        let shipper = Shipper(server: fixture.url, token: fixture.token, host: Self.host)
        shipper.enqueue(events)
        #expect(await shipper.flush())
        #expect(shipper.statistics.sent == events.count)
        #expect(shipper.statistics.queued == 0)
        #expect(try fixture.store.eventCount() == events.count)

        // The API returns them, newest first, card masked.
        let api = try fixture.get("/api/v1/events?limit=1000")
        #expect(api.status == 200)
        #expect(api.header("Content-Type") == "application/json")
        let returned = try ServerFixture.events(api)
        #expect(Set(returned.map(\.id)) == Set(events.map(\.id)))
        #expect(returned.map(\.time) == returned.map(\.time).sorted(by: >))
        let card = try #require(returned.first { $0.id == "card" })
        #expect(card.process?.cmdLine == "/opt/pay/charge --card 411111******1111 --cvv 123")
        #expect(!api.text.contains("4111 1111 1111 1111"))
        #expect(try fixture.get("/api/v1/events?limit=2").body.isEmpty == false)
        let two = try ServerFixture.events(try fixture.get("/api/v1/events?limit=2"))
        #expect(two.count == 2)
        let files = try fixture.get("/api/v1/events?class_uid=1001")
        #expect(try ServerFixture.events(files).isEmpty)
        // The agent's own credential cannot read the API.
        #expect(try fixture.get("/api/v1/events", token: fixture.token).status == 403)

        // The events page lists them HTML-escaped; no hostile markup survives.
        let page = try fixture.get("/events?class=1007")
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        let html = page.text
        #expect(html.contains("411111******1111"))
        #expect(!html.contains("4111 1111 1111 1111"))
        for line in hostile { #expect(html.contains(HTML.escape("echo \(line)")), "\(line)") }
        #expect(html.contains("/tmp/&lt;b&gt;bold&lt;/b&gt;"))
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<svg"))
        #expect(!html.contains("<h1>owned"))
        #expect(!html.contains("<b>bold"))
        #expect(!html.contains("\"><img"))
        #expect(!html.contains("href=\"javascript:"))
        #expect(!html.contains("onmouseover='"))
        #expect(html.components(separatedBy: "<td class=\"cmd\">").count - 1 == events.count)
        let css = try RawHTTPClient.request(port: fixture.port, path: "/static/vigil.css")
        #expect(css.status == 200)
        #expect(css.header("Content-Type") == "text/css; charset=utf-8")
    }

    @Test func anEmptyStoreShowsTheEmptyPage() throws {
        let fixture = try ServerFixture()
        let page = try fixture.get("/events")
        #expect(page.status == 200)
        #expect(page.text.contains("No events match."))
        #expect(!page.text.contains("<table"))
    }

    @Test func theHostnameIsEscapedToo() throws {
        let fixture = try ServerFixture()
        let evil = Device(hostname: "<img src=x onerror=alert(1)>", uid: "evil-host")
        let token = try fixture.enroll(evil)
        var event = Self.event("h", cmd: "ls")
        event.device = evil
        let posted = try fixture.post(Self.batch([event], host: evil), token: token)
        #expect(posted.status == 200, "\(posted.text)")
        let html = try fixture.get("/hosts").text
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!html.contains("<img"))
    }

    @Test(
        arguments: [
            ("none", nil), ("wrong", "Bearer not-the-token"), ("prefix", "Bearer agent-token-01234"),
            ("longer", "Bearer agent-token-0123456789x"), ("basic", "Basic agent-token-0123456789"),
            ("bare", "agent-token-0123456789"), ("empty", "Bearer "),
        ] as [(String, String?)])
    func wrongOrMissingCredentialsAre401(name: String, authorization: String?) throws {
        let fixture = try ServerFixture()
        let headers = authorization.map { [("Authorization", $0)] } ?? []
        let post = try fixture.post(Self.batch([Self.event("a", cmd: "ls")]), token: nil, headers: headers)
        #expect(post.status == 401)
        #expect(ServerFixture.errorCode(post) == "unauthorized")
        #expect(!post.text.contains(fixture.token))
        let get = try RawHTTPClient.request(port: fixture.port, path: "/api/v1/events", headers: headers)
        #expect(get.status == 401)
        #expect(try fixture.store.eventCount() == 0)
        try fixture.expectHealthy()
    }

    @Test func theBearerSchemeIsCaseInsensitive() throws {
        let fixture = try ServerFixture()
        let response = try fixture.post(
            Self.batch([Self.event("a", cmd: "ls")]), token: nil,
            headers: [("Authorization", "bearer \(fixture.token)")])
        #expect(response.status == 200)
    }

    @Test func aZstdBatchIsAccepted() throws {
        let fixture = try ServerFixture()
        let events = (0..<20).map { Self.event("z\($0)", cmd: "cmd \($0)") }
        let response = try fixture.post(Zstd.compress(try Self.batch(events)), headers: [("Content-Encoding", "zstd")])
        #expect(response.status == 200)
        let ack = try JSONDecoder().decode(BatchAcknowledgement.self, from: Data(response.body))
        #expect(ack == BatchAcknowledgement(accepted: 20, duplicates: 0))
        #expect(try fixture.store.eventCount() == 20)
        let identity = try fixture.post(
            Self.batch([Self.event("i", cmd: "x")]), headers: [("Content-Encoding", "identity")])
        #expect(identity.status == 200)
    }

    /// Bad batches: each refused with its status and code, nothing stored, and the server still healthy.
    struct BadBatch: Sendable, CustomTestStringConvertible {
        var name: String
        var status: Int
        var code: String
        var testDescription: String { name }
    }

    static let badBatches: [BadBatch] = [
        BadBatch(name: "truncated zstd", status: 400, code: "zstd.corrupt"),
        BadBatch(name: "garbage zstd", status: 400, code: "zstd.corrupt"),
        BadBatch(name: "zstd bomb", status: 413, code: "zstd.too-large"),
        BadBatch(name: "gzip", status: 415, code: "unsupported-encoding"),
        BadBatch(name: "future time", status: 400, code: "invalid-event"),
        BadBatch(name: "zero time", status: 400, code: "invalid-event"),
        BadBatch(name: "empty uid", status: 400, code: "invalid-event"),
        BadBatch(name: "too many events", status: 413, code: "batch-too-large"),
        BadBatch(name: "invalid json", status: 400, code: "invalid-json"),
        BadBatch(name: "missing host", status: 400, code: "invalid-json"),
        BadBatch(name: "text/plain", status: 415, code: "unsupported-media-type"),
    ]

    static func request(for name: String) throws -> ([UInt8], [(String, String)]) {
        let good = try batch((0..<10).map { event("g\($0)", cmd: "echo \($0)") })
        let zstd = [("Content-Encoding", "zstd")]
        switch name {
        case "truncated zstd": return (Array(Zstd.compress(good).dropLast(3)), zstd)
        case "garbage zstd": return (Array("not zstd at all".utf8), zstd)
        case "zstd bomb":
            let padding = String(repeating: " ", count: 4 << 20)
            return (Zstd.compress(Array("{\"host\":{\"hostname\":\"x\"},\"events\":[]\(padding)}".utf8)), zstd)
        case "gzip": return (good, [("Content-Encoding", "gzip")])
        case "future time":
            return (
                try batch([event("ok", cmd: "x"), event("f", cmd: "x", time: ServerFixture.now + 2 * 86_400_000)]), []
            )
        case "zero time": return (try batch([event("z", cmd: "x", time: 0)]), [])
        case "empty uid": return (try batch([event("", cmd: "x")]), [])
        case "too many events": return (try batch((0..<51).map { event("m\($0)", cmd: "x") }), [])
        case "invalid json": return (Array(#"{"host": {"hostname": "x"}, "events": [}"#.utf8), [])
        case "missing host": return (Array(#"{"events": []}"#.utf8), [])
        case "text/plain": return (good, [("Content-Type", "text/plain")])
        default: throw RawHTTPError(description: "no such case \(name)")
        }
    }

    @Test(arguments: badBatches)
    func badBatchesAreRefusedAndTheServerKeepsServing(_ bad: BadBatch) throws {
        let fixture = try ServerFixture()
        let (body, headers) = try Self.request(for: bad.name)
        let response = try fixture.post(body, headers: headers)
        #expect(response.status == bad.status)
        #expect(ServerFixture.errorCode(response) == bad.code, "\(response.text)")
        #expect(try fixture.store.eventCount() == 0)
        try fixture.expectHealthy()
        // And a good batch after it is stored.
        #expect(try fixture.post(Self.batch([Self.event("after", cmd: "ls")])).status == 200)
        #expect(try fixture.store.eventCount() == 1)
    }

    @Test func aDuplicateBatchIsCountedNotStoredTwice() async throws {
        let fixture = try ServerFixture()
        let events = (0..<7).map { Self.event("d\($0)", cmd: "cmd \($0)") }
        let first = try fixture.post(Self.batch(events))
        #expect(
            try JSONDecoder().decode(BatchAcknowledgement.self, from: Data(first.body))
                == .init(accepted: 7, duplicates: 0))
        let again = try fixture.post(Self.batch(events))
        #expect(
            try JSONDecoder().decode(BatchAcknowledgement.self, from: Data(again.body))
                == .init(accepted: 0, duplicates: 7))
        // The shipper counts duplicates the server reports (a resend after a lost acknowledgement).
        let shipper = Shipper(server: fixture.url, token: fixture.token, host: Self.host)
        shipper.enqueue(Array(events.prefix(3)) + [Self.event("d-new", cmd: "new")])
        #expect(await shipper.flush())
        #expect(shipper.statistics.sent == 1)
        #expect(shipper.statistics.duplicates == 3)
        #expect(try fixture.store.eventCount() == 8)
        try fixture.expectHealthy()
    }

    @Test func aShipperWithTheWrongTokenKeepsItsEvents() async throws {
        let fixture = try ServerFixture()
        let shipper = Shipper(server: fixture.url, token: "wrong", host: Self.host)
        shipper.enqueue([Self.event("w", cmd: "ls")])
        #expect(await shipper.flush() == false)
        #expect(shipper.statistics.failures == 1)
        #expect(shipper.statistics.queued == 1)
        #expect(try fixture.store.eventCount() == 0)
    }

    @Test func concurrentAgentsAreAllStored() throws {
        let fixture = try ServerFixture()
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { agent in
            let host = Device(hostname: "host-\(agent)", uid: "machine-\(agent)")
            let credential = try? fixture.enroll(host)
            for round in 0..<3 {
                let events = (0..<10).map {
                    var event = Self.event("a\(agent)-\(round)-\($0)", cmd: "cmd")
                    event.device = host
                    return event
                }
                let status = (try? fixture.post(Self.batch(events, host: host), token: credential))?.status ?? 0
                statuses.withLock { $0.append(status) }
            }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 200, count: 48))
        #expect(try fixture.store.eventCount() == 480)
        let hosts = Set(try fixture.store.recentEvents(classUID: nil, limit: 1000).map(\.hostname))
        #expect(hosts.count == 16)
    }

    @Test func unknownRoutesAndMethodsAreJSONErrors() throws {
        let fixture = try ServerFixture()
        let missing = try fixture.get("/api/v1/nothing")
        #expect(missing.status == 404)
        #expect(ServerFixture.errorCode(missing) == "not-found")
        let wrong = try RawHTTPClient.request(
            port: fixture.port, method: "DELETE", path: "/api/v1/events",
            headers: [("Authorization", "Bearer \(fixture.reader)")])
        #expect(wrong.status == 405)
        try fixture.expectHealthy()
    }
}

/// The shipper against a server that refuses part of what it sends.
@Suite struct ShipperRefusalTests {
    static let host = ServerEndToEndTests.host

    @Test func oneRefusedEventIsDroppedAndCountedAndTheRestAreStored() async throws {
        let fixture = try ServerFixture()
        var events = (0..<10).map { ServerEndToEndTests.event("r\($0)", cmd: "cmd \($0)") }
        // A host whose clock ran ahead: the server refuses this event whatever batch it is in.
        events[6] = ServerEndToEndTests.event("r6", cmd: "late", time: ServerFixture.now + 3 * 86_400_000)
        let shipper = Shipper(server: fixture.url, token: fixture.token, host: Self.host)
        shipper.enqueue(events)
        #expect(await shipper.flush())
        #expect(shipper.statistics.sent == 9)
        #expect(shipper.statistics.dropped == 1)
        #expect(shipper.statistics.queued == 0)
        #expect(try fixture.store.eventCount() == 9)
        // Later events are not held up behind it.
        shipper.enqueue([ServerEndToEndTests.event("later", cmd: "ls")])
        #expect(await shipper.flush())
        #expect(try fixture.store.eventCount() == 10)
    }

    @Test func aBatchOverTheServersEventLimitIsSplit() async throws {
        let fixture = try ServerFixture(maxBatchEvents: 4)
        let shipper = Shipper(server: fixture.url, token: fixture.token, host: Self.host, maxBatch: 10)
        shipper.enqueue((0..<10).map { ServerEndToEndTests.event("s\($0)", cmd: "cmd \($0)") })
        #expect(await shipper.flush())
        #expect(shipper.statistics.sent == 10)
        #expect(shipper.statistics.dropped == 0)
        #expect(try fixture.store.eventCount() == 10)
    }

    @Test func theQueueBoundDropsTheOldestAndCountsThem() {
        let shipper = Shipper(
            server: URL(fileURLWithPath: "/nonexistent"), token: "t", host: Self.host, maxQueue: 5, maxBatch: 2)
        shipper.enqueue((0..<3).map { ServerEndToEndTests.event("q\($0)", cmd: "x") })
        shipper.enqueue([])
        #expect(shipper.statistics.queued == 3)
        shipper.enqueue((3..<8).map { ServerEndToEndTests.event("q\($0)", cmd: "x") })
        #expect(shipper.statistics.queued == 5)
        #expect(shipper.statistics.dropped == 3)
    }
}
