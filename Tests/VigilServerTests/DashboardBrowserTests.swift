import Foundation
import Testing
import VigilCore
import VigilServer
import VigilStore
import VigilTestSupport

/// The dashboard in a real headless Chromium, driven over WebDriver. Skipped, with the reason printed, where
/// Debian's `chromium`/`chromium-driver` are not installed.
@Suite(.serialized) struct DashboardBrowserTests {
    static let sections = [
        "/", "/alerts", "/hosts", "/events", "/file-integrity", "/vulnerabilities", "/archive", "/compliance",
        "/settings",
    ]

    /// Records `alert`/`confirm`/`prompt` calls before any page script runs (CDP scripts are not subject to
    /// the page's CSP), so a dialog that was opened and closed again is still seen.
    static let dialogHook = """
        window.__vigilDialogs = [];
        ["alert", "confirm", "prompt"].forEach(function (name) {
          var original = window[name];
          window[name] = function (message) { window.__vigilDialogs.push(name + ":" + String(message)); };
        });
        """

    @Test func everyPageRendersWithoutConsoleErrorsAndEveryLinkResolves() throws {
        let fixture = try DashboardFixture()
        guard let browser = try Browser.start(test: #function, fixture: fixture) else { return }
        try fixture.seed()
        var crawler = SiteCrawler(port: fixture.port, session: browser.session)
        crawler.headers = fixture.authHeaders
        // Every event row links to its inclusion proof: room for those beside the pages.
        crawler.maxPages = 2000
        // The analyst has no Settings link (admins only): the crawl starts from every other section.
        let pages = try crawler.crawl(from: Self.sections.filter { $0 != "/settings" })
        #expect(!pages.contains { $0.target.hasPrefix("/settings") }, "an analyst's page links to Settings")
        #expect(try fixture.get("/settings").status == 403)
        for prefix in ["/alerts/", "/api/v1/events/", "/archive"] {
            #expect(pages.contains { $0.target.hasPrefix(prefix) }, "nothing crawled under \(prefix)")
        }
        print(
            "dashboard crawl: \(pages.count) addresses, \(pages.filter { $0.contentType.hasPrefix("text/html") }.count) pages rendered"
        )
        // Enough of the site was reached: every section, host pages, timeline filters, pagers, chart bars.
        #expect(pages.count >= 60)
        for prefix in ["/hosts/", "/events?", "/static/vigil.css", "/static/vigil.js", "/static/favicon.svg"] {
            #expect(pages.contains { $0.target.hasPrefix(prefix) }, "nothing crawled under \(prefix)")
        }
        #expect(pages.contains { $0.target.contains("before=") }, "no pager link was followed")
        #expect(pages.contains { $0.target.contains("kind=") }, "no timeline filter was followed")
        for page in pages {
            #expect(
                page.status == 200, "\(page.target) answered \(page.status) (linked from \(page.linkedFrom ?? "start"))"
            )
            #expect(page.consoleErrors.isEmpty, "\(page.target): console errors \(page.consoleErrors)")
            #expect(page.foreignLinks.isEmpty, "\(page.target) links off the site: \(page.foreignLinks)")
            guard page.contentType.hasPrefix("text/html") else { continue }
            let policy = page.headers.first { $0.0.lowercased() == "content-security-policy" }?.1 ?? ""
            #expect(policy.contains("default-src 'self'"), "\(page.target): CSP '\(policy)'")
            #expect(policy.contains("script-src 'self'"), "\(page.target): CSP '\(policy)'")
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "\(page.target)")
        }
        // An unknown host is a page that says so, with 404; an unknown section is the router's 404.
        #expect(try fixture.get("/hosts/999999").status == 404)
        #expect(try fixture.get("/hosts/not-a-number").status == 404)
    }

    @Test func hostileEventsRenderAsTextEverywhere() throws {
        let fixture = try DashboardFixture()
        guard let browser = try Browser.start(test: #function, fixture: fixture) else { return }
        let hostile = [
            "<script>alert(1)</script>", #""><img src=x onerror=alert(1)>"#, "javascript:alert(1)",
            "' onmouseover='alert(1)", "<svg/onload=alert(1)>",
        ]
        let now = DashboardFixture.now
        var events: [Event] = []
        let device = Device(hostname: "evil-\(hostile[1])", uid: hostile[0], os: hostile[4], ip: "10.0.0.66")
        for (index, text) in hostile.enumerated() {
            let user = User(uid: "1000", name: text)
            let process = Process(
                pid: 4000 + index, name: text, cmdLine: "sh -c '\(text)'", file: FileObject(path: "/tmp/\(text)"),
                user: user, loginUser: User(name: "login-\(text)"))
            events.append(
                Event(
                    id: "p\(index)", classUID: .processActivity, activityID: 1, time: now - 60_000 - Int64(index),
                    severityID: .high, metadata: EventMetadata(logName: text), device: device, process: process))
            events.append(
                Event(
                    id: "f\(index)", classUID: .fileSystemActivity, activityID: 3, time: now - 70_000 - Int64(index),
                    metadata: EventMetadata(logName: "fim"), device: device, process: process,
                    file: FileObject(path: "/etc/\(text)")))
            events.append(
                Event(
                    id: "a\(index)", classUID: .authentication, activityID: 1, time: now - 80_000 - Int64(index),
                    statusID: 2, message: text, metadata: EventMetadata(logName: "auth-log"), device: device,
                    actor: Actor(user: user), srcEndpoint: Endpoint(ip: text, port: 22), user: user,
                    unmapped: ["action": "login", "command": text]))
            events.append(
                Event(
                    id: "n\(index)", classUID: .networkActivity, activityID: 1, time: now - 90_000 - Int64(index),
                    metadata: EventMetadata(logName: "audit"), device: device, process: process,
                    dstEndpoint: Endpoint(port: 443, hostname: text)))
        }
        _ = try fixture.store.insert(events, host: device, receivedAt: now - 1000)
        try fixture.enqueue(events, host: device)
        try fixture.archive()
        let hostID = try fixture.hostID(device.hostname)
        let session = browser.session
        try session.addScriptOnNewDocument(Self.dialogHook)
        // With the CSP switched off, only escaping stands between the text and a script: test escaping alone.
        try session.bypassContentSecurityPolicy(true)
        let targets = [
            "/", "/events", "/events?q=alert", "/hosts", "/hosts/\(hostID)", "/hosts/\(hostID)?kind=login",
            "/file-integrity", PageKitLink.events(user: hostile[0]), PageKitLink.events(user: hostile[2]),
        ]
        for target in targets {
            try session.navigate(fixture.origin + target)
            #expect(try session.alertText() == nil, "\(target): a dialog is open")
            let dialogs = try session.strings("return window.__vigilDialogs || [];")
            #expect(dialogs.isEmpty, "\(target): dialogs \(dialogs)")
            let scripts = try session.strings(
                "return Array.from(document.scripts).map(function (s) { return s.getAttribute('src') || 'inline'; });")
            #expect(scripts == ["/static/vigil.js"], "\(target): scripts \(scripts)")
            let injected = try session.findElements(
                css: "img, iframe, object, embed, svg[onload], [onerror], [onmouseover]")
            #expect(injected.isEmpty, "\(target): \(injected.count) injected elements")
            let handlers = try session.strings(
                """
                var out = [];
                document.querySelectorAll("*").forEach(function (e) {
                  Array.from(e.attributes).forEach(function (a) { if (/^on/i.test(a.name)) { out.push(e.tagName + " " + a.name); } });
                });
                return out;
                """)
            #expect(handlers.isEmpty, "\(target): event handler attributes \(handlers)")
            let badLinks = try session.strings(
                """
                return Array.from(document.querySelectorAll("a[href]")).map(function (a) {
                  return new URL(a.getAttribute("href"), document.baseURI);
                }).filter(function (u) { return u.origin !== location.origin; }).map(String);
                """)
            #expect(badLinks.isEmpty, "\(target): links leaving the site \(badLinks)")
            #expect(try session.consoleErrors().isEmpty, "\(target): console errors")
        }
        // The text is there to read, verbatim, on the pages that show it.
        try session.navigate(fixture.origin + "/events")
        let text = try session.text(try session.findElement(css: "main"))
        for string in hostile {
            #expect(text.contains("sh -c '\(string)'"), "command line \(string) not shown as text")
            #expect(text.contains("/tmp/\(string)"), "path \(string) not shown as text")
            #expect(text.contains(string + " (login login-"), "user \(string) not shown as text")
        }
        try session.navigate(fixture.origin + "/hosts/\(hostID)")
        #expect(try session.text(try session.findElement(css: "h1")) == device.hostname)
        let facts = try session.text(try session.findElement(css: "dl.facts"))
        #expect(facts.contains(hostile[0]) && facts.contains(hostile[4]))
        // With the CSP on again, the same pages still load without a console error.
        try session.bypassContentSecurityPolicy(false)
        var crawler = SiteCrawler(port: fixture.port, session: session)
        crawler.headers = fixture.authHeaders
        crawler.maxPages = 2000
        let crawl = try crawler.crawl(from: Self.sections.filter { $0 != "/settings" })
        for page in crawl {
            #expect(page.status == 200, "\(page.target): \(page.status)")
            #expect(page.consoleErrors.isEmpty, "\(page.target): \(page.consoleErrors)")
            #expect(page.foreignLinks.isEmpty, "\(page.target): \(page.foreignLinks)")
        }
        #expect(try session.alertText() == nil)
    }

    @Test func searchingPagingAndFollowingAHostInTheBrowser() throws {
        let fixture = try DashboardFixture()
        guard let browser = try Browser.start(test: #function, fixture: fixture) else { return }
        try fixture.seed(recent: 900, older: 100)
        let session = browser.session
        try session.navigate(fixture.origin + "/events")
        #expect(try session.findElements(css: "table.events tbody tr").count == 100)
        // Type a user, submit: only that user's events, and the form keeps the value.
        let user = try session.findElement(css: "input[name=user]")
        try session.type(user, "alice")
        try session.click(try session.findElement(css: "form.filters button[type=submit]"))
        #expect(try DashboardFixture.waitForURL(session, containing: "user=alice"))
        let users = try session.strings(
            "return Array.from(document.querySelectorAll('table.events td.user')).map(function (td) { return td.textContent; });"
        )
        #expect(!users.isEmpty)
        #expect(users.allSatisfy { $0.hasPrefix("alice") }, "\(Set(users))")
        #expect(try session.attribute(try session.findElement(css: "input[name=user]"), "value") == "alice")
        // The class select submits by itself (vigil.js) and narrows to that class.
        try session.navigate(fixture.origin + "/events")
        try session.execute(
            "var s = document.querySelector('select[name=class]'); s.value = '3002'; s.dispatchEvent(new Event('change'));"
        )
        var waited = 0
        while !(try session.currentURL().contains("class=3002")) && waited < 100 {
            usleep(50_000)
            waited += 1
        }
        #expect(try session.currentURL().contains("class=3002"))
        let whats = try session.strings(
            "return Array.from(document.querySelectorAll('table.events tbody tr td:nth-child(3)')).map(function (td) { return td.textContent; });"
        )
        #expect(!whats.isEmpty)
        #expect(whats.allSatisfy { $0.contains("login") || $0.contains("sudo") || $0.contains("authentication") })
        // Paging: "Older" shows the next events, all older than the first page's last.
        try session.navigate(fixture.origin + "/events")
        let firstPage = try session.strings(
            "return Array.from(document.querySelectorAll('table.events time')).map(function (t) { return t.getAttribute('datetime'); });"
        )
        try session.click(try session.findElement(css: "nav.pager a.next"))
        let secondPage = try session.strings(
            "return Array.from(document.querySelectorAll('table.events time')).map(function (t) { return t.getAttribute('datetime'); });"
        )
        #expect(firstPage.count == 100 && !secondPage.isEmpty)
        #expect((secondPage.first ?? "") <= (firstPage.last ?? ""))
        // A host link leads to its page with facts and a timeline; a timeline filter narrows it.
        try session.navigate(fixture.origin + "/hosts")
        try session.click(try session.findElement(css: "table.hosts tbody tr a"))
        #expect(try DashboardFixture.waitForURL(session, containing: "/hosts/"))
        #expect(try session.findElements(css: "dl.facts dt").count >= 6)
        #expect(!(try session.findElements(css: "svg.chart polyline").isEmpty))
        try session.click(try session.findElement(css: "p.chips a[href*='kind=connection']"))
        let kinds = try session.strings(
            "return Array.from(document.querySelectorAll('table.events tbody tr')).map(function (r) { return r.className; });"
        )
        #expect(!kinds.isEmpty)
        #expect(kinds.allSatisfy { $0 == "kind-connection" }, "\(Set(kinds))")
        #expect(try session.consoleErrors().isEmpty)
    }

    /// Screenshots of the main pages with a seeded fleet, into `.build/screenshots/` (and into
    /// `$VIGIL_SCREENSHOTS_DIR` when set: `scripts/screenshots.sh` points it at Documentation/screenshots).
    @Test func screenshotsOfTheMainPages() throws {
        let fixture = try DashboardFixture()
        guard let browser = try Browser.start(test: #function, fixture: fixture) else { return }
        // The README's pictures get a month of a 24-host fleet; the ordinary run a lighter one (seconds).
        let forREADME = ProcessInfo.processInfo.environment["VIGIL_SCREENSHOTS_DIR"].map { !$0.isEmpty } ?? false
        try fixture.seed(hosts: 24, recent: 4000, older: forREADME ? 58_000 : 4000)
        let busiest = try #require(
            try fixture.store.eventStatistics(
                from: DashboardFixture.now - 86_400_000, bucketMilliseconds: 86_400_000, buckets: 1
            ).byHost.max { $0.value < $1.value }?.key)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var directories = [root.appendingPathComponent(".build/screenshots")]
        if let extra = ProcessInfo.processInfo.environment["VIGIL_SCREENSHOTS_DIR"], !extra.isEmpty {
            directories.append(URL(fileURLWithPath: extra, relativeTo: root))
        }
        for directory in directories {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        let shots = [
            ("overview", "/"), ("events", "/events?range=24h"), ("host", "/hosts/\(busiest)"), ("alerts", "/alerts"),
            ("alert", "/alerts/\(try #require(try fixture.server.alerts.list(AlertFilter()).first?.id))"),
            ("archive", "/archive"),
        ]
        for (name, target) in shots {
            try browser.session.navigate(fixture.origin + target)
            #expect(try browser.session.consoleErrors().isEmpty, "\(target)")
            let png = try browser.session.screenshotPNG()
            #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(name) is not a PNG")
            #expect(png.count > 20_000, "\(name): a \(png.count)-byte PNG is too small to show a page")
            for directory in directories {
                try Data(png).write(to: directory.appendingPathComponent("\(name).png"))
            }
            print("screenshot \(name).png: \(png.count) bytes → \(directories.map(\.path))")
        }
    }
}

/// Links the tests build the way the pages do.
enum PageKitLink {
    static func events(user: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return "/events?user=" + (user.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
    }
}
