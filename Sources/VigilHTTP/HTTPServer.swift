internal import CMicroHTTPD
import Foundation
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd: an internal epoll thread pool, a request body limit, timeouts
/// and a connection limit. Handlers run synchronously on the pool's threads.
public final class HTTPServer: @unchecked Sendable {
    /// Server settings.
    public struct Configuration: Sendable {
        /// `127.0.0.1`, `::1`, `0.0.0.0`…
        public var host: String
        /// 0 picks a free port (read it from `port` after `start`).
        public var port: UInt16
        public var maxBodyBytes: Int
        public var threads: Int
        /// Seconds a connection may stay idle.
        public var connectionTimeout: Int
        public var connectionLimit: Int
        /// HTTPS with this certificate and key (PEM), through libmicrohttpd's GnuTLS; nil serves plain HTTP.
        public var tls: (certificatePEM: String, privateKeyPEM: String)?
        /// One thread per connection instead of a pool (`threads` is then ignored): for handlers that block
        /// until a shared write is durable (group commit), so one waiting request never holds up the other
        /// connections a pool thread would multiplex. Bounded by `connectionLimit`.
        public var threadPerConnection: Bool

        public init(
            host: String = "127.0.0.1", port: UInt16 = 8470, maxBodyBytes: Int = 16 << 20,
            threads: Int = max(2, ProcessInfo.processInfo.activeProcessorCount),
            connectionTimeout: Int = 30, connectionLimit: Int = 1024,
            tls: (certificatePEM: String, privateKeyPEM: String)? = nil, threadPerConnection: Bool = false
        ) {
            self.tls = tls
            self.threadPerConnection = threadPerConnection
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.threads = threads
            self.connectionTimeout = connectionTimeout
            self.connectionLimit = connectionLimit
        }
    }

    public let configuration: Configuration
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let daemon = Mutex<OpaquePointer?>(nil)
    private let boundPort = Atomic<UInt16>(0)
    /// The PEM and priority strings handed to libmicrohttpd (freed after the daemon stops).
    nonisolated(unsafe) private var tlsStrings: [UnsafeMutablePointer<CChar>?] = []

    /// GnuTLS priorities: TLS 1.2 and 1.3 only, GnuTLS's secure defaults otherwise.
    static let tlsPriorities = "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"

    /// A server that answers every request with `handler` (usually `router.respond(to:)`).
    public init(configuration: Configuration, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.configuration = configuration
        self.handler = handler
    }

    /// A server that answers with `router`.
    public convenience init(configuration: Configuration, router: Router) {
        self.init(configuration: configuration, handler: { router.respond(to: $0) })
    }

    /// The port the server listens on (after `start`).
    public var port: UInt16 { boundPort.load(ordering: .acquiring) }

    /// Binds and starts serving (`MHD_start_daemon`).
    /// - Throws: `HTTPServerError` naming the address when it cannot listen (in use, no permission, bad address).
    public func start() throws {
        try daemon.withLock { current in
            precondition(current == nil, "HTTPServer.start called twice")
            var storage = sockaddr_storage()
            let family = try Self.fill(&storage, host: configuration.host, port: configuration.port)
            var flags =
                configuration.threadPerConnection
                ? MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_THREAD_PER_CONNECTION.rawValue
                    | MHD_USE_POLL.rawValue
                : MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_USE_TURBO.rawValue
            if family == AF_INET6 { flags |= MHD_USE_IPv6.rawValue }
            // libmicrohttpd reads the PEM during MHD_start_daemon; the copies live as long as the daemon.
            var tlsOptions: [MHD_OptionItem] = []
            if let tls = configuration.tls {
                flags |= MHD_USE_TLS.rawValue
                let texts: [String] = [tls.privateKeyPEM, tls.certificatePEM, Self.tlsPriorities]
                let strings = texts.map { strdup($0) }
                tlsStrings = strings
                tlsOptions = [
                    MHD_OptionItem(option: .HTTPS_MEM_KEY, value: 0, ptr_value: UnsafeMutableRawPointer(strings[0])),
                    MHD_OptionItem(option: .HTTPS_MEM_CERT, value: 0, ptr_value: UnsafeMutableRawPointer(strings[1])),
                    MHD_OptionItem(
                        option: .HTTPS_PRIORITIES, value: 0, ptr_value: UnsafeMutableRawPointer(strings[2])),
                ]
            }
            var options: [MHD_OptionItem] =
                tlsOptions + [
                    MHD_OptionItem(
                        option: .THREAD_POOL_SIZE, value: configuration.threadPerConnection ? 0 : configuration.threads,
                        ptr_value: nil),
                    MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: configuration.connectionTimeout, ptr_value: nil),
                    MHD_OptionItem(option: .CONNECTION_LIMIT, value: configuration.connectionLimit, ptr_value: nil),
                    MHD_OptionItem(option: .CONNECTION_MEMORY_LIMIT, value: 128 * 1024, ptr_value: nil),
                    MHD_OptionItem(option: .END, value: 0, ptr_value: nil),
                ]
            let context = Unmanaged.passUnretained(self).toOpaque()
            let started = withUnsafeMutablePointer(to: &storage) { address in
                address.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    options.withUnsafeMutableBufferPointer { items in
                        vigil_mhd_start(
                            UInt32(flags), configuration.port, accessHandler, context, requestCompleted, nil,
                            sa, items.baseAddress)
                    }
                }
            }
            guard let started else {
                throw HTTPServerError(
                    code: configuration.tls == nil ? "http.listen" : "http.listen-tls",
                    message:
                        "cannot listen on \(configuration.host):\(configuration.port); the port may be in use (choose another with --listen) or the address is not on this host"
                )
            }
            current = started
            boundPort.store(vigil_mhd_bound_port(started), ordering: .releasing)
        }
    }

    /// Stops accepting, finishes the requests in flight and frees the daemon (`MHD_stop_daemon`). Idempotent.
    public func stop() {
        let running = daemon.withLock { current -> OpaquePointer? in
            defer { current = nil }
            return current
        }
        if let running { MHD_stop_daemon(running) }
    }

    deinit {
        stop()
        tlsStrings.forEach { free($0) }
    }

    static func fill(_ storage: inout sockaddr_storage, host: String, port: UInt16) throws -> Int32 {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    sin.pointee.sin_family = sa_family_t(AF_INET)
                    sin.pointee.sin_port = port.bigEndian
                    sin.pointee.sin_addr = v4
                }
            }
            return AF_INET
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    sin.pointee.sin6_family = sa_family_t(AF_INET6)
                    sin.pointee.sin6_port = port.bigEndian
                    sin.pointee.sin6_addr = v6
                }
            }
            return AF_INET6
        }
        throw HTTPServerError(
            code: "http.address",
            message: "'\(host)' is not an IP address; give the listen address as 127.0.0.1, ::1 or 0.0.0.0")
    }

    /// One request's state between libmicrohttpd's calls: the body read so far.
    final class RequestState {
        var body: [UInt8] = []
        var tooLarge = false
        /// Bytes of an oversize body read and thrown away (see the access handler).
        var discarded = 0
        var answered = false
    }

    func answer(connection: OpaquePointer, response: HTTPResponse) -> MHD_Result {
        var body = response.body
        // The whole body even for HEAD: libmicrohttpd sends no body for HEAD itself, and the Content-Length it
        // derives from the buffer must be the one GET would send (RFC 9110 §9.3.2), not 0.
        let created = body.withUnsafeMutableBytes { raw -> OpaquePointer? in
            MHD_create_response_from_buffer(raw.count, raw.baseAddress, .RESPMEM_MUST_COPY)
        }
        guard let created else { return .NO }
        defer { MHD_destroy_response(created) }
        for (name, value) in HTTPResponse.securityHeaders + response.headers {
            // Header values must not carry CR/LF (response splitting); drop any that do.
            guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else { continue }
            _ = MHD_add_response_header(created, name, value)
        }
        return MHD_queue_response(connection, UInt32(response.status), created)
    }

    func buildRequest(connection: OpaquePointer, url: String, method: String, body: [UInt8]) -> HTTPRequest {
        final class Collector {
            var values: [String: String] = [:]
            var lowercase: Bool
            init(lowercase: Bool) { self.lowercase = lowercase }
        }
        let iterator: MHD_KeyValueIterator = { context, _, key, value in
            guard let context, let key else { return .YES }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            let name = String(cString: key)
            collector.values[collector.lowercase ? name.lowercased() : name] = value.map { String(cString: $0) } ?? ""
            return .YES
        }
        let headers = Collector(lowercase: true)
        let query = Collector(lowercase: false)
        MHD_get_connection_values(connection, .HEADER_KIND, iterator, Unmanaged.passUnretained(headers).toOpaque())
        MHD_get_connection_values(connection, .GET_ARGUMENT_KIND, iterator, Unmanaged.passUnretained(query).toOpaque())
        return HTTPRequest(
            method: method, path: url, query: query.values, headers: headers.values, body: body,
            remoteAddress: Self.address(vigil_mhd_client_address(connection)))
    }

    static func address(_ sa: UnsafePointer<sockaddr>?) -> String? {
        guard let sa else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        func text() -> String {
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var addr = sin.pointee.sin_addr
                guard inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count)) != nil else { return nil }
                return text()
            }
        case AF_INET6:
            return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                var addr = sin.pointee.sin6_addr
                guard inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count)) != nil else { return nil }
                return text()
            }
        default:
            return nil
        }
    }
}

/// libmicrohttpd's access handler: called once when headers arrive, then once per body chunk, then once
/// more with no data, when the request is complete and the handler runs.
private let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, uploadData, uploadSize, requestContext in
    guard let context, let connection, let requestContext, let uploadSize else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    let methodText = method.map { String(cString: $0) } ?? "GET"
    if requestContext.pointee == nil {
        let state = HTTPServer.RequestState()
        requestContext.pointee = Unmanaged.passRetained(state).toOpaque()
        // Refuse a declared oversize body before reading any of it.
        if let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
            let declared = Int(String(cString: length)), declared > server.configuration.maxBodyBytes
        {
            state.tooLarge = true
            state.answered = true
            return server.answer(connection: connection, response: HTTPServer.tooLargeResponse(server))
        }
        return .YES
    }
    let state = Unmanaged<HTTPServer.RequestState>.fromOpaque(requestContext.pointee!).takeUnretainedValue()
    if uploadSize.pointee > 0 {
        let count = uploadSize.pointee
        uploadSize.pointee = 0
        if state.answered { return .YES }
        // libmicrohttpd accepts a response only before the body is read or after all of it is (it refuses one
        // queued mid-upload and the client would see the connection drop with no answer). So an oversize body
        // with no declared length (chunked) is read and thrown away, then answered 413 — up to as much again as
        // the limit; past that the connection is closed without an answer.
        if state.tooLarge {
            state.discarded += count
            return state.discarded > 2 * server.configuration.maxBodyBytes ? .NO : .YES
        }
        if state.body.count + count > server.configuration.maxBodyBytes {
            state.tooLarge = true
            state.discarded = state.body.count + count
            state.body = []
            return .YES
        }
        if let uploadData {
            uploadData.withMemoryRebound(to: UInt8.self, capacity: count) { pointer in
                state.body.append(contentsOf: UnsafeBufferPointer(start: pointer, count: count))
            }
        }
        return .YES
    }
    if state.answered { return .YES }
    state.answered = true
    if state.tooLarge {
        return server.answer(connection: connection, response: HTTPServer.tooLargeResponse(server))
    }
    let request = server.buildRequest(
        connection: connection, url: url.map { String(cString: $0) } ?? "/",
        method: methodText, body: state.body)
    state.body = []
    let response = server.handler(request)
    return server.answer(connection: connection, response: response)
}

/// Frees a request's state whatever way it ended (completed, timed out, client gone).
private let requestCompleted: MHD_RequestCompletedCallback = { _, _, requestContext, _ in
    guard let requestContext, let state = requestContext.pointee else { return }
    Unmanaged<HTTPServer.RequestState>.fromOpaque(state).release()
    requestContext.pointee = nil
}

extension HTTPServer {
    static func tooLargeResponse(_ server: HTTPServer) -> HTTPResponse {
        var response = HTTPError(
            status: 413, code: "body-too-large",
            message: "the request body is over \(server.configuration.maxBodyBytes) bytes; send smaller batches"
        )
        .response
        response.headers.append(("Connection", "close"))
        return response
    }
}

/// The server could not start.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var description: String { message }
}
