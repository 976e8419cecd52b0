import Foundation
import Testing
import VigilTestSupport

@testable import VigilVuln

struct AlpineSecdbTests {
    @Test func loadsTheOfficialSecdbAndReportsItsMalformedEntries() throws {
        guard let directory = Corpora.directory("vuln/alpine-secdb-v3.11") else {
            print(Corpora.skipMessage("vuln/alpine-secdb-v3.11"))
            return
        }
        let json = AlpineSecdbLoader.loadJSON(
            try Data(contentsOf: directory.appendingPathComponent("secdb-v3.11-main.json")),
            file: "secdb-v3.11-main.json")
        let yaml = AlpineSecdbLoader.loadYAML(
            try String(contentsOf: directory.appendingPathComponent("secdb-v3.11-main.yaml"), encoding: .utf8),
            file: "secdb-v3.11-main.yaml")
        #expect(json.advisories.count > 1000)
        // The published malformed versions are reported and skipped, named by file and package.
        let messages = json.problems.map(\.description)
        #expect(messages.contains { $0.contains("secdb-v3.11-main.json") && $0.contains("python2 2.7.16-33") })
        #expect(messages.contains { $0.contains("xen 4.10-1-r1") })
        let yamlMessages = yaml.problems.map(\.description)
        #expect(yamlMessages.contains { $0.hasPrefix("secdb-v3.11-main.yaml:") && $0.contains("python2 2.7.16-33") })
        // Both forms carry the same advisories.
        func keys(_ load: AdvisoryLoad) -> Set<String> {
            Set(load.advisories.map { "\($0.package) \($0.id) \($0.fixedVersion ?? "-") \($0.aliases)" })
        }
        #expect(keys(json) == keys(yaml))
        #expect(json.problems.count == yaml.problems.count)
        let xen = try #require(json.advisories.first { $0.id == "CVE-2016-6258" })
        #expect(xen.aliases == ["XSA-182"] && xen.distribution == "alpine:3.11")
        #expect(json.advisories.contains { $0.id == "CVE-2018-14468" && $0.package == "tcpdump" })

        let community = AlpineSecdbLoader.loadJSON(
            try Data(contentsOf: directory.appendingPathComponent("secdb-v3.11-community.json")),
            file: "secdb-v3.11-community.json")
        #expect(community.problems.map(\.description).contains { $0.contains("CVE_2019-2426") })
    }

    @Test func apkInstalledDatabaseMatchedByOrigin() throws {
        let inventory = APKInstalledParser.parse(try Fixtures.data("apk-installed"), file: "installed")
        #expect(inventory.packages.map(\.name) == ["libcrypto3", "openssl", "busybox"])
        #expect(inventory.packages[0].sourceName == "openssl")
        #expect(inventory.problems.count == 2)
        #expect(
            inventory.problems.map(\.description).contains {
                $0.hasPrefix("installed:19:") && $0.contains("broken-version")
            })
        let secdb = Data(
            #"{"distroversion": "v3.19", "packages": [{"pkg": {"name": "openssl", "secfixes": {"3.1.4-r5": ["CVE-2099-3000"], "0": ["CVE-2099-3001"], "3.1.0_rc1-r0": ["CVE-2099-3002"]}}}]}"#
                .utf8)
        let load = AlpineSecdbLoader.loadJSON(secdb, file: "main.json")
        let findings = Matcher.match(
            inventory.packages, distributions: ["alpine:3.19"], index: AdvisoryIndex(load.advisories))
        #expect(findings.map { "\($0.package) \($0.advisory)" } == ["libcrypto3 CVE-2099-3000"])
        #expect(findings.first?.installed == "3.1.4-r4" && findings.first?.fixed == "3.1.4-r5")
    }

    @Test func garbageSecdb() {
        #expect(AlpineSecdbLoader.loadJSON(Data("[1,2".utf8), file: "x").problems.first?.code == "secdb.not-json")
        #expect(AlpineSecdbLoader.loadYAML("distroversion: [\n", file: "y.yaml").problems.count == 1)
        #expect(
            AlpineSecdbLoader.loadYAML("packages: []\n", file: "y.yaml").problems.first?.code == "secdb.distroversion")
    }
}

struct OSVTests {
    @Test func singleRecordMatchesBySourcePackage() throws {
        let load = OSVLoader.load(try Fixtures.data("osv-dsa.json"), file: "osv-dsa.json")
        #expect(load.problems.isEmpty)
        let advisory = try #require(load.advisories.first)
        #expect(advisory.distribution == "debian:12" && advisory.aliases == ["CVE-2099-1000"])
        #expect(advisory.severity?.hasPrefix("CVSS:3.1/") == true)
        let inventory = DpkgStatusParser.parse(try Fixtures.data("status-traps"), file: "status")
        let findings = Matcher.match(
            inventory.packages, distributions: ["debian:bookworm", "debian:12"], index: AdvisoryIndex(load.advisories))
        #expect(findings.map(\.package) == ["bsdutils"])
        #expect(findings.first?.advisory == "DSA-5999-1" && findings.first?.fixed == "2.38.1-5+deb12u4")
    }

    @Test func rangesVersionsUnknownEcosystemAndInvalidVersions() throws {
        let load = OSVLoader.load(try Fixtures.data("osv-mixed.json"), file: "osv-mixed.json")
        let messages = load.problems.map(\.description)
        #expect(load.problems.count == 3, "\(messages)")
        #expect(
            messages.contains {
                $0.hasPrefix("osv-mixed.json, field 'OSV-RANGES-1/affected[1]'") && $0.contains("'PyPI'")
            })
        #expect(messages.contains { $0.contains("OSV-BAD-VERSION") && $0.contains("'1:'") })
        #expect(messages.contains { $0.contains("record 4") })
        let openssl = try #require(load.advisories.first { $0.package == "openssl" })
        #expect(openssl.match("3.0.9-r0") == nil)
        #expect(openssl.match("3.1.0-r0")?.fixed == "3.1.4-r5")
        #expect(openssl.match("3.1.4-r5") == nil)
        #expect(openssl.match("3.2.1-r0") != nil && openssl.match("3.2.1-r0")?.fixed == nil)
        #expect(openssl.match("3.2.1-r1") == nil)
        let kernel = try #require(load.advisories.first { $0.package == "kernel" })
        #expect(kernel.distribution == "rocky:9" && kernel.scheme == .rpm)
        #expect(kernel.match("5.14.0-362.el9") != nil)
        #expect(kernel.match("5.14.0-400.el9") == nil)
        #expect(kernel.match("5.14.0-1.el9")?.reason == "5.14.0-1.el9 is listed as affected")
        #expect(load.advisories.contains { $0.distribution == "ubuntu:22.04" })
        #expect(!load.advisories.contains { $0.id == "OSV-WITHDRAWN" })
        // A package left open (introduced only) is affected with no fix.
        let installed = [
            InstalledPackage(name: "openssl", version: "3.2.0-r0", architecture: "x86_64", scheme: .apk)
        ]
        let findings = Matcher.match(installed, distributions: ["alpine:3.19"], index: AdvisoryIndex(load.advisories))
        #expect(findings.first?.status == .noFixYet)
    }

    @Test func garbage() {
        #expect(OSVLoader.load(Data([0xff, 0xfe]), file: "g.json").problems.first?.code == "osv.not-json")
        #expect(OSVLoader.load(Data("{}".utf8), file: "g.json").problems.first?.code == "osv.shape")
    }
}

struct RPMHeaderTests {
    static let blob = RPMHeaderParser.build(
        name: "bsdutils", version: "2.37.4", release: "10.el9", epoch: 2, arch: "x86_64",
        sourceRPM: "util-linux-2.37.4-10.el9.src.rpm")

    @Test func parsesNameEpochVersionReleaseArchAndSource() throws {
        let package = try RPMHeaderParser.parse(Self.blob, record: "Packages rowid 7")
        #expect(package.name == "bsdutils" && package.version == "2:2.37.4-10.el9" && package.architecture == "x86_64")
        #expect(package.sourceName == "util-linux" && package.sourceVersion == "2:2.37.4-10.el9")
        let plain = try RPMHeaderParser.parse(
            RPMHeaderParser.build(name: "bash", version: "5.1.8", release: "6.el9", arch: "x86_64", sourceRPM: nil),
            record: "r")
        #expect(plain.version == "5.1.8-6.el9" && plain.sourceName == "bash")
    }

    @Test func truncatedHeaderAtEveryLengthIsAnErrorWithAnOffset() {
        for length in 0..<Self.blob.count {
            do {
                _ = try RPMHeaderParser.parse(Array(Self.blob.prefix(length)), record: "Packages rowid 7")
                Issue.record("a header truncated to \(length) bytes was accepted")
            } catch {
                #expect(error.code == "rpm.bad-header")
                #expect(error.location?.offset != nil)
                #expect(error.description.contains("Packages rowid 7"))
            }
        }
    }

    @Test func corruptedOffsetsAndNoise() {
        var corrupt = Self.blob
        corrupt[8 + 16 + 8] = 0x7f  // the second entry's offset, far outside the data store
        #expect(throws: VulnError.self) { try RPMHeaderParser.parse(corrupt, record: "r") }
        var state: UInt32 = 7
        for _ in 0..<200 {
            var noise = Self.blob
            for _ in 0..<4 {
                state = state &* 1_103_515_245 &+ 12345
                noise[Int(state >> 8) % noise.count] = UInt8(truncatingIfNeeded: state >> 16)
            }
            _ = try? RPMHeaderParser.parse(noise, record: "noise")
        }
    }
}
