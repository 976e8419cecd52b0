import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTestSupport

@testable import VigilServer

/// The pages and charts as pure functions: geometry, escaping, time handling, filter parsing.
@Suite struct DashboardPagesTests {
    static let hostile = [
        "<script>alert(1)</script>", #""><img src=x onerror=alert(1)>"#, "javascript:alert(1)",
        "' onmouseover='alert(1)", "</td></tr></table><h1>owned</h1>", "<svg/onload=alert(1)>", "a&b",
    ]
    static let now: Int64 = 1_796_397_600_000

    // MARK: Charts

    @Test(arguments: [
        (0, 1), (1, 1), (2, 2), (3, 5), (5, 5), (6, 10), (10, 10), (11, 20), (99, 100), (101, 200),
        (480, 500), (501, 1000), (1_234_567, 2_000_000),
    ])
    func niceMaximum(value: Int, expected: Int) {
        #expect(Charts.niceMaximum(value) == expected)
    }

    struct Rect: Equatable {
        var className: String
        var x: Double, y: Double, width: Double, height: Double
    }

    static func rects(_ svg: String) throws -> [Rect] {
        let pattern = #"<rect class="([^"]*)" x="([^"]*)" y="([^"]*)" width="([^"]*)" height="([^"]*)""#
        let regex = try NSRegularExpression(pattern: pattern)
        return regex.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { match in
            func number(_ i: Int) -> Double { Double(svg[Range(match.range(at: i), in: svg)!]) ?? .nan }
            return Rect(
                className: String(svg[Range(match.range(at: 1), in: svg)!]), x: number(2), y: number(3),
                width: number(4), height: number(5))
        }
    }

    @Test func severityBarsStackToTheirTotalsInsideThePlot() throws {
        let frame = Charts.Frame()
        let bars = [
            Charts.StackedBar(label: "00:00", counts: [0, 10, 5, 0, 0, 5, 0], href: "/events?x=1"),
            Charts.StackedBar(label: "01:00", counts: [0, 0, 0, 0, 0, 0, 0], href: "/events?x=2"),
            Charts.StackedBar(label: "02:00", counts: [0, 40, 0, 0, 0, 0, 0], href: nil),
            Charts.StackedBar(label: "03:00", counts: [1, 0, 0, 3, 4, 0, 0], href: nil),
        ]
        let svg = Charts.severityBars(bars, title: "t", labelEvery: 1, frame: frame)
        let rects = try Self.rects(svg)
        #expect(rects.count == 3 + 0 + 1 + 3)
        // Maximum 40 → axis 50: a 40 bar is 80% of the plot height, and the 20 bar 40%.
        let bottom = frame.top + frame.plotHeight
        let slot = frame.plotWidth / 4
        for (index, bar) in bars.enumerated() {
            let x = frame.left + Double(index) * slot + slot * 0.1
            let mine = rects.filter { abs($0.x - x) < 0.11 }
            let total = bar.counts.reduce(0, +)
            #expect(mine.count == bar.counts.filter { $0 > 0 }.count)
            let height = mine.map(\.height).reduce(0, +)
            #expect(abs(height - frame.plotHeight * Double(total) / 50) < 0.5, "bar \(index)")
            // Stacked without gaps or overlaps, from the bottom up, lowest severity first.
            var y = bottom
            for rect in mine {
                #expect(abs(rect.y + rect.height - y) < 0.15)
                #expect(rect.y >= frame.top - 0.05)
                y = rect.y
            }
            #expect(mine.map(\.className) == bar.counts.enumerated().filter { $0.1 > 0 }.map { "sev-\($0.0)" })
        }
        #expect(rects.allSatisfy { $0.x >= frame.left && $0.x + $0.width <= frame.width - frame.right + 0.1 })
        // Bars with a link and events are links; an empty bar is not.
        #expect(svg.components(separatedBy: "<a href=").count - 1 == 1)
        #expect(svg.contains("<a href=\"/events?x=1\">"))
        // Axis labels: 0, 25, 50.
        for tick in [">0</text>", ">25</text>", ">50</text>"] { #expect(svg.contains(tick)) }
    }

    @Test func anEmptyChartIsAnAxisAndNoBars() throws {
        let svg = Charts.severityBars([], title: "nothing")
        #expect(try Self.rects(svg).isEmpty)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        let series = Charts.timeSeries([], labels: [], title: "nothing")
        #expect(!series.contains("<polyline"))
    }

    @Test func timeSeriesPointsSpanThePlotAndScaleToTheAxis() throws {
        let frame = Charts.Frame()
        let values = [0, 5, 10, 3, 20, 0]
        let svg = Charts.timeSeries(values, labels: values.indices.map { "h\($0)" }, title: "t", frame: frame)
        let regex = try NSRegularExpression(pattern: #"points="([^"]*)""#)
        let match = try #require(regex.firstMatch(in: svg, range: NSRange(svg.startIndex..., in: svg)))
        let points = String(svg[Range(match.range(at: 1), in: svg)!]).split(separator: " ").map {
            $0.split(separator: ",").map { Double($0)! }
        }
        #expect(points.count == values.count)
        #expect(points.first?[0] == frame.left && points.last?[0] == frame.width - frame.right)
        #expect(zip(points, points.dropFirst()).allSatisfy { $0[0] < $1[0] })
        for (point, value) in zip(points, values) {
            #expect(abs(point[1] - (frame.top + frame.plotHeight * (1 - Double(value) / 20))) < 0.06)
        }
        #expect(svg.contains("<title>h4: 20</title>"))
    }

    @Test func chartTextIsEscaped() {
        for text in Self.hostile {
            let bars = Charts.severityBars(
                [Charts.StackedBar(label: text, counts: [0, 1], href: "/events?q=\(text)")], title: text)
            let series = Charts.timeSeries([1, 2], labels: [text, text], title: text)
            for svg in [bars, series] {
                #expect(!svg.contains("<script"), "\(text)")
                #expect(!svg.contains("<img"), "\(text)")
                #expect(!svg.contains("<h1"), "\(text)")
                #expect(!svg.contains("<svg/"), "\(text)")
                #expect(!svg.contains("' onmouseover"), "\(text)")
                #expect(svg.contains(HTML.escape(text)), "\(text)")
            }
        }
    }

    @Test func meterIsProportionalAndClamped() {
        #expect(
            Charts.meter(30, maximum: 120, width: 120).contains("class=\"meter-fill\" x=\"0\" y=\"0\" width=\"30\""))
        #expect(Charts.meter(500, maximum: 100, width: 120).contains("meter-fill\" x=\"0\" y=\"0\" width=\"120\""))
        #expect(Charts.meter(5, maximum: 0, width: 120).contains("meter-fill\" x=\"0\" y=\"0\" width=\"0\""))
    }

    // MARK: Times, links

    @Test(arguments: [
        (Int64(0), "1970-01-01 00:00:00"), (1_796_397_600_000, "2026-12-04 15:20:00"),
        (951_782_400_000, "2000-02-29 00:00:00"), (4_102_444_799_999, "2099-12-31 23:59:59"),
        (1_764_787_800_123, "2025-12-03 18:50:00"),
    ])
    func formatsUTC(milliseconds: Int64, expected: String) {
        #expect(PageKit.time(milliseconds) == expected)
        #expect(PageKit.parseTime(expected) == milliseconds - milliseconds % 1000)
    }

    @Test func parseTimeRoundTripsAndAcceptsItsForms() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<2000 {
            let t = Int64(random.next() % 4_000_000_000_000) / 60_000 * 60_000
            #expect(PageKit.parseTime(PageKit.inputTime(t)) == t)
            #expect(PageKit.parseTime(PageKit.isoTime(t)) == t)
        }
        #expect(PageKit.parseTime("2026-12-04") == 1_796_342_400_000)
        #expect(PageKit.parseTime("2026-12-04T15:20") == Self.now)
        #expect(PageKit.parseTime("2026-12-04 15:20:00Z") == Self.now)
        #expect(PageKit.parseTime(" 2026-12-04T15:20 ") == Self.now)
    }

    @Test(arguments: [
        "", "abc", "2026", "2026-12", "2026-13-01", "2026-00-10", "2026-02-29", "2025-04-31", "2026-12-04T24:00",
        "2026-12-04T16:60", "2026-12-04T16:00:60", "2026-12-04T1:00", "26-12-04", "2026-12-04T16", "1969-12-31",
        "2026-12-04T16:00:00+01:00", "2026-12-04TT16:00", "２０２６-12-04", "2026-12-04T16:00:00.5", "-2026-12-04",
        "2026-12-04T16:00:00Z\u{0}", "99999-12-04",
    ])
    func parseTimeRefusesGarbage(text: String) {
        #expect(PageKit.parseTime(text) == nil, "\(text)")
    }

    @Test func linksEncodeEveryComponentAndDropEmptyOnes() {
        #expect(PageKit.link("/events", []) == "/events")
        #expect(PageKit.link("/events", [("user", ""), ("q", nil)]) == "/events")
        #expect(
            PageKit.link("/events", [("user", "javascript:alert(1)"), ("q", "a b&c=d/é")])
                == "/events?user=javascript%3Aalert%281%29&q=a%20b%26c%3Dd%2F%C3%A9")
        #expect(PageKit.anchor("/x?a=1&b=2", "<b>") == "<a href=\"/x?a=1&amp;b=2\">&lt;b&gt;</a>")
        #expect(PageKit.count(1_234_567) == "1\u{202F}234\u{202F}567")
        #expect(PageKit.count(999) == "999")
        #expect(PageKit.age(Self.now - 45_000, now: Self.now) == "45 s")
        #expect(PageKit.age(Self.now - 3 * 3_600_000, now: Self.now) == "3 h")
    }

    // MARK: Filters

    @Test func eventQueryReadsTheForm() {
        let (query, form, errors) = DashboardData.eventQuery(
            [
                "host": "3", "user": " alice ", "process": "curl", "class": "3002", "q": "shadow", "range": "24h",
                "before": "1796397000000.42",
            ], now: Self.now)
        #expect(errors.isEmpty)
        #expect(query.hostID == 3 && query.user == "alice" && query.process == "curl" && query.text == "shadow")
        #expect(query.classes == [.authentication])
        #expect(query.from == Self.now - 86_400_000 && query.until == nil)
        #expect(query.before == EventCursor(time: 1_796_397_000_000, rowID: 42))
        #expect(form.user == "alice")
        let (explicit, _, _) = DashboardData.eventQuery(
            ["range": "24h", "from": "2026-12-01T00:00", "to": "2026-12-02"], now: Self.now)
        #expect(explicit.from == PageKit.parseTime("2026-12-01") && explicit.until == PageKit.parseTime("2026-12-02"))
    }

    @Test func eventQueryNamesWhatItCannotRead() {
        let (query, form, errors) = DashboardData.eventQuery(
            ["host": "web-01", "class": "77", "range": "2y", "from": "yesterday", "to": "2026-02-30", "before": "x"],
            now: Self.now)
        #expect(errors.count == 6, "\(errors)")
        #expect(query == VigilStore.EventQuery(limit: DashboardData.pageSize))
        #expect(form.host.isEmpty && form.classUID.isEmpty && form.range.isEmpty)
        #expect(errors.contains { $0.contains("yesterday") && $0.contains("2026-12-04T16:00") })
    }

    // MARK: Pages

    /// Every tag a page may contain; anything else in a rendered page came from data.
    static let allowedTags: Set<String> = [
        "html", "head", "meta", "title", "link", "script", "body", "header", "a", "nav", "span", "time", "main",
        "h1", "h2", "footer", "div", "p", "section", "figure", "figcaption", "svg", "rect", "text", "line",
        "polyline", "circle", "table", "caption", "thead", "tbody", "tr", "th", "td", "details", "summary", "pre",
        "strong", "dl", "dt", "dd", "form", "label", "select", "option", "input", "button", "textarea", "code", "ol",
        "ul", "li", "br",
    ]

    static func checkInert(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let tags = try NSRegularExpression(pattern: #"<([a-zA-Z][a-zA-Z0-9]*)"#)
        for match in tags.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let tag = String(html[Range(match.range(at: 1), in: html)!]).lowercased()
            #expect(allowedTags.contains(tag), "unexpected <\(tag)>", sourceLocation: sourceLocation)
        }
        // Inside tags (text cannot hold a raw `<` or `>`, so these are real tags), no event handler attribute.
        let wholeTags = try NSRegularExpression(pattern: #"<[a-zA-Z][^>]*>"#)
        for match in wholeTags.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let tag = String(html[Range(match.range, in: html)!])
            // Attribute names only: quoted values (which cannot hold a raw `"`) are taken out first.
            let names = tag.replacingOccurrences(of: #""[^"]*""#, with: "\"\"", options: .regularExpression)
            #expect(
                names.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "handler in \(tag)",
                sourceLocation: sourceLocation)
        }
        let hrefs = try NSRegularExpression(pattern: #"\b(?:href|src|action)="([^"]*)""#)
        for match in hrefs.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let value = String(html[Range(match.range(at: 1), in: html)!])
            #expect(value.hasPrefix("/"), "link \(value) is not a site path", sourceLocation: sourceLocation)
        }
        #expect(
            html.components(separatedBy: "<script").count == 2, "one script element", sourceLocation: sourceLocation)
        #expect(!html.contains("style="), "inline style (the CSP forbids it)", sourceLocation: sourceLocation)
    }

    static func hostileRow(_ index: Int) -> EventRow {
        let text = hostile[index % hostile.count]
        return EventRow(
            rowID: Int64(index), hostID: 1, hostname: text, time: now - Int64(index) * 1000, classUID: .processActivity,
            severity: .high, activity: text, kind: .process, user: text, process: "/tmp/\(text)", pid: 7,
            detail: "sh -c '\(text)'", json: "{\"x\": \"\(text)\"}")
    }

    @Test func everyPageKeepsHostileTextInert() throws {
        let rows = (0..<Self.hostile.count).map(Self.hostileRow)
        let host = HostRow(
            id: 1, hostname: Self.hostile[1], uid: Self.hostile[0], os: Self.hostile[5], firstSeen: 0,
            lastSeen: Self.now, online: true, events24h: 3)
        let form = EventFilterForm(
            host: Self.hostile[0], user: Self.hostile[1], process: Self.hostile[2], classUID: Self.hostile[3],
            text: Self.hostile[4], from: Self.hostile[5], to: Self.hostile[6], range: Self.hostile[0])
        let counts = Self.hostile.map { CountRow(label: $0, href: "/events?q=\($0)", day: 1, month: 2) }
        let bars = Self.hostile.map { Charts.StackedBar(label: $0, counts: [0, 1, 2], href: "/events?q=\($0)") }
        let pages = [
            Pages.events(
                EventsPageModel(
                    now: Self.now, form: form, errors: Self.hostile,
                    hosts: [HostOption(id: 1, hostname: Self.hostile[0])],
                    rows: rows, nextCursor: Self.hostile[1], paged: true)),
            Pages.hosts(HostsPageModel(now: Self.now, hosts: [host])),
            Pages.host(
                HostPageModel(
                    now: Self.now, host: host, facts: Self.hostile.map { ($0, $0) }, hourly: [1, 2, 3],
                    hourLabels: Self.hostile, kind: .login, kindCounts: [.login: 2], timeline: rows,
                    nextCursor: Self.hostile[2], paged: true)),
            Pages.overview(
                OverviewModel(
                    now: Self.now, hostsTotal: 2, hostsOnline: 1, events24h: 3, events30d: 4, hourly: bars,
                    daily: bars, byClass: counts, byHost: counts, silentHosts: [host])),
            Pages.fileIntegrity(FileIntegrityModel(now: Self.now, rows: rows, nextCursor: "1.2", paged: false)),
            Pages.notFound(Self.hostile[0], now: Self.now),
        ]
        for html in pages {
            try Self.checkInert(html)
            #expect(html.contains(HTML.escape(Self.hostile[0])))
        }
        // The events page shows the command line, path and user as text.
        for text in Self.hostile {
            #expect(pages[0].contains("sh -c \(HTML.escape("'" + text + "'"))"))
            #expect(pages[0].contains(HTML.escape("/tmp/" + text)))
        }
    }

    @Test func everySectionHasAPageInTheNavigation() throws {
        for section in Section.allCases {
            let html =
                [.alerts, .vulnerabilities, .archive, .compliance, .settings].contains(section)
                ? Pages.unavailable(section, now: Self.now)
                : Layout.page(title: section.title, section: section, now: Self.now, body: "")
            try Self.checkInert(html)
            #expect(html.contains("<a href=\"\(section.path)\" aria-current=\"page\">"))
            for other in Section.allCases { #expect(html.contains("href=\"\(other.path)\"")) }
            #expect(html.contains("as of <time datetime=\"2026-12-04T15:20:00Z\">2026-12-04 15:20:00</time> UTC"))
        }
        #expect(Pages.unavailable(.alerts, now: Self.now).contains("not available in this build"))
    }

    @Test func eventRowsDescribeEachClass() {
        let device = Device(hostname: "h")
        let base = Event(id: "x", classUID: .processActivity, activityID: 1, time: 0, metadata: EventMetadata())
        var sudo = base
        sudo.classUID = .authentication
        sudo.activityID = Activity.Authentication.other
        sudo.statusID = 2
        sudo.actor = Actor(user: User(name: "bob"))
        sudo.user = User(name: "root")
        sudo.unmapped = ["action": "sudo", "command": "/bin/cat /etc/shadow"]
        var row = EventRow(rowID: 1, hostID: 1, hostname: "h", event: sudo)
        #expect(row.kind == .sudo && row.activity == "sudo refused" && row.user == "bob")
        #expect(row.detail == "as root /bin/cat /etc/shadow")
        var connection = base
        connection.classUID = .networkActivity
        connection.device = device
        connection.srcEndpoint = Endpoint(ip: "10.0.0.1", port: 40000)
        connection.dstEndpoint = Endpoint(ip: "192.0.2.9", port: 443)
        row = EventRow(rowID: 1, hostID: 1, hostname: "h", event: connection)
        #expect(row.kind == .connection && row.detail == "10.0.0.1:40000 → 192.0.2.9:443")
        var file = base
        file.classUID = .fileSystemActivity
        file.activityID = Activity.File.update
        file.file = FileObject(path: "/etc/passwd")
        file.process = Process(pid: 9, file: FileObject(path: "/usr/bin/vim"), user: User(name: "root"))
        row = EventRow(rowID: 1, hostID: 1, hostname: "h", event: file)
        #expect(row.kind == .file && row.activity == "file changed" && row.detail == "/etc/passwd")
        #expect(row.process == "/usr/bin/vim" && row.pid == 9 && row.user == "root")
        var process = base
        process.process = Process(
            cmdLine: "sudo -i", file: FileObject(path: "/usr/bin/sudo"), user: User(name: "root"),
            loginUser: User(name: "alice"))
        row = EventRow(rowID: 1, hostID: 1, hostname: "h", event: process)
        #expect(row.kind == .sudo && row.user == "root (login alice)" && row.activity == "process started")
        #expect(row.json.contains("\"cmd_line\" : \"sudo -i\""))
    }
}
