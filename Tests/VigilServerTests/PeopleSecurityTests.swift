import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilServer
import VigilStore
import VigilTestSupport

/// The security behaviour of people, sessions, tokens and roles, on both engines: every check runs on SQLite
/// as its own test, and all of them in turn on one private PostgreSQL cluster.
enum PeopleChecks {
    typealias Check = @Sendable (PeopleFixture) throws -> Void

    static let all: [(String, Check)] = [
        ("only public routes answer without a credential", onlyPublicRoutesAnswerAnonymously),
        ("an agent credential cannot read the API", agentCannotReadTheAPI),
        ("an analyst cannot manage users or tokens", analystCannotManageUsers),
        ("an auditor cannot change anything", auditorCannotChangeAnything),
        ("wrong TOTP is refused and logged; lockout after 6 failures", wrongTOTPAndLockout),
        ("sessions expire when idle and at their absolute lifetime", sessionsExpire),
        ("cookie-authenticated changes need the CSRF token", csrfIsRequired),
        ("a TOTP code cannot be used twice", totpReplayIsRefused),
        ("API tokens are role-bound and revocable", apiTokens),
        ("disabling a user ends their sessions", disablingEndsSessions),
        ("the HTML login form, dashboard redirect and sign-out", htmlLogin),
        ("hostile strings are stored and returned verbatim", hostileStringsVerbatim),
        ("the access log records calls with growing ids", accessLogRecordsCalls),
        ("every access-log row goes to the archive outbox with it", accessLogRowsAreArchived),
        ("events are filtered, paged, and bad filters are clear 400s", eventFilters),
        ("alerts are listed, filtered and moved through their life cycle", alertLifeCycle),
        ("metrics are in Prometheus text format", metricsEndpoint),
    ]

    /// A concrete path for a route pattern.
    static func concrete(_ pattern: String) -> String {
        "/" + pattern.split(separator: "/").map { $0.hasPrefix(":") ? "1" : String($0) }.joined(separator: "/")
    }

    static func onlyPublicRoutesAnswerAnonymously(_ f: PeopleFixture) throws {
        let publicRoutes = Set(f.server.routes.filter { $0.permission == .public }.map { "\($0.method) \($0.pattern)" })
        #expect(
            publicRoutes == [
                "GET /healthz", "GET /static/vigil.css", "GET /static/vigil.js", "GET /static/favicon.svg",
                "GET /login", "POST /login", "POST /api/v1/session",
                "GET /api/v1/tls/certificate", "POST /api/v1/agents/enroll",
            ])
        for route in f.server.routes where route.permission != .public {
            let response = try f.request(
                route.method, concrete(route.pattern), json: route.method == "GET" ? nil : "{}")
            if route.page {
                #expect(response.status == 303, "\(route.method) \(route.pattern)")
                #expect(response.header("Location") == "/login")
            } else {
                #expect(response.status == 401, "\(route.method) \(route.pattern)")
                #expect(PeopleFixture.errorCode(response) == "unauthorized")
            }
        }
        // Unknown paths too: nothing to discover without a credential.
        #expect(try f.request("GET", "/api/v1/nothing").status == 401)
        #expect(try f.request("GET", "/healthz").status == 200)
        // A wrong scheme or a made-up token is anonymous.
        #expect(
            try f.request("GET", "/api/v1/events", headers: [("Authorization", "Basic YWRtaW46YWRtaW4=")]).status == 401
        )
        #expect(try f.request("GET", "/api/v1/events", bearer: "vgt_madeup").status == 401)
        #expect(try f.request("GET", "/api/v1/events", headers: [("Cookie", "vigil_session=forged")]).status == 401)
    }

    static func agentCannotReadTheAPI(_ f: PeopleFixture) throws {
        for route in f.server.routes where ![Permission.public, .submitEvents].contains(route.permission) {
            let response = try f.request(
                route.method, concrete(route.pattern), bearer: f.agentToken,
                json: route.method == "GET" ? nil : "{}")
            #expect(response.status == 403, "\(route.method) \(route.pattern)")
        }
        let refused = try f.accessLog().last
        #expect(refused?.principalKind == "agent")
        #expect(refused?.status == 403)
    }

    static func analystCannotManageUsers(_ f: PeopleFixture) throws {
        let analyst = try f.addUser("ana", .analyst)
        let session = try f.login(analyst)
        #expect(try f.request("GET", "/api/v1/events", session: session).status == 200)
        for route in f.server.routes
        where [Permission.manageUsers, .manageTokens, .readAccessLog].contains(route.permission) {
            let body = #"{"name":"mallory","role":"admin","password":"abcdefghij12345"}"#
            let response = try f.request(
                route.method, concrete(route.pattern), session: session, json: route.method == "GET" ? nil : body)
            #expect(response.status == 403, "\(route.method) \(route.pattern)")
        }
        #expect(try f.server.authenticator.listUsers().map(\.name) == ["ana"])
    }

    static func auditorCannotChangeAnything(_ f: PeopleFixture) throws {
        let auditor = try f.addUser("audrey", .auditor)
        let session = try f.login(auditor)
        let alert = try f.server.alerts.insert(
            ruleID: "r1", ruleTitle: "t", level: "high", hostUID: nil, eventUID: nil, time: PeopleFixture.start,
            dedupKey: "k", matchedFields: "{}")
        let own: Set<String> = ["POST /api/v1/session", "DELETE /api/v1/session", "POST /logout", "POST /login"]
        // Verifying the archive (the dashboard's "verify now") reads and changes nothing: auditors may.
        for route in f.server.routes
        where route.method != "GET" && route.permission != .public && route.permission != .verifyArchive
            && !own.contains("\(route.method) \(route.pattern)")
        {
            let response = try f.request(
                route.method, concrete(route.pattern).replacingOccurrences(of: "/1", with: "/\(alert)"),
                session: session, json: #"{"comment":"x","name":"n","role":"admin","password":"abcdefghij12345"}"#)
            #expect(response.status == 403, "\(route.method) \(route.pattern)")
        }
        #expect(try f.server.alerts.get(alert)?.0.status == "open")
        for path in ["/api/v1/events", "/api/v1/alerts", "/api/v1/hosts", "/api/v1/access-log", "/metrics"] {
            #expect(try f.request("GET", path, session: session).status == 200, "\(path)")
        }
    }

    static func wrongTOTPAndLockout(_ f: PeopleFixture) throws {
        let bob = try f.addUser("bob", .analyst)
        let wrongCode = f.code(bob) == "000000" ? "111111" : "000000"
        let refused = try f.loginResponse(bob, code: wrongCode)
        #expect(refused.status == 401)
        #expect(PeopleFixture.errorCode(refused) == "login-failed")
        #expect(!refused.text.contains("TOTP"))  // the caller is not told which factor was wrong
        #expect(refused.header("Set-Cookie") == nil)
        let logged = try #require(try f.accessLog().last)
        #expect(logged.path == "/api/v1/session")
        #expect(logged.status == 401)
        #expect(logged.outcome?.contains("wrong TOTP code") == true)
        // Five more failures (wrong password): the sixth locks the account.
        for _ in 0..<5 { #expect(try f.loginResponse(bob, password: "wrong password 1").status == 401) }
        #expect(try f.accessLog().last?.outcome?.contains("account now locked") == true)
        #expect(
            try f.server.authenticator.listUsers().first { $0.name == "bob" }!.lockedUntil > f.clock.nowMilliseconds())
        // Locked: even the right password and code are refused, for 30 minutes.
        #expect(try f.loginResponse(bob).status == 401)
        #expect(try f.accessLog().last?.outcome?.contains("locked") == true)
        f.clock.advance(by: 29 * 60_000)
        #expect(try f.loginResponse(bob).status == 401)
        f.clock.advance(by: 61_000)
        _ = try f.login(bob)
        // Unknown users fail the same way.
        let ghost = PeopleFixture.Person(name: "ghost", password: "x", secret: bob.secret)
        #expect(try f.loginResponse(ghost).status == 401)
        #expect(try f.accessLog().last?.outcome?.contains("unknown user") == true)
    }

    static func sessionsExpire(_ f: PeopleFixture) throws {
        let carol = try f.addUser("carol", .analyst)
        let session = try f.login(carol)  // the clock is now 30 s after sign-in
        #expect(try f.request("GET", "/api/v1/hosts", session: session).status == 200)
        f.clock.advance(by: 14 * 60_000)
        #expect(try f.request("GET", "/api/v1/hosts", session: session).status == 200)
        // The dashboard's automatic refresh does not count as activity.
        #expect(try f.request("GET", "/?refresh=1", session: session).status == 200)
        f.clock.advance(by: 15 * 60_000)
        let idle = try f.request("GET", "/api/v1/hosts", session: session)
        #expect(idle.status == 401)
        #expect(try f.accessLog().last?.outcome?.contains("idle for more than 15 minutes") == true)
        // Once ended, it stays ended.
        f.clock.advance(by: -20 * 60_000)
        #expect(try f.request("GET", "/api/v1/hosts", session: session).status == 401)
        f.clock.advance(by: 20 * 60_000)
        // Kept busy, a session still ends at its absolute lifetime (12 hours).
        let busy = try f.login(carol)
        for _ in 0..<(12 * 6 - 1) {
            f.clock.advance(by: 10 * 60_000)
            #expect(try f.server.authenticator.session(token: busy.cookie).0 != nil)
        }
        f.clock.advance(by: 10 * 60_000)
        #expect(try f.request("GET", "/api/v1/hosts", session: busy).status == 401)
        #expect(try f.accessLog().last?.outcome?.contains("absolute lifetime") == true)
    }

    static func csrfIsRequired(_ f: PeopleFixture) throws {
        let admin = try f.addUser("dora", .admin)
        let session = try f.login(admin)
        let body = #"{"name":"eve","role":"auditor","password":"abcdefghij12345"}"#
        let forged = try f.request("POST", "/api/v1/users", session: session, csrf: false, json: body)
        #expect(forged.status == 403)
        #expect(PeopleFixture.errorCode(forged) == "csrf")
        let wrong = try f.request(
            "POST", "/api/v1/users", session: session, csrf: false, json: body, headers: [("X-CSRF-Token", "nope")])
        #expect(wrong.status == 403)
        #expect(try f.server.authenticator.listUsers().map(\.name) == ["dora"])
        let made = try f.request("POST", "/api/v1/users", session: session, json: body)
        #expect(made.status == 201)
        let uri = try #require(try PeopleFixture.object(made)["otpauth_uri"] as? String)
        #expect(uri.hasPrefix("otpauth://totp/Vigil:eve?secret="))
        #expect(uri.contains("&issuer=Vigil"))
        // Reads need no token.
        #expect(try f.request("GET", "/api/v1/users", session: session, csrf: false).status == 200)
        // A weak password is refused with a clear 400.
        let weak = try f.request(
            "POST", "/api/v1/users", session: session, json: #"{"name":"fay","role":"auditor","password":"short1"}"#)
        #expect(weak.status == 400)
        #expect(PeopleFixture.errorCode(weak) == "weak-password")
        let duplicate = try f.request("POST", "/api/v1/users", session: session, json: body)
        #expect(duplicate.status == 409)
    }

    static func totpReplayIsRefused(_ f: PeopleFixture) throws {
        let gus = try f.addUser("gus", .analyst)
        let code = f.code(gus)
        #expect(try f.loginResponse(gus, code: code).status == 201)
        let replay = try f.loginResponse(gus, code: code)
        #expect(replay.status == 401)
        #expect(try f.accessLog().last?.outcome?.contains("already used") == true)
        // An older code than the last used one is refused too; the next step's code works.
        f.clock.advance(by: 30_000)
        #expect(try f.loginResponse(gus, code: f.code(gus)).status == 201)
    }

    static func apiTokens(_ f: PeopleFixture) throws {
        let admin = try f.addUser("hal", .admin)
        let session = try f.login(admin)
        let created = try f.request(
            "POST", "/api/v1/tokens", session: session, json: #"{"name":"grafana","role":"auditor"}"#)
        #expect(created.status == 201)
        let object = try PeopleFixture.object(created)
        let secret = try #require(object["token"] as? String)
        #expect(secret.hasPrefix("vgt_"))
        let id = try #require((object["info"] as? [String: Any])?["id"] as? Int)
        #expect(try f.request("GET", "/api/v1/access-log", bearer: secret).status == 200)
        #expect(try f.request("GET", "/metrics", bearer: secret).status == 200)
        #expect(try f.request("GET", "/api/v1/users", bearer: secret).status == 403)
        #expect(
            try f.request("POST", "/api/v1/tokens", bearer: secret, json: #"{"name":"x","role":"admin"}"#).status == 403
        )
        // Stored only as a hash.
        let hashes = try f.store.withSQL { db in try db.query("SELECT token_hash FROM api_tokens") }
        #expect(!hashes.flatMap { $0 }.contains(secret))
        #expect(hashes.flatMap { $0 }.contains(SHA256.hash(secret).hex))
        let listed = try f.request("GET", "/api/v1/tokens", session: session)
        #expect(!listed.text.contains(secret))
        #expect(try f.request("DELETE", "/api/v1/tokens/\(id)", session: session).status == 204)
        #expect(try f.request("GET", "/api/v1/events", bearer: secret).status == 401)
        #expect(try f.accessLog().last?.outcome?.contains("revoked") == true)
        #expect(try f.request("DELETE", "/api/v1/tokens/\(id)", session: session).status == 404)
        // An expiring token stops working when it expires.
        let expiring = try f.server.authenticator.createToken(
            name: "short", role: .analyst, createdBy: "test", expiresAt: f.clock.nowMilliseconds() + 1000)
        #expect(try f.request("GET", "/api/v1/hosts", bearer: expiring.secret).status == 200)
        f.clock.advance(by: 1000)
        #expect(try f.request("GET", "/api/v1/hosts", bearer: expiring.secret).status == 401)
    }

    static func disablingEndsSessions(_ f: PeopleFixture) throws {
        let admin = try f.addUser("ivy", .admin)
        let jim = try f.addUser("jim", .analyst)
        let adminSession = try f.login(admin)
        let jimSession = try f.login(jim)
        #expect(try f.request("GET", "/api/v1/hosts", session: jimSession).status == 200)
        #expect(try f.request("POST", "/api/v1/users/jim/disable", session: adminSession).status == 200)
        #expect(try f.request("GET", "/api/v1/hosts", session: jimSession).status == 401)
        #expect(try f.loginResponse(jim).status == 401)
        #expect(try f.accessLog().last?.outcome?.contains("disabled") == true)
        #expect(try f.request("POST", "/api/v1/users/nobody/disable", session: adminSession).status == 404)
        // The last enabled admin cannot be disabled (nobody could manage users any more).
        let last = try f.request("POST", "/api/v1/users/ivy/disable", session: adminSession)
        #expect(last.status == 409)
        #expect(PeopleFixture.errorCode(last) == "last-admin")
        #expect(try f.request("POST", "/api/v1/users/jim/enable", session: adminSession).status == 200)
        f.clock.advance(by: 30_000)
        _ = try f.login(jim)
        // Signing out ends the session.
        #expect(try f.request("DELETE", "/api/v1/session", session: adminSession).status == 204)
        #expect(try f.request("GET", "/api/v1/hosts", session: adminSession).status == 401)
    }

    static func htmlLogin(_ f: PeopleFixture) throws {
        let kim = try f.addUser("kim", .auditor)
        #expect(try f.request("GET", "/").header("Location") == "/login")
        let form = try f.request("GET", "/login")
        #expect(form.status == 200)
        #expect(form.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        let loginCookie = try #require(form.header("Set-Cookie"))
        #expect(loginCookie.contains("HttpOnly") && loginCookie.contains("SameSite=Strict"))
        let token = try #require(loginCookie.split(separator: ";").first?.split(separator: "=").last).description
        #expect(form.text.contains("name=\"login_csrf\" value=\"\(token)\""))
        func post(_ fields: String, cookie: String?) throws -> RawHTTPResponse {
            try f.request(
                "POST", "/login",
                headers: [("Content-Type", "application/x-www-form-urlencoded")]
                    + (cookie.map { [("Cookie", "vigil_login=\($0)")] } ?? []), body: fields)
        }
        let fields = "login_csrf=\(token)&username=kim&password=\(Form(PeopleFixture.password))&code=\(f.code(kim))"
        // Without the login cookie (a cross-site form): refused.
        #expect(try post(fields, cookie: nil).status == 403)
        let wrong = try post(fields.replacingOccurrences(of: "code=", with: "code=9"), cookie: token)
        #expect(wrong.status == 401)
        #expect(wrong.text.contains("Wrong user name, password or authenticator code"))
        let signedIn = try post(fields, cookie: token)
        #expect(signedIn.status == 303)
        #expect(signedIn.header("Location") == "/")
        let sessionCookie = try #require(signedIn.headerValues("Set-Cookie").first { $0.hasPrefix("vigil_session=") })
        #expect(sessionCookie.contains("HttpOnly"))
        #expect(sessionCookie.contains("SameSite=Strict"))
        #expect(sessionCookie.contains("Path=/"))
        #expect(!sessionCookie.contains("Secure"))  // plain HTTP on loopback; set with secureCookies under TLS
        let value = String(sessionCookie.split(separator: ";")[0].dropFirst("vigil_session=".count))
        let page = try f.request("GET", "/", headers: [("Cookie", "vigil_session=\(value)")])
        #expect(page.status == 200)
        #expect(page.text.contains("href=\"/logout\""))
        // Sign out through the form on /logout: needs that page's anti-forgery token.
        let confirm = try f.request("GET", "/logout", headers: [("Cookie", "vigil_session=\(value)")])
        #expect(confirm.status == 200)
        #expect(confirm.text.contains("kim (auditor)"))
        let csrf = try #require(
            confirm.text.components(separatedBy: "name=\"csrf_token\" value=\"").dropFirst().first?.split(
                separator: "\""
            )
            .first)
        let cookieHeader = [
            ("Cookie", "vigil_session=\(value)"), ("Content-Type", "application/x-www-form-urlencoded"),
        ]
        #expect(try f.request("POST", "/logout", headers: cookieHeader, body: "csrf_token=nope").status == 403)
        let out = try f.request("POST", "/logout", headers: cookieHeader, body: "csrf_token=\(csrf)")
        #expect(out.status == 303)
        #expect(try f.request("GET", "/", headers: [("Cookie", "vigil_session=\(value)")]).status == 303)
    }

    static let hostile = [
        "'; DROP TABLE users; --", "<script>alert(1)</script>", "\" OR \"1\"=\"1", "Robert'); DELETE FROM alerts;--",
        "%_\\ like wildcards", "unicode ✓ 日本語",
    ]

    static func hostileStringsVerbatim(_ f: PeopleFixture) throws {
        let admin = try f.addUser("lee", .admin)
        let session = try f.login(admin)
        for (index, text) in hostile.enumerated() {
            // A user name (':' is the only character refused, as the TOTP label separator).
            let made = try f.request(
                "POST", "/api/v1/users", session: session,
                json: PeopleFixture.jsonString(["name": text, "role": "auditor", "password": "abcdefghij12345"]))
            #expect(made.status == 201, "\(text): \(made.text)")
            let uri = try #require(try PeopleFixture.object(made)["otpauth_uri"] as? String)
            #expect(uri.allSatisfy { $0.isASCII })
            #expect(URLComponents(string: uri)?.path == "/Vigil:\(text)")
            // A token name.
            #expect(
                try f.request(
                    "POST", "/api/v1/tokens", session: session,
                    json: PeopleFixture.jsonString(["name": text, "role": "auditor"])
                ).status == 201)
            // An alert with hostile rule title and matched fields, then a hostile comment.
            let fields = String(
                decoding: try JSONSerialization.data(withJSONObject: ["process.cmd_line": text]), as: UTF8.self)
            let alert = try f.server.alerts.insert(
                ruleID: "r-\(index)", ruleTitle: text, level: "high", hostUID: nil, eventUID: text,
                time: PeopleFixture.start + Int64(index), dedupKey: text, matchedFields: fields)
            let acted = try f.request(
                "POST", "/api/v1/alerts/\(alert)/acknowledge", session: session,
                json: PeopleFixture.jsonString(["comment": text]))
            #expect(acted.status == 200)
            let detail = try PeopleFixture.object(try f.request("GET", "/api/v1/alerts/\(alert)", session: session))
            #expect(detail["rule_title"] as? String == text)
            #expect(detail["event_uid"] as? String == text)
            #expect(detail["comment"] as? String == text)
            #expect((detail["matched_fields"] as? [String: String])?["process.cmd_line"] == text)
            #expect(detail["acknowledged_by"] as? String == "user:lee")
        }
        let users = try #require(
            try PeopleFixture.object(try f.request("GET", "/api/v1/users", session: session))["users"]
                as? [[String: Any]])
        #expect(Set(users.compactMap { $0["name"] as? String }) == Set(hostile + ["lee"]))
        let tokens = try #require(
            try PeopleFixture.object(try f.request("GET", "/api/v1/tokens", session: session))["tokens"]
                as? [[String: Any]])
        #expect(Set(tokens.compactMap { $0["name"] as? String }) == Set(hostile))
        // Events with hostile command lines, found by a hostile text search, returned byte for byte.
        let host = Device(hostname: hostile[1], uid: "hostile-host")
        let events = hostile.enumerated().map { index, text in
            Event(
                id: "h\(index)", classUID: .processActivity, activityID: 1, time: PeopleFixture.start - Int64(index),
                metadata: EventMetadata(logName: "test"), device: host,
                process: Process(
                    pid: 1, cmdLine: text, file: FileObject(path: "/bin/\(text)"), user: User(uid: "0", name: text)))
        }
        _ = try f.store.insert(events, host: host, receivedAt: PeopleFixture.start)
        for (index, text) in hostile.enumerated() {
            var components = URLComponents()
            components.path = "/api/v1/events"
            components.queryItems = [
                URLQueryItem(name: "user", value: text), URLQueryItem(name: "host", value: hostile[1]),
            ]
            let path =
                components.percentEncodedPath + "?"
                + (components.percentEncodedQuery ?? "")
                .replacingOccurrences(of: "+", with: "%2B")
            let page = try f.request("GET", path, session: session)
            #expect(page.status == 200, "\(text)")
            let found = try #require(try PeopleFixture.object(page)["events"] as? [[String: Any]])
            #expect(found.count == 1, "user=\(text)")
            #expect((found.first?["process"] as? [String: Any])?["cmd_line"] as? String == text)
            #expect((found.first?["metadata"] as? [String: Any])?["uid"] as? String == "h\(index)")
        }
        // The tables are all still there.
        for table in ["users", "alerts", "events", "access_log"] {
            #expect(try f.store.withSQL { db in try db.scalar("SELECT count(*) FROM \(table)") } != nil)
        }
    }

    static func accessLogRowsAreArchived(_ f: PeopleFixture) throws {
        let admin = try f.addUser("ada", .admin)
        let session = try f.login(admin)
        #expect(try f.request("GET", "/api/v1/events?limit=1", session: session).status == 200)
        #expect(try f.request("GET", "/api/v1/nothing-here", session: session).status == 404)
        let rows = try f.accessLog()
        let outbox = try f.store.ledgerOutbox(limit: 100_000).map(\.item).filter { $0.kind == "access" }
        // One outbox row per access-log row, in id order, holding that row exactly.
        #expect(outbox.map(\.ref) == rows.map { "access/\($0.id)" })
        for (row, item) in zip(rows, outbox) {
            #expect(try JSONDecoder().decode(AccessLogEntry.self, from: Data(item.entry)) == row)
        }
        #expect(rows.contains { $0.path.hasPrefix("/api/v1/events") && $0.read?.hasPrefix("events:") == true })
    }

    static func accessLogRecordsCalls(_ f: PeopleFixture) throws {
        let admin = try f.addUser("max", .admin)
        let session = try f.login(admin)
        let before = try f.accessLog().last?.id ?? 0
        _ = try f.request("GET", "/api/v1/events?limit=5&text=secret-ish", session: session)
        _ = try f.request("GET", "/api/v1/events?limit=0", session: session)
        _ = try f.request("GET", "/api/v1/hosts", bearer: "vgt_wrong")
        let rows = try f.server.accessLog.rows(after: before, limit: 100)
        #expect(rows.count == 3)
        #expect(rows.map(\.id) == rows.map(\.id).sorted())
        #expect(rows[0].principal == "user:max")
        #expect(rows[0].role == "admin")
        #expect(rows[0].method == "GET")
        #expect(rows[0].path == "/api/v1/events?limit=5&text=secret-ish")
        #expect(rows[0].status == 200)
        #expect(rows[0].remoteAddress == "127.0.0.1")
        #expect(rows[0].read?.hasPrefix("events: 0 rows (text=secret-ish)") == true)
        #expect(rows[1].status == 400)
        #expect(rows[2].principalKind == "anonymous")
        #expect(rows[2].outcome?.contains("unknown, revoked or expired API token") == true)
        // Reading the access log is itself logged.
        let page = try f.request("GET", "/api/v1/access-log?after=\(before)&limit=2", session: session)
        #expect(page.status == 200)
        #expect(try f.accessLog().last?.read?.hasPrefix("access log: 2 rows") == true)
        // The health check is not worth a row.
        let count = try f.accessLog().count
        _ = try f.request("GET", "/healthz")
        #expect(try f.accessLog().count == count)
    }
}

extension PeopleFixture {
    func request(_ method: String, _ path: String, headers: [(String, String)], body: String) throws -> RawHTTPResponse
    {
        try RawHTTPClient.request(port: port, method: method, path: path, headers: headers, body: Array(body.utf8))
    }
}

/// Percent-encodes a form value.
func Form(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
}

@Suite struct PeopleSecurityTests {
    @Test func cookiesAreSecureUnderTLS() throws {
        let directory = NSTemporaryDirectory() + "vigil-people-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixture = try PeopleFixture(
            store: try SQLiteEventStore(path: "\(directory)/vigil.db"), cluster: nil, directory: nil,
            secureCookies: true)
        let person = try fixture.addUser("tls", .analyst)
        let cookie = try #require(try fixture.loginResponse(person).header("Set-Cookie"))
        #expect(cookie.hasSuffix("; HttpOnly; SameSite=Strict; Secure"))
        #expect(try fixture.request("GET", "/login").header("Set-Cookie")?.hasSuffix("; Secure") == true)
    }

    /// Nothing is read unrecorded: when the access log cannot be written, the read is refused.
    @Test func noAccessLogNoData() throws {
        let fixture = try #require(try PeopleFixture.make(.sqlite))
        let token = try fixture.server.authenticator.createToken(
            name: "r", role: .analyst, createdBy: "t", expiresAt: nil
        ).secret
        #expect(try fixture.request("GET", "/api/v1/events", bearer: token).status == 200)
        try fixture.store.withSQL { db in _ = try db.run("DROP TABLE access_log", []) }
        let refused = try fixture.request("GET", "/api/v1/events", bearer: token)
        #expect(refused.status == 503)
        #expect(PeopleFixture.errorCode(refused) == "access-log-unavailable")
        #expect(!refused.text.contains("events"))
        #expect(fixture.server.metrics.render().contains("vigil_access_log_failures_total 1\n"))
    }

    @Test(arguments: PeopleChecks.all.map(\.0))
    func sqlite(_ name: String) throws {
        let fixture = try #require(try PeopleFixture.make(.sqlite))
        try PeopleChecks.all.first { $0.0 == name }!.1(fixture)
    }

    /// Every check in turn on one private PostgreSQL cluster (a fresh server and database each).
    @Test func postgres() throws {
        guard let cluster = try PostgresCluster.start() else {
            print(PostgresCluster.unavailableReason)
            return
        }
        defer { cluster.stop() }
        let admin = try PostgresConnection(cluster.conninfo)
        for (index, (name, check)) in PeopleChecks.all.enumerated() {
            try admin.execute("CREATE DATABASE check_\(index)")
            let conninfo = cluster.conninfo.replacingOccurrences(of: "dbname=postgres", with: "dbname=check_\(index)")
            let fixture = try PeopleFixture(
                store: try PostgresEventStore(conninfo: conninfo), cluster: nil, directory: nil)
            print("PeopleSecurityTests.postgres: \(name)")
            try check(fixture)
        }
    }
}
