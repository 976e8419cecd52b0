import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilServer
import VigilStore
import VigilTestSupport

/// Alerts, archive and settings pages: triage in a real browser (skipped where Chromium is missing), and the
/// admin forms and role checks over raw HTTP.
@Suite(.serialized) struct DashboardTriageTests {
    /// Waits up to 10 s for the page's text to contain `fragment`.
    static func waitForText(_ session: WebDriverSession, _ fragment: String) throws -> Bool {
        for _ in 0..<100 {
            if let main = try? session.findElement(css: "main"), (try? session.text(main))?.contains(fragment) == true {
                return true
            }
            usleep(100_000)
        }
        return false
    }

    @Test func analystTriagesAnAlertAndVerifiesTheArchiveInTheBrowser() throws {
        let fixture = try DashboardFixture()
        guard let browser = try Browser.start(test: #function, fixture: fixture) else { return }
        try fixture.seed()
        let session = browser.session
        try session.addScriptOnNewDocument(DashboardBrowserTests.dialogHook)
        // Escaping alone must keep the hostile rule titles and matched fields inert: CSP off.
        try session.bypassContentSecurityPolicy(true)
        let critical = try #require(
            try fixture.server.alerts.list(
                {
                    var filter = AlertFilter()
                    filter.level = "critical"
                    return filter
                }()
            ).first)
        for target in ["/", "/alerts", "/alerts?level=critical", "/alerts/\(critical.id)", "/archive"] {
            try session.navigate(fixture.origin + target)
            let dialogs = try session.strings("return window.__vigilDialogs || [];")
            #expect(dialogs.isEmpty, "\(target): dialogs \(dialogs)")
            let scripts = try session.strings(
                "return Array.from(document.scripts).map(function (s) { return s.getAttribute('src') || 'inline'; });")
            #expect(scripts == ["/static/vigil.js"], "\(target): scripts \(scripts)")
            #expect(
                try session.findElements(css: "img, iframe, svg[onload], [onerror], [onmouseover]").isEmpty, "\(target)"
            )
            #expect(try session.consoleErrors().isEmpty, "\(target): console errors")
            let nav = try session.strings(
                "return Array.from(document.querySelectorAll('header nav a')).map(function (a) { return a.getAttribute('href'); });"
            )
            #expect(!nav.contains("/settings"), "\(target): an analyst sees the Settings link")
        }
        // The alert page: rule, the fields as text, the event and its neighbours, the proof links.
        try session.navigate(fixture.origin + "/alerts/\(critical.id)")
        var text = try session.text(try session.findElement(css: "main"))
        #expect(text.contains("Suspicious <script>alert(1)</script> #0"), "rule title not shown verbatim")
        #expect(text.contains("process.cmd_line") && text.contains("<script>alert(1)</script>"))
        #expect(!(try session.findElements(css: "table.events a.proof")).isEmpty, "no proof link")
        #expect(text.contains("On this host ±5 minutes"))
        // Acknowledge with a comment, then resolve: the forms carry the session's CSRF token.
        try session.type(try session.findElement(css: "form.triage textarea[name=comment]"), "looking <b>into</b> it")
        try session.click(try session.findElement(css: "form.triage button[value=acknowledge]"))
        #expect(try Self.waitForText(session, "by user:analyst: looking <b>into</b> it"))
        text = try session.text(try session.findElement(css: "main"))
        #expect(text.contains("Acknowledged"), "not acknowledged: \(text.prefix(400))")
        #expect(try session.findElements(css: "form.triage button[value=acknowledge]").isEmpty)
        try session.type(try session.findElement(css: "form.triage textarea[name=comment]"), "false positive")
        try session.click(try session.findElement(css: "form.triage button[value=resolve]"))
        #expect(try Self.waitForText(session, "resolve by user:analyst: false positive"))
        let (stored, history) = try #require(try fixture.server.alerts.get(critical.id))
        #expect(stored.status == "resolved" && stored.resolvedBy == "user:analyst")
        #expect(history.map(\.action) == ["acknowledge", "resolve"])
        // Archive: verify now.
        try session.navigate(fixture.origin + "/archive")
        try session.click(try session.findElement(css: "form button[value=verify]"))
        #expect(try Self.waitForText(session, "Verification: intact"))
        text = try session.text(try session.findElement(css: "main"))
        #expect(text.contains("entries rehashed"), "\(text.prefix(600))")
    }

    /// Signs `name` in over the API; returns the session cookie and its CSRF token.
    static func signIn(
        _ fixture: DashboardFixture, name: String, password: String, secret: [UInt8]
    ) throws -> (
        String, String
    ) {
        let body = try JSONSerialization.data(withJSONObject: [
            "username": name, "password": password,
            "code": TOTP(secret: secret).code(at: fixture.clock.nowMilliseconds() / 1000),
        ])
        let response = try RawHTTPClient.request(
            port: fixture.port, method: "POST", path: "/api/v1/session",
            headers: [("Content-Type", "application/json")], body: Array(body))
        try #require(response.status == 201, "sign-in failed: \(response.text)")
        let cookie = String(try #require(response.header("Set-Cookie")?.split(separator: ";").first))
        let reply = try #require(
            try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        return (cookie, try #require(reply["csrf_token"] as? String))
    }

    static func form(_ fields: [(String, String)]) -> [UInt8] {
        Array(
            fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(
                separator: "&"
            ).utf8)
    }

    @Test func adminSettingsFormsAndRoleChecks() throws {
        let fixture = try DashboardFixture()
        try fixture.seed(hosts: 2, recent: 40, older: 10)
        let password = "settings admin 2026"
        let created = try fixture.server.authenticator.addUser(name: "root-admin", role: .admin, password: password)
        let secret = try #require(
            URLComponents(string: created.otpauthURI)?.queryItems?.first { $0.name == "secret" }?.value.flatMap {
                Base32.decode($0)
            })
        let (cookie, csrf) = try Self.signIn(fixture, name: "root-admin", password: password, secret: secret)
        func post(_ path: String, _ fields: [(String, String)], cookie: String) throws -> RawHTTPResponse {
            try RawHTTPClient.request(
                port: fixture.port, method: "POST", path: path,
                headers: [("Cookie", cookie), ("Content-Type", "application/x-www-form-urlencoded")],
                body: Self.form(fields))
        }
        let page = try RawHTTPClient.request(port: fixture.port, path: "/settings", headers: [("Cookie", cookie)])
        #expect(page.status == 200)
        #expect(page.text.contains("root-admin") && page.text.contains(DashboardFixture.userName))
        #expect(page.text.contains("href=\"/settings\""), "an admin's navigation has Settings")
        // Add a user: the otpauth URI is shown once, then never again.
        let added = try post(
            "/settings",
            [
                ("csrf_token", csrf), ("do", "add-user"), ("name", "carol"), ("role", "auditor"),
                ("password", "carol password 2026"),
            ], cookie: cookie)
        #expect(added.status == 200, "\(added.text)")
        #expect(added.text.contains("otpauth://totp/Vigil:carol?secret="))
        let again = try RawHTTPClient.request(port: fixture.port, path: "/settings", headers: [("Cookie", cookie)])
        #expect(!again.text.contains("otpauth://"))
        #expect(try fixture.server.authenticator.listUsers().contains { $0.name == "carol" && $0.role == .auditor })
        // A weak password is refused with the reason, on the page.
        let weak = try post(
            "/settings",
            [("csrf_token", csrf), ("do", "add-user"), ("name", "dave"), ("role", "analyst"), ("password", "short")],
            cookie: cookie)
        #expect(weak.status == 400 && weak.text.contains("class=\"error\""))
        // Tokens: an API token and an enrollment token, each shown once.
        let token = try post(
            "/settings",
            [("csrf_token", csrf), ("do", "create-token"), ("name", "ci"), ("role", "auditor"), ("days", "30")],
            cookie: cookie)
        #expect(token.status == 200 && token.text.contains("vgt_"))
        let enrollment = try post(
            "/settings", [("csrf_token", csrf), ("do", "create-enrollment"), ("uses", "2"), ("hours", "24")],
            cookie: cookie)
        #expect(enrollment.status == 200 && enrollment.text.contains("vet_"), "\(enrollment.text.suffix(800))")
        let ci = try #require(try fixture.server.authenticator.listTokens().first { $0.name == "ci" })
        let revokedToken = try post(
            "/settings", [("csrf_token", csrf), ("do", "revoke-token"), ("id", String(ci.id))], cookie: cookie)
        #expect(revokedToken.status == 200 && revokedToken.text.contains("Revoked API token \(ci.id)"))
        #expect(try fixture.server.authenticator.listTokens().first { $0.id == ci.id }?.revokedAt != nil)
        // The enrollment token works once, the agent is listed, and the admin revokes it from the page.
        let vet = try #require(
            enrollment.text.components(separatedBy: "vet_").dropFirst().first?.components(separatedBy: "<").first)
        let enroll = try RawHTTPClient.request(
            port: fixture.port, method: "POST", path: "/api/v1/agents/enroll",
            headers: [("Content-Type", "application/json")],
            body: Array(
                try JSON.encoder().encode(
                    ServerFixture.EnrollBody(
                        token: "vet_" + vet, host: Device(hostname: "new-<b>host</b>", uid: "machine-77")))))
        #expect(enroll.status == 201, "\(enroll.text)")
        let agentID = try #require(
            (try JSONSerialization.jsonObject(with: Data(enroll.text.utf8)) as? [String: Any])?["agent_id"] as? String)
        let listed = try RawHTTPClient.request(port: fixture.port, path: "/settings", headers: [("Cookie", cookie)])
        #expect(listed.text.contains(agentID) && listed.text.contains("new-&lt;b&gt;host&lt;/b&gt;"))
        let revoked = try post(
            "/settings", [("csrf_token", csrf), ("do", "revoke-agent"), ("id", agentID)], cookie: cookie)
        #expect(revoked.status == 200 && revoked.text.contains("Revoked agent"))
        #expect(try fixture.server.store.agents().first { $0.id == agentID }?.revokedAt != nil)
        // Without the CSRF token nothing happens.
        let forged = try post(
            "/settings", [("do", "create-enrollment"), ("uses", "1"), ("hours", "1")], cookie: cookie)
        #expect(forged.status == 403)
        // The analyst: no Settings (403 on the page and the form), no admin link.
        let analystPage = try fixture.get("/settings")
        #expect(analystPage.status == 403)
        let overview = try fixture.get("/")
        #expect(overview.status == 200 && !overview.text.contains("href=\"/settings\""))
        #expect(overview.text.contains("Newest critical alerts") && overview.text.contains("Top rules"))
        let analystPost = try post(
            "/settings", [("do", "create-enrollment"), ("uses", "1"), ("hours", "1")], cookie: fixture.authHeaders[0].1)
        #expect(analystPost.status == 403)
        // An auditor cannot work alerts: the page has no triage form and the POST is refused.
        let alert = try #require(try fixture.server.alerts.list(AlertFilter()).first)
        let carolSecret = try #require(
            URLComponents(
                string: added.text.components(separatedBy: "otpauth://")[1].components(separatedBy: "<")[0]
                    .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "totp/", with: "x://h/")
                    .replacingOccurrences(of: "Vigil:carol", with: "carol"))?.queryItems?.first { $0.name == "secret" }?
                .value.flatMap { Base32.decode($0) })
        let (carol, carolCSRF) = try Self.signIn(
            fixture, name: "carol", password: "carol password 2026", secret: carolSecret)
        let alertPage = try RawHTTPClient.request(
            port: fixture.port, path: "/alerts/\(alert.id)", headers: [("Cookie", carol)])
        #expect(alertPage.status == 200 && !alertPage.text.contains("form class=\"triage\""))
        let refused = try post(
            "/alerts/\(alert.id)", [("csrf_token", carolCSRF), ("do", "acknowledge"), ("comment", "x")], cookie: carol)
        #expect(refused.status == 403)
        // The analyst's empty comment and a bad transition are said on the page.
        let analystCSRF = try #require(
            try fixture.get("/alerts/\(alert.id)").text.components(separatedBy: "name=\"csrf_token\" value=\"")
                .dropFirst().first?.components(separatedBy: "\"").first)
        let empty = try post(
            "/alerts/\(alert.id)", [("csrf_token", analystCSRF), ("do", "acknowledge"), ("comment", " ")],
            cookie: fixture.authHeaders[0].1)
        #expect(empty.status == 400 && empty.text.contains("Write a comment"))
        let resolved = try post(
            "/alerts/\(alert.id)", [("csrf_token", analystCSRF), ("do", "resolve"), ("comment", "done")],
            cookie: fixture.authHeaders[0].1)
        #expect(resolved.status == 303)
        let twice = try post(
            "/alerts/\(alert.id)", [("csrf_token", analystCSRF), ("do", "acknowledge"), ("comment", "again")],
            cookie: fixture.authHeaders[0].1)
        #expect(twice.status == 409 && twice.text.contains("cannot be acknowledged"))
        #expect(try fixture.get("/alerts/999999").status == 404)
        #expect(try fixture.get("/alerts?level=bogus").status == 400)
    }

    @Test func verifyNowFindsAnAlteredEntry() throws {
        let fixture = try DashboardFixture()
        try fixture.seed(hosts: 2, recent: 30, older: 10)
        var check = try fixture.server.archivist.verifyStored()
        #expect(check.intact, "\(check.problems)")
        #expect(check.entriesRehashed == check.newestSize && check.newestSize > 0)
        // A second checkpoint, then one entry changed in the store behind the archive's back.
        let late = [
            Event(
                id: "late", classUID: .processActivity, activityID: 1, time: DashboardFixture.now,
                metadata: EventMetadata())
        ]
        let device = try #require(try fixture.store.hosts().first.map { Device(hostname: $0.hostname, uid: $0.uid) })
        _ = try fixture.store.insert(late, host: device, receivedAt: DashboardFixture.now)
        try fixture.enqueue(late, host: device)
        fixture.clock.advance(by: 20_000)
        try fixture.archive()
        check = try fixture.server.archivist.verifyStored()
        #expect(check.intact && check.checkpoints == 2, "\(check.problems)")
        #expect(check.checked.contains { $0.contains("1 earlier checkpoints proven consistent") }, "\(check.checked)")
        try fixture.store.withSQL { db in
            _ = try db.run("UPDATE ledger_entries SET entry = ? WHERE idx = 3", [.text("{\"forged\":true}")])
        }
        check = try fixture.server.archivist.verifyStored()
        #expect(!check.intact)
        #expect(check.problems.contains { $0.contains("entry 3") }, "\(check.problems)")
    }
}
