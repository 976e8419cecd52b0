import Foundation
import Synchronization
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilStore

@testable import VigilAgent

/// The server side of wire contract v1, as small as the agent's tests need: enrollment with one-time tokens,
/// `Bearer id.secret`, zstd NDJSON batches stored in a real SQLite event store (so tests can byte-search its
/// files), duplicate discarding by event id, and an optional signed policy in each reply. It can be stopped and
/// started again on the same port.
final class V1TestServer: @unchecked Sendable {
    struct State {
        var tokens: Set<String> = []
        var agents: [String: [UInt8]] = [:]  // id → SHA-256 of the secret
        var hostUID: [String: String] = [:]
        /// How many times each sequence number arrived (duplicates included).
        var sequences: [UInt64: Int] = [:]
        var policy: SignedPolicy?
        var batches = 0
        var policyVersionsSeen: [Int] = []
    }

    let directory: String
    let store: SQLiteEventStore
    let policyKey: Ed25519PrivateKey
    let state = Mutex(State())
    private let http = Mutex<HTTPServer?>(nil)
    private(set) var port: UInt16 = 0

    init() throws {
        directory = NSTemporaryDirectory() + "vigil-v1-server-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteEventStore(path: directory + "/vigil.db")
        policyKey = try Ed25519PrivateKey.generate()
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    func start() throws {
        var router = Router()
        router.post("/api/v1/agents/enroll") { [self] request in try enroll(request) }
        router.post("/api/v1/events") { [self] request in try events(request) }
        let server = HTTPServer(
            configuration: .init(port: port, maxBodyBytes: 16 << 20, threads: 2, connectionTimeout: 10),
            router: router)
        try server.start()
        port = server.port
        http.withLock { $0 = server }
    }

    func stop() {
        let server = http.withLock { s -> HTTPServer? in
            defer { s = nil }
            return s
        }
        server?.stop()
    }

    func issueToken() -> String {
        let token = "tok-\(UUID().uuidString)"
        state.withLock { _ = $0.tokens.insert(token) }
        return token
    }

    /// Signs a payload as the server would.
    func sign(_ payload: String) throws -> SignedPolicy {
        let bytes = Array(payload.utf8)
        return SignedPolicy(
            payload: Data(bytes).base64EncodedString(),
            signature: Data(try policyKey.signature(for: bytes)).base64EncodedString())
    }

    struct EnrollRequest: Decodable {
        var token: String
        var host: Device
    }

    func enroll(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try request.decodeJSON(EnrollRequest.self)
        let secret = Data(try SecureRandom.bytes(32)).base64EncodedString()
        let id = "agent-\(UUID().uuidString.prefix(8))"
        try state.withLock { s in
            guard s.tokens.remove(body.token) != nil else {
                throw HTTPError(status: 401, code: "bad-token", message: "unknown or used enrollment token")
            }
            s.agents[id] = SHA256.hash(Array(secret.utf8)).bytes
            s.hostUID[id] = body.host.uid
        }
        return .json(
            [
                "agent_id": id, "secret": secret,
                "policy_key": Data(policyKey.publicKey.rawRepresentation).base64EncodedString(),
            ], status: 201)
    }

    func events(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "),
            let dot = auth.dropFirst(7).firstIndex(of: ".")
        else { throw HTTPError(status: 401, code: "unauthorized", message: "no credential") }
        let id = String(auth.dropFirst(7)[..<dot])
        let secret = String(auth[auth.index(after: dot)...])
        let expectedUID = try state.withLock { s -> String? in
            guard let hash = s.agents[id], ConstantTime.equals(hash, SHA256.hash(Array(secret.utf8)).bytes) else {
                throw HTTPError(status: 401, code: "unauthorized", message: "unknown agent or wrong secret")
            }
            s.policyVersionsSeen.append(Int(request.header("x-vigil-policy-version") ?? "") ?? -1)
            return s.hostUID[id]
        }
        var body = request.body
        if request.header("content-encoding") == "zstd" { body = try Zstd.decompress(body, maxOutput: 64 << 20) }
        guard request.header("content-type") == "application/x-ndjson" else {
            throw HTTPError(status: 415, code: "type", message: "expected application/x-ndjson")
        }
        var events: [Event] = []
        for line in body.split(separator: 10) where !line.isEmpty {
            guard let event = try? JSONDecoder().decode(Event.self, from: Data(line)) else {
                throw HTTPError(status: 400, code: "invalid-event", message: "a line is not an event")
            }
            guard event.device?.uid == expectedUID else {
                throw HTTPError(status: 403, code: "wrong-device", message: "device.uid is not the enrolled host")
            }
            events.append(event)
        }
        guard let first = events.first else { return .json(["accepted": 0, "duplicates": 0]) }
        let result = try store.insert(events, host: first.device!, receivedAt: first.time)
        let policy = state.withLock { s -> SignedPolicy? in
            for event in events { s.sequences[event.metadata.sequence ?? 0, default: 0] += 1 }
            s.batches += 1
            return s.policy
        }
        struct Reply: Encodable {
            var accepted: Int
            var duplicates: Int
            var policy: SignedPolicy?
        }
        return .json(Reply(accepted: result.inserted, duplicates: result.duplicates, policy: policy))
    }
}

/// The built `vigil` executable beside the test bundle, or nil (the caller skips with a printed reason).
enum VigilBinary {
    static var path: String? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("vigil").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/vigil"
        return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
    }

    /// Starts `vigil` with `arguments`; stdout and stderr go to files in `logDirectory`.
    static func spawn(_ arguments: [String], log: String) throws -> pid_t {
        guard let path else { throw AgentTransportError(description: "vigil binary not built") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard status == 0 else { throw AgentTransportError(description: "posix_spawn: \(status)") }
        return pid
    }

    /// Waits for `pid` to exit (up to `seconds`); returns its wait status or nil on timeout.
    static func wait(_ pid: pid_t, seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return status }
            usleep(20_000)
        }
        return nil
    }
}

/// Polls `condition` until true or `seconds` pass.
func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// Every occurrence of `needle` in the files under `directory` (recursively), as file paths.
func filesContaining(_ needle: String, under directory: String) -> [String] {
    let pattern = Data(needle.utf8)
    var hits: [String] = []
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
    while let relative = enumerator.nextObject() as? String {
        let path = directory + "/" + relative
        guard let data = FileManager.default.contents(atPath: path) else { continue }
        if data.range(of: pattern) != nil { hits.append(path) }
    }
    return hits
}
