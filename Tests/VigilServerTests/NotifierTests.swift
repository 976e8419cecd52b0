import Foundation
import Synchronization
import Testing
import VigilCore
import VigilHTTP
import VigilServer
import VigilStore
import VigilTestSupport

/// Notifiers against real local listeners: a libmicrohttpd webhook receiver, UDP and TCP syslog sockets, a file.
@Suite struct NotifierTests {
    static func setup() throws -> (SQLiteEventStore, AlertStore, VigilServer.AlertRecord) {
        let store = try SQLiteEventStore(database: try .inMemory())
        _ = try store.insert([], host: Device(hostname: "web-01", uid: "m-web"), receivedAt: 1)
        let alerts = AlertStore(store: store)
        let id = try alerts.insert(
            ruleID: "sigma-123", ruleTitle: "Reverse shell \"quoted\" ]bracket", level: "high", hostUID: "m-web",
            eventUID: "e1", time: 1_764_787_800_000, dedupKey: "k", matchedFields: #"{"process.cmd_line":"bash -i"}"#)
        return (store, alerts, try #require(try alerts.get(id)).0)
    }

    /// A webhook receiver that fails the first `failures` requests with 503.
    final class Recorded: Sendable {
        let items = Mutex<[[UInt8]]>([])
        let count = Mutex(0)
    }

    final class Receiver: Sendable {
        let bodies = Recorded()
        let server: HTTPServer

        init(failures: Int) throws {
            let recorded = bodies
            server = HTTPServer(configuration: .init(port: 0, threads: 1)) { request in
                let n = recorded.count.withLock { value -> Int in
                    value += 1
                    return value
                }
                recorded.items.withLock { $0.append(request.body) }
                return HTTPResponse(status: n <= failures ? 503 : 200)
            }
            try server.start()
        }

        var url: URL { URL(string: "http://user:pw@127.0.0.1:\(server.port)/hook?token=sekrit")! }
    }

    @Test func webhookRetriesWithBackoffAndRecordsEachAttempt() throws {
        let (_, alerts, alert) = try Self.setup()
        let receiver = try Receiver(failures: 2)
        defer { receiver.server.stop() }
        let waits = Mutex<[Int64]>([])
        var policy = NotificationDispatcher.Policy()
        policy.initialBackoffMilliseconds = 100
        let dispatcher = NotificationDispatcher(
            notifiers: [WebhookNotifier(url: receiver.url)], alerts: alerts, clock: FakeClock(), metrics: Metrics(),
            policy: policy, sleep: { ms in waits.withLock { $0.append(ms) } })
        dispatcher.enqueue(alert)
        dispatcher.drain()
        #expect(waits.withLock { $0 } == [100, 200])
        let attempts = try alerts.deliveries(alertID: alert.id)
        #expect(attempts.map(\.attempt) == [1, 2, 3])
        #expect(attempts.map(\.succeeded) == [false, false, true])
        #expect(attempts[0].detail?.contains("503") == true)
        // Credentials in the URL never reach the record.
        #expect(attempts.allSatisfy { !$0.notifier.contains("sekrit") && !$0.notifier.contains("pw@") })
        let body = try #require(receiver.bodies.items.withLock { $0.last })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["source"] as? String == "vigil")
        let sent = try #require(object["alert"] as? [String: Any])
        #expect(sent["rule_title"] as? String == "Reverse shell \"quoted\" ]bracket")
        #expect(sent["hostname"] as? String == "web-01")
        #expect((sent["matched_fields"] as? [String: String])?["process.cmd_line"] == "bash -i")
    }

    @Test func slackPayloadAndGivingUp() throws {
        let (_, alerts, alert) = try Self.setup()
        let receiver = try Receiver(failures: 0)
        defer { receiver.server.stop() }
        let slack = WebhookNotifier(url: receiver.url, format: .slack)
        try slack.deliver(alert)
        let first = try #require(receiver.bodies.items.withLock { $0.first })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first)) as? [String: Any])
        #expect(object.keys.sorted() == ["text"])
        #expect((object["text"] as? String)?.contains("[high] Reverse shell") == true)
        // Nothing listening: every attempt fails and is recorded, then it gives up.
        receiver.server.stop()
        var policy = NotificationDispatcher.Policy()
        policy.maxAttempts = 3
        let metrics = Metrics()
        let dispatcher = NotificationDispatcher(
            notifiers: [WebhookNotifier(url: receiver.url, timeoutSeconds: 2)], alerts: alerts, clock: FakeClock(),
            metrics: metrics, policy: policy, sleep: { _ in })
        #expect(dispatcher.deliverNow(alert).isEmpty)
        #expect(try alerts.deliveries(alertID: alert.id).map(\.succeeded) == [false, false, false])
        #expect(
            metrics.render().contains("vigil_notification_deliveries_total{notifier=\"webhook\",result=\"failed\"} 3"))
    }

    /// A UDP socket on 127.0.0.1 and its port.
    static func socket(_ type: Int32) throws -> (Int32, UInt16) {
        let fd = Glibc.socket(AF_INET, type, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(ok)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    static func read(_ fd: Int32) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buffer[..<n]) : []
    }

    static func checkRFC5424(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        // authpriv (10) × 8 + error (3) = 83; version 1; UTC timestamp with milliseconds.
        #expect(text.hasPrefix("<83>1 20"))
        #expect(text.contains(" syslog-test vigil "))
        #expect(text.contains(" alert [vigil@32473 alert_id=\""))
        #expect(text.contains(#"rule_id="sigma-123" level="high" host="web-01" repeat_count="1"]"#))
        #expect(text.contains("\u{FEFF}Vigil alert [high] Reverse shell \"quoted\" ]bracket on web-01"))
        let timestamp = text.split(separator: " ")[1]
        #expect(timestamp.hasSuffix("Z") && timestamp.contains("."))
    }

    @Test func syslogOverUDP() throws {
        let (_, _, alert) = try Self.setup()
        let (fd, port) = try Self.socket(Int32(SOCK_DGRAM.rawValue))
        defer { close(fd) }
        try SyslogNotifier(host: "127.0.0.1", port: port, transport: .udp, hostname: "syslog-test").deliver(alert)
        let datagram = Self.read(fd)
        Self.checkRFC5424(datagram)
        // A long title is cut to one 2048-byte datagram on a character boundary.
        var long = alert
        long.ruleTitle = String(repeating: "日", count: 1000)
        let message = SyslogNotifier(host: "127.0.0.1", port: port, hostname: "h").message(long, time: 0)
        #expect(message.count <= 2048)
        #expect(String(validating: message, as: UTF8.self) != nil)
    }

    @Test func syslogOverTCPIsOctetCounted() throws {
        let (_, _, alert) = try Self.setup()
        let (listener, port) = try Self.socket(Int32(SOCK_STREAM.rawValue))
        defer { close(listener) }
        try #require(listen(listener, 4) == 0)
        let notifier = SyslogNotifier(host: "127.0.0.1", port: port, transport: .tcp, hostname: "syslog-test")
        try notifier.deliver(alert)
        try notifier.deliver(alert)
        let connection = accept(listener, nil, nil)
        try #require(connection >= 0)
        defer { close(connection) }
        var stream = Self.read(connection)
        // First connection's frame: "LENGTH SP MESSAGE".
        let space = try #require(stream.firstIndex(of: UInt8(ascii: " ")))
        let length = try #require(Int(String(decoding: stream[..<space], as: UTF8.self)))
        stream = Array(stream[(space + 1)...])
        #expect(stream.count == length)
        Self.checkRFC5424(stream)
        // Nothing listening: a clear failure.
        close(listener)
        #expect(throws: NotifierError.self) { try notifier.deliver(alert) }
    }

    @Test func jsonLinesFile() throws {
        let (_, alerts, alert) = try Self.setup()
        let path = NSTemporaryDirectory() + "vigil-alerts-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dispatcher = NotificationDispatcher(
            notifiers: [JSONLinesNotifier(path: path)], alerts: alerts, clock: FakeClock(), metrics: Metrics())
        dispatcher.deliverNow(alert)
        dispatcher.deliverNow(alert)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["id"] as? Int == Int(alert.id))
        #expect(object["rule_title"] as? String == alert.ruleTitle)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let unwritable = JSONLinesNotifier(path: "/nonexistent-dir/alerts.jsonl")
        #expect(throws: NotifierError.self) { try unwritable.deliver(alert) }
    }
}
