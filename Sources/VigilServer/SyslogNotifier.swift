import Foundation

/// Sends each alert as an RFC 5424 syslog message, over UDP (RFC 5426, one datagram, at most 2048 bytes) or
/// TCP (RFC 6587 octet counting: `LENGTH SP MESSAGE`).
public struct SyslogNotifier: Notifier {
    public enum Transport: String, Sendable {
        case udp, tcp
    }

    public let host: String
    public let port: UInt16
    public let transport: Transport
    /// Syslog facility number (default 10, authpriv: security events).
    public let facility: Int
    public let hostname: String
    public let timeoutSeconds: Int

    public init(
        host: String, port: UInt16 = 514, transport: Transport = .udp, facility: Int = 10,
        hostname: String = ProcessInfo.processInfo.hostName, timeoutSeconds: Int = 5
    ) {
        precondition((0...23).contains(facility), "syslog facilities are 0 to 23")
        self.host = host
        self.port = port
        self.transport = transport
        self.facility = facility
        self.hostname = hostname
        self.timeoutSeconds = timeoutSeconds
    }

    public var name: String { "syslog-\(transport.rawValue):\(host):\(port)" }

    /// RFC 5424 severity for an alert level.
    static func severity(_ level: String) -> Int {
        switch level.lowercased() {
        case "critical": 2
        case "high": 3
        case "medium": 4
        case "low": 5
        default: 6
        }
    }

    /// PRINTUSASCII without space, `=`, `]`, `"`, at most `limit` characters (header fields and SD names).
    static func token(_ text: String, limit: Int) -> String {
        let cleaned = String(
            text.unicodeScalars.filter { $0.value >= 33 && $0.value <= 126 && !"=]\"".unicodeScalars.contains($0) }
                .map(Character.init)
                .prefix(limit))
        return cleaned.isEmpty ? "-" : cleaned
    }

    /// An SD-PARAM value: `"`, `\` and `]` escaped (RFC 5424 §6.3.3).
    static func parameter(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "\"" || character == "\\" || character == "]" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// The RFC 5424 message for `alert` at `time` (milliseconds).
    public func message(_ alert: AlertRecord, time: Int64) -> [UInt8] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let timestamp = formatter.string(from: Date(timeIntervalSince1970: Double(time) / 1000))
        let priority = facility * 8 + Self.severity(alert.level)
        let data =
            "[vigil@32473 alert_id=\"\(alert.id)\" rule_id=\"\(Self.parameter(alert.ruleID))\" "
            + "level=\"\(Self.parameter(alert.level))\" host=\"\(Self.parameter(alert.hostname ?? ""))\" "
            + "repeat_count=\"\(alert.repeatCount)\"]"
        let header =
            "<\(priority)>1 \(timestamp) \(Self.token(hostname, limit: 255)) vigil \(getpid()) alert \(data) "
        let text = "Vigil alert [\(alert.level)] \(alert.ruleTitle)" + (alert.hostname.map { " on \($0)" } ?? "")
        var bytes = Array(header.utf8) + [0xEF, 0xBB, 0xBF] + Array(text.utf8)
        if transport == .udp && bytes.count > 2048 {
            // Cut on a UTF-8 character boundary.
            var end = 2048
            while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
            bytes = Array(bytes[..<end])
        }
        return bytes
    }

    public func deliver(_ alert: AlertRecord) throws {
        let body = message(alert, time: Int64(Date().timeIntervalSince1970 * 1000))
        let frame = transport == .tcp ? Array("\(body.count) ".utf8) + body : body
        try transmit(frame)
    }

    func transmit(_ bytes: [UInt8]) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(transport == .udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw NotifierError(
                code: "syslog.resolve", message: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else { throw failure("connect") }
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("send") }
            sent += n
            if transport == .udp { break }
        }
    }

    func failure(_ call: String) -> NotifierError {
        NotifierError(
            code: "syslog.\(call)",
            message: "\(call) to \(host):\(port) (\(transport.rawValue)) failed: \(String(cString: strerror(errno)))")
    }
}
