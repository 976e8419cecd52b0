import Foundation
import Testing
import VigilCLI
import VigilTestSupport
import VigilVulnIndex

@testable import VigilVuln

/// OSV zip archives (Fixtures/osv-debian.zip, written by Tests/VigilZipTests/Fixtures/make-fixtures.py):
/// three Debian records, a record that is not JSON, a Go record, an over-ratio entry, a text file and a
/// directory.
struct OSVArchiveTests {
    @Test func readsAnArchiveLikeADirectoryOfRecords() throws {
        let (load, summary) = OSVArchiveLoader.load(try Fixtures.data("osv-debian.zip"), archive: "osv-debian.zip")
        let archive = try #require(summary)
        #expect(archive.entries == 8)
        #expect(archive.records == 5)
        #expect(archive.refused == 1)
        #expect(archive.skipped == 2)
        #expect(Set(load.advisories.map(\.id)) == ["DSA-5000-1", "DSA-5001-1", "DSA-5002-1"])
        #expect(load.advisories.allSatisfy { $0.distribution == "debian:12" && $0.feed == "osv" })
        // Each problem names the archive and the entry; the rest loaded.
        let problems = Dictionary(uniqueKeysWithValues: load.problems.map { ($0.location?.file ?? "", $0.code) })
        #expect(
            problems == [
                "osv-debian.zip!BROKEN-1.json": "osv.not-json",
                "osv-debian.zip!GO-2024-0001.json": "osv.unknown-ecosystem",
                "osv-debian.zip!bomb.json": "zip.ratio",
            ])
        #expect(load.problems.first { $0.code == "zip.ratio" }?.description.contains("archive offset") == true)
    }

    @Test func aDamagedArchiveLoadsNothingAndSaysWhy() throws {
        let bytes = try Fixtures.data("osv-debian.zip")
        let (load, summary) = OSVArchiveLoader.load(bytes.prefix(bytes.count - 30), archive: "cut.zip")
        #expect(summary == nil && load.advisories.isEmpty)
        #expect(load.problems.map(\.code) == ["zip.no-end-record"])
        #expect(load.problems[0].description.hasPrefix("cut.zip: "))
    }

    @Test func updateAndScanReadTheArchive() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vigil-osvzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = Fixtures.url("osv-debian.zip").path
        let result = AdvisorySources.load([archive])
        #expect(result.files.count == 1)
        #expect(result.files.first?.archive?.records == 5 && result.files.first?.advisories == 3)
        #expect(result.files.first?.bytes == (try Fixtures.data("osv-debian.zip")).count)

        let index = directory.appendingPathComponent("vuln.sqlite").path
        // Loaded, with exit code 3 for the skipped records.
        #expect(await CLI.run(["vuln", "update", "--from", archive, "--index", index]) == 3)
        let store = try VulnIndex(path: index)
        #expect(try store.sources().map(\.path) == [archive])
        let status = DpkgStatusParser.parse(try Fixtures.data("status-traps"), file: "status").packages
        let advisories = try store.advisoryIndex(for: status, distributions: ["debian:12"])
        let findings = Matcher.match(status, distributions: ["debian:12"], index: advisories)
        // bsdutils by its source util-linux, postgresql by its source postgresql-common.
        #expect(
            Set(findings.map { "\($0.package) \($0.advisory)" }) == ["bsdutils DSA-5001-1", "postgresql DSA-5002-1"])
        let osRelease = directory.appendingPathComponent("os-release")
        try Data("ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n".utf8).write(to: osRelease)
        let scan = [
            "vuln", "scan", "--status", Fixtures.url("status-traps").path, "--os-release", osRelease.path,
            "--advisories", archive, "--json",
        ]
        #expect(await CLI.run(scan) == 3)
    }
}
