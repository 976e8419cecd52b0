import Foundation
import Testing
import VigilServer
import VigilTestSupport

/// Garbage in every place a request carries text the server parses: JSON bodies, form bodies, cookies,
/// bearer credentials and query strings. Each answer is a clear 4xx (never a 5xx), nobody gets signed in,
/// and the server keeps serving.
@Suite struct GarbageInputTests {
    static func noise(_ random: inout SeededRandom, count: Int, printable: Bool) -> [UInt8] {
        (0..<count).map { _ in
            printable ? UInt8.random(in: 33...126, using: &random) : UInt8.random(in: 0...255, using: &random)
        }
    }

    @Test func garbageIsRefusedCleanly() throws {
        let f = try #require(try PeopleFixture.make(.sqlite))
        let person = try f.addUser("gina", .admin)
        let session = try f.login(person)
        var random = SeededRandom(seed: 0x5EED_9)
        let ascii = { (random: inout SeededRandom, n: Int) -> String in
            String(decoding: Self.noise(&random, count: n, printable: true), as: UTF8.self)
                .replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "#", with: "%23")
                .replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: "?", with: "%3F")
        }
        for round in 0..<40 {
            let length = Int.random(in: 0...300, using: &random)
            let bytes = Self.noise(&random, count: length, printable: round % 2 == 0)
            // JSON bodies: sign-in, users, tokens, alert actions.
            for path in ["/api/v1/session", "/api/v1/users", "/api/v1/tokens", "/api/v1/alerts/1/acknowledge"] {
                let response = try RawHTTPClient.request(
                    port: f.port, method: "POST", path: path,
                    headers: [
                        ("Content-Type", "application/json"),
                        ("Cookie", "vigil_session=\(session.cookie)"), ("X-CSRF-Token", session.csrf),
                    ], body: bytes)
                #expect((400..<500).contains(response.status), "\(path) round \(round): \(response.status)")
            }
            // Form bodies on the sign-in form, with and without a matching login cookie.
            let form = try RawHTTPClient.request(
                port: f.port, method: "POST", path: "/login",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", "vigil_login=x")],
                body: bytes)
            #expect([401, 403].contains(form.status), "form round \(round): \(form.status)")
            // Cookies and bearer credentials made of printable noise.
            let junk = String(decoding: Self.noise(&random, count: 1 + length % 200, printable: true), as: UTF8.self)
                .replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
            for headers in [
                [("Cookie", junk)], [("Cookie", "vigil_session=\(junk)")], [("Authorization", "Bearer \(junk)")],
                [("Authorization", junk)], [("Authorization", "Bearer vgt_\(junk)")],
            ] {
                let response = try RawHTTPClient.request(port: f.port, path: "/api/v1/hosts", headers: headers)
                #expect(response.status == 401, "\(headers) → \(response.status)")
            }
            // Query strings of noise on the read API: 400 or 200, never 5xx.
            for path in ["/api/v1/events", "/api/v1/alerts", "/api/v1/hosts", "/api/v1/access-log"] {
                let key = ["limit", "from", "to", "cursor", "text", "host", "class_uid", "status", "offset", "after"][
                    round % 10]
                let response = try f.request(
                    "GET", "\(path)?\(key)=\(ascii(&random, 1 + length % 40))", session: session)
                #expect([200, 400].contains(response.status), "\(path) \(key) → \(response.status)")
            }
        }
        // Nobody was signed in or created by any of it, and the server still answers.
        #expect(try f.server.authenticator.listUsers().map(\.name) == ["gina"])
        #expect(try f.request("GET", "/healthz").status == 200)
        #expect(try f.request("GET", "/api/v1/hosts", session: session).status == 200)
        #expect(try f.accessLog().allSatisfy { $0.status < 500 })
    }
}
