/// One syslog line's header fields and message.
public struct SyslogRecord: Sendable, Hashable {
    /// Event time, milliseconds since the Unix epoch (UTC); nil when the line has no readable timestamp.
    public var time: Int64?
    public var facility: Int?
    public var severity: Int?
    public var hostname: String?
    /// The program (`APP-NAME` / `TAG`), without `[pid]`; a `(pam_unix)` suffix is kept apart in `module`.
    public var program: String?
    /// Old PAM style `sshd(pam_unix)`: the part in brackets.
    public var module: String?
    public var pid: Int?
    public var message: String

    public init(
        time: Int64? = nil, facility: Int? = nil, severity: Int? = nil, hostname: String? = nil,
        program: String? = nil, module: String? = nil, pid: Int? = nil, message: String
    ) {
        self.time = time
        self.facility = facility
        self.severity = severity
        self.hostname = hostname
        self.program = program
        self.module = module
        self.pid = pid
        self.message = message
    }
}

/// Reads syslog lines: RFC 3164 (`<PRI>Mmm dd hh:mm:ss host tag[pid]: msg`, PRI optional as in files),
/// RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) and the ISO-timestamp file format of
/// rsyslog/journald (`2024-01-02T03:04:05.123+00:00 host tag[pid]: msg`).
///
/// Pure: RFC 3164 lines carry no year, so the caller passes the year to assume (and offsets are taken as UTC).
public enum SyslogParser {
    /// Lines longer than this are cut before parsing (a syslog line is at most a few KiB).
    public static let maxLineBytes = 64 * 1024

    static let months: [String: Int] = [
        "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10,
        "Nov": 11, "Dec": 12,
    ]

    /// Parses one line; nil when it has no syslog header (a caller may still treat it as a raw message).
    public static func parse(_ line: Substring, year: Int) -> SyslogRecord? {
        var text =
            line.utf8.count > maxLineBytes
            ? Substring(String(decoding: line.utf8.prefix(maxLineBytes), as: UTF8.self)) : line
        while let last = text.last, last == "\n" || last == "\r" { text = text.dropLast() }
        var facility: Int?
        var severity: Int?
        if text.first == "<", let close = text.prefix(6).firstIndex(of: ">"),
            let pri = Int(text[text.index(after: text.startIndex)..<close]), pri >= 0, pri < 192
        {
            facility = pri / 8
            severity = pri % 8
            text = text[text.index(after: close)...]
        }
        if text.hasPrefix("1 ") {
            var record = parse5424(text.dropFirst(2))
            record?.facility = facility
            record?.severity = severity
            return record
        }
        var record: SyslogRecord?
        if let first = text.first, first.isNumber {
            record = parseISO(text)
        } else {
            record = parse3164(text, year: year)
        }
        record?.facility = facility
        record?.severity = severity
        return record
    }

    /// Splits off the next space-separated word.
    static func word(_ text: inout Substring) -> Substring? {
        guard let space = text.firstIndex(of: " ") else {
            if text.isEmpty { return nil }
            defer { text = text[text.endIndex...] }
            return text
        }
        let word = text[..<space]
        text = text[text.index(after: space)...]
        return word
    }

    static func parse3164(_ line: Substring, year: Int) -> SyslogRecord? {
        var text = line
        guard let monthWord = word(&text), let month = months[String(monthWord)] else { return nil }
        while text.first == " " { text = text.dropFirst() }
        guard let dayWord = word(&text), let day = Int(dayWord), (1...31).contains(day), let clock = word(&text),
            let seconds = clockSeconds(clock)
        else { return nil }
        let time =
            (daysFromCivil(year: year, month: month, day: day) * 86_400 + Int64(seconds.whole)) * 1000
            + Int64(seconds.millis)
        var record = SyslogRecord(time: time, message: "")
        tagAndMessage(&text, into: &record, hasHost: true)
        return record
    }

    static func parseISO(_ line: Substring) -> SyslogRecord? {
        var text = line
        guard let stamp = word(&text), let time = isoTime(stamp) else { return nil }
        var record = SyslogRecord(time: time, message: "")
        tagAndMessage(&text, into: &record, hasHost: true)
        return record
    }

    static func parse5424(_ line: Substring) -> SyslogRecord? {
        var text = line
        guard let stamp = word(&text), let host = word(&text), let app = word(&text), let procID = word(&text),
            word(&text) != nil
        else { return nil }
        // Structured data: `-` or one or more `[…]` elements (quoted values may hold `]` escaped as `\]`).
        if text.first == "-" {
            text = text.dropFirst()
        } else {
            while text.first == "[" {
                var escaped = false
                var end: Substring.Index?
                for i in text.indices {
                    let c = text[i]
                    if escaped {
                        escaped = false
                    } else if c == "\\" {
                        escaped = true
                    } else if c == "]" {
                        end = i
                        break
                    }
                }
                guard let end else { return nil }
                text = text[text.index(after: end)...]
            }
        }
        if text.first == " " { text = text.dropFirst() }
        if text.hasPrefix("\u{FEFF}") { text = text.dropFirst() }
        return SyslogRecord(
            time: stamp == "-" ? nil : isoTime(stamp), hostname: host == "-" ? nil : String(host),
            program: app == "-" ? nil : String(app), pid: Int(procID), message: String(text))
    }

    /// `host tag[pid]: message` (the host may be absent when `hasHost` is false).
    static func tagAndMessage(_ text: inout Substring, into record: inout SyslogRecord, hasHost: Bool) {
        if hasHost, let host = word(&text) { record.hostname = String(host) }
        guard let colon = text.firstIndex(of: ":"), !text[..<colon].contains(" ") || text[..<colon].contains("[") else {
            record.message = String(text)
            return
        }
        var tag = text[..<colon]
        var rest = text[text.index(after: colon)...]
        if rest.first == " " { rest = rest.dropFirst() }
        if tag.last == "]", let open = tag.lastIndex(of: "[") {
            record.pid = Int(tag[tag.index(after: open)..<tag.index(before: tag.endIndex)])
            tag = tag[..<open]
        }
        if tag.last == ")", let open = tag.firstIndex(of: "(") {
            record.module = String(tag[tag.index(after: open)..<tag.index(before: tag.endIndex)])
            tag = tag[..<open]
        }
        record.program = String(tag)
        record.message = String(rest)
    }

    /// `hh:mm:ss` with optional `.fraction`.
    static func clockSeconds(_ text: Substring) -> (whole: Int, millis: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let h = Int(parts[0]), let m = Int(parts[1]), h < 24, m < 60 else { return nil }
        let secondParts = parts[2].split(separator: ".", maxSplits: 1)
        guard let first = secondParts.first, let s = Int(first), s <= 60 else { return nil }
        var millis = 0
        if secondParts.count == 2 {
            let digits = secondParts[1].prefix(3)
            guard let n = Int(digits) else { return nil }
            millis = n * [100, 10, 1][digits.count - 1]
        }
        return (h * 3600 + m * 60 + s, millis)
    }

    /// RFC 3339 `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)` to milliseconds UTC.
    static func isoTime(_ text: Substring) -> Int64? {
        guard text.count >= 19 else { return nil }
        let date = text.prefix(10).split(separator: "-")
        guard date.count == 3, let y = Int(date[0]), let mo = Int(date[1]), let d = Int(date[2]), (1...12).contains(mo),
            (1...31).contains(d)
        else { return nil }
        var rest = text.dropFirst(11)
        var offset = 0
        if rest.hasSuffix("Z") {
            rest = rest.dropLast()
        } else if let sign = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = rest[rest.index(after: sign)...].split(separator: ":")
            guard zone.count == 2, let zh = Int(zone[0]), let zm = Int(zone[1]) else { return nil }
            offset = (zh * 3600 + zm * 60) * (rest[sign] == "-" ? -1 : 1)
            rest = rest[..<sign]
        }
        guard let clock = clockSeconds(rest) else { return nil }
        return (daysFromCivil(year: y, month: mo, day: d) * 86_400 + Int64(clock.whole - offset)) * 1000
            + Int64(clock.millis)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
