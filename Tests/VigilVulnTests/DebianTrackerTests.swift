import Foundation
import Testing
import VigilTestSupport

@testable import VigilVuln

/// The traps the anchors' bug trackers are full of, each with the real package from the snapshot.
struct DebianTrackerTests {
    static func scan() throws -> (findings: [Finding], load: AdvisoryLoad) {
        let load = DebianTrackerLoader.load(try Fixtures.data("tracker-traps.json"), file: "tracker-traps.json")
        let inventory = DpkgStatusParser.parse(try Fixtures.data("status-traps"), file: "status-traps")
        let findings = Matcher.match(
            inventory.packages, distributions: ["debian:bookworm"], index: AdvisoryIndex(load.advisories))
        return (findings, load)
    }

    static func finding(_ findings: [Finding], _ package: String, _ advisory: String) -> Finding? {
        findings.first { $0.package == package && $0.advisory == advisory }
    }

    @Test func binaryWithDifferentVersionIsMatchedBySourceVersion() throws {
        let (findings, _) = try Self.scan()
        // bsdutils 1:2.38.1-5+deb12u3 is built from util-linux 2.38.1-5+deb12u3: comparing the binary
        // version (epoch 1) with the source's fix would hide CVE-2099-0001.
        let hit = try #require(Self.finding(findings, "bsdutils", "CVE-2099-0001"))
        #expect(hit.installed == "1:2.38.1-5+deb12u3")
        #expect(hit.sourcePackage == "util-linux" && hit.sourceVersion == "2.38.1-5+deb12u3")
        #expect(hit.status == .fixAvailable && hit.fixed == "2.38.1-5+deb12u4")
        #expect(hit.reason.contains("source util-linux 2.38.1-5+deb12u3"))
        #expect(Self.finding(findings, "bsdutils", "CVE-2099-0002") == nil)
        // postgresql 15+248+deb12u1 from postgresql-common 248+deb12u1: the real CVE-2019-3466 was fixed
        // in 210, so it is not affected, although 15+248+deb12u1 < 210.
        #expect(Self.finding(findings, "postgresql", "CVE-2019-3466") == nil)
        #expect(DpkgVersion.compare("15+248+deb12u1", "210") == .less)
    }

    @Test func epochOnTheBinaryDoesNotHideTheSourceFix() throws {
        let (findings, _) = try Self.scan()
        // cpp 4:12.2.0-3 from gcc-defaults 1.203.
        #expect(Self.finding(findings, "cpp", "CVE-2099-0003")?.fixed == "1.204")
        #expect(Self.finding(findings, "cpp", "CVE-2099-0004") == nil)
        #expect(DpkgVersion.compare("4:12.2.0-3", "1.204") == .greater)
    }

    @Test func epochMissingOnOneSideIsZero() throws {
        let (findings, _) = try Self.scan()
        // zlib 1:1.2.13.dfsg-1 against a fix written without an epoch: 1:… is newer than 0:1.2.13.dfsg-2.
        #expect(Self.finding(findings, "zlib1g", "CVE-2099-0007") == nil)
        #expect(DpkgVersion.compare("1:1.2.13.dfsg-1", "1.2.13.dfsg-2") == .greater)
        #expect(DpkgVersion.compare("0:1.0", "1.0") == .equal)
    }

    @Test func fixedVersionZeroMeansNotAffected() throws {
        let (findings, load) = try Self.scan()
        #expect(Self.finding(findings, "zlib1g", "CVE-2099-0005") == nil)
        let advisory = try #require(load.advisories.first { $0.id == "CVE-2099-0005" })
        #expect(advisory.status == .notAffected)
        #expect(advisory.affects("0.1") == nil)
    }

    @Test func urgencyStatusesAndNoDSA() throws {
        let (findings, load) = try Self.scan()
        let unimportant = try #require(Self.finding(findings, "zlib1g", "CVE-2099-0006"))
        #expect(unimportant.status == .noFixYet && unimportant.severity == "unimportant" && unimportant.fixed == nil)
        #expect(Self.finding(findings, "postgresql", "CVE-2099-0008")?.status == .willNotFix)
        #expect(Self.finding(findings, "postgresql", "CVE-2099-0009")?.status == .willNotFix)
        #expect(Self.finding(findings, "postgresql", "CVE-2099-0010")?.status == .noFixYet)
        #expect(Self.finding(findings, "postgresql", "CVE-2099-0011")?.status == .noFixYet)
        let starred = try #require(load.advisories.first { $0.id == "CVE-2099-0003" })
        #expect(starred.severity == "high" && starred.note?.contains("**") == true)
        let nodsa = try #require(load.advisories.first { $0.id == "CVE-2099-0009" })
        #expect(nodsa.note == "no DSA: Minor issue (ignored)")
        // Only the requested release is compiled when asked.
        let bullseye = DebianTrackerLoader.load(
            try Fixtures.data("tracker-traps.json"), file: "t", releases: ["bullseye"])
        #expect(bullseye.advisories.map(\.id) == ["CVE-2099-0011"])
    }

    @Test func badRecordsAreReportedWithFileAndRecordAndTheRestLoads() throws {
        let (findings, load) = try Self.scan()
        let messages = load.problems.map(\.description)
        #expect(load.problems.count == 3, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("tracker-traps.json, field 'bad-package'") })
        #expect(
            messages.contains { $0.contains("broken/CVE-2099-0012/releases/bookworm") && $0.contains("'1.0 beta'") })
        #expect(messages.contains { $0.contains("broken/CVE-2099-0013") && $0.contains("fixed-ish") })
        #expect(Self.finding(findings, "broken", "CVE-2099-0014")?.fixed == "2.0")
        let garbage = DebianTrackerLoader.load(Data([0x7b, 0x22, 0xff, 0x00]), file: "garbage.json")
        #expect(garbage.advisories.isEmpty && garbage.problems.first?.code == "tracker.not-json")
    }

    @Test func realSnapshotAgainstRealChangelogData() throws {
        guard let directory = Corpora.directory("vuln/debian") else {
            print(Corpora.skipMessage("vuln/debian"))
            return
        }
        let load = DebianTrackerLoader.load(
            try Data(contentsOf: directory.appendingPathComponent("bookworm-changelog-derived.json")),
            file: "bookworm-changelog-derived.json")
        #expect(load.problems.isEmpty)
        #expect(load.advisories.count == 5364)
        let inventory = DpkgStatusParser.parse(
            try Data(contentsOf: directory.appendingPathComponent("dpkg-status.snapshot")), file: "snapshot")
        let findings = Matcher.match(
            inventory.packages, distributions: ["debian:bookworm"], index: AdvisoryIndex(load.advisories))
        // postgresql 15+248+deb12u1 from postgresql-common 248+deb12u1: affected by CVE-2026-6460
        // (fixed in 248+deb12u2), not by CVE-2019-3466 (fixed in 210).
        #expect(Self.finding(findings, "postgresql", "CVE-2026-6460")?.fixed == "248+deb12u2")
        #expect(Self.finding(findings, "postgresql", "CVE-2019-3466") == nil)
        #expect(Self.finding(findings, "zlib1g", "CVE-2026-27171")?.fixed == "1:1.2.13.dfsg-1+deb12u1")
        #expect(Self.finding(findings, "zlib1g", "CVE-2022-37434") == nil)
    }
}

struct FindingsDiffTests {
    @Test func newAdvisoriesNewlyInstalledAndResolved() throws {
        let (findings, _) = try DebianTrackerTests.scan()
        let inventory = DpkgStatusParser.parse(try Fixtures.data("status-traps"), file: "status-traps")
        let packages = Set(inventory.packages.map(FindingsDiff.packageKey))
        // Yesterday: no cpp installed, and CVE-2099-0006 not yet published; bsdutils had an old finding.
        let gone = Finding(
            package: "bsdutils", installed: "1:2.38.1-5+deb12u3", architecture: "amd64", sourcePackage: "util-linux",
            sourceVersion: "2.38.1-5+deb12u3", advisory: "CVE-2000-0001", aliases: [], status: .fixAvailable,
            fixed: "2.38.1-5+deb12u3", severity: "low", reason: "", feed: "debian-tracker",
            distribution: "debian:bookworm")
        let yesterday = findings.filter { $0.package != "cpp" && $0.advisory != "CVE-2099-0006" } + [gone]
        let before = packages.filter { !$0.hasPrefix("cpp:") }
        let diff = FindingsDiff.compute(previous: yesterday, previousPackages: before, current: findings)
        #expect(diff.newlyInstalled.map(\.advisory) == ["CVE-2099-0003"])
        #expect(diff.newAdvisories.map(\.advisory) == ["CVE-2099-0006"])
        #expect(diff.resolved.map(\.advisory) == ["CVE-2000-0001"])
        #expect(diff.unchanged.count == findings.count - 2)
    }
}
