import Foundation

/// An HTTP request as the handler sees it: the whole body already read (within the size limit).
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path, without the query string, percent-decoded by libmicrohttpd.
    public var path: String
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The client's address (`127.0.0.1`, `::1`), when known.
    public var remoteAddress: String?
    /// Path parameters filled in by the router (`/hosts/:id` → `["id": …]`).
    public var parameters: [String: String] = [:]

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                body: [UInt8] = [], remoteAddress: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// A header by name (any case).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Decodes the body as JSON into `T`.
    /// - Throws: `HTTPError` 400 `invalid-json` naming the field or position that is wrong,
    ///   or 415 if the content type is set and is not JSON.
    public func decodeJSON<T: Decodable>(_ type: T.Type) throws -> T {
        if let contentType = header("content-type"), !contentType.lowercased().contains("json") {
            throw HTTPError(status: 415, code: "unsupported-media-type",
                            message: "the body must be JSON (Content-Type: application/json), not \(contentType)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw HTTPError(status: 400, code: "invalid-json", message: HTTPError.describe(error))
        } catch {
            throw HTTPError(status: 400, code: "invalid-json", message: "the body is not valid JSON")
        }
    }
}
