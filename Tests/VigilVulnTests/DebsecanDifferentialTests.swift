import Foundation
import Testing
import VigilTestSupport

@testable import VigilVuln

/// Scanning the real snapshot against the changelog-derived data must give exactly the
/// (binary package, CVE) pairs Debian's `debsecan` reports, run offline on the same data.
struct DebsecanDifferentialTests {
    @Test func sameFindingsAsDebsecan() throws {
        guard let directory = Corpora.directory("vuln/debian") else {
            print(Corpora.skipMessage("vuln/debian"))
            return
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/debsecan") else {
            print(
                "SKIPPED: debsecan is not installed (scripts/install-deps test installs it: apt-get install debsecan)")
            return
        }
        let json = try Data(contentsOf: directory.appendingPathComponent("bookworm-changelog-derived.json"))
        let status = directory.appendingPathComponent("dpkg-status.snapshot")
        let feed = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-debsecan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: feed, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: feed) }
        try DebsecanFeed.write(trackerJSON: json, release: "bookworm", to: feed)
        let result = try #require(try DebsecanFeed.run(feedDirectory: feed, release: "bookworm", status: status))

        let load = DebianTrackerLoader.load(json, file: "bookworm-changelog-derived.json", releases: ["bookworm"])
        let inventory = DpkgStatusParser.parse(try Data(contentsOf: status), file: "dpkg-status.snapshot")
        let findings = Matcher.match(
            inventory.packages, distributions: ["debian:bookworm"], index: AdvisoryIndex(load.advisories))
        let ours = Set(findings.map { "\($0.package) \($0.advisory)" })

        #expect(!result.pairs.isEmpty, "debsecan reported nothing: \(result.stderr)")
        let onlyOurs = ours.subtracting(result.pairs).sorted()
        let onlyTheirs = result.pairs.subtracting(ours).sorted()
        #expect(
            onlyOurs.isEmpty && onlyTheirs.isEmpty,
            """
            Vigil and debsecan disagree.
            Only Vigil (\(onlyOurs.count)): \(onlyOurs.joined(separator: ", "))
            Only debsecan (\(onlyTheirs.count)): \(onlyTheirs.joined(separator: ", "))
            Vigil (\(ours.count)):
            \(ours.sorted().joined(separator: "\n"))
            debsecan (\(result.pairs.count)):
            \(result.pairs.sorted().joined(separator: "\n"))
            debsecan stderr: \(result.stderr)
            """)
        print("debsecan differential: \(ours.count) (package, CVE) pairs, identical")
    }

    @Test func feedHelperRoundTrips() throws {
        let json = Data(
            #"{"p": {"CVE-1": {"description": "a, b", "releases": {"bookworm": {"status": "resolved", "fixed_version": "1.0", "urgency": "low"}}}, "CVE-2": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "0"}}}}}"#
                .utf8)
        let text = try DebsecanFeed.text(trackerJSON: json, release: "bookworm")
        #expect(text == "VERSION 1\nCVE-1,,a, b\n\np,0,SL?F,1.0,\n\n\n")
        let stored = DebsecanFeed.zlibStored(Array("abc".utf8))
        #expect(stored == [0x78, 0x01, 0x01, 0x03, 0x00, 0xfc, 0xff, 0x61, 0x62, 0x63, 0x02, 0x4d, 0x01, 0x27])
    }
}
