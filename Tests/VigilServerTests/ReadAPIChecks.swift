import Foundation
import Testing
import VigilCore
import VigilServer
import VigilStore
import VigilTestSupport

/// The read API and the alert life cycle; run on both engines by `PeopleSecurityTests`.
extension PeopleChecks {
    static func seedEvents(_ f: PeopleFixture) throws {
        let web = Device(hostname: "web-01", uid: "m-web")
        let db = Device(hostname: "db-01", uid: "m-db")
        func event(_ id: String, _ time: Int64, user: String, path: String, cmd: String, cls: EventClass) -> Event {
            Event(
                id: id, classUID: cls, activityID: 1, time: PeopleFixture.start - time,
                metadata: EventMetadata(logName: "test"),
                process: Process(pid: 7, cmdLine: cmd, file: FileObject(path: path), user: User(uid: "1", name: user)))
        }
        _ = try f.store.insert(
            (0..<25).map {
                event(
                    "w\($0)", Int64($0) * 1000, user: $0 % 2 == 0 ? "alice" : "bob", path: "/usr/bin/curl",
                    cmd: "curl https://example.org/\($0)", cls: .processActivity)
            }, host: web, receivedAt: PeopleFixture.start)
        _ = try f.store.insert(
            (0..<5).map {
                event(
                    "d\($0)", Int64($0) * 1000 + 500, user: "postgres", path: "/usr/lib/postgresql/15/bin/postgres",
                    cmd: "postgres -D /var/lib/Secret\($0)", cls: .networkActivity)
            }, host: db, receivedAt: PeopleFixture.start)
    }

    static func ids(_ response: RawHTTPResponse) throws -> [String] {
        let events = try #require(try PeopleFixture.object(response)["events"] as? [[String: Any]], "\(response.text)")
        return events.compactMap { ($0["metadata"] as? [String: Any])?["uid"] as? String }
    }

    static func eventFilters(_ f: PeopleFixture) throws {
        try seedEvents(f)
        let token = try f.server.authenticator.createToken(name: "r", role: .analyst, createdBy: "t", expiresAt: nil)
            .secret
        func get(_ query: String) throws -> RawHTTPResponse {
            try f.request("GET", "/api/v1/events?\(query)", bearer: token)
        }
        #expect(try ids(try get("limit=1000")).count == 30)
        #expect(try ids(try get("host=db-01")).sorted() == (0..<5).map { "d\($0)" })
        #expect(try ids(try get("host=m-db")).count == 5)
        #expect(try ids(try get("class_uid=4001")).count == 5)
        #expect(try ids(try get("user=bob")).count == 12)
        #expect(try ids(try get("process=curl")).count == 25)
        #expect(try ids(try get("process=/usr/bin/curl&user=alice")).count == 13)
        #expect(try ids(try get("process=url")).isEmpty)  // a file name, not a substring
        #expect(try ids(try get("text=SECRET3")) == ["d3"])
        #expect(try ids(try get("text=%25")).isEmpty)  // LIKE wildcards are literal
        let from = PeopleFixture.start - 4_000
        #expect(try ids(try get("from=\(from)&to=\(PeopleFixture.start - 1_000)&host=web-01")) == ["w2", "w3", "w4"])
        let iso = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(from) / 1000))
        #expect(try ids(try get("from=\(iso)&host=web-01")).count == 5)
        // Paging by cursor: every event once, newest first.
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try get("limit=7" + (cursor.map { "&cursor=\($0)" } ?? ""))
            seen += try ids(page)
            cursor = try PeopleFixture.object(page)["next_cursor"] as? String
        } while cursor != nil
        #expect(seen.count == 30)
        #expect(Set(seen).count == 30)
        #expect(seen.prefix(3) == ["w0", "d0", "w1"])
        // Bad filters: clear 400s naming the parameter.
        for (query, word) in [
            ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=1001", "limit"), ("class_uid=9999", "class_uid"),
            ("from=yesterday", "from"), ("from=10&to=5", "from"), ("cursor=zzz", "cursor"), ("hots=web", "hots"),
            ("text=" + String(repeating: "a", count: 300), "text"),
        ] {
            let response = try get(query)
            #expect(response.status == 400, "\(query)")
            #expect(PeopleFixture.errorCode(response) == "invalid-query")
            #expect(
                ((try? PeopleFixture.object(response))?["error"] as? [String: String])?["message"]?.contains(word)
                    == true, "\(query)")
        }
        let hosts = try PeopleFixture.object(try f.request("GET", "/api/v1/hosts?limit=1&offset=1", bearer: token))
        #expect((hosts["hosts"] as? [[String: Any]])?.map { $0["hostname"] as? String } == ["web-01"])
        #expect(try f.request("GET", "/api/v1/hosts?offset=-1", bearer: token).status == 400)
    }

    static func alertLifeCycle(_ f: PeopleFixture) throws {
        try seedEvents(f)
        let analyst = try f.server.authenticator.createToken(name: "a", role: .analyst, createdBy: "t", expiresAt: nil)
        let token = analyst.secret
        var ids: [Int64] = []
        for index in 0..<3 {
            ids.append(
                try f.server.alerts.insert(
                    ruleID: "rule-\(index % 2)", ruleTitle: "Rule \(index)", level: index == 0 ? "critical" : "low",
                    hostUID: "m-web", eventUID: "w\(index)", time: PeopleFixture.start + Int64(index),
                    dedupKey: "k\(index)", matchedFields: #"{"user.name":"alice"}"#))
        }
        func post(_ id: Int64, _ action: String, _ comment: String) throws -> RawHTTPResponse {
            try f.request(
                "POST", "/api/v1/alerts/\(id)/\(action)", bearer: token,
                json: PeopleFixture.jsonString(["comment": comment]))
        }
        let list = try PeopleFixture.object(try f.request("GET", "/api/v1/alerts", bearer: token))
        #expect((list["alerts"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == ids.reversed().map { Int($0) })
        #expect((list["alerts"] as? [[String: Any]])?.first?["hostname"] as? String == "web-01")
        let acknowledged = try post(ids[0], "acknowledge", "looking")
        #expect(acknowledged.status == 200)
        let body = try PeopleFixture.object(acknowledged)
        #expect(body["status"] as? String == "acknowledged")
        #expect(body["acknowledged_by"] as? String == "token:\(analyst.0.id):a")
        #expect(body["acknowledged_at"] as? Int == Int(f.clock.nowMilliseconds()))
        // Transitions are checked.
        let again = try post(ids[0], "acknowledge", "again")
        #expect(again.status == 409)
        #expect(PeopleFixture.errorCode(again) == "invalid-transition")
        #expect(try post(ids[0], "resolve", "false positive: backup job").status == 200)
        #expect(try post(ids[0], "resolve", "twice").status == 409)
        #expect(try post(ids[0], "acknowledge", "late").status == 409)
        #expect(try post(ids[1], "resolve", "straight to resolved").status == 200)
        #expect(try post(ids[0], "comments", "note after the fact").status == 200)
        #expect(try post(999_999, "acknowledge", "x").status == 404)
        #expect(try post(ids[2], "acknowledge", "").status == 400)
        #expect(
            try f.request("POST", "/api/v1/alerts/abc/acknowledge", bearer: token, json: #"{"comment":"x"}"#).status
                == 400)
        #expect(try f.request("POST", "/api/v1/alerts/\(ids[2])/acknowledge", bearer: token, json: "{").status == 400)
        let detail = try PeopleFixture.object(try f.request("GET", "/api/v1/alerts/\(ids[0])", bearer: token))
        #expect(detail["status"] as? String == "resolved")
        #expect(detail["resolved_by"] as? String == "token:\(analyst.0.id):a")
        let history = try #require(detail["history"] as? [[String: Any]])
        #expect(history.compactMap { $0["action"] as? String } == ["acknowledge", "resolve", "comment"])
        #expect(history.compactMap { $0["comment"] as? String }.last == "note after the fact")
        // Filters.
        func count(_ query: String) throws -> Int {
            let response = try f.request("GET", "/api/v1/alerts?\(query)", bearer: token)
            #expect(response.status == 200, "\(query): \(response.text)")
            return (try PeopleFixture.object(response)["alerts"] as? [[String: Any]])?.count ?? -1
        }
        #expect(try count("status=resolved") == 2)
        #expect(try count("status=open") == 1)
        #expect(try count("level=critical") == 1)
        #expect(try count("rule_id=rule-0") == 2)
        #expect(try count("host=web-01") == 3)
        #expect(try count("host=db-01") == 0)
        #expect(try count("limit=1&offset=2") == 1)
        #expect(try count("from=\(PeopleFixture.start + 1)") == 2)
        #expect(try f.request("GET", "/api/v1/alerts?status=closed", bearer: token).status == 400)
        #expect(try f.request("GET", "/api/v1/alerts/\(999_999)", bearer: token).status == 404)
    }

    static func metricsEndpoint(_ f: PeopleFixture) throws {
        let token = try f.server.authenticator.createToken(name: "prom", role: .auditor, createdBy: "t", expiresAt: nil)
            .secret
        f.server.metrics.set("vigil_agents_online", 3)
        f.server.metrics.observe("vigil_store_latency_seconds", 0.004)
        _ = try f.request("GET", "/api/v1/nothing-here", bearer: token)
        let response = try f.request("GET", "/metrics", bearer: token)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let text = response.text
        #expect(text.contains("# TYPE vigil_http_requests_total counter\n"))
        #expect(text.contains("vigil_http_requests_total{code=\"404\"} 1\n"))
        #expect(text.contains("vigil_agents_online 3\n"))
        #expect(text.contains("vigil_store_latency_seconds_bucket{le=\"0.005\"} 1\n"))
        #expect(text.contains("vigil_store_latency_seconds_bucket{le=\"0.0025\"} 0\n"))
        #expect(text.contains("vigil_store_latency_seconds_count 1\n"))
        #expect(text.contains("vigil_events_dropped_total 0\n"))
        #expect(text.contains("# TYPE vigil_detection_latency_seconds histogram\n"))
    }
}
