import Foundation
import Testing
import VigilCLI
import VigilTestSupport

/// `vigil vuln` end to end on the small fixtures (exit codes and the files it writes).
struct VulnCommandTests {
    @Test func updateScanReportAndSBOM() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent("vuln.sqlite").path
        let osRelease = directory.appendingPathComponent("os-release")
        try Data("ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n".utf8).write(to: osRelease)
        let status = Fixtures.url("status-traps").path

        // The fixture has deliberately broken records: loaded, with exit code 3 for the skipped ones.
        #expect(
            await CLI.run(["vuln", "update", "--from", Fixtures.url("tracker-traps.json").path, "--index", index]) == 3)
        #expect(await CLI.run(["vuln", "update", "--from", Fixtures.url("osv-dsa.json").path, "--index", index]) == 0)
        #expect(await CLI.run(["vuln", "update", "--index", index]) == 2)
        let scan = ["vuln", "scan", "--status", status, "--os-release", osRelease.path, "--index", index, "--json"]
        #expect(await CLI.run(scan) == 0)
        #expect(await CLI.run(scan) == 0)
        #expect(await CLI.run(["vuln", "report", "daily", "--format", "csv", "--index", index]) == 0)
        #expect(await CLI.run(["vuln", "report", "daily", "--format", "pdf", "--index", index]) == 2)
        #expect(await CLI.run(["vuln", "sbom", "--status", status, "--os-release", osRelease.path]) == 0)
        #expect(
            await CLI.run(["vuln", "scan", "--status", "/nonexistent", "--root", directory.path, "--index", index]) == 1
        )
        #expect(await CLI.run(["vuln", "compare", "--ecosystem", "dpkg", "1:1.0", "2.0"]) == 0)
        #expect(await CLI.run(["vuln", "compare", "--ecosystem", "deb", "1", "2"]) == 2)
        let batch = directory.appendingPathComponent("pairs")
        try Data("1.0\t1.0-0\n1.0~rc1 1.0\n".utf8).write(to: batch)
        #expect(await CLI.run(["vuln", "compare", "--ecosystem", "dpkg", "--batch", batch.path]) == 0)
        #expect(await CLI.run(["vuln", "--help"]) == 0)
    }
}
