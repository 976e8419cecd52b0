import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilServer
import VigilStore
import VigilTestSupport

/// Which engine a people/security test runs on.
enum Engine: String, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A live server on port 0 with a fake clock, a cheap scrypt cost, and helpers to sign people in.
final class PeopleFixture: @unchecked Sendable {
    /// `agent_id.secret` of an enrolled agent: it may send events and nothing else.
    private(set) var agentToken = ""
    static let start: Int64 = 1_764_787_800_000
    let clock = FakeClock(milliseconds: PeopleFixture.start)
    let store: any ServerStore
    let server: Server
    let cluster: PostgresCluster?
    let directory: String?

    /// Nil when the engine is not available here (PostgreSQL binaries missing): the reason is printed.
    static func make(_ engine: Engine) throws -> PeopleFixture? {
        switch engine {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "vigil-people-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try PeopleFixture(
                store: try SQLiteEventStore(path: "\(directory)/vigil.db"), cluster: nil, directory: directory)
        case .postgres:
            guard let cluster = try PostgresCluster.start() else {
                print(PostgresCluster.unavailableReason)
                return nil
            }
            return try PeopleFixture(
                store: try PostgresEventStore(conninfo: cluster.conninfo), cluster: cluster, directory: nil)
        }
    }

    init(store: any ServerStore, cluster: PostgresCluster?, directory: String?, secureCookies: Bool = false) throws {
        self.store = store
        self.cluster = cluster
        self.directory = directory
        var policy = PeoplePolicy()
        policy.passwordCost = PasswordHash(logN: 4, r: 8, p: 1)
        server = try Server(
            configuration: .init(
                http: .init(port: 0, threads: 2, connectionTimeout: 10), people: policy,
                secureCookies: secureCookies),
            store: store, clock: clock)
        try server.start()
        agentToken = try ServerFixture.enroll(server, Device(hostname: "people-host", uid: "people-host-id"))
    }

    deinit {
        server.stop()
        cluster?.stop()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    var port: UInt16 { server.port }

    struct Person {
        var name: String
        var password: String
        var secret: [UInt8]
    }

    /// A signed-in person: their session cookie and anti-forgery token.
    struct Session {
        var cookie: String
        var csrf: String
    }

    static let password = "correct horse 42 battery"

    func addUser(_ name: String, _ role: Role) throws -> Person {
        let created = try server.authenticator.addUser(name: name, role: role, password: Self.password)
        let secretText = try #require(
            URLComponents(string: created.otpauthURI)?.queryItems?.first { $0.name == "secret" }?.value)
        return Person(name: name, password: Self.password, secret: try #require(Base32.decode(secretText)))
    }

    func code(_ person: Person, offsetSteps: Int64 = 0) -> String {
        TOTP(secret: person.secret).code(at: clock.nowMilliseconds() / 1000 + offsetSteps * 30)
    }

    func request(
        _ method: String, _ path: String, session: Session? = nil, bearer: String? = nil, csrf: Bool = true,
        json: String? = nil, headers extra: [(String, String)] = []
    ) throws -> RawHTTPResponse {
        var headers = extra
        if let session {
            headers.append(("Cookie", "\(Authenticator.sessionCookie)=\(session.cookie)"))
            if csrf { headers.append(("X-CSRF-Token", session.csrf)) }
        }
        if let bearer { headers.append(("Authorization", "Bearer \(bearer)")) }
        if json != nil { headers.append(("Content-Type", "application/json")) }
        return try RawHTTPClient.request(
            port: port, method: method, path: path, headers: headers, body: json.map { Array($0.utf8) })
    }

    static func jsonString(_ object: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func loginResponse(_ person: Person, password: String? = nil, code: String? = nil) throws -> RawHTTPResponse {
        try request(
            "POST", "/api/v1/session",
            json: Self.jsonString([
                "username": person.name, "password": password ?? person.password, "code": code ?? self.code(person),
            ]))
    }

    /// Signs in and returns the session; moves the clock one TOTP step on so the next sign-in has a fresh code.
    func login(_ person: Person) throws -> Session {
        let response = try loginResponse(person)
        defer { clock.advance(by: 30_000) }
        try #require(response.status == 201, "login failed: \(response.text)")
        let cookie = try #require(response.header("Set-Cookie"))
        let value = try #require(cookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return Session(cookie: String(value), csrf: try #require(body["csrf_token"] as? String))
    }

    func accessLog() throws -> [AccessLogEntry] { try server.accessLog.rows(after: 0, limit: 100_000) }

    static func object(_ response: RawHTTPResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    static func errorCode(_ response: RawHTTPResponse) -> String? {
        ((try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]).flatMap {
            ($0["error"] as? [String: Any])?["code"] as? String
        }
    }
}
