import Foundation
import VigilCore
import VigilCrypto
import VigilHTTP

/// One request as a handler sees it: the request, who made it, and what the access log should say it read.
public final class RequestContext: @unchecked Sendable {
    public let request: HTTPRequest
    public let principal: Principal
    /// Milliseconds, from the server's clock.
    public let now: Int64
    /// What the handler read (events, alerts, the archive…), for the access log. Set by the handler.
    public var read: String?
    /// What the handler changed or why it refused, for the access log.
    public var outcome: String?
    /// The form fields of an `application/x-www-form-urlencoded` body (parsed once, for CSRF and handlers).
    public let form: [String: String]

    init(request: HTTPRequest, principal: Principal, now: Int64) {
        self.request = request
        self.principal = principal
        self.now = now
        let type = request.header("content-type")?.lowercased() ?? ""
        form = type.hasPrefix("application/x-www-form-urlencoded") ? Form.parse(request.body) : [:]
    }
}

/// Every route with the permission it needs, and the one place that authenticates, authorizes, checks
/// anti-forgery tokens and writes the access log before any handler runs.
public struct SecureRouter: Sendable {
    public typealias Handler = @Sendable (RequestContext) throws -> HTTPResponse

    struct Route: Sendable {
        var method: String
        var segments: [Substring]
        var permission: Permission
        /// A page: an anonymous visitor is sent to /login instead of answered 401.
        var page: Bool
        var handler: Handler
    }

    private(set) var routes: [Route] = []

    public init() {}

    /// Adds a route needing `permission`. Segments starting with `:` capture a parameter.
    public mutating func add(
        _ method: String, _ pattern: String, _ permission: Permission, page: Bool = false,
        _ handler: @escaping Handler
    ) {
        routes.append(
            Route(
                method: method.uppercased(), segments: pattern.split(separator: "/"), permission: permission,
                page: page, handler: handler))
    }

    /// Method, pattern and permission of every route (for tests and documentation).
    public var table: [(method: String, pattern: String, permission: Permission, page: Bool)] {
        routes.map { ($0.method, "/" + $0.segments.joined(separator: "/"), $0.permission, $0.page) }
    }

    func match(_ request: HTTPRequest) -> (Route, [String: String])? {
        let segments = request.path.split(separator: "/")
        let method = request.method == "HEAD" ? "GET" : request.method
        for route in routes where route.method == method && route.segments.count == segments.count {
            var parameters: [String: String] = [:]
            var ok = true
            for (pattern, segment) in zip(route.segments, segments) {
                if pattern.hasPrefix(":") {
                    parameters[String(pattern.dropFirst())] = String(segment)
                } else if pattern != segment {
                    ok = false
                    break
                }
            }
            if ok { return (route, parameters) }
        }
        return nil
    }

    func pathExists(_ request: HTTPRequest) -> Bool {
        let segments = request.path.split(separator: "/")
        return routes.contains { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }
    }
}

/// Answers requests through a `SecureRouter`.
final class Gate: Sendable {
    let router: SecureRouter
    let authenticator: Authenticator
    let agentAuthenticator: @Sendable (String) throws -> String?
    let accessLog: AccessLog
    let clock: any Clock
    let metrics: Metrics
    /// Paths not worth a log row: the health check and the stylesheet.
    static let unlogged: Set<String> = ["/healthz", "/static/vigil.css", "/static/vigil.js", "/static/favicon.svg"]

    init(
        router: SecureRouter, authenticator: Authenticator,
        agentAuthenticator: @escaping @Sendable (String) throws -> String?, accessLog: AccessLog, clock: any Clock,
        metrics: Metrics
    ) {
        self.router = router
        self.authenticator = authenticator
        self.agentAuthenticator = agentAuthenticator
        self.accessLog = accessLog
        self.clock = clock
        self.metrics = metrics
    }

    static func cookie(_ name: String, in request: HTTPRequest) -> String? {
        guard let header = request.header("cookie") else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                return pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// Who sent `request`: a bearer API token (`vgt_…`) or agent credential, else the session cookie.
    /// The failure text says why a presented credential was not accepted (for the access log).
    func authenticate(_ request: HTTPRequest) throws -> (Principal, viaCookie: Bool, failure: String?) {
        if let value = request.header("authorization") {
            guard value.lowercased().hasPrefix("bearer ") else {
                return (.anonymous, false, "unsupported Authorization scheme")
            }
            let secret = String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            if secret.hasPrefix(Authenticator.tokenPrefix) {
                if let token = try authenticator.token(secret: secret) { return (.token(token), false, nil) }
                return (.anonymous, false, "unknown, revoked or expired API token")
            }
            if let agent = try agentAuthenticator(secret) { return (.agent(id: agent), false, nil) }
            return (.anonymous, false, "unknown or revoked agent credential")
        }
        if let token = Self.cookie(Authenticator.sessionCookie, in: request) {
            let (user, failure) = try authenticator.session(token: token, touch: request.query["refresh"] != "1")
            if let user { return (.user(user), true, nil) }
            return (.anonymous, false, failure)
        }
        return (.anonymous, false, nil)
    }

    func respond(to original: HTTPRequest) -> HTTPResponse {
        let now = clock.nowMilliseconds()
        var request = original
        let principal: Principal
        let viaCookie: Bool
        var failure: String?
        do {
            (principal, viaCookie, failure) = try authenticate(request)
        } catch {
            return finish(
                HTTPError(status: 503, code: "unavailable", message: "the store is unavailable; retry later").response,
                context: RequestContext(request: request, principal: .anonymous, now: now),
                extra: "authentication failed: \(Self.describe(error))")
        }
        guard let (route, parameters) = router.match(request) else {
            let context = RequestContext(request: request, principal: principal, now: now)
            if case .anonymous = principal {
                return finish(Self.unauthorized, context: context, extra: failure)
            }
            let exists = router.pathExists(request)
            let error =
                exists
                ? HTTPError(status: 405, code: "method-not-allowed", message: "\(request.method) is not allowed here")
                : HTTPError(status: 404, code: "not-found", message: "no route for this path")
            return finish(error.response, context: context, extra: nil)
        }
        request.parameters = parameters
        let context = RequestContext(request: request, principal: principal, now: now)
        guard Authorization.allows(principal, route.permission) else {
            if case .anonymous = principal {
                if route.page {
                    let response = HTTPResponse(status: 303, headers: [("Location", "/login")])
                    return finish(response, context: context, extra: failure ?? "not signed in")
                }
                return finish(Self.unauthorized, context: context, extra: failure ?? "no credential")
            }
            let who = principal.role.map { "the \($0.rawValue) role" } ?? "an agent credential"
            return finish(
                HTTPError(status: 403, code: "forbidden", message: "\(who) may not do this").response,
                context: context, extra: "forbidden: needs \(route.permission.rawValue)")
        }
        // Anti-forgery: a state change made with the session cookie must echo the session's token.
        if viaCookie, case .user(let user) = principal, !["GET", "HEAD"].contains(request.method) {
            let presented = request.header("x-csrf-token") ?? context.form["csrf_token"] ?? ""
            guard ConstantTime.equals(Array(presented.utf8), Array(user.csrfToken.utf8)) else {
                return finish(
                    HTTPError(
                        status: 403, code: "csrf",
                        message: "missing or wrong anti-forgery token (X-CSRF-Token header or csrf_token field)"
                    ).response, context: context, extra: "refused: CSRF token missing or wrong")
            }
        }
        failure = nil
        let response: HTTPResponse
        do {
            response = try route.handler(context)
        } catch let error as HTTPError {
            response = error.response
        } catch let error as PeopleError {
            response = error.http.response
        } catch {
            response = HTTPError.internal.response
            context.outcome = "internal error: \(Self.describe(error))"
        }
        return finish(response, context: context, extra: nil)
    }

    static let unauthorized = HTTPError(
        status: 401, code: "unauthorized",
        message: "sign in (POST /api/v1/session) or send an API token (Authorization: Bearer vgt_…)"
    ).response

    static func describe(_ error: any Error) -> String {
        (error as? any VigilError)?.code ?? String(describing: type(of: error))
    }

    /// Writes the access log row, then returns the response; if the row cannot be written, a read is not
    /// answered (a 503 instead), so nothing is read unrecorded.
    func finish(_ response: HTTPResponse, context: RequestContext, extra: String?) -> HTTPResponse {
        metrics.increment("vigil_http_requests_total", labels: ["code": String(response.status)])
        let request = context.request
        if Self.unlogged.contains(request.path) { return response }
        // An agent's accepted batch is not a row here: its events carry the agent and time of receipt into
        // the ledger, and a row (and an fsync) per batch would halve ingest. Refused batches are logged.
        if context.principal.kind == "agent", response.status < 400 { return response }
        var path = request.path
        if !request.query.isEmpty {
            path +=
                "?"
                + request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: "&")
        }
        let outcome = [context.outcome, extra].compactMap { $0 }.joined(separator: "; ")
        let entry = AccessLogEntry(
            id: 0, time: context.now, principalKind: context.principal.kind,
            principal: context.principal.kind == "anonymous" ? nil : context.principal.logName,
            role: context.principal.role?.rawValue, method: request.method, path: path, status: response.status,
            remoteAddress: request.remoteAddress, read: context.read, outcome: outcome.isEmpty ? nil : outcome)
        do {
            try accessLog.record(entry)
        } catch {
            metrics.increment("vigil_access_log_failures_total")
            return HTTPError(
                status: 503, code: "access-log-unavailable",
                message: "the access log cannot be written, so nothing is served; retry later"
            ).response
        }
        return response
    }
}

/// `application/x-www-form-urlencoded` bodies.
enum Form {
    static func parse(_ body: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if out[key] == nil { out[key] = value }
        }
        return out
    }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
