import Foundation

/// Small pure helpers every page uses: UTC times, query strings, links. Nothing here reads the clock.
enum PageKit {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    /// `2026-12-04 16:33:20` (UTC) for milliseconds since the epoch.
    static func time(_ milliseconds: Int64) -> String {
        let (date, seconds) = split(milliseconds)
        return "\(date) \(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60))"
    }

    /// `2026-12-04` (UTC).
    static func date(_ milliseconds: Int64) -> String { split(milliseconds).date }

    /// `16:00` (UTC).
    static func hourMinute(_ milliseconds: Int64) -> String {
        let seconds = split(milliseconds).seconds
        return "\(pad(seconds / 3600)):\(pad(seconds / 60 % 60))"
    }

    /// `2026-12-04T16:33` (UTC), the value a `datetime-local` input takes.
    static func inputTime(_ milliseconds: Int64) -> String {
        let (date, seconds) = split(milliseconds)
        return "\(date)T\(pad(seconds / 3600)):\(pad(seconds / 60 % 60))"
    }

    /// `2026-12-04T16:33:20Z`, for `<time datetime>`.
    static func isoTime(_ milliseconds: Int64) -> String {
        let (date, seconds) = split(milliseconds)
        return "\(date)T\(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60))Z"
    }

    /// The time window of a filter form: `range` (1h, 24h, 7d, 30d back from `now`), then `from` (overrides the
    /// range's start) and `to`, as UTC times. A value that cannot be read becomes a message in `errors` and does
    /// not filter; an unknown range is also cleared from the form.
    static func timeWindow(
        range: inout String, from: String, to: String, now: Int64, errors: inout [String]
    ) -> (from: Int64?, until: Int64?) {
        var window: (from: Int64?, until: Int64?) = (nil, nil)
        let ranges: [String: Int64] = ["1h": hour, "24h": day, "7d": 7 * day, "30d": 30 * day]
        if !range.isEmpty {
            if let span = ranges[range] {
                window.from = now - span
            } else {
                errors.append("Range \(range) is not one of 1h, 24h, 7d, 30d.")
                range = ""
            }
        }
        if !from.isEmpty {
            if let start = parseTime(from) {
                window.from = start
            } else {
                errors.append("From: '\(from)' is not a date; write it as 2026-12-04T16:00 (UTC).")
            }
        }
        if !to.isEmpty {
            if let end = parseTime(to) {
                window.until = end
            } else {
                errors.append("To: '\(to)' is not a date; write it as 2026-12-04T17:00 (UTC).")
            }
        }
        return window
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (a space for the `T` too, an optional
    /// trailing `Z`) as UTC; nil when it is not one of those or not a real date.
    static func parseTime(_ text: String) -> Int64? {
        var text = Substring(text.trimmingCharacters(in: .whitespaces))
        if text.hasSuffix("Z") { text = text.dropLast() }
        let parts = text.split(omittingEmptySubsequences: false) { $0 == "T" || $0 == " " }
        guard parts.count == 1 || parts.count == 2 else { return nil }
        let dateParts = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard dateParts.count == 3, dateParts[0].count == 4, dateParts[1].count == 2, dateParts[2].count == 2,
            let year = Int64(dateParts[0]), let month = Int64(dateParts[1]), let day = Int64(dateParts[2]),
            (1970...9999).contains(year), (1...12).contains(month), (1...daysIn(month, year)).contains(day)
        else { return nil }
        var seconds: Int64 = 0
        if parts.count == 2 {
            let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            guard clock.count == 2 || clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
                let h = Int64(clock[0]), let m = Int64(clock[1]), (0...23).contains(h), (0...59).contains(m)
            else { return nil }
            let s = clock.count == 3 ? Int64(clock[2]) ?? -1 : 0
            guard (0...59).contains(s) else { return nil }
            seconds = h * 3600 + m * 60 + s
        }
        return (daysFromCivil(year, month, day) * 86_400 + seconds) * 1000
    }

    static func daysIn(_ month: Int64, _ year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let year = m <= 2 ? y - 1 : y
        let era = (year >= 0 ? year : year - 399) / 400
        let yoe = year - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func split(_ milliseconds: Int64) -> (date: String, seconds: Int64) {
        let totalSeconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let days = totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400
        let seconds = totalSeconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return ("\(year)-\(pad(month))-\(pad(day))", seconds)
    }

    static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// How long ago, coarsely: `45 s`, `12 min`, `3 h`, `9 d`.
    static func age(_ milliseconds: Int64, now: Int64) -> String {
        let seconds = max(0, (now - milliseconds) / 1000)
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86_400) d"
    }

    /// Percent-encodes a query component: everything but RFC 3986's unreserved characters.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
            }
        }
        return out
    }

    /// `path?name=value&…` with empty values left out, every component percent-encoded. The result still
    /// goes through `HTML.escape` (as `href`) when written into a page.
    static func link(_ path: String, _ parameters: [(String, String?)]) -> String {
        let pairs = parameters.compactMap { name, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return "\(percentEncode(name))=\(percentEncode(value))"
        }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }

    /// `<a href="…">text</a>` with both escaped.
    static func anchor(_ href: String, _ text: String, class className: String? = nil) -> String {
        let classAttribute = className.map { " class=\"\(HTML.escape($0))\"" } ?? ""
        return "<a href=\"\(HTML.escape(href))\"\(classAttribute)>\(HTML.escape(text))</a>"
    }

    /// `<time datetime="…">2026-12-04 16:33:20</time>`.
    static func timeElement(_ milliseconds: Int64) -> String {
        "<time datetime=\"\(isoTime(milliseconds))\">\(time(milliseconds))</time>"
    }

    /// A thousands-separated count: `1 234 567` with thin spaces.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "\u{202F}" }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }
}
