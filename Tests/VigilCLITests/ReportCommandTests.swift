import Foundation
import Testing
import VigilStore

@testable import VigilCLI

/// `vigil report pci` against a real (empty) SQLite store: every format writes, bad options exit 2, a missing
/// store exits 1 instead of creating an empty database.
@Suite struct ReportCommandTests {
    @Test func formatsAndErrors() async throws {
        let directory = NSTemporaryDirectory() + "vigil-report-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try SQLiteEventStore(path: "\(directory)/vigil.db")
        let store = "sqlite:\(directory)/vigil.db"
        for format in ["json", "csv", "html"] {
            let out = "\(directory)/report.\(format)"
            let code = await CLI.run([
                "report", "pci", "--store", store, "--from", "2026-01-01", "--to", "2026-03-31", "--format", format,
                "--out", out,
            ])
            #expect(code == 0)
            let text = try String(contentsOfFile: out, encoding: .utf8)
            switch format {
            case "json":
                #expect(text.contains("\"status\" : \"no evidence\"") && !text.contains("\"status\" : \"met\""))
            case "csv": #expect(text.hasPrefix("requirement,status,host,evidence\r\n8.4,no evidence,"))
            default: #expect(text.contains("No signed archive checkpoint existed"))
            }
        }
        #expect(await CLI.run(["report", "pci", "--store", store, "--from", "soon"]) == 2)
        #expect(await CLI.run(["report", "pci", "--store", store, "--format", "xml"]) == 2)
        #expect(await CLI.run(["report", "pci", "--store", store, "--from", "2026-02-01", "--to", "2026-01-01"]) == 2)
        #expect(await CLI.run(["report", "pci", "--store", "sqlite:\(directory)/missing.db"]) == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/missing.db"))
        #expect(await CLI.run(["report", "pci", "--store", store, "--host", "nope"]) == 1)
    }
}
