/// Routes requests by method and path pattern (`/api/v1/hosts/:id`) to handlers, and renders errors.
///
/// Routes are added before the server starts; the router is immutable once shared.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    struct Route: Sendable {
        var method: String
        var segments: [Substring]
        var handler: Handler
    }

    private var routes: [Route] = []

    public init() {}

    /// Adds a route. Segments starting with `:` capture a parameter.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method.uppercased(), segments: Self.split(pattern), handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }

    static func split(_ path: String) -> [Substring] { path.split(separator: "/", omittingEmptySubsequences: true) }

    /// Answers one request: the matching route's response, 404 for an unknown path, 405 for a known path
    /// with another method, the `HTTPError`'s status for one thrown, and a bare 500 for anything else.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let segments = Self.split(request.path)
        var pathMatched = false
        for route in routes {
            guard let parameters = Self.match(route.segments, segments) else { continue }
            pathMatched = true
            let method = request.method == "HEAD" ? "GET" : request.method
            guard route.method == method else { continue }
            var request = request
            request.parameters = parameters
            do {
                return try route.handler(request)
            } catch let error as HTTPError {
                return error.response
            } catch {
                return HTTPError.internal.response
            }
        }
        if pathMatched {
            return HTTPError(status: 405, code: "method-not-allowed", message: "\(request.method) is not allowed here")
                .response
        }
        return HTTPError(status: 404, code: "not-found", message: "no route for this path").response
    }

    static func match(_ pattern: [Substring], _ path: [Substring]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (p, s) in zip(pattern, path) {
            if p.hasPrefix(":") {
                parameters[String(p.dropFirst())] = String(s)
            } else if p != s {
                return nil
            }
        }
        return parameters
    }
}
