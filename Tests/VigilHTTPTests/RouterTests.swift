import Foundation
import Testing
import VigilHTTP

/// The router in-process: no sockets.
@Suite struct RouterTests {
    struct Leak: Error, CustomStringConvertible {
        var description: String { "database password is hunter2 at /var/lib/secret.db" }
    }

    static let router: Router = {
        var router = Router()
        router.get("/") { _ in .text("root") }
        router.get("/healthz") { _ in .text("ok") }
        router.get("/hosts/:host/events/:id") { request in
            .text("\(request.parameters["host"] ?? "?")|\(request.parameters["id"] ?? "?")")
        }
        router.post("/hosts/:host/events/:id") { _ in .text("posted", status: 201) }
        router.add("delete", "/hosts/:host") { request in .text("deleted \(request.parameters["host"] ?? "")") }
        router.get("/teapot") { _ in throw HTTPError(status: 418, code: "teapot", message: "short and stout") }
        router.get("/leak") { _ in throw Leak() }
        router.get("/static/app.css") { _ in .text("css", contentType: "text/css") }
        return router
    }()

    struct Case: Sendable, CustomTestStringConvertible {
        var method: String
        var path: String
        var status: Int
        var body: String?
        var testDescription: String { "\(method) \(path) → \(status)" }
    }

    static let cases: [Case] = [
        Case(method: "GET", path: "/", status: 200, body: "root"),
        Case(method: "GET", path: "/healthz", status: 200, body: "ok"),
        Case(method: "GET", path: "/healthz/", status: 200, body: "ok"),
        Case(method: "GET", path: "//healthz", status: 200, body: "ok"),
        Case(method: "HEAD", path: "/healthz", status: 200, body: "ok"),
        Case(method: "GET", path: "/hosts/web-01/events/7", status: 200, body: "web-01|7"),
        Case(method: "GET", path: "/hosts/a b/events/%2F", status: 200, body: "a b|%2F"),
        Case(method: "POST", path: "/hosts/web-01/events/7", status: 201, body: "posted"),
        Case(method: "DELETE", path: "/hosts/x", status: 200, body: "deleted x"),
        Case(method: "GET", path: "/hosts/x", status: 405, body: nil),
        Case(method: "PUT", path: "/healthz", status: 405, body: nil),
        Case(method: "POST", path: "/", status: 405, body: nil),
        Case(method: "GET", path: "/hosts/web-01/events", status: 404, body: nil),
        Case(method: "GET", path: "/hosts/web-01/events/7/extra", status: 404, body: nil),
        Case(method: "GET", path: "/nope", status: 404, body: nil),
        Case(method: "GET", path: "/static/app.js", status: 404, body: nil),
        Case(method: "get", path: "/healthz", status: 405, body: nil),
        Case(
            method: "GET", path: "/teapot", status: 418,
            body: #"{"error":{"code":"teapot","message":"short and stout"}}"#),
        Case(
            method: "GET", path: "/leak", status: 500,
            body: #"{"error":{"code":"internal","message":"internal error"}}"#),
    ]

    @Test(arguments: cases)
    func routes(_ c: Case) {
        let response = Self.router.respond(to: HTTPRequest(method: c.method, path: c.path))
        #expect(response.status == c.status)
        if let body = c.body { #expect(String(decoding: response.body, as: UTF8.self) == body) }
    }

    @Test func errorsAreJSONWithCodeAndMessage() throws {
        for (method, path, status, code) in [
            ("GET", "/nope", 404, "not-found"), ("PUT", "/healthz", 405, "method-not-allowed"),
            ("GET", "/leak", 500, "internal"),
        ] {
            let response = Self.router.respond(to: HTTPRequest(method: method, path: path))
            #expect(response.status == status)
            #expect(response.header("content-type") == "application/json")
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String: String]]
            #expect(object?["error"]?["code"] == code)
            #expect(object?["error"]?["message"]?.isEmpty == false)
        }
    }

    @Test func aNonHTTPErrorLeaksNothing() {
        let response = Self.router.respond(to: HTTPRequest(method: "GET", path: "/leak"))
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("secret"))
        #expect(!text.contains("Leak"))
    }

    @Test func anEmptyRouterAnswers404() {
        #expect(Router().respond(to: HTTPRequest(method: "GET", path: "/")).status == 404)
    }

    struct Payload: Decodable, Equatable {
        var name: String
        var count: Int
        var tags: [String]?
    }

    static let badBodies: [(String, String?, Int, String)] = [
        (#"{"name":"x"}"#, nil, 400, "missing field 'count'"),
        (#"{"name":"x","count":"seven"}"#, nil, 400, "field 'count' has the wrong type"),
        (#"{"name":null,"count":1}"#, nil, 400, "field 'name' is null"),
        (#"{"name":"x","count":1,"tags":[1]}"#, nil, 400, "field 'tags[0]' has the wrong type"),
        (#"{"name":"x","#, nil, 400, "not valid JSON"),
        ("", nil, 400, "not valid JSON"),
        ("\u{0}\u{1}garbage", nil, 400, "not valid JSON"),
        (#"[1,2]"#, nil, 400, "wrong type"),
        (#"{"name":"x","count":1}"#, "text/plain", 415, "application/json"),
    ]

    @Test(arguments: badBodies)
    func invalidJSONNamesTheProblem(body: String, contentType: String?, status: Int, fragment: String) {
        var headers: [String: String] = [:]
        if let contentType { headers["content-type"] = contentType }
        let request = HTTPRequest(method: "POST", path: "/", headers: headers, body: Array(body.utf8))
        let error = #expect(throws: HTTPError.self) { try request.decodeJSON(Payload.self) }
        #expect(error?.status == status)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test func validJSONDecodes() throws {
        let request = HTTPRequest(
            method: "POST", path: "/", headers: ["content-type": "application/json; charset=utf-8"],
            body: Array(#"{"name":"x","count":3,"extra":true}"#.utf8))
        #expect(try request.decodeJSON(Payload.self) == Payload(name: "x", count: 3, tags: nil))
        #expect(request.header("Content-Type") == "application/json; charset=utf-8")
    }
}
