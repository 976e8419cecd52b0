import Foundation
import VigilCore
import VigilCrypto

/// The agent's configuration file: `key = value` lines, `#` comments (see `packaging/agent.conf`).
///
/// Enrollment writes it (mode 0600: it holds the agent's secret) into the state directory; afterwards the agent
/// starts with `--config FILE`.
public struct AgentConfig: Sendable, Equatable {
    public var server: URL
    public var agentID: String
    public var secret: String
    /// The base64 raw Ed25519 key policies must be signed with.
    public var policyKey: String
    public var stateDirectory: String
    /// Largest spool size before the oldest unsent events are dropped (and the drop reported).
    public var spoolMaxBytes: Int = 256 << 20
    public var heartbeatSeconds: Double = 60
    public var processScanMilliseconds: Int = 200
    public var batchEvents: Int = 2000
    /// FIM watched and sensitive paths (nil: the defaults of `FIMSettings`); the signed policy replaces them.
    public var fimWatch: [String]?
    public var fimSensitive: [String]?
    public var fimScanIntervalSeconds: Int = 12 * 3600
    public var inventoryIntervalSeconds: Int = 86_400
    /// The authentication logs tried in order (the first that exists is followed).
    public var authLogs: [String] = ["/var/log/auth.log", "/var/log/secure"]

    public init(server: URL, agentID: String, secret: String, policyKey: String, stateDirectory: String) {
        self.server = server
        self.agentID = agentID
        self.secret = secret
        self.policyKey = policyKey
        self.stateDirectory = stateDirectory
    }

    /// The saved server certificate (PEM) for https.
    public var certificatePath: String { "\(stateDirectory)/server.pem" }
    public var spoolDirectory: String { "\(stateDirectory)/spool" }
    public var policyPath: String { "\(stateDirectory)/policy.json" }

    /// `Authorization: Bearer <agent_id>.<secret>`.
    public var bearer: String { "Bearer \(agentID).\(secret)" }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ text: String, file: String) throws -> AgentConfig {
        var values: [String: (String, Int)] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(description: "\(file):\(index + 1): expected 'key = value'")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard known.contains(key) else {
                throw ParseError(
                    description:
                        "\(file):\(index + 1): unknown key '\(key)'; known keys: \(known.sorted().joined(separator: ", "))"
                )
            }
            values[key] = (value, index + 1)
        }
        func required(_ key: String) throws -> String {
            guard let value = values[key]?.0, !value.isEmpty else {
                throw ParseError(description: "\(file): '\(key)' is missing; enroll again or add it")
            }
            return value
        }
        func number(_ key: String) throws -> Double? {
            guard let (value, line) = values[key] else { return nil }
            guard let number = Double(value), number > 0 else {
                throw ParseError(description: "\(file):\(line): '\(key)' must be a positive number")
            }
            return number
        }
        let serverText = try required("server")
        guard let server = URL(string: serverText), server.host != nil else {
            throw ParseError(description: "\(file):\(values["server"]!.1): 'server' is not a URL")
        }
        var config = AgentConfig(
            server: server, agentID: try required("agent_id"), secret: try required("secret"),
            policyKey: try required("policy_key"), stateDirectory: try required("state_dir"))
        if let n = try number("spool_max_bytes") { config.spoolMaxBytes = Int(n) }
        if let n = try number("heartbeat_seconds") { config.heartbeatSeconds = n }
        if let n = try number("process_scan_ms") { config.processScanMilliseconds = Int(n) }
        if let n = try number("batch_events") { config.batchEvents = max(1, Int(n)) }
        func paths(_ key: String) throws -> [String]? {
            guard let (value, line) = values[key] else { return nil }
            let list = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            for path in list where !path.hasPrefix("/") {
                throw ParseError(
                    description: "\(file):\(line): '\(key)' takes comma-separated absolute paths; '\(path)' is not one")
            }
            return list
        }
        config.fimWatch = try paths("fim_watch")
        config.fimSensitive = try paths("fim_sensitive")
        if let list = try paths("auth_log"), !list.isEmpty { config.authLogs = list }
        if let n = try number("fim_scan_interval_seconds") { config.fimScanIntervalSeconds = max(60, Int(n)) }
        if let n = try number("inventory_interval_seconds") { config.inventoryIntervalSeconds = max(300, Int(n)) }
        return config
    }

    static let known: Set<String> = [
        "server", "agent_id", "secret", "policy_key", "state_dir", "spool_max_bytes", "heartbeat_seconds",
        "process_scan_ms", "batch_events", "fim_watch", "fim_sensitive", "fim_scan_interval_seconds",
        "inventory_interval_seconds", "auth_log",
    ]

    public static func load(path: String) throws -> AgentConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ParseError(description: "\(path): cannot read the agent configuration (run --enroll first?)")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public var text: String {
        """
        # Written by `vigil agent --enroll`. Holds the agent's secret: keep it mode 0600, owned by root.
        server = \(server.absoluteString)
        agent_id = \(agentID)
        secret = \(secret)
        policy_key = \(policyKey)
        state_dir = \(stateDirectory)
        spool_max_bytes = \(spoolMaxBytes)
        heartbeat_seconds = \(heartbeatSeconds)
        process_scan_ms = \(processScanMilliseconds)
        batch_events = \(batchEvents)
        \(fimWatch.map { "fim_watch = \($0.joined(separator: ","))" } ?? "# fim_watch = (defaults)")
        \(fimSensitive.map { "fim_sensitive = \($0.joined(separator: ","))" } ?? "# fim_sensitive = (defaults)")
        fim_scan_interval_seconds = \(fimScanIntervalSeconds)
        inventory_interval_seconds = \(inventoryIntervalSeconds)
        auth_log = \(authLogs.joined(separator: ","))

        """
    }

    /// Writes the file with mode 0600 (atomically).
    public func write(to path: String) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ParseError(description: "\(tmp): cannot write: \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == bytes.count, rename(tmp, path) == 0 else {
            throw ParseError(description: "\(path): cannot write: \(String(cString: strerror(errno)))")
        }
    }

    /// The HTTP client for this configuration: https pinned to the saved certificate, or loopback http.
    public func client() throws -> AgentHTTPClient {
        if server.scheme?.lowercased() == "https" {
            guard let pem = try? String(contentsOfFile: certificatePath, encoding: .utf8),
                let der = TLSClientSession.derFromPEM(pem)
            else {
                throw ParseError(
                    description: "\(certificatePath): the server certificate saved at enrollment is missing")
            }
            return try AgentHTTPClient(server: server, trust: .certificate(der))
        }
        return try AgentHTTPClient(server: server, trust: nil)
    }

    public func policyVerifier() throws -> PolicyVerifier {
        guard let raw = Data(base64Encoded: policyKey) else {
            throw ParseError(description: "policy_key is not base64")
        }
        return PolicyVerifier(key: try Ed25519PublicKey(rawRepresentation: Array(raw)))
    }
}

/// `vigil agent --server URL --enroll TOKEN --pin sha256:… --state DIR`: trades a one-time token for the agent's
/// credential and the server's policy key, and saves the server certificate whose SHA-256 matches the pin.
public enum Enrollment {
    /// Enrolls and writes `<state>/agent.conf`; returns its path.
    public static func enroll(
        server: URL, token: String, pin: String?, stateDirectory: String, host: Device
    ) throws -> String {
        try FileManager.default.createDirectory(
            atPath: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var client: AgentHTTPClient
        if server.scheme?.lowercased() == "https" {
            guard let pin, pin.hasPrefix("sha256:"), let digest = Hex.decode(String(pin.dropFirst(7))),
                digest.count == 32
            else {
                throw AgentConfig.ParseError(
                    description: "--pin must be sha256:<64 hex digits> as printed by the server at start")
            }
            // The handshake itself checks the presented certificate against the pin; keep that certificate.
            let probe = try AgentHTTPClient(server: server, trust: .sha256(digest))
            let der = try probe.peerCertificate()
            let pem = TLSClientSession.pem(der: der)
            try Data(pem.utf8).write(to: URL(fileURLWithPath: "\(stateDirectory)/server.pem"), options: .atomic)
            client = try AgentHTTPClient(server: server, trust: .certificate(der))
        } else {
            client = try AgentHTTPClient(server: server, trust: nil)
        }
        client.timeoutSeconds = 30
        let body = Array(try JSON.encoder().encode(EnrollmentRequest(token: token, host: host)))
        let reply = try client.request(
            method: "POST", path: "/api/v1/agents/enroll", headers: [("Content-Type", "application/json")], body: body)
        guard reply.status == 201 || reply.status == 200 else {
            throw AgentConfig.ParseError(
                description: "enrollment refused (HTTP \(reply.status)): \(ServerMessage.describe(reply.body))")
        }
        let decoded = try JSONDecoder().decode(EnrollmentReply.self, from: Data(reply.body))
        let config = AgentConfig(
            server: server, agentID: decoded.agentID, secret: decoded.secret, policyKey: decoded.policyKey,
            stateDirectory: stateDirectory)
        _ = try config.policyVerifier()
        let path = "\(stateDirectory)/agent.conf"
        try config.write(to: path)
        return path
    }
}

/// The `{"error": {"code", "message"}}` body of a refusal, for logs (bounded, never the request).
enum ServerMessage {
    static func describe(_ body: [UInt8]) -> String {
        struct Envelope: Decodable {
            struct Inner: Decodable {
                var code: String
                var message: String
            }
            var error: Inner
        }
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)) {
            return "\(envelope.error.code): \(envelope.error.message)".prefix(300).description
        }
        return String(decoding: body.prefix(200), as: UTF8.self)
    }
}

extension AgentHTTPClient {
    /// Connects, runs the TLS handshake (which checks the pin) and returns the server's certificate.
    public func peerCertificate() throws -> [UInt8] {
        guard let trust, isTLS else { throw AgentTransportError(description: "not an https server") }
        let fd = try connect()
        defer { close(fd) }
        let session = try TLSClientSession(fd: fd, serverName: host, trust: trust)
        session.shutdown()
        return session.peerCertificate
    }
}
