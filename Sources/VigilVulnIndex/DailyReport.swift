import Foundation
import VigilVuln

/// The daily report: installed packages with findings, what is new since the previous scan, and what
/// was resolved. Rendered as JSON, CSV or a standalone HTML page.
public struct DailyReport: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case json, csv, html
    }

    public var generatedAt: Int64
    /// Start of "new": the time of the scan before the latest one (0 when there was none).
    public var since: Int64
    public var entries: [VulnIndex.HistoryEntry]

    public init(generatedAt: Int64, since: Int64, entries: [VulnIndex.HistoryEntry]) {
        self.generatedAt = generatedAt
        self.since = since
        self.entries = entries
    }

    /// `new`, `resolved` or `open`.
    public func state(_ entry: VulnIndex.HistoryEntry) -> String {
        if entry.resolved != nil { return "resolved" }
        return entry.firstSeen > since ? "new" : "open"
    }

    public func render(_ format: Format) throws -> String {
        let rows = entries.sorted {
            (order(state($0)), $0.finding.package, $0.finding.advisory) < (
                order(state($1)), $1.finding.package, $1.finding.advisory
            )
        }
        switch format {
        case .json:
            let items: [[String: Any]] = rows.map { entry in
                var item: [String: Any] = [
                    "state": state(entry), "package": entry.finding.package, "installed": entry.finding.installed,
                    "advisory": entry.finding.advisory, "status": entry.finding.status.rawValue,
                    "first_seen": iso(entry.firstSeen), "source_package": entry.finding.sourcePackage,
                    "reason": entry.finding.reason,
                ]
                item["fixed"] = entry.finding.fixed ?? NSNull()
                item["severity"] = entry.finding.severity ?? NSNull()
                item["resolved"] = entry.resolved.map(iso) ?? NSNull()
                return item
            }
            let counts = Dictionary(grouping: rows, by: state).mapValues(\.count)
            let document: [String: Any] = [
                "generated_at": iso(generatedAt), "since": iso(since), "counts": counts, "findings": items,
            ]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
            return String(decoding: data, as: UTF8.self)
        case .csv:
            var out = "state,package,installed,advisory,status,fixed,severity,first_seen,resolved\n"
            for entry in rows {
                let f = entry.finding
                out +=
                    [
                        state(entry), f.package, f.installed, f.advisory, f.status.rawValue, f.fixed ?? "",
                        f.severity ?? "",
                        iso(entry.firstSeen), entry.resolved.map(iso) ?? "",
                    ].map(csv).joined(separator: ",") + "\n"
            }
            return out
        case .html:
            let counts = Dictionary(grouping: rows, by: state).mapValues(\.count)
            var out = """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>Vigil daily vulnerability report</title>
                <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}
                .new{background:#fee}.resolved{background:#efe}</style></head><body>
                <h1>Daily vulnerability report</h1>
                <p>Generated \(html(iso(generatedAt))); new since \(html(iso(since))).
                New: \(counts["new"] ?? 0), resolved: \(counts["resolved"] ?? 0), still open: \(counts["open"] ?? 0).</p>
                <table><thead><tr><th>state</th><th>package</th><th>installed</th><th>advisory</th><th>status</th><th>fixed</th><th>severity</th><th>first seen</th></tr></thead><tbody>

                """
            for entry in rows {
                let f = entry.finding
                let cells = [
                    state(entry), f.package, f.installed, f.advisory, f.status.rawValue, f.fixed ?? "",
                    f.severity ?? "",
                    iso(entry.firstSeen),
                ]
                out += "<tr class=\"\(state(entry))\">" + cells.map { "<td>\(html($0))</td>" }.joined() + "</tr>\n"
            }
            return out + "</tbody></table></body></html>\n"
        }
    }

    private func order(_ state: String) -> Int { ["new": 0, "resolved": 1, "open": 2][state] ?? 3 }

    func iso(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    func csv(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func html(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
