import Foundation

/// A response as read off the wire by `RawHTTPClient`.
public struct RawHTTPResponse: Sendable {
    public var status: Int
    /// Header fields in the order received, names as sent.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Every byte received, headers included.
    public var raw: [UInt8]

    /// The first value of a header (any case).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Every value of a header (any case).
    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// What went wrong talking to a test server.
public struct RawHTTPError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}

/// A deliberately small HTTP/1.1 client on a plain TCP socket, for tests that must control the exact bytes
/// sent (oversize and chunked bodies, odd methods) and see the exact bytes answered.
///
/// Each exchange uses a new connection: it sends the bytes, then reads until the server closes
/// (requests built by `request` say `Connection: close`). A receive timeout turns a hang into an error.
public enum RawHTTPClient {
    /// Sends `bytes` to `127.0.0.1:port` and returns everything received until the server closed.
    /// With `untilComplete`, reading stops as soon as one whole response is in (by Content-Length or the last
    /// chunk), for servers that keep the connection open whatever the request says (chromedriver).
    public static func exchange(
        port: UInt16, _ bytes: [UInt8], timeoutSeconds: Int = 20, untilComplete: Bool = false
    ) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw RawHTTPError(description: "connect to 127.0.0.1:\(port) failed: errno \(errno)")
        }
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(fd, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            // The server may answer and close before reading everything (413): read what it said.
            if n <= 0 { break }
            sent += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw RawHTTPError(description: "no answer from 127.0.0.1:\(port) within \(timeoutSeconds) s")
            }
            if n <= 0 { break }  // closed (or reset after the answer)
            received += buffer[0..<n]
            if untilComplete, isComplete(received) { break }
        }
        return received
    }

    /// Whether `bytes` hold one whole response: its head and a body as long as Content-Length says, or a
    /// chunked body through its last chunk.
    public static func isComplete(_ bytes: [UInt8]) -> Bool {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
            let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<$0 + 4].elementsEqual(separator) })
        else { return false }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).lowercased()
        let bodyCount = bytes.count - end - 4
        for line in head.components(separatedBy: "\r\n") {
            if line.hasPrefix("content-length:"),
                let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
            {
                return bodyCount >= length
            }
            if line.hasPrefix("transfer-encoding:") && line.contains("chunked") {
                return bytes.suffix(5).elementsEqual([48, 13, 10, 13, 10])
            }
        }
        return false
    }

    /// Sends one request with `Connection: close` (and `Content-Length` when there is a body) and parses
    /// the answer.
    public static func request(
        port: UInt16, method: String = "GET", path: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeoutSeconds: Int = 20, untilComplete: Bool = false
    ) throws -> RawHTTPResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return try parse(
            exchange(
                port: port, Array(head.utf8) + (body ?? []), timeoutSeconds: timeoutSeconds,
                untilComplete: untilComplete && method != "HEAD"),
            bodyless: method == "HEAD")
    }

    /// Parses one HTTP/1.1 response (status line, headers, body by Content-Length, chunked, or to the end).
    /// A `bodyless` response (to HEAD) has no body whatever its Content-Length says.
    public static func parse(_ raw: [UInt8], bodyless: Bool = false) throws -> RawHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, raw.count - 3)).first(where: { Array(raw[$0..<$0 + 4]) == separator }) else {
            throw RawHTTPError(description: "no complete response head in \(raw.count) bytes")
        }
        let lines = String(decoding: raw[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw RawHTTPError(description: "bad status line '\(lines[0])'")
        }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else {
                throw RawHTTPError(description: "bad header line '\(line)'")
            }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = RawHTTPResponse(status: status, headers: headers, body: [], raw: raw)
        let rest = Array(raw[(end + 4)...])
        if bodyless {
            response.body = rest
        } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
            response.body = try dechunk(rest)
        } else if let length = response.header("content-length").flatMap({ Int($0) }) {
            guard rest.count >= length else {
                throw RawHTTPError(description: "body of \(rest.count) bytes, Content-Length \(length)")
            }
            response.body = Array(rest.prefix(length))
        } else {
            response.body = rest
        }
        return response
    }

    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = (index..<max(index, bytes.count - 1)).first(where: { bytes[$0] == 13 }) else {
                throw RawHTTPError(description: "truncated chunk size line")
            }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw RawHTTPError(description: "bad chunk size '\(sizeText)'")
            }
            index = lineEnd + 2
            if size == 0 { return out }
            guard index + size <= bytes.count else { throw RawHTTPError(description: "truncated chunk") }
            out += bytes[index..<index + size]
            index += size + 2
        }
    }
}
