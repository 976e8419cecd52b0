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
        // --out writes in place: an existing file keeps its inode (a device such as /dev/null is never replaced).
        let kept = "\(directory)/kept.csv"
        #expect(FileManager.default.createFile(atPath: kept, contents: Data(repeating: 65, count: 100_000)))
        let inode = try #require(try FileManager.default.attributesOfItem(atPath: kept)[.systemFileNumber] as? Int)
        #expect(await CLI.run(["report", "pci", "--store", store, "--format", "csv", "--out", kept]) == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: kept)[.systemFileNumber] as? Int == inode)
        #expect(try String(contentsOfFile: kept, encoding: .utf8).hasPrefix("requirement,status"))
        #expect(try String(contentsOfFile: kept, encoding: .utf8).hasSuffix("\r\n"))
        #expect(await CLI.run(["report", "pci", "--store", store, "--out", "\(directory)/no/such/dir.json"]) == 1)
        #expect(await CLI.run(["report", "pci", "--store", store, "--from", "soon"]) == 2)
        #expect(await CLI.run(["report", "pci", "--store", store, "--format", "xml"]) == 2)
        #expect(await CLI.run(["report", "pci", "--store", store, "--from", "2026-02-01", "--to", "2026-01-01"]) == 2)
        #expect(await CLI.run(["report", "pci", "--store", "sqlite:\(directory)/missing.db"]) == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/missing.db"))
        #expect(await CLI.run(["report", "pci", "--store", store, "--host", "nope"]) == 1)
    }
}
