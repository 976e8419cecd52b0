import Foundation
import Testing
import VigilServer
import VigilStore

/// Documentation/openapi.yaml describes every route the server has, with its method.
@Suite struct OpenAPITests {
    @Test func everyRouteIsDocumented() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Documentation/openapi.yaml").path
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let server = try Server(
            configuration: .init(), store: try SQLiteEventStore(database: try .inMemory()))
        for route in server.routes where !route.page && !route.pattern.hasPrefix("/static/") {
            let documented = route.pattern.split(separator: "/").map {
                $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0)
            }
            let key = "  /" + documented.joined(separator: "/") + ":"
            let start = try #require(lines.firstIndex(of: key), "\(key) missing from openapi.yaml")
            let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("  /") } ?? lines.count
            #expect(
                lines[start..<end].contains("    \(route.method.lowercased()):"),
                "\(route.method) \(route.pattern) missing from openapi.yaml")
        }
    }
}
