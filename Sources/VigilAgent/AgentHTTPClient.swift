import Foundation
import VigilCrypto

/// A reply from the server.
public struct AgentHTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]
}

/// What went wrong reaching the server (the events stay spooled).
public struct AgentTransportError: Error, CustomStringConvertible {
    public var description: String
}

/// The agent's only network client: one HTTP/1.1 request per connection, over TLS pinned to the certificate
/// saved at enrollment (`VigilCrypto.TLSClientSession`), or plain HTTP to a loopback address only.
///
/// It is deliberately small: no redirects, no proxies, no cookies, no compression negotiation, a bounded reply
/// size. Nothing it reads can do more than fill an `AgentHTTPResponse`.
public struct AgentHTTPClient: Sendable {
    public let server: URL
    public let trust: TLSClientSession.Trust?
    public var timeoutSeconds: Int = 30
    public var maxReplyBytes: Int = 4 << 20

    /// - Parameter trust: required for `https`; ignored for `http` (loopback only).
    public init(server: URL, trust: TLSClientSession.Trust?) throws {
        guard let scheme = server.scheme?.lowercased(), let host = server.host, !host.isEmpty else {
            throw AgentTransportError(description: "server URL '\(server.absoluteString)' has no scheme or host")
        }
        switch scheme {
        case "https":
            guard trust != nil else {
                throw AgentTransportError(description: "https needs the pinned server certificate (enroll with --pin)")
            }
        case "http":
            guard Self.isLoopback(host) else {
                throw AgentTransportError(
                    description:
                        "plain http is allowed only to a loopback address (127.0.0.1, ::1, localhost); use https://\(host)"
                )
            }
        default:
            throw AgentTransportError(
                description: "server URL scheme must be https (or http on loopback), not \(scheme)")
        }
        self.server = server
        self.trust = trust
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    var isTLS: Bool { server.scheme?.lowercased() == "https" }
    var port: Int { server.port ?? (isTLS ? 443 : 80) }
    var host: String { (server.host ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]")) }

    /// Performs one request. `path` is absolute (`/api/v1/events`).
    public func request(
        method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws -> AgentHTTPResponse {
        let fd = try connect()
        defer { close(fd) }
        var session: TLSClientSession?
        if isTLS, let trust {
            session = try TLSClientSession(fd: fd, serverName: host, trust: trust)
        }
        var head = "\(method) \(basePath)\(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n"
        head += "User-Agent: vigil-agent\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let out = Array(head.utf8) + body
        if let session {
            try session.write(out)
        } else {
            try Self.writeAll(fd, out)
        }
        var raw: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n: Int
            if let session {
                n = try session.read(into: &buffer)
            } else {
                n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AgentTransportError(
                        description: "reading from \(hostHeader): \(String(cString: strerror(errno)))")
                }
            }
            if n == 0 { break }
            raw += buffer[0..<n]
            if raw.count > maxReplyBytes {
                throw AgentTransportError(description: "reply from \(hostHeader) is larger than \(maxReplyBytes) bytes")
            }
        }
        session?.shutdown()
        return try Self.parseResponse(raw)
    }

    var basePath: String {
        var path = server.path
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }

    var hostHeader: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    func connect() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw AgentTransportError(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        var lastError: Int32 = 0
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Foundation.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastError = errno
            close(fd)
        }
        throw AgentTransportError(
            description: "cannot connect to \(hostHeader): \(String(cString: strerror(lastError)))")
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AgentTransportError(description: "sending to the server: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Parses a whole HTTP/1.1 response (Content-Length, chunked, or until close).
    static func parseResponse(_ raw: [UInt8]) throws -> AgentHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        if raw.count >= 4 {
            for i in 0...(raw.count - 4) where raw[i] == 13 && Array(raw[i..<(i + 4)]) == separator {
                end = i
                break
            }
        }
        guard let end else { throw AgentTransportError(description: "the server's reply has no complete header") }
        let head = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw AgentTransportError(description: "the server's reply does not start with an HTTP/1.x status line")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try dechunk(body)
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard body.count >= length else {
                throw AgentTransportError(description: "the server's reply ended before its Content-Length")
            }
            body = Array(body.prefix(length))
        }
        return AgentHTTPResponse(status: status, headers: headers, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<(bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 })
            else { break }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw AgentTransportError(description: "the server's chunked reply has a bad chunk size")
            }
            if size == 0 { break }
            let start = lineEnd + 2
            guard start + size <= bytes.count else {
                throw AgentTransportError(description: "the server's chunked reply is truncated")
            }
            out += bytes[start..<(start + size)]
            index = start + size + 2
        }
        return out
    }
}
