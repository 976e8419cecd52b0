import Foundation

/// What the crawler saw at one address.
public struct CrawledPage: Sendable {
    /// Path and query (`/events?host=1`).
    public var target: String
    /// The page that linked here first (nil for a start page).
    public var linkedFrom: String?
    /// The status the raw HTTP client got.
    public var status: Int
    public var contentType: String
    /// Headers as received.
    public var headers: [(String, String)]
    /// Console errors while the browser rendered it (HTML pages only, empty without a browser).
    public var consoleErrors: [String]
    /// Links and resources that leave the site or are not http(s) (`javascript:…`, `data:…`, other hosts).
    public var foreignLinks: [String]
}

/// Visits every same-origin link of every page from a few start pages: statuses with `RawHTTPClient`
/// (exactly what the server answered), rendering with the browser when a session is given (console errors,
/// links as the DOM has them). Links are `a[href]`, `link[href]`, `script[src]`, `img[src]` and SVG `<a>`.
public struct SiteCrawler {
    public var port: UInt16
    public var session: WebDriverSession?
    /// Stop after this many addresses.
    public var maxPages = 400
    /// At most this many addresses per path (query strings vary: pagers, filters, chart bars).
    public var maxPerPath = 40
    /// Extra headers for every raw request (a session cookie).
    public var headers: [(String, String)] = []

    public init(port: UInt16, session: WebDriverSession?) {
        self.port = port
        self.session = session
    }

    var origin: String { "http://127.0.0.1:\(port)" }

    /// Crawls breadth first from `start` (paths) and returns every address visited, in visiting order.
    public func crawl(from start: [String]) throws -> [CrawledPage] {
        var queue: [(String, String?)] = start.map { ($0, nil) }
        var seen = Set(start)
        var perPath: [String: Int] = [:]
        var pages: [CrawledPage] = []
        while !queue.isEmpty && pages.count < maxPages {
            let (target, referrer) = queue.removeFirst()
            let path = String(target.split(separator: "?", maxSplits: 1).first ?? "")
            perPath[path, default: 0] += 1
            if perPath[path, default: 0] > maxPerPath { continue }
            let response = try RawHTTPClient.request(port: port, path: target, headers: headers)
            let contentType = response.header("content-type") ?? ""
            var page = CrawledPage(
                target: target, linkedFrom: referrer, status: response.status, contentType: contentType,
                headers: response.headers, consoleErrors: [], foreignLinks: [])
            guard response.status == 200, contentType.hasPrefix("text/html") else {
                pages.append(page)
                continue
            }
            let links: [String]
            if let session {
                _ = try? session.browserLog()  // drop anything left from the previous page
                try session.navigate(origin + target)
                links = try session.strings(Self.linkScript)
                page.consoleErrors = try session.consoleErrors()
            } else {
                links = Self.links(inHTML: response.text, base: origin + target)
            }
            for link in links {
                guard let local = localTarget(link) else {
                    page.foreignLinks.append(link)
                    continue
                }
                if seen.insert(local).inserted { queue.append((local, target)) }
            }
            pages.append(page)
        }
        return pages
    }

    /// Path and query of a same-origin http URL (fragment dropped), or nil for anything else.
    public func localTarget(_ link: String) -> String? {
        guard link.hasPrefix(origin + "/") else { return nil }
        var rest = String(link.dropFirst(origin.count))
        if let hash = rest.firstIndex(of: "#") { rest = String(rest[..<hash]) }
        return rest
    }

    /// Every link and resource the DOM holds, resolved against the page (SVG `<a>` keeps `href` as an
    /// attribute, so attributes are read, not properties).
    static let linkScript = """
        var out = [];
        document.querySelectorAll("a[href], link[href], script[src], img[src], form[action]").forEach(function (e) {
          var v = e.getAttribute("href") || e.getAttribute("src") || e.getAttribute("action");
          try { out.push(new URL(v, document.baseURI).href); } catch (x) { out.push("invalid:" + v); }
        });
        return out;
        """

    /// Links in raw HTML (`href="…"`, `src="…"`, `action="…"`), entity-decoded and resolved against `base`;
    /// used when no browser is available.
    public static func links(inHTML html: String, base: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: #"\b(?:href|src|action)\s*=\s*"([^"]*)""#) else {
            return []
        }
        let range = NSRange(html.startIndex..., in: html)
        return regex.matches(in: html, range: range).compactMap { match in
            guard let r = Range(match.range(at: 1), in: html) else { return nil }
            let value = String(html[r]).replacingOccurrences(of: "&quot;", with: "\"")
                .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            return URL(string: value, relativeTo: URL(string: base))?.absoluteString ?? "invalid:\(value)"
        }
    }
}
