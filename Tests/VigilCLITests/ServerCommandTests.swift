import Foundation
import Testing
import VigilStore
import VigilTestSupport

@testable import VigilCLI

/// `vigil server token|agents|archive` on an SQLite store, in-process.
struct ServerCommandTests {
    @Test func tokensAgentsAndAnEmptyArchiveExport() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-srv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = "sqlite:\(work)/vigil.db"
        #expect(await CLI.run(["server", "token", "create", "--uses", "3", "--expires", "2h", "--store", store]) == 0)
        #expect(await CLI.run(["server", "token", "create", "--expires", "soon", "--store", store]) == 2)
        #expect(await CLI.run(["server", "token", "create", "--uses", "0", "--store", store]) == 2)
        #expect(await CLI.run(["server", "agents", "list", "--store", store, "--json"]) == 0)
        #expect(await CLI.run(["server", "agents", "revoke", "ag_nobody", "--store", store]) == 1)
        let db = try SQLiteDatabase(path: "\(work)/vigil.db", readOnly: true)
        let row = try #require(try db.query("SELECT uses_left, expires_at - created_at FROM enrollment_tokens").first)
        #expect(row[0].int64 == 3)
        #expect((7_190_000...7_200_000).contains(row[1].int64 ?? 0))
        #expect(await CLI.run(["server", "archive", "export", "\(work)/export", "--store", store]) == 0)
        #expect(FileManager.default.fileExists(atPath: "\(work)/export"))
    }

    @Test func policySetAndShow() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-pol-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = "sqlite:\(work)/vigil.db"
        #expect(await CLI.run(["server", "policy", "show", "--store", store]) == 1)
        try "fim:\n  watch: [/etc]\ninventory:\n  interval_seconds: 3600\n".write(
            toFile: "\(work)/p.yaml", atomically: true, encoding: .utf8)
        try #"{"fim": {"watch": ["etc"]}}"#.write(toFile: "\(work)/bad.json", atomically: true, encoding: .utf8)
        #expect(await CLI.run(["server", "policy", "set", "\(work)/p.yaml", "--store", store]) == 0)
        #expect(await CLI.run(["server", "policy", "set", "\(work)/bad.json", "--store", store]) == 1)
        #expect(await CLI.run(["server", "policy", "set", "\(work)/missing.yaml", "--store", store]) == 1)
        #expect(await CLI.run(["server", "policy", "set", "\(work)/p.yaml", "--store", store]) == 0)
        #expect(await CLI.run(["server", "policy", "show", "--store", store, "--json"]) == 0)
        let db = try SQLiteDatabase(path: "\(work)/vigil.db", readOnly: true)
        let rows = try db.query("SELECT version, payload FROM agent_policies ORDER BY version")
        #expect(rows.map { $0[0].int64 } == [1, 2])
        #expect(rows.last?[1].string?.contains(#""watch":["/etc"]"#) == true)
        #expect(rows.last?[1].string?.contains(#""interval_seconds":3600"#) == true)
    }

    @Test(arguments: ["90s", "30m", "24h", "7d"])
    func durations(_ text: String) throws {
        let expected: [String: Int64] = ["90s": 90_000, "30m": 1_800_000, "24h": 86_400_000, "7d": 604_800_000]
        #expect(try Commands.parseDuration(text, path: []) == expected[text])
    }

    @Test(arguments: ["", "h", "0h", "-1h", "5w", "1.5h", "99999999999999999d"])
    func badDurationsAreUsageErrors(_ text: String) {
        #expect(throws: UsageError.self) { try Commands.parseDuration(text, path: []) }
    }
}
