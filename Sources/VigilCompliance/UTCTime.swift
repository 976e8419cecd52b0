/// Milliseconds since the epoch as UTC text, without Foundation's formatters (pure, locale-free).
public enum UTCTime {
    public static let day: Int64 = 86_400_000

    /// `2026-12-04T17:53:00Z` (seconds precision).
    public static func text(_ milliseconds: Int64) -> String {
        let seconds = floorDiv(milliseconds, 1000)
        let days = floorDiv(seconds, 86_400)
        let rest = seconds - days * 86_400
        let (y, m, d) = civil(days)
        return "\(date(y, m, d))T\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60))Z"
    }

    /// `2026-12-04`.
    public static func dateText(_ milliseconds: Int64) -> String {
        let (y, m, d) = civil(floorDiv(milliseconds, day))
        return date(y, m, d)
    }

    /// A duration as `3d 4h`, `2h 5m` or `45s`.
    public static func duration(_ milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1000)
        if seconds >= 86_400 { return "\(seconds / 86_400)d \(seconds % 86_400 / 3600)h" }
        if seconds >= 3600 { return "\(seconds / 3600)h \(seconds % 3600 / 60)m" }
        if seconds >= 60 { return "\(seconds / 60)m \(seconds % 60)s" }
        return "\(seconds)s"
    }

    /// Milliseconds at 00:00 UTC of `year-month-day`; nil for a date that does not exist.
    public static func milliseconds(year: Int64, month: Int64, day d: Int64) -> Int64? {
        guard (1...12).contains(month), d >= 1, d <= daysIn(year, month) else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return (era * 146_097 + doe - 719_468) * day
    }

    static func daysIn(_ year: Int64, _ month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
    static func civil(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    static func date(_ y: Int64, _ m: Int64, _ d: Int64) -> String {
        let year = y < 1000 ? String(repeating: "0", count: 4 - String(y).count) + String(y) : String(y)
        return "\(year)-\(two(m))-\(two(d))"
    }
}
