import Foundation
import Testing
import VigilStore
import VigilTestSupport

@testable import VigilVuln
@testable import VigilVulnIndex

struct VulnIndexTests {
    static func temporary(_ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-vuln-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name)
    }

    @Test func compiledIndexMatchesLikeTheLoadedAdvisories() throws {
        let path = try Self.temporary("vuln.sqlite")
        defer { try? FileManager.default.removeItem(at: path.deletingLastPathComponent()) }
        let sources = AdvisorySources.load([
            Fixtures.url("tracker-traps.json").path, Fixtures.url("osv-dsa.json").path,
            Fixtures.url("osv-mixed.json").path,
        ])
        #expect(sources.files.map(\.feed) == ["debian-tracker", "osv", "osv"])
        let clock = FakeClock()
        let index = try VulnIndex(path: path.path)
        try index.update(sources, clock: clock)
        // Loading the same file again replaces its rows instead of doubling them.
        try index.update(sources, clock: clock)
        #expect(try index.sources().count == 3)
        #expect(try index.sources().first { $0.feed == "debian-tracker" }?.loadedAt == clock.nowMilliseconds())

        let inventory = DpkgStatusParser.parse(try Fixtures.data("status-traps"), file: "status-traps")
        let distributions = ["debian:bookworm", "debian:12"]
        let direct = Matcher.match(
            inventory.packages, distributions: distributions, index: AdvisoryIndex(sources.load.advisories))
        let compiled = Matcher.match(
            inventory.packages, distributions: distributions,
            index: try index.advisoryIndex(for: inventory.packages, distributions: distributions))
        #expect(Set(direct) == Set(compiled))
        #expect(compiled.contains { $0.package == "bsdutils" && $0.advisory == "DSA-5999-1" })
        let kernel = try index.advisoryIndex(
            for: [InstalledPackage(name: "kernel", version: "5.14.0-1.el9", architecture: "x86_64", scheme: .rpm)],
            distributions: ["rocky:9"]
        ).advisories(distribution: "rocky:9", package: "kernel")
        #expect(kernel.first?.ranges == [AffectedRange(introduced: "0", limit: "5.14.0-400.el9")])
        #expect(kernel.first?.versions == ["5.14.0-1.el9"])
    }

    @Test func historyKeepsFirstSeenAndReportsWhatIsNew() throws {
        let path = try Self.temporary("vuln.sqlite")
        defer { try? FileManager.default.removeItem(at: path.deletingLastPathComponent()) }
        let index = try VulnIndex(path: path.path)
        let clock = FakeClock(milliseconds: 1_800_000_000_000)
        let (findings, _) = try DebianTrackerTests.scan()
        let inventory = DpkgStatusParser.parse(try Fixtures.data("status-traps"), file: "status-traps")
        let day1Findings = findings.filter { $0.package != "cpp" }
        let day1Packages = inventory.packages.filter { $0.name != "cpp" }
        try index.record(findings: day1Findings, packages: day1Packages, clock: clock)
        clock.advance(by: 86_400_000)
        // Day 2: cpp installed; one zlib finding gone (upgraded away).
        let day2 = findings.filter { $0.advisory != "CVE-2099-0006" }
        let diff = try index.record(findings: day2, packages: inventory.packages, clock: clock)
        #expect(diff.newlyInstalled.map(\.advisory) == ["CVE-2099-0003"])
        #expect(diff.resolved.map(\.advisory) == ["CVE-2099-0006"])
        #expect(diff.newAdvisories.isEmpty)
        let since = try #require(try index.previousScanTime())
        #expect(since == 1_800_000_000_000)
        let report = DailyReport(
            generatedAt: clock.nowMilliseconds(), since: since, entries: try index.history(resolvedSince: since))
        let states = Dictionary(grouping: report.entries, by: report.state).mapValues { $0.map(\.finding.advisory) }
        #expect(states["new"] == ["CVE-2099-0003"])
        #expect(states["resolved"] == ["CVE-2099-0006"])
        #expect(states["open"]?.count == day1Findings.count - 1)
        let first = try #require(report.entries.first { $0.finding.advisory == "CVE-2099-0001" })
        #expect(first.firstSeen == 1_800_000_000_000 && first.lastSeen == clock.nowMilliseconds())
        let csv = try report.render(.csv)
        #expect(
            csv.hasPrefix(
                "state,package,installed,advisory,status,fixed,severity,first_seen,resolved\nnew,cpp,4:12.2.0-3,CVE-2099-0003"
            ))
        let html = try report.render(.html)
        #expect(html.contains("<tr class=\"new\"><td>new</td><td>cpp</td>"))
        let json = try JSONSerialization.jsonObject(with: Data(try report.render(.json).utf8)) as? [String: Any]
        #expect((json?["counts"] as? [String: Int])?["new"] == 1)
    }

    @Test func sourcesDetectFormatsAndReportADamagedZip() throws {
        let directory = try Self.temporary("feeds")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data([0x50, 0x4b, 0x03, 0x04, 0, 0]).write(to: directory.appendingPathComponent("all.zip"))
        try Data("hello".utf8).write(to: directory.appendingPathComponent("notes.txt"))
        try Fixtures.data("osv-dsa.json").write(to: directory.appendingPathComponent("DSA-5999-1.json"))
        let result = AdvisorySources.load([directory.path, "/nonexistent/feed.json"])
        #expect(result.files.map(\.feed) == ["osv"])
        let codes = Set(result.load.problems.map(\.code))
        #expect(codes == ["zip.not-zip", "vuln.unknown-format", "vuln.missing"])
    }

    @Test func rpmDatabaseWithATruncatedHeaderKeepsTheOtherPackages() throws {
        let root = try Self.temporary("root")
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let rpmDirectory = root.appendingPathComponent("var/lib/rpm")
        try FileManager.default.createDirectory(at: rpmDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try Data("ID=\"rocky\"\nVERSION_ID=\"9.3\"\n".utf8).write(to: root.appendingPathComponent("etc/os-release"))
        do {
            let database = try SQLiteDatabase(path: rpmDirectory.appendingPathComponent("rpmdb.sqlite").path)
            try database.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
            let good = RPMHeaderParser.build(
                name: "openssl-libs", version: "3.0.7", release: "24.el9", epoch: 1, arch: "x86_64",
                sourceRPM: "openssl-3.0.7-24.el9.src.rpm")
            let other = RPMHeaderParser.build(
                name: "bash", version: "5.1.8", release: "6.el9", arch: "x86_64", sourceRPM: nil)
            _ = try database.run("INSERT INTO Packages(blob) VALUES (?)", [good])
            _ = try database.run("INSERT INTO Packages(blob) VALUES (?)", [Array(other.prefix(other.count - 5))])
            _ = try database.run("INSERT INTO Packages(blob) VALUES (?)", [other])
        }
        let inventory = HostInventory.read(root: root.path)
        #expect(inventory.os?.id == "rocky")
        #expect(inventory.packages.map(\.name) == ["openssl-libs", "bash"])
        #expect(inventory.packages.first?.version == "1:3.0.7-24.el9")
        #expect(inventory.packages.first?.sourceName == "openssl")
        let problem = try #require(inventory.problems.first)
        #expect(inventory.problems.count == 1)
        #expect(
            problem.description.contains("rpmdb.sqlite Packages hnum 2") && problem.description.contains("truncated"))
        // Matched by rpm name, then by source rpm name.
        let osv = Data(
            #"{"id": "RLSA-2099:1", "affected": [{"package": {"ecosystem": "Rocky Linux:9", "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:3.0.7-25.el9"}]}]}]}"#
                .utf8)
        let load = OSVLoader.load(osv, file: "rlsa.json")
        let findings = Matcher.match(
            inventory.packages, distributions: Matcher.distributions(for: try #require(inventory.os)),
            index: AdvisoryIndex(load.advisories))
        #expect(
            findings.map { "\($0.package) \($0.advisory) \($0.fixed ?? "")" } == [
                "openssl-libs RLSA-2099:1 1:3.0.7-25.el9"
            ])
    }

    @Test func sbomIsCycloneDX15WithPackageURLs() throws {
        var inventory = DpkgStatusParser.parse(try Fixtures.data("status-traps"), file: "status-traps")
        inventory.os = OSRelease(id: "debian", versionID: "12", codename: "bookworm")
        let data = try CycloneDX.document(
            inventory, timestamp: "2026-01-01T00:00:00Z", serial: "00000000-0000-0000-0000-000000000000",
            toolVersion: "0")
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(document["bomFormat"] as? String == "CycloneDX" && document["specVersion"] as? String == "1.5")
        let components = try #require(document["components"] as? [[String: Any]])
        #expect(components.count == inventory.packages.count)
        #expect(
            components.first?["purl"] as? String
                == "pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&epoch=1")
    }
}
