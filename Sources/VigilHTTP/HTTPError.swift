import Foundation
import VigilCore

/// An error a handler throws to answer with a status: rendered as `{"error":{"code":…,"message":…}}`.
/// Any other error becomes a bare 500 with nothing of it leaked.
public struct HTTPError: VigilError, Equatable {
    public var status: Int
    public var code: String
    public var message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static let notFound = HTTPError(status: 404, code: "not-found", message: "no such resource")
    public static let `internal` = HTTPError(status: 500, code: "internal", message: "internal error")

    struct Body: Encodable {
        struct Inner: Encodable {
            var code: String
            var message: String
        }
        var error: Inner
    }

    /// The JSON response for this error.
    public var response: HTTPResponse {
        let body = (try? JSON.encoder().encode(Body(error: .init(code: code, message: message))))
            .map { Array($0) } ?? Array(#"{"error":{"code":"internal","message":"internal error"}}"#.utf8)
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    /// A one-line description of a JSON decoding error naming the field, without echoing values.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : "'\(text.hasPrefix(".") ? String(text.dropFirst()) : text)'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(key.stringValue)' at \(path(context.codingPath))"
        case .typeMismatch(let type, let context):
            return "field \(path(context.codingPath)) has the wrong type; expected \(type)"
        case .valueNotFound(let type, let context):
            return "field \(path(context.codingPath)) is null; expected \(type)"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            return "field \(path(context.codingPath)) is invalid: \(context.debugDescription)"
        @unknown default:
            return "the body does not match the expected shape"
        }
    }
}
