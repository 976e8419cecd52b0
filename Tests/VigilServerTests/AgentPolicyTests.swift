import Foundation
import Synchronization
import Testing
import VigilAgent
import VigilCore
import VigilCrypto
import VigilServer
import VigilStore
import VigilTestSupport

/// Policy files: what is accepted, and every refusal naming its field and line.
@Suite struct PolicyDocumentTests {
    static func expectGood(_ document: PolicyDocument) {
        #expect(document.fimWatch == ["/etc", "/usr/bin"])
        #expect(document.fimSensitive == ["/etc/shadow", "/etc/ssl/private"])
        #expect(document.fimScanIntervalSeconds == 3600)
        #expect(
            document.auditRules == [
                "-w /etc/passwd -p wa -k identity", "-a always,exit -F arch=b64 -S execve -k exec_log",
            ])
        #expect(document.inventoryIntervalSeconds == 21600)
    }

    @Test func yamlAndJSONReadTheSame() throws {
        let yaml = try PolicyDocument.parse(try Fixtures.string("policy/good.yaml"), file: "good.yaml")
        let json = try PolicyDocument.parse(try Fixtures.string("policy/good.json"), file: "good.json")
        Self.expectGood(yaml)
        #expect(yaml == json)
    }

    @Test func absentFieldsTakeTheAgentDefaults() throws {
        let document = try PolicyDocument.parse("fim:\n  watch: [/srv]\n", file: "p.yaml")
        #expect(document.fimWatch == ["/srv"])
        #expect(document.fimScanIntervalSeconds == AgentPolicy().fimScanIntervalSeconds)
        #expect(document.inventoryIntervalSeconds == AgentPolicy().inventoryIntervalSeconds)
        #expect(document.auditRules.isEmpty)
    }

    static func badCases() throws -> [(field: String, line: Int, text: String)] {
        let text = try Fixtures.string("policy/bad-cases.txt")
        let body = text.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("#") }
        return body.joined(separator: "\n").components(separatedBy: "\n---8<---\n").map { block in
            let lines = block.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            let head = lines[0].split(separator: " ")
            return (String(head[0]), Int(head[1]) ?? -1, lines.count > 1 ? String(lines[1]) + "\n" : "")
        }
    }

    @Test func everyBadFileNamesItsFieldAndLine() throws {
        let cases = try Self.badCases()
        #expect(cases.count == 19)
        for bad in cases {
            do {
                _ = try PolicyDocument.parse(bad.text, file: "policy.yaml")
                Issue.record("accepted: \(bad.text)")
            } catch let error as PolicyError {
                if bad.field != "-" { #expect(error.field == bad.field, "\(bad.text) → \(error)") }
                #expect(error.line == bad.line, "\(bad.text) → \(error)")
                #expect(error.description.hasPrefix("policy.yaml:\(bad.line)"), "\(error)")
            }
        }
    }

    @Test func emptyAndBinaryInputAreRefused() throws {
        #expect(throws: PolicyError.self) { try PolicyDocument.parse("", file: "p") }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 1...200, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            // Garbage either fails with a PolicyError or is (rarely) a valid empty-ish mapping; never crashes.
            do {
                _ = try PolicyDocument.parse(String(decoding: bytes, as: UTF8.self), file: "p")
            } catch is PolicyError {}
        }
    }
}

/// The server's signed policy, checked by the agent's own verifier, over a real server on loopback.
@Suite struct AgentPolicyServerTests {
    static let host = Device(hostname: "policy-host", uid: "policy-host-id")

    /// Enrolls over HTTP and returns the credential and the `policy_key` from the enrollment reply.
    static func enroll(_ f: PeopleFixture) throws -> (credential: String, key: Ed25519PublicKey) {
        let token = try f.server.agents.createToken(uses: 1, expiresAt: nil)
        let body = try JSONSerialization.data(
            withJSONObject: ["token": token, "host": ["hostname": host.hostname, "uid": host.uid!]])
        let response = try RawHTTPClient.request(
            port: f.port, method: "POST", path: "/api/v1/agents/enroll",
            headers: [("Content-Type", "application/json")], body: Array(body))
        try #require(response.status == 201, "\(response.text)")
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String])
        let keyText = try #require(reply["policy_key"])
        let raw = try #require(Data(base64Encoded: keyText))
        return (
            "\(reply["agent_id"]!).\(reply["secret"]!)", try Ed25519PublicKey(rawRepresentation: Array(raw))
        )
    }

    /// Posts one new event with `X-Vigil-Policy-Version: running` and returns the reply's `policy`, if any.
    static func ship(
        _ f: PeopleFixture, _ credential: String, running: String?, id: String
    ) throws -> SignedPolicy? {
        let event = Event(
            id: id, classUID: .processActivity, activityID: Activity.Process.launch,
            time: PeopleFixture.start - 1000, metadata: EventMetadata(logName: "proc"), device: host,
            process: Process(pid: 1, name: "x", cmdLine: "x", file: FileObject(path: "/usr/bin/x")))
        let body = String(decoding: try JSON.encoder().encode(EventBatch(host: host, events: [event])), as: UTF8.self)
        let response = try f.request(
            "POST", "/api/v1/events", bearer: credential, json: body,
            headers: running.map { [("X-Vigil-Policy-Version", $0)] } ?? [])
        try #require(response.status == 200, "\(response.text)")
        struct Ack: Decodable {
            var accepted: Int
            var policy: SignedPolicy?
        }
        let ack = try JSONDecoder().decode(Ack.self, from: Data(response.body))
        #expect(ack.accepted == 1)
        return ack.policy
    }

    static func check(_ f: PeopleFixture) throws {
        let (credential, key) = try enroll(f)
        let verifier = PolicyVerifier(key: key)
        // No policy yet: nothing in the reply, GET says so.
        #expect(try ship(f, credential, running: "0", id: "e0") == nil)
        let admin = try f.login(try f.addUser("root", .admin))
        #expect(try f.request("GET", "/api/v1/policy", session: admin).status == 404)

        // An analyst (session or API token) can neither read nor set it.
        let analyst = try f.login(try f.addUser("ana", .analyst))
        let good = try Fixtures.string("policy/good.json")
        #expect(try f.request("PUT", "/api/v1/policy", session: analyst, json: good).status == 403)
        #expect(try f.request("GET", "/api/v1/policy", session: analyst).status == 403)
        let token = try f.server.authenticator.createToken(name: "t", role: .analyst, createdBy: "t", expiresAt: nil)
        #expect(try f.request("PUT", "/api/v1/policy", bearer: token.secret, json: good).status == 403)
        #expect(try f.request("PUT", "/api/v1/policy", bearer: credential, json: good).status == 403)
        #expect(try f.server.policies.current() == nil)

        // A bad policy is refused with its field; nothing is stored.
        let bad = try f.request(
            "PUT", "/api/v1/policy", session: admin, json: #"{"fim": {"watch": ["etc"]}}"#)
        #expect(bad.status == 400)
        #expect(PeopleFixture.errorCode(bad) == "invalid-policy")
        #expect(bad.text.contains("fim.watch[0]"))
        #expect(try f.server.policies.current() == nil)

        // The admin sets version 1; the agent's verifier accepts the reply to an agent running 0 (or nothing).
        let set = try f.request("PUT", "/api/v1/policy", session: admin, json: good)
        try #require(set.status == 200, "\(set.text)")
        #expect(try PeopleFixture.object(set)["version"] as? Int == 1)
        #expect(try PeopleFixture.object(set)["set_by"] as? String == "user:root")
        let signed = try #require(try ship(f, credential, running: "0", id: "e1"))
        let policy = try verifier.verify(signed, currentVersion: 0)
        #expect(policy.version == 1)
        #expect(policy.issuedAt == PeopleFixture.start + 60_000)
        #expect(policy.fimWatch == ["/etc", "/usr/bin"])
        #expect(policy.fimSensitive == ["/etc/shadow", "/etc/ssl/private"])
        #expect(policy.fimScanIntervalSeconds == 3600)
        #expect(policy.auditRules.count == 2)
        #expect(policy.inventoryIntervalSeconds == 21600)
        #expect(try ship(f, credential, running: nil, id: "e2") == signed)
        #expect(try ship(f, credential, running: "junk", id: "e3") == signed)
        // An agent already running it gets none.
        #expect(try ship(f, credential, running: "1", id: "e4") == nil)
        #expect(try ship(f, credential, running: "7", id: "e5") == nil)

        // The same bytes the store holds, and GET shows them.
        let shown = try f.request("GET", "/api/v1/policy", session: admin)
        #expect(shown.status == 200)
        let signedObject = try #require(try PeopleFixture.object(shown)["signed"] as? [String: String])
        #expect(signedObject["payload"] == signed.payload && signedObject["signature"] == signed.signature)

        // Tampering: one changed payload byte, a swapped signature, a payload signed by another key.
        var bytes = Array(Data(base64Encoded: signed.payload)!)
        let index = try #require(bytes.firstIndex(of: UInt8(ascii: "3")))  // 3600 → 4600
        bytes[index] = UInt8(ascii: "4")
        let tampered = SignedPolicy(payload: Data(bytes).base64EncodedString(), signature: signed.signature)
        #expect(throws: PolicyRejection.self) { try verifier.verify(tampered, currentVersion: 0) }
        let other = try Ed25519PrivateKey.generate()
        let forged = SignedPolicy(
            payload: signed.payload,
            signature: Data(try other.signature(for: Array(Data(base64Encoded: signed.payload)!)))
                .base64EncodedString())
        #expect(throws: PolicyRejection.self) { try verifier.verify(forged, currentVersion: 0) }

        // Version 2 reaches an agent on 1, and the agent accepts it as newer.
        f.clock.advance(by: 1000)
        let second = try f.request(
            "PUT", "/api/v1/policy", session: admin, json: #"{"fim": {"watch": ["/srv"]}}"#)
        #expect(second.status == 200)
        let next = try #require(try ship(f, credential, running: "1", id: "e6"))
        let applied = try verifier.verify(next, currentVersion: 1)
        #expect(applied.version == 2)
        #expect(applied.fimWatch == ["/srv"])
        #expect(applied.fimScanIntervalSeconds == AgentPolicy().fimScanIntervalSeconds)
        // The old policy replayed to an agent on 2 is refused by the agent.
        #expect(throws: PolicyRejection.self) { try verifier.verify(signed, currentVersion: 2) }

        // The access log names who set it.
        let puts = try f.accessLog().filter { $0.method == "PUT" && $0.path == "/api/v1/policy" }
        #expect(puts.map(\.status) == [403, 403, 403, 400, 200, 200])
    }

    @Test func sqlite() throws {
        try Self.check(try #require(try PeopleFixture.make(.sqlite)))
    }

    @Test func postgres() throws {
        guard let fixture = try PeopleFixture.make(.postgres) else { return }
        try Self.check(fixture)
    }

    /// The agent's real shipper against the real server: it enrolls, ships, and applies (and saves) the policy.
    @Test func theAgentsShipperAppliesTheServersPolicy() throws {
        let f = try #require(try PeopleFixture.make(.sqlite))
        let state = NSTemporaryDirectory() + "vigil-policy-agent-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let device = Device(hostname: "ship-host", uid: "ship-host-id")
        let path = try Enrollment.enroll(
            server: URL(string: "http://127.0.0.1:\(f.port)")!,
            token: try f.server.agents.createToken(uses: 1, expiresAt: nil), pin: nil, stateDirectory: state,
            host: device)
        let config = try AgentConfig.load(path: path)
        let spool = try Spool(directory: config.spoolDirectory)
        let logged = Mutex<[String]>([])
        let shipper = SpoolShipper(
            spool: spool, client: try config.client(), authorization: config.bearer,
            verifier: try config.policyVerifier(), policyPath: config.policyPath,
            log: { line in logged.withLock { $0.append(line) } })
        var sequence = 0
        func ship() throws {
            sequence += 1
            try spool.append([
                Event(
                    id: "s\(sequence)", classUID: .baseEvent, activityID: 0, time: PeopleFixture.start - 1000,
                    metadata: EventMetadata(logName: "test"), device: device)
            ])
            #expect(shipper.flush() == .drained)
        }
        try ship()
        #expect(shipper.policy.version == 0)
        try f.server.policies.set(
            try PolicyDocument.parse(try Fixtures.string("policy/good.yaml"), file: "good.yaml"), by: "test")
        try ship()
        #expect(shipper.policy.version == 1, "\(logged.withLock { $0 })")
        #expect(shipper.policy.fimSensitive == ["/etc/shadow", "/etc/ssl/private"])
        #expect(FileManager.default.fileExists(atPath: config.policyPath))
        try ship()
        #expect(f.server.metrics.render().contains("vigil_policy_sent_total 1\n"))
        var next = PolicyDocument()
        next.auditRules = ["-w /etc/sudoers -p wa -k scope"]
        try f.server.policies.set(next, by: "test")
        try ship()
        #expect(shipper.policy.version == 2)
        #expect(shipper.policy.auditRules == ["-w /etc/sudoers -p wa -k scope"])
        #expect(!logged.withLock { $0 }.contains { $0.contains("rejected") })
    }

    /// A node sees a version set elsewhere (another node, the CLI) once its short cache lapses; until then it
    /// answers from the cache without a query.
    @Test func anotherWritersVersionIsSeenWhenTheCacheLapses() throws {
        let store = try SQLiteEventStore(database: try .inMemory())
        let clock = FakeClock(milliseconds: 1_000)
        let cached = PolicyStore(store: store, clock: clock, cacheSeconds: 3600)
        let uncached = PolicyStore(store: store, clock: clock, cacheSeconds: 0)
        let writer = PolicyStore(store: store, clock: clock)
        #expect(try cached.newer(than: 0) == nil)
        try writer.set(PolicyDocument(), by: "cli:test")
        try writer.set(PolicyDocument(), by: "cli:test")
        #expect(try cached.newer(than: 0) == nil)
        #expect(try uncached.newer(than: 0)?.version == 2)
        #expect(try uncached.newer(than: 2) == nil)
        #expect(try writer.newer(than: 1)?.setBy == "cli:test")
        // Each version is queued for the archive with who set it.
        let archived = try store.ledgerOutbox(limit: 10).map(\.item)
        #expect(archived.map(\.kind) == ["policy", "policy"])
        #expect(archived.map(\.ref) == ["policy/1", "policy/2"])
        let entry = try #require(
            try JSONSerialization.jsonObject(with: Data(archived[1].entry)) as? [String: Any])
        #expect(entry["set_by"] as? String == "cli:test")
        #expect(entry["payload"] as? String == (try uncached.current()?.payload))
    }
}
