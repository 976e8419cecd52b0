import Foundation
import Synchronization
import Testing
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilLedger
import VigilServer
import VigilStore
import VigilTestSupport

/// NDJSON lines for `POST /api/v1/events` (wire contract v1).
enum NDJSON {
    static func lines(_ events: [Event]) throws -> [UInt8] {
        let encoder = JSON.encoder()
        var out: [UInt8] = []
        for event in events {
            out += try encoder.encode(event)
            out.append(0x0a)
        }
        return out
    }

    static let headers = [("Content-Type", "application/x-ndjson"), ("Content-Encoding", "zstd")]

    static func event(
        _ id: String, cmd: String, host: Device = ServerFixture.host, path: String = "/usr/bin/x"
    )
        -> Event
    {
        var event = ServerEndToEndTests.event(id, cmd: cmd, path: path)
        event.device = host
        return event
    }

    static func errorCode(_ response: RawHTTPResponse) -> String? { ServerFixture.errorCode(response) }
}

@Suite struct EnrollmentTests {
    func enroll(_ fixture: ServerFixture, token: String, host: Device = ServerFixture.host) throws -> RawHTTPResponse {
        try RawHTTPClient.request(
            port: fixture.port, method: "POST", path: "/api/v1/agents/enroll",
            headers: [("Content-Type", "application/json")],
            body: Array(try JSON.encoder().encode(ServerFixture.EnrollBody(token: token, host: host))))
    }

    @Test func aTokenEnrollsOnceAndItsReplayIsRefusedAndLogged() throws {
        let fixture = try ServerFixture()
        let token = try fixture.server.agents.createToken(uses: 1, expiresAt: nil)
        let first = try enroll(fixture, token: token)
        #expect(first.status == 201)
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(first.body)) as? [String: String])
        let id = try #require(reply["agent_id"])
        let secret = try #require(reply["secret"])
        #expect(Base64URLDecode.bytes(secret)?.count == 32)
        #expect(Data(base64Encoded: try #require(reply["policy_key"]))?.count == 32)
        // Only the secret's hash is stored; the database file never holds the secret or the token.
        let stored = try #require(try fixture.store.agent(id: id))
        #expect(stored.secretSHA256 == SHA256.hash(secret).bytes)
        #expect(stored.hostUID == "machine-web-01")
        let file = try Data(contentsOf: fixture.directory.appendingPathComponent("vigil.db"))
        let wal = (try? Data(contentsOf: fixture.directory.appendingPathComponent("vigil.db-wal"))) ?? Data()
        for haystack in [file, wal] {
            #expect(haystack.range(of: Data(secret.utf8)) == nil)
            #expect(haystack.range(of: Data(token.utf8)) == nil)
        }
        let replay = try enroll(fixture, token: token)
        #expect(replay.status == 401)
        #expect(NDJSON.errorCode(replay) == "enrollment-refused")
        #expect(try fixture.store.securityLog(limit: 10).contains { $0.kind == "enroll.used" })
        // The credential works; a wrong secret, a revoked agent, an unknown id do not (each logged).
        let batch = try Zstd.compress(NDJSON.lines([NDJSON.event("e1", cmd: "ls")]))
        #expect(try fixture.post(batch, token: "\(id).\(secret)", headers: NDJSON.headers).status == 200)
        #expect(try fixture.post(batch, token: "\(id).x\(secret.dropFirst())", headers: NDJSON.headers).status == 401)
        #expect(try fixture.post(batch, token: "ag_nobody.\(secret)", headers: NDJSON.headers).status == 401)
        #expect(try fixture.store.revokeAgent(id: id, at: ServerFixture.now))
        let revoked = try fixture.post(batch, token: "\(id).\(secret)", headers: NDJSON.headers)
        #expect(revoked.status == 401)
        let kinds = Set(try fixture.store.securityLog(limit: 50).map(\.kind))
        #expect(kinds.isSuperset(of: ["auth.bad-secret", "auth.unknown-agent", "auth.revoked", "enroll.accepted"]))
        #expect(try !fixture.store.securityLog(limit: 50).contains { $0.detail.contains(secret) })
    }

    @Test func expiredUnknownAndUsedUpTokensAreRefused() throws {
        let fixture = try ServerFixture()
        let expired = try fixture.server.agents.createToken(uses: 5, expiresAt: ServerFixture.now - 1)
        #expect(try enroll(fixture, token: expired).status == 401)
        #expect(try enroll(fixture, token: "vet_not-a-token").status == 401)
        let twice = try fixture.server.agents.createToken(uses: 2, expiresAt: ServerFixture.now + 60_000)
        #expect(try enroll(fixture, token: twice).status == 201)
        #expect(try enroll(fixture, token: twice, host: Device(hostname: "b", uid: "machine-b")).status == 201)
        #expect(try enroll(fixture, token: twice).status == 401)
        let kinds = try fixture.store.securityLog(limit: 50).map(\.kind)
        #expect(kinds.contains("enroll.expired") && kinds.contains("enroll.unknown") && kinds.contains("enroll.used"))
        // A host without a machine id, and garbage, are 400s.
        let noUID = try enroll(fixture, token: twice, host: Device(hostname: "x"))
        #expect(noUID.status == 400)
        let garbage = try RawHTTPClient.request(
            port: fixture.port, method: "POST", path: "/api/v1/agents/enroll",
            headers: [("Content-Type", "application/json")], body: Array("{\"token\": 3".utf8))
        #expect(garbage.status == 400)
    }
}

@Suite struct IngestTests {
    @Test func anNDJSONBatchIsStoredDetectedAndArchivedWithAProof() throws {
        let fixture = try ServerFixture()
        let events = [
            NDJSON.event("n1", cmd: "useradd mallory", path: "/usr/sbin/useradd"),
            NDJSON.event("n2", cmd: "'; DROP TABLE events; --"),
            NDJSON.event("n3", cmd: "<script>alert(1)</script>"),
            NDJSON.event("n4", cmd: "useradd eve", path: "/usr/sbin/useradd"),
        ]
        let response = try fixture.post(Zstd.compress(try NDJSON.lines(events)), headers: NDJSON.headers)
        #expect(response.status == 200, "\(response.text)")
        #expect(response.text == #"{"accepted":4,"duplicates":0}"#)
        // The same batch again: all duplicates, and no new alert repeat.
        let again = try fixture.post(Zstd.compress(try NDJSON.lines(events)), headers: NDJSON.headers)
        #expect(again.text == #"{"accepted":0,"duplicates":4}"#)
        let stored = try fixture.store.recentEvents(classUID: nil, limit: 10)
        #expect(Set(stored.compactMap(\.event.process?.cmdLine)) == Set(events.compactMap(\.process?.cmdLine)))
        let alerts = try fixture.store.alerts(limit: 10)
        let useradd = try #require(alerts.first { $0.draft.ruleTitle == "Account Management Command" })
        #expect(useradd.repeatCount == 2)
        #expect(useradd.status == "open")
        #expect(useradd.draft.eventUIDs == ["n1"])
        #expect(useradd.draft.fields["Image"] == "/usr/sbin/useradd")
        #expect(useradd.draft.hostUID == "machine-web-01")

        // The job drains the outbox (4 events + 2 alert entries, beside the access log's rows, which the archive
        // keeps too) and signs a checkpoint covering all of it.
        try waitFor {
            let size = try fixture.store.ledgerSize()
            return try fixture.store.ledgerOutboxCount() == 0 && fixture.store.ledgerCheckpoints().last?.size == size
                && ArchiveCount.of(fixture.store, kinds: ["event", "alert"]) == 6
        }
        let archived = try fixture.store.ledgerSize()
        let proofResponse = try fixture.get("/api/v1/events/n2/proof?host=machine-web-01")
        #expect(proofResponse.status == 200)
        let bundle = try ProofBundle(parsing: proofResponse.body)
        let key = try NoteVerifierKey(fixture.server.archivist.verifierKey)
        let verified = try bundle.verify(keys: [key])
        #expect(verified.checkpoint.size >= archived)
        let entry = try JSONDecoder().decode(Event.self, from: Data(bundle.entry))
        #expect(entry.process?.cmdLine == "'; DROP TABLE events; --")
        #expect(try fixture.get("/api/v1/events/nope/proof?host=machine-web-01").status == 404)
        let checkpoints = try fixture.get("/api/v1/archive/checkpoints")
        #expect(checkpoints.status == 200)
        #expect(checkpoints.text.contains(fixture.server.archivist.verifierKey))

        // An export is an archive `vigil archive verify` accepts.
        let export = fixture.directory.appendingPathComponent("export").path
        try fixture.server.archivist.export(to: export)
        let report = try Archive.verify(directory: export, keys: [key])
        #expect(report.failures.isEmpty)
        // Requests since (the proof and checkpoint reads above) add access-log entries: the export holds at
        // least what the checkpoint covered when the events were archived.
        #expect(report.entries >= archived)
        #expect(try ArchiveCount.of(fixture.store, kinds: ["event", "alert"]) == 6)
    }

    @Test func eventsForAnotherHostAreRefused403AndLogged() throws {
        let fixture = try ServerFixture()
        let other = Device(hostname: "db-01", uid: "machine-db-01")
        let batch = [NDJSON.event("ok", cmd: "ls"), NDJSON.event("spoof", cmd: "ls", host: other)]
        let response = try fixture.post(Zstd.compress(try NDJSON.lines(batch)), headers: NDJSON.headers)
        #expect(response.status == 403)
        #expect(NDJSON.errorCode(response) == "host-mismatch")
        #expect(try fixture.store.eventCount() == 0)
        #expect(try fixture.store.securityLog(limit: 5).first?.kind == "ingest.host-mismatch")
        // The legacy EventBatch with another host is refused the same way.
        let legacy = try fixture.post(ServerEndToEndTests.batch([NDJSON.event("l", cmd: "ls")], host: other))
        #expect(legacy.status == 403)
    }

    /// Bad NDJSON bodies: a clear 4xx each, logged, nothing stored, and the server still takes good batches.
    @Test(arguments: [
        "truncated", "not-json", "missing-field", "far-future", "no-device", "huge-line", "bad-utf8", "wrong-type",
    ])
    func badNDJSONIsRefusedAndLogged(_ name: String) throws {
        let fixture = try ServerFixture()
        let good = try NDJSON.lines([NDJSON.event("g1", cmd: "ls"), NDJSON.event("g2", cmd: "ls")])
        var future = NDJSON.event("f", cmd: "ls")
        future.time = ServerFixture.now + 400 * 86_400_000
        var noDevice = NDJSON.event("d", cmd: "ls")
        noDevice.device = nil
        let (body, status, code): ([UInt8], Int, String) =
            switch name {
            case "truncated": (Array(Zstd.compress(good).dropLast(4)), 400, "zstd.corrupt")
            case "not-json": (Zstd.compress(good + Array("{nope\n".utf8)), 400, "invalid-event")
            case "missing-field":
                (Zstd.compress(Array(#"{"class_uid":1007,"metadata":{"uid":"x"}}"#.utf8)), 400, "invalid-event")
            case "far-future": (Zstd.compress(try NDJSON.lines([future])), 400, "invalid-event")
            case "no-device": (Zstd.compress(try NDJSON.lines([noDevice])), 400, "invalid-event")
            case "huge-line":
                (
                    Zstd.compress(try NDJSON.lines([NDJSON.event("h", cmd: String(repeating: "A", count: 300_000))])),
                    413, "event-too-large"
                )
            case "bad-utf8": (Zstd.compress(good + [0xff, 0xfe, 0x0a]), 400, "invalid-event")
            default: (Zstd.compress(Array(#"{"class_uid":"x"}"#.utf8)), 400, "invalid-event")
            }
        let response = try fixture.post(body, headers: NDJSON.headers)
        #expect(response.status == status, "\(response.text)")
        #expect(NDJSON.errorCode(response) == code, "\(response.text)")
        #expect(try fixture.store.eventCount() == 0)
        #expect(try fixture.store.securityLog(limit: 1).first?.kind == "ingest.rejected")
        try fixture.expectHealthy()
        #expect(try fixture.post(Zstd.compress(good), headers: NDJSON.headers).status == 200)
    }

    @Test func aHundredMegabyteBatchIs413BeforeItIsRead() throws {
        let fixture = try ServerFixture()
        let head = """
            POST /api/v1/events HTTP/1.1\r
            Host: 127.0.0.1\r
            Authorization: Bearer \(fixture.token)\r
            Content-Type: application/x-ndjson\r
            Content-Length: \(100 << 20)\r
            \r

            """
        let raw = try RawHTTPClient.exchange(port: fixture.port, Array(head.utf8) + Array(repeating: 0x41, count: 4096))
        let response = try RawHTTPClient.parse(raw)
        #expect(response.status == 413)
        try fixture.expectHealthy()
    }

    @Test func aFloodFromOneAgentIs429WhileOthersAreServed() throws {
        let fixture = try ServerFixture(agentRate: 2, agentBurst: 5)
        let batch = try Zstd.compress(NDJSON.lines([NDJSON.event("f", cmd: "ls")]))
        var statuses: [Int] = []
        var retryAfter: String?
        for _ in 0..<20 {
            let response = try fixture.post(batch, headers: NDJSON.headers)
            statuses.append(response.status)
            if response.status == 429 { retryAfter = response.header("Retry-After") }
        }
        #expect(statuses.prefix(5).allSatisfy { $0 == 200 })
        #expect(statuses.filter { $0 == 429 }.count == 15)
        #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 } == true)
        #expect(try fixture.store.securityLog(limit: 1).first?.kind == "ingest.rate-limited")
        let other = Device(hostname: "calm", uid: "machine-calm")
        let calm = try fixture.post(
            Zstd.compress(NDJSON.lines([NDJSON.event("c", cmd: "ls", host: other)])), token: fixture.enroll(other),
            headers: NDJSON.headers)
        #expect(calm.status == 200)
    }

    /// Only the health check, enrollment and the certificate answer without a credential; an agent's
    /// credential reads nothing.
    @Test func noRouteButThePublicOnesAnswersWithoutAuthentication() throws {
        let fixture = try ServerFixture()
        let routes = [
            ("GET", "/"), ("GET", "/api/v1/events"),
            ("GET", "/api/v1/archive/checkpoints"), ("GET", "/api/v1/events/x/proof?host=y"),
            ("POST", "/api/v1/events"),
        ]
        for (method, path) in routes {
            for headers in [[], [("Authorization", "Bearer \(fixture.token)")]] {
                if method == "POST" && !headers.isEmpty { continue }
                let response = try RawHTTPClient.request(
                    port: fixture.port, method: method, path: path, headers: headers, body: method == "POST" ? [] : nil)
                // Anonymous: 401 (a page redirects to the sign-in form); an agent's credential: 403.
                let expected = headers.isEmpty ? (path == "/" ? 303 : 401) : 403
                #expect(response.status == expected, "\(method) \(path) with \(headers.count) credential(s)")
            }
        }
        #expect(try fixture.get("/healthz", token: nil).status == 200)
        #expect(try fixture.get("/api/v1/tls/certificate", token: nil).status == 404)
    }

    func waitFor(_ condition: () throws -> Bool) throws {
        for _ in 0..<250 {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(Bool(false), "timed out waiting")
    }
}

enum Base64URLDecode {
    static func bytes(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { Array($0) }
    }
}

/// Archive entries of some kinds (`event`, `alert`, `access`…), counted in the store's log.
enum ArchiveCount {
    static func of(_ store: any ServerStore, kinds: [String]) throws -> Int {
        let list = kinds.map { "'\($0)'" }.joined(separator: ", ")
        let rows = try store.withSQL { db in
            try db.query("SELECT count(*) FROM ledger_entries WHERE kind IN (\(list))", [])
        }
        return Int((rows.first?.first ?? nil) ?? "") ?? 0
    }
}
