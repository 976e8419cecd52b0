import VigilCore

/// The dashboard's pages: pure functions from a view model to HTML. Every value goes through `HTML.escape`
/// (directly or through `PageKit.anchor`/`PageKit.timeElement`); links are built by `PageKit.link`.
enum Pages {
    // MARK: Shared pieces

    /// The events table used by the events, host and file-integrity pages.
    static func eventTable(_ rows: [EventRow], showHost: Bool = true, caption: String) -> String {
        var body = ""
        for row in rows {
            let host =
                showHost ? "<td class=\"host\">\(PageKit.anchor("/hosts/\(row.hostID)", row.hostname))</td>" : ""
            let pid = row.pid.map { " <span class=\"pid\">[\(String($0))]</span>" } ?? ""
            body += """
                <tr class="kind-\(row.kind.rawValue)"><td class="time">\(PageKit.timeElement(row.time))</td>\(host)\
                <td><span class="sev sev-\(row.severity.rawValue)">\(HTML.escape(row.severity.name))</span> \
                \(HTML.escape(row.activity))</td>\
                <td class="user">\(HTML.escape(row.user))</td>\
                <td class="exe">\(HTML.escape(row.process))\(pid)</td>\
                <td class="cmd">\(HTML.escape(row.detail))\
                <details><summary>event</summary><pre>\(HTML.escape(row.json))</pre></details>\
                \(row.uid.isEmpty ? "" : PageKit.anchor(row.proofLink, "proof", class: "proof"))</td></tr>

                """
        }
        let hostHeader = showHost ? "<th scope=\"col\">Host</th>" : ""
        return """
            <table class="events">
            <caption>\(HTML.escape(caption))</caption>
            <thead><tr><th scope="col">Time (UTC)</th>\(hostHeader)<th scope="col">What</th><th scope="col">User</th>\
            <th scope="col">Program</th><th scope="col">Detail</th></tr></thead>
            <tbody>
            \(body)</tbody>
            </table>
            """
    }

    /// "Newest" and "Older" links under a paged table.
    static func pager(path: String, parameters: [(String, String?)], next: String?, paged: Bool) -> String {
        var links: [String] = []
        if paged { links.append(PageKit.anchor(PageKit.link(path, parameters), "« Newest")) }
        if let next {
            links.append(PageKit.anchor(PageKit.link(path, parameters + [("before", next)]), "Older »", class: "next"))
        }
        return links.isEmpty ? "" : "<nav class=\"pager\" aria-label=\"Pages\">\(links.joined(separator: " "))</nav>"
    }

    static func legend() -> String {
        let items = [Severity.informational, .low, .medium, .high, .critical].map { severity in
            "<span class=\"sev sev-\(severity.rawValue)\">\(HTML.escape(severity.name))</span>"
        }
        return "<p class=\"legend\">Severity: \(items.joined(separator: " "))</p>"
    }

    static func countTable(_ rows: [CountRow], label: String, caption: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"muted\">No events in the last 30 days.</p>" }
        let maximum = rows.map(\.month).max() ?? 0
        var body = ""
        for row in rows {
            body += """
                <tr><td>\(PageKit.anchor(row.href, row.label))</td><td class="num">\(PageKit.count(row.day))</td>\
                <td class="num">\(PageKit.count(row.month))</td><td>\(Charts.meter(row.month, maximum: maximum))</td></tr>

                """
        }
        return """
            <table class="counts"><caption>\(HTML.escape(caption))</caption>
            <thead><tr><th scope="col">\(HTML.escape(label))</th><th scope="col" class="num">24 h</th>\
            <th scope="col" class="num">30 days</th><th scope="col"><span class="sr">share</span></th></tr></thead>
            <tbody>
            \(body)</tbody></table>
            """
    }

    // MARK: Overview

    static func overview(_ model: OverviewModel) -> String {
        let offline = model.hostsTotal - model.hostsOnline
        var body = """
            <section class="tiles">
            <div class="tile"><span class="value">\(PageKit.count(model.hostsTotal))</span><span class="label">hosts</span></div>
            <div class="tile"><span class="value">\(PageKit.count(model.hostsOnline))</span><span class="label">online (seen in 10 min)</span></div>
            <div class="tile\(offline > 0 ? " warn" : "")"><span class="value">\(PageKit.count(offline))</span><span class="label">silent</span></div>
            <div class="tile"><span class="value">\(PageKit.count(model.events24h))</span><span class="label">events, 24 h</span></div>
            <div class="tile"><span class="value">\(PageKit.count(model.events30d))</span><span class="label">events, 30 days</span></div>
            </section>

            """
        if model.hostsTotal == 0 {
            body += Layout.emptyState(
                "No host has reported yet.",
                "Start an agent (vigil agent --server URL …) on a host; its events appear here within seconds.")
        }
        if let critical = model.criticalAlerts {
            body += TriagePages.overviewAlerts(critical: critical, topRules: model.topRules)
        }
        body += """
            <section class="charts">
            <figure><figcaption>Events by severity, last 24 hours (per hour)</figcaption>
            \(Charts.severityBars(model.hourly, title: "Events by severity per hour, last 24 hours", labelEvery: 4))
            </figure>
            <figure><figcaption>Events by severity, last 30 days (per day)</figcaption>
            \(Charts.severityBars(model.daily, title: "Events by severity per day, last 30 days", labelEvery: 5))
            </figure>
            \(legend())
            </section>
            <section class="split">
            <div>
            <h2>By class</h2>
            \(countTable(model.byClass, label: "Class", caption: "Events by class"))
            </div>
            <div>
            <h2>By host</h2>
            \(countTable(model.byHost, label: "Host", caption: "Events by host (busiest 20, last 30 days)"))
            </div>
            </section>

            """
        if !model.silentHosts.isEmpty {
            body += "<section><h2>Silent hosts</h2>\(hostTable(model.silentHosts, now: model.now))</section>\n"
        }
        return Layout.page(title: "Overview", section: .overview, now: model.now, body: body)
    }

    // MARK: Events

    static func events(_ model: EventsPageModel) -> String {
        let form = model.form
        var hostOptions = "<option value=\"\">any host</option>"
        for host in model.hosts {
            let selected = form.host == String(host.id) ? " selected" : ""
            hostOptions += "<option value=\"\(host.id)\"\(selected)>\(HTML.escape(host.hostname))</option>"
        }
        var classOptions = "<option value=\"\">any class</option>"
        for eventClass in EventClass.allCases.sorted(by: { $0.name < $1.name }) {
            let selected = form.classUID == String(eventClass.rawValue) ? " selected" : ""
            classOptions +=
                "<option value=\"\(eventClass.rawValue)\"\(selected)>\(HTML.escape(eventClass.name))</option>"
        }
        var rangeOptions = ""
        for (value, label) in [
            ("", "any time"), ("1h", "last hour"), ("24h", "last 24 h"), ("7d", "last 7 days"), ("30d", "last 30 days"),
        ] {
            let selected = form.range == value ? " selected" : ""
            rangeOptions += "<option value=\"\(value)\"\(selected)>\(label)</option>"
        }
        var body = """
            <form class="filters" method="get" action="/events" role="search">
            <label>Host <select name="host" data-autosubmit>\(hostOptions)</select></label>
            <label>User <input name="user" value="\(HTML.escape(form.user))" placeholder="exact name" autocomplete="off"></label>
            <label>Program <input name="process" value="\(HTML.escape(form.process))" placeholder="part of the path" autocomplete="off"></label>
            <label>Class <select name="class" data-autosubmit>\(classOptions)</select></label>
            <label class="wide">Text <input name="q" type="search" value="\(HTML.escape(form.text))" placeholder="command line, path, anything (press /)" autocomplete="off" data-focus-key="/"></label>
            <label>Range <select name="range" data-autosubmit>\(rangeOptions)</select></label>
            <label>From <input name="from" type="datetime-local" value="\(HTML.escape(form.from))"></label>
            <label>To <input name="to" type="datetime-local" value="\(HTML.escape(form.to))"></label>
            <button type="submit">Search</button> \(PageKit.anchor("/events", "Clear"))
            </form>

            """
        for error in model.errors { body += "<p class=\"error\" role=\"alert\">\(HTML.escape(error))</p>\n" }
        if model.rows.isEmpty {
            body +=
                model.paged
                ? Layout.emptyState("No older events match.", "This search has no more results.")
                : Layout.emptyState(
                    "No events match.",
                    "Nothing recorded yet matches this search; widen the time range or clear a filter.")
        } else {
            body += eventTable(
                model.rows, caption: "\(model.rows.count) events, newest first\(model.paged ? " (later page)" : "")")
            body += pager(path: "/events", parameters: form.parameters, next: model.nextCursor, paged: model.paged)
        }
        return Layout.page(title: "Events", section: .events, now: model.now, body: body)
    }

    // MARK: Hosts

    static func hostTable(_ hosts: [HostRow], now: Int64) -> String {
        var body = ""
        for host in hosts {
            body += """
                <tr><td>\(PageKit.anchor("/hosts/\(host.id)", host.hostname))</td>\
                <td><span class="status \(host.online ? "online" : "silent")">\(host.online ? "online" : "silent")</span></td>\
                <td>\(HTML.escape(host.os))</td><td class="mono">\(HTML.escape(host.uid))</td>\
                <td class="time">\(PageKit.timeElement(host.lastSeen)) <span class="muted">(\(PageKit.age(host.lastSeen, now: now)) ago)</span></td>\
                <td class="time">\(PageKit.timeElement(host.firstSeen))</td>\
                <td class="num">\(PageKit.count(host.events24h))</td></tr>

                """
        }
        return """
            <table class="hosts"><caption>\(hosts.count) hosts</caption>
            <thead><tr><th scope="col">Host</th><th scope="col">Status</th><th scope="col">OS</th>\
            <th scope="col">Machine id</th><th scope="col">Last seen (UTC)</th><th scope="col">First seen</th>\
            <th scope="col" class="num">Events 24 h</th></tr></thead>
            <tbody>
            \(body)</tbody></table>
            """
    }

    static func hosts(_ model: HostsPageModel) -> String {
        let body =
            model.hosts.isEmpty
            ? Layout.emptyState(
                "No host has reported yet.",
                "A host appears here when its agent sends its first batch (vigil agent --server URL …).")
            : hostTable(model.hosts, now: model.now)
        return Layout.page(title: "Hosts", section: .hosts, now: model.now, body: body)
    }

    static func host(_ model: HostPageModel) -> String {
        var facts = ""
        for (label, value) in model.facts {
            facts += "<dt>\(HTML.escape(label))</dt><dd>\(HTML.escape(value))</dd>"
        }
        let base = "/hosts/\(model.host.id)"
        var filters = [
            model.kind == nil
                ? "<strong>All</strong>" : PageKit.anchor(base, "All")
        ]
        // sudo and su are authentication events: the logins filter shows them with the logins.
        for kind in TimelineKind.allCases where kind != .other && kind != .sudo {
            let label = "\(kind.title) (\(PageKit.count(model.kindCounts[kind] ?? 0)))"
            filters.append(
                model.kind == kind
                    ? "<strong>\(HTML.escape(label))</strong>"
                    : PageKit.anchor(PageKit.link(base, [("kind", kind.rawValue)]), label))
        }
        var body = """
            <section class="split">
            <div><h2>Facts</h2><dl class="facts">\(facts)</dl></div>
            <div><h2>Activity, last 24 hours</h2>
            <figure>\(Charts.timeSeries(model.hourly, labels: model.hourLabels, title: "Events per hour on \(model.host.hostname), last 24 hours"))
            <figcaption>Events per hour (UTC); the last point is the current hour so far</figcaption></figure></div>
            </section>
            <section>
            <h2>Timeline</h2>
            <p class="chips">\(filters.joined(separator: " · ")) <span class="muted">(counts: last 24 h)</span></p>

            """
        if model.timeline.isEmpty {
            body += Layout.emptyState(
                "Nothing recorded yet.",
                model.kind == nil
                    ? "This host has sent no logins, sudo, process, connection or file events."
                    : "This host has sent no \(model.kind?.title.lowercased() ?? "") events.")
        } else {
            body += eventTable(model.timeline, showHost: false, caption: "Newest first")
            body += pager(
                path: base, parameters: [("kind", model.kind?.rawValue)], next: model.nextCursor, paged: model.paged)
        }
        body += "</section>\n"
        body +=
            "<p>\(PageKit.anchor(PageKit.link("/events", [("host", String(model.host.id))]), "All events of this host"))</p>"
        return Layout.page(title: model.host.hostname, section: .hosts, now: model.now, body: body)
    }

    // MARK: File integrity

    static func fileIntegrity(_ model: FileIntegrityModel) -> String {
        var body = """
            <p class="lede">File changes and sensitive reads reported by the agents, with the user and program that made them.</p>

            """
        if model.rows.isEmpty {
            body += Layout.emptyState(
                "No file changes recorded yet.",
                "Agents report changes to watched paths as they happen; baselines and scheduled checks are not available in this build.",
                links: [("/events?class=1001", "File events search")])
        } else {
            body += eventTable(model.rows, caption: "File system activity, newest first")
            body += pager(path: "/file-integrity", parameters: [], next: model.nextCursor, paged: model.paged)
        }
        return Layout.page(title: "File integrity", section: .fim, now: model.now, body: body)
    }

    // MARK: Sections not in this build

    static func unavailable(_ section: Section, now: Int64) -> String {
        let body: String
        switch section {
        case .alerts:
            body = Layout.emptyState(
                "No alerts recorded yet.",
                "Alert triage (filters, acknowledge and resolve) is not available in this build. Detection rules can be tried offline with `vigil rules test`.",
                links: [("/events", "Search events")])
        case .vulnerabilities:
            body = Layout.emptyState(
                "No vulnerability findings recorded yet.",
                "Fleet findings are not available in this build. Scan one host offline with `vigil vuln scan` and `vigil vuln report daily`."
            )
        case .archive:
            body = Layout.emptyState(
                "No archive checkpoints recorded yet.",
                "The server does not write the tamper-evident archive in this build. Archives made with `vigil archive append` are verified with `vigil archive verify`."
            )
        case .compliance:
            body = Layout.emptyState(
                "No compliance evidence recorded yet.",
                "The PCI DSS report is not available in this build.")
        case .settings:
            body = Layout.emptyState(
                "Settings are not available in this build.",
                "Users, roles, enrollment tokens and agents are managed on the command line for now (`vigil server --help`)."
            )
        default:
            body = Layout.emptyState("Nothing recorded yet.", "This section has no data.")
        }
        return Layout.page(title: section.title, section: section, now: now, body: body)
    }

    /// The page for a host id that does not exist (served with 404).
    static func notFound(_ what: String, now: Int64) -> String {
        Layout.page(
            title: "Not found", section: .overview, now: now,
            body: Layout.emptyState(
                what, "It may have been removed, or the address is mistyped.", links: [("/", "Overview")]))
    }
}
