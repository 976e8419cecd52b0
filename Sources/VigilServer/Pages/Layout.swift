import VigilCore

/// The dashboard's sections, in navigation order.
public enum Section: String, CaseIterable, Sendable {
    case overview, alerts, hosts, events, fim, vulnerabilities, archive, compliance, settings

    var title: String {
        switch self {
        case .overview: "Overview"
        case .alerts: "Alerts"
        case .hosts: "Hosts"
        case .events: "Events"
        case .fim: "File integrity"
        case .vulnerabilities: "Vulnerabilities"
        case .archive: "Archive"
        case .compliance: "Compliance"
        case .settings: "Settings"
        }
    }

    /// The section's page.
    public var path: String {
        switch self {
        case .overview: "/"
        case .fim: "/file-integrity"
        default: "/\(rawValue)"
        }
    }
}

/// The shared page frame: head, navigation, main, footer. Pure: the caller passes everything, `body` is
/// already-escaped HTML.
enum Layout {
    /// The sections the person looking may open (set by the route for the request; admin-only sections are
    /// left out of the navigation for other roles, so no page links to a 403).
    @TaskLocal static var visibleSections: Set<Section> = Set(Section.allCases)

    static func page(title: String, section: Section, now: Int64, body: String) -> String {
        var nav = ""
        for item in Section.allCases where visibleSections.contains(item) {
            let current = item == section ? " aria-current=\"page\"" : ""
            nav += "<a href=\"\(item.path)\"\(current)>\(HTML.escape(item.title))</a>"
        }
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) — Vigil</title>
            <link rel="stylesheet" href="/static/vigil.css">
            <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
            <script src="/static/vigil.js" defer></script>
            </head>
            <body>
            <header class="top">
            <a class="brand" href="/">Vigil</a>
            <nav aria-label="Sections">\(nav)</nav>
            <span class="asof">as of \(PageKit.timeElement(now)) UTC</span>
            <a class="signout" href="/logout">Sign out</a>
            </header>
            <main>
            <h1>\(HTML.escape(title))</h1>
            \(body)
            </main>
            <footer>Vigil \(HTML.escape(VigilVersion.current)) · times are UTC · printed pages keep their filters in the address</footer>
            </body>
            </html>

            """
    }

    /// A "nothing here yet" panel: what the section will show and where to look meanwhile.
    static func emptyState(_ headline: String, _ detail: String, links: [(String, String)] = []) -> String {
        let more =
            links.isEmpty
            ? "" : "<p>" + links.map { PageKit.anchor($0.0, $0.1) }.joined(separator: " · ") + "</p>"
        return """
            <div class="empty"><p class="headline">\(HTML.escape(headline))</p><p>\(HTML.escape(detail))</p>\(more)</div>
            """
    }
}
