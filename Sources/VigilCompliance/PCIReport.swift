import Foundation

/// A PCI DSS report: the period, every requirement's result, and the archive checkpoint it was built against
/// (so an auditor can check the report against the archive). Renders as JSON, CSV or printable HTML.
public struct PCIReport: Sendable, Equatable, Codable {
    public var standard = "PCI DSS v4.0.1"
    public var from: Int64
    public var until: Int64
    public var generatedAt: Int64
    public var requirements: [RequirementResult]
    /// The newest signed checkpoint (C2SP signed note) when the report was built; nil when none exists.
    public var checkpoint: String?

    enum CodingKeys: String, CodingKey {
        case standard, from, until, requirements, checkpoint
        case generatedAt = "generated_at"
    }

    /// Evaluates the catalogue over `snapshot`.
    public init(snapshot: ComplianceSnapshot, generatedAt: Int64, checkpoint: String?) {
        from = snapshot.from
        until = snapshot.until
        self.generatedAt = generatedAt
        requirements = PCICatalogue.evaluate(snapshot)
        self.checkpoint = checkpoint
    }

    /// Sorted-key JSON.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// One row per requirement and per host result (RFC 4180 quoting).
    public func csv() -> String {
        var out = "requirement,status,host,evidence\r\n"
        for r in requirements {
            out +=
                [r.requirement, r.status.rawValue, "", r.evidence.joined(separator: "; ")].map(Self.cell)
                .joined(separator: ",") + "\r\n"
            for h in r.hosts {
                out +=
                    [r.requirement, h.status.rawValue, h.hostname, h.evidence].map(Self.cell)
                    .joined(separator: ",") + "\r\n"
            }
        }
        return out
    }

    static func cell(_ text: String) -> String {
        // A leading =, +, - or @ would be run as a formula by spreadsheets: prefix it with an apostrophe.
        var value = text
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return value
    }

    /// A standalone printable page ending with the checkpoint it was built against.
    public func html() -> String {
        func e(_ s: String) -> String {
            var out = ""
            for c in s {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&#39;"
                default: out.append(c)
                }
            }
            return out
        }
        var rows = ""
        for r in requirements {
            let cls = r.status.rawValue.replacingOccurrences(of: " ", with: "-")
            rows += "<tr class=\"\(cls)\"><td>\(e(r.requirement))</td><td>\(e(r.summary))</td>"
            rows += "<td>\(e(r.status.rawValue))</td><td><ul>"
            rows += r.evidence.map { "<li>\(e($0))</li>" }.joined()
            rows += "</ul>"
            if !r.hosts.isEmpty {
                rows += "<table class=\"hosts\">"
                rows += r.hosts.map {
                    "<tr class=\"\($0.status.rawValue.replacingOccurrences(of: " ", with: "-"))\"><td>\(e($0.hostname))</td>"
                        + "<td>\(e($0.status.rawValue))</td><td>\(e($0.evidence))</td></tr>"
                }.joined()
                rows += "</table>"
            }
            rows += "</td></tr>\n"
        }
        let counts = RequirementStatus.allCases.map { status in
            "\(requirements.filter { $0.status == status }.count) \(status.rawValue)"
        }.joined(separator: ", ")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(e(standard)) evidence report</title>
            <style>
            body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}
            td,th{border:1px solid #999;padding:4px;vertical-align:top;text-align:left}
            .met>td:nth-child(3){background:#dfd}.not-met>td:nth-child(3){background:#fdd}
            .no-evidence>td:nth-child(3){background:#eee}table.hosts td{font-size:90%}
            pre{white-space:pre-wrap}@media print{body{margin:0}}
            </style></head><body>
            <h1>\(e(standard)) evidence report</h1>
            <p>Period \(UTCTime.text(from)) to \(UTCTime.text(until)); generated \(UTCTime.text(generatedAt)). \
            \(counts).</p>
            <table><tr><th>Requirement</th><th>What it asks (paraphrase)</th><th>Status</th><th>Evidence</th></tr>
            \(rows)</table>
            <h2>Archive checkpoint</h2>
            \(checkpoint.map { "<p>Built against this signed checkpoint of the archive:</p><pre>\(e($0))</pre>" }
                ?? "<p>No signed archive checkpoint existed when this report was built.</p>")
            </body></html>

            """
    }
}
