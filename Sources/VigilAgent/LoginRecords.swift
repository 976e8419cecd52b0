import Foundation
import VigilCore

/// One `struct utmp` record (glibc layout on 64-bit Linux: 384 bytes, 32-bit time fields), as found in
/// `/var/run/utmp` (who is logged in), `/var/log/wtmp` (logins and logouts) and `/var/log/btmp` (failed logins).
public struct LoginRecord: Sendable, Equatable {
    public static let size = 384

    public enum Kind: Int16, Sendable {
        case empty = 0, runLevel = 1, bootTime = 2, newTime = 3, oldTime = 4, initProcess = 5, loginProcess = 6
        case userProcess = 7, deadProcess = 8, accounting = 9
    }

    public var kind: Kind
    public var pid: Int32
    public var line: String
    public var user: String
    public var host: String
    public var session: Int32
    /// Milliseconds since the epoch.
    public var time: Int64
    public var address: String?

    /// Parses whole records; a trailing partial record is left for the next read (its length is returned).
    /// A record with an unknown type or a time before 1990 or after 2200 is skipped and counted as malformed.
    public static func parse(_ bytes: [UInt8]) -> (records: [LoginRecord], consumed: Int, malformed: Int) {
        var records: [LoginRecord] = []
        var malformed = 0
        var offset = 0
        while offset + size <= bytes.count {
            defer { offset += size }
            let slice = bytes[offset..<(offset + size)]
            guard let record = parse(record: Array(slice)) else {
                malformed += 1
                continue
            }
            records.append(record)
        }
        return (records, offset, malformed)
    }

    static func parse(record b: [UInt8]) -> LoginRecord? {
        func int16(_ at: Int) -> Int16 { Int16(bitPattern: UInt16(b[at]) | UInt16(b[at + 1]) << 8) }
        func int32(_ at: Int) -> Int32 {
            Int32(
                bitPattern: UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24)
        }
        func text(_ at: Int, _ length: Int) -> String {
            let field = b[at..<(at + length)]
            let bytes = field.prefix { $0 != 0 }
            // Control characters in a record are replaced, so a forged record cannot inject log lines.
            return String(decoding: bytes.map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
        }
        guard b.count == size, let kind = Kind(rawValue: int16(0)) else { return nil }
        let seconds = Int64(UInt32(bitPattern: int32(340)))
        let micros = Int64(int32(344))
        guard kind == .empty || (631_152_000...7_258_118_400).contains(seconds), (0..<1_000_000).contains(micros)
        else { return nil }
        var address: String?
        let v6 = (0..<4).map { UInt32(bitPattern: int32(348 + $0 * 4)) }
        if v6[1] == 0 && v6[2] == 0 && v6[3] == 0 && v6[0] != 0 {
            let a = b[348..<352]
            address = a.map(String.init).joined(separator: ".")
        } else if v6.contains(where: { $0 != 0 }) {
            var groups: [String] = []
            for i in stride(from: 348, to: 364, by: 2) {
                groups.append(String(UInt16(b[i]) << 8 | UInt16(b[i + 1]), radix: 16))
            }
            address = groups.joined(separator: ":")
        }
        return LoginRecord(
            kind: kind, pid: int32(4), line: text(8, 32), user: text(44, 32), host: text(76, 256), session: int32(336),
            time: seconds * 1000 + micros / 1000, address: address)
    }
}

/// Logins, logouts (`wtmp`) and failed logins (`btmp`) as authentication events, read incrementally. A file that
/// shrinks was rotated: it is read again from the start.
public final class LoginRecordSensor: Sensor, @unchecked Sendable {
    public let name = "logins"
    public let interval: Double
    let host: HostFacts
    let wtmp: String
    let btmp: String
    private var offsets: [String: Int] = [:]

    public init(
        host: HostFacts, interval: Double = 5, wtmp: String = "/var/log/wtmp", btmp: String = "/var/log/btmp"
    ) {
        self.host = host
        self.interval = interval
        self.wtmp = wtmp
        self.btmp = btmp
        // History before the agent started is not reported again.
        for path in [wtmp, btmp] { offsets[path] = Self.fileSize(path) }
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    public func poll() throws -> [Event] {
        var events: [Event] = []
        for (path, failed) in [(wtmp, false), (btmp, true)] {
            let size = Self.fileSize(path)
            var offset = offsets[path] ?? 0
            if size < offset { offset = 0 }
            guard size > offset, let handle = FileHandle(forReadingAtPath: path) else {
                offsets[path] = offset
                continue
            }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(offset))
            let data = Array(handle.readData(ofLength: min(size - offset, 4 << 20)))
            let parsed = LoginRecord.parse(data)
            offsets[path] = offset + parsed.consumed
            for record in parsed.records { if let event = event(record, failed: failed) { events.append(event) } }
        }
        return events
    }

    func event(_ record: LoginRecord, failed: Bool) -> Event? {
        let activity: Int
        let message: String
        switch (record.kind, failed) {
        case (_, true):
            activity = Activity.Authentication.logon
            message =
                "failed login for \(record.user) on \(record.line) from \(record.host.isEmpty ? "local" : record.host)"
        case (.userProcess, false):
            activity = Activity.Authentication.logon
            message = "login: \(record.user) on \(record.line) from \(record.host.isEmpty ? "local" : record.host)"
        case (.deadProcess, false):
            activity = Activity.Authentication.logoff
            message = "logout on \(record.line)"
        case (.bootTime, false):
            activity = Activity.other
            message = "system boot"
        default:
            return nil
        }
        return Event(
            id: "utmp-\(failed ? "b" : "w")-\(record.time)-\(record.pid)-\(record.line)", classUID: .authentication,
            activityID: activity, time: record.time, severityID: failed ? .low : .informational,
            statusID: failed ? 2 : 1, message: message, metadata: EventMetadata(logName: failed ? "btmp" : "wtmp"),
            device: host.device, srcEndpoint: record.address.map { Endpoint(ip: $0, hostname: record.host) },
            user: record.user.isEmpty ? nil : User(name: record.user),
            unmapped: ["utmp.line": record.line, "utmp.pid": String(record.pid)])
    }
}
