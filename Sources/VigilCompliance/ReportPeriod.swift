/// A report's period from what a person typed: `--from`/`--to` as UTC dates (`2026-11-01`, `--to` inclusive)
/// or milliseconds since the epoch (`--to` exclusive). Without `--from`, the 90 days before `--to`; without
/// `--to`, up to now.
public struct ReportPeriod: Sendable, Equatable {
    public var from: Int64
    public var until: Int64

    public init(from: Int64, until: Int64) {
        self.from = from
        self.until = until
    }

    /// - Throws: `PeriodError` naming the option, what was wrong and the accepted forms.
    public static func parse(from: String?, to: String?, now: Int64) throws -> ReportPeriod {
        let until = try to.map { try bound($0, option: "to", inclusiveDay: true) } ?? now
        let start = try from.map { try bound($0, option: "from", inclusiveDay: false) } ?? (until - 90 * UTCTime.day)
        guard start < until else {
            throw PeriodError(
                "--from (\(UTCTime.text(start))) must be before --to (\(UTCTime.text(until))); the period is empty")
        }
        guard start < now else {
            throw PeriodError("--from (\(UTCTime.text(start))) is in the future; nothing has been recorded for it yet")
        }
        return ReportPeriod(from: start, until: until)
    }

    static func bound(_ text: String, option: String, inclusiveDay: Bool) throws -> Int64 {
        if let milliseconds = Int64(text), text.count >= 9 { return milliseconds }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            let start = UTCTime.milliseconds(year: y, month: m, day: d)
        {
            return inclusiveDay ? start + UTCTime.day : start
        }
        throw PeriodError(
            "--\(option) '\(text.prefix(40))' is not a date: give a UTC date like 2026-11-01 or milliseconds since 1970"
        )
    }
}

/// A period that cannot be read.
public struct PeriodError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
