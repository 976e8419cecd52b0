import Foundation
import VigilAudit
import VigilTestSupport

/// Helpers that read the go-libaudit corpus and its golden files.
enum GoldenSupport {
    static let corpus = "audit/go-libaudit"

    static func directory(_ sub: String) -> URL? { Corpora.directory("\(corpus)/\(sub)") }

    /// Parses text as a stream, returning records and diagnostics.
    static func parse(_ text: String, maxLineLength: Int = 256 * 1024) -> ([AuditRecord], [AuditError]) {
        var reader = AuditLogReader(maxLineLength: maxLineLength)
        var records: [AuditRecord] = []
        reader.feed(Array(text.utf8)) { records.append($0) }
        reader.finish { records.append($0) }
        return (records, reader.diagnostics)
    }

    /// `2007-01-28T22:00:01.34Z` → milliseconds since the epoch.
    static func milliseconds(iso: String) -> Int64? {
        var text = iso
        guard text.hasSuffix("Z") else { return nil }
        text.removeLast()
        var fraction: Int64 = 0
        if let dot = text.firstIndex(of: ".") {
            var digits = String(text[text.index(after: dot)...])
            while digits.count < 3 { digits += "0" }
            fraction = Int64(digits.prefix(3)) ?? 0
            text = String(text[..<dot])
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        guard let date = formatter.date(from: text) else { return nil }
        return Int64(date.timeIntervalSince1970) * 1000 + fraction
    }
}
