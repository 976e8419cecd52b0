import Foundation
import Synchronization
import Testing
import VigilCore
import VigilCrypto

@testable import VigilAgent

@Suite struct PolicyTests {
    static let key: Ed25519PrivateKey = {
        // A fixed 32-byte seed is always a valid Ed25519 key.
        guard let key = try? Ed25519PrivateKey(seed: [UInt8](repeating: 7, count: 32)) else {
            preconditionFailure("Ed25519 seed rejected")
        }
        return key
    }()
    static let verifier = PolicyVerifier(key: key.publicKey)

    static func signed(_ payload: String, key: Ed25519PrivateKey = key) throws -> SignedPolicy {
        let bytes = Array(payload.utf8)
        return SignedPolicy(
            payload: Data(bytes).base64EncodedString(),
            signature: Data(try key.signature(for: bytes)).base64EncodedString())
    }

    static let good = """
        {"version": 3, "issued_at": 1764787800000,
         "fim": {"watch": ["/etc", "/usr/bin"], "sensitive": ["/etc/shadow"], "scan_interval_seconds": 3600},
         "audit": {"rules": ["-w /etc/passwd -p wa -k identity", "-a always,exit -F arch=b64 -S execve -k exec"]},
         "inventory": {"interval_seconds": 86400}}
        """

    @Test func aWellSignedPolicyIsDecoded() throws {
        let policy = try Self.verifier.verify(try Self.signed(Self.good), currentVersion: 2)
        #expect(policy.version == 3)
        #expect(policy.fimWatch == ["/etc", "/usr/bin"])
        #expect(policy.fimSensitive == ["/etc/shadow"])
        #expect(policy.fimScanIntervalSeconds == 3600)
        #expect(policy.auditRules.count == 2)
        #expect(policy.inventoryIntervalSeconds == 86400)
    }

    static func reason(_ signed: SignedPolicy, current: Int = 2) -> String? {
        do {
            _ = try verifier.verify(signed, currentVersion: current)
            return nil
        } catch let rejection as PolicyRejection {
            return rejection.reason
        } catch {
            return "\(error)"
        }
    }

    @Test func tamperedPoliciesAreRejectedWithTheReason() throws {
        // Bad signature: payload changed after signing.
        var tampered = try Self.signed(Self.good)
        tampered.payload = Data(Self.good.replacingOccurrences(of: "/etc/shadow", with: "/tmp").utf8)
            .base64EncodedString()
        #expect(Self.reason(tampered)?.contains("bad signature") == true)
        // Signed by another key.
        let other = try Ed25519PrivateKey(seed: [UInt8](repeating: 9, count: 32))
        #expect(Self.reason(try Self.signed(Self.good, key: other))?.contains("bad signature") == true)
        // Unknown fields, at the top and nested.
        #expect(Self.reason(try Self.signed(#"{"version": 3, "extra": 1}"#)) == "unknown field policy.extra")
        #expect(
            Self.reason(try Self.signed(#"{"version": 3, "fim": {"watch": [], "follow_links": true}}"#))
                == "unknown field policy.fim.follow_links")
        // Anything naming a command.
        #expect(
            Self.reason(try Self.signed(#"{"version": 3, "command": "rm -rf /"}"#))?.contains("names a command") == true
        )
        #expect(
            Self.reason(try Self.signed(#"{"version": 3, "audit": {"rules": ["-w /etc -k x"], "run_on_match": "x"}}"#))?
                .contains("names a command") == true)
        #expect(
            Self.reason(try Self.signed(#"{"version": 3, "fim": {"watch": ["/etc/$(reboot)"]}}"#))?
                .contains("names a command") == true)
        #expect(
            Self.reason(try Self.signed(#"{"version": 3, "audit": {"rules": ["exec=/bin/sh -c id"]}}"#))?
                .contains("names a command") == true)
        // Versions not newer.
        #expect(Self.reason(try Self.signed(Self.good), current: 3)?.contains("not newer") == true)
        #expect(Self.reason(try Self.signed(Self.good), current: 9)?.contains("not newer") == true)
        // Dangerous audit control and relative paths.
        #expect(
            Self.reason(try Self.signed(#"{"version": 3, "audit": {"rules": ["-e 0"]}}"#))?.contains("-a/-A") == true)
        #expect(Self.reason(try Self.signed(#"{"version": 3, "audit": {"rules": ["-D"]}}"#))?.contains("-a/-A") == true)
        #expect(
            Self.reason(try Self.signed(#"{"version": 3, "fim": {"watch": ["etc/../root"]}}"#))?.contains("absolute")
                == true)
        // Not JSON, not base64, no version.
        #expect(Self.reason(SignedPolicy(payload: "!!", signature: "AA=="))?.contains("base64") == true)
        #expect(Self.reason(try Self.signed("[1,2]"))?.contains("JSON object") == true)
        #expect(Self.reason(try Self.signed(#"{"version": "3"}"#))?.contains("integer") == true)
        #expect(Self.reason(try Self.signed(#"{"version": true}"#))?.contains("integer") == true)
        #expect(Self.reason(try Self.signed(#"{"version": 3.5}"#))?.contains("integer") == true)
    }

    @Test func garbagePayloadsAreRejectedNeverCrash() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int(state >> 58)
            var bytes: [UInt8] = []
            for i in 0..<length { bytes.append(UInt8(truncatingIfNeeded: state >> UInt64(i % 56))) }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(Self.reason(try Self.signed(text)) != nil)
        }
    }

    @Test func theShipperKeepsItsPolicyOnRejectionAndLogsIt() throws {
        let dir = NSTemporaryDirectory() + "vigil-policy-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logged = Mutex<[String]>([])
        let spool = try Spool(directory: dir + "/spool")
        let shipper = SpoolShipper(
            spool: spool, client: try AgentHTTPClient(server: URL(string: "http://127.0.0.1:9/")!, trust: nil),
            authorization: "Bearer a.b", verifier: Self.verifier, policyPath: dir + "/policy.json",
            log: { line in logged.withLock { $0.append(line) } })
        shipper.apply(try Self.signed(Self.good))
        #expect(shipper.policy.version == 3)
        var tampered = try Self.signed(Self.good.replacingOccurrences(of: "\"version\": 3", with: "\"version\": 4"))
        tampered.signature = try Self.signed(Self.good).signature
        shipper.apply(tampered)
        shipper.apply(try Self.signed(#"{"version": 5, "audit": {"rules": []}, "exec": "/bin/sh"}"#))
        shipper.apply(try Self.signed(#"{"version": 6, "unknown": {}}"#))
        #expect(shipper.policy.version == 3)
        #expect(shipper.policy.fimSensitive == ["/etc/shadow"])
        #expect(shipper.statistics.policiesRejected == 3)
        let lines = logged.withLock { $0 }
        #expect(lines.filter { $0.contains("policy rejected") && $0.contains("keeping policy version 3") }.count == 3)
        // The applied policy was saved and is re-verified at the next start.
        let restarted = SpoolShipper(
            spool: spool, client: try AgentHTTPClient(server: URL(string: "http://127.0.0.1:9/")!, trust: nil),
            authorization: "Bearer a.b", verifier: Self.verifier, policyPath: dir + "/policy.json", log: { _ in })
        #expect(restarted.policy.version == 3)
    }

    @Test func configFilesAreParsedStrictly() throws {
        let text = """
            # comment
            server = https://vigil.example:8470/
            agent_id = a1
            secret = s3cr3t
            policy_key = \(Data(Self.key.publicKey.rawRepresentation).base64EncodedString())
            state_dir = /var/lib/vigil-agent
            spool_max_bytes = 1048576
            """
        let config = try AgentConfig.parse(text, file: "agent.conf")
        #expect(config.agentID == "a1")
        #expect(config.spoolMaxBytes == 1_048_576)
        #expect(config.bearer == "Bearer a1.s3cr3t")
        #expect(try AgentConfig.parse(config.text, file: "again") == config)
        #expect(throws: AgentConfig.ParseError.self) { try AgentConfig.parse(text + "\nexec = /bin/sh", file: "f") }
        #expect(throws: AgentConfig.ParseError.self) { try AgentConfig.parse("server = x", file: "f") }
        #expect(throws: AgentConfig.ParseError.self) { try AgentConfig.parse(text + "\nnot a pair", file: "f") }
        #expect(throws: AgentConfig.ParseError.self) {
            try AgentConfig.parse(text + "\nspool_max_bytes = -1", file: "f")
        }
        do {
            _ = try AgentConfig.parse(text + "\nexec = /bin/sh", file: "agent.conf")
        } catch {
            #expect("\(error)".contains("agent.conf:8: unknown key 'exec'"))
            #expect(!"\(error)".contains("s3cr3t"))
        }
    }

    @Test func thePackagedDefaultConfigurationParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let config = try AgentConfig.load(path: root.appendingPathComponent("packaging/agent.conf").path)
        #expect(config.stateDirectory == "/var/lib/vigil-agent")
        #expect(config.spoolMaxBytes == 268_435_456)
    }

    @Test func plainHTTPIsRefusedOutsideLoopback() throws {
        #expect(throws: AgentTransportError.self) {
            try AgentHTTPClient(server: URL(string: "http://vigil.example/")!, trust: nil)
        }
        #expect(throws: AgentTransportError.self) {
            try AgentHTTPClient(server: URL(string: "https://vigil.example/")!, trust: nil)
        }
        _ = try AgentHTTPClient(server: URL(string: "http://127.0.0.1:8470/")!, trust: nil)
        _ = try AgentHTTPClient(server: URL(string: "http://[::1]:8470/")!, trust: nil)
    }

    @Test func repliesAreParsedAndGarbageRefused() throws {
        let reply = try AgentHTTPClient.parseResponse(
            Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA".utf8))
        #expect(reply.status == 200)
        #expect(reply.body == Array("hello".utf8))
        #expect(reply.headers["x-a"] == "b")
        let chunked = try AgentHTTPClient.parseResponse(
            Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".utf8))
        #expect(chunked.body == Array("abcde".utf8))
        for garbage in [
            "", "HTTP/1.1", "NOPE 200\r\n\r\n", "HTTP/1.1 abc\r\n\r\n", "HTTP/1.1 200\r\nContent-Length: 9\r\n\r\nab",
        ] {
            #expect(throws: AgentTransportError.self) { try AgentHTTPClient.parseResponse(Array(garbage.utf8)) }
        }
        var state: UInt64 = 42
        for _ in 0..<300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let bytes = (0..<Int(state >> 57)).map { UInt8(truncatingIfNeeded: state >> UInt64($0 % 50)) }
            _ = try? AgentHTTPClient.parseResponse(
                Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + bytes)
        }
    }
}
