import Foundation
import Testing
import VigilTestSupport

@testable import VigilVuln

struct DpkgStatusParserTests {
    @Test(arguments: [1, 2, 7, 64, 4096, Int.max])
    func readsSourceNamesVersionsAndEpochsInAnyChunkSize(chunk: Int) throws {
        let bytes = [UInt8](try Fixtures.data("status-traps"))
        var parser = DpkgStatusParser(file: "status-traps")
        var offset = 0
        while offset < bytes.count {
            let end = offset + min(chunk, bytes.count - offset)
            parser.feed(bytes[offset..<end])
            offset = end
        }
        let inventory = parser.finish()
        #expect(inventory.problems.isEmpty)
        #expect(inventory.packages.map(\.name) == ["bsdutils", "cpp", "zlib1g", "postgresql", "broken"])
        let bsdutils = try #require(inventory.packages.first)
        #expect(bsdutils.version == "1:2.38.1-5+deb12u3")
        #expect(bsdutils.sourceName == "util-linux")
        #expect(bsdutils.sourceVersion == "2.38.1-5+deb12u3")
        #expect(bsdutils.architecture == "amd64")
        let cpp = inventory.packages[1]
        #expect(cpp.version == "4:12.2.0-3" && cpp.sourceName == "gcc-defaults" && cpp.sourceVersion == "1.203")
        let zlib = inventory.packages[2]
        #expect(zlib.sourceName == "zlib" && zlib.sourceVersion == "1:1.2.13.dfsg-1")
    }

    @Test func corruptedStatusReportsEachBadRecordAndKeepsTheRest() throws {
        let inventory = DpkgStatusParser.parse(try Fixtures.data("status-corrupt"), file: "status-corrupt")
        #expect(inventory.packages.map(\.name) == ["good-one", "good-two"])
        #expect(inventory.packages.last?.version == "2:3.4-5")
        let messages = inventory.problems.map(\.description)
        #expect(inventory.problems.count == 5, "\(messages)")
        #expect(
            messages.contains {
                $0.hasPrefix("status-corrupt:6:") && $0.contains("truncated-garbage") && $0.contains("line 8")
            })
        #expect(messages.contains { $0.hasPrefix("status-corrupt:11:") && $0.contains("continues a field") })
        #expect(messages.contains { $0.contains("no-version") && $0.contains("no Version") })
        #expect(messages.contains { $0.contains("bad-version") && $0.contains("nothing after colon") })
        #expect(messages.contains { $0.contains("bad-source") && $0.contains("Source 'two words here'") })
    }

    @Test func survivesGarbage() {
        var noise = [UInt8]()
        var state: UInt32 = 12345
        for _ in 0..<50_000 {
            state = state &* 1_103_515_245 &+ 12345
            noise.append(UInt8(truncatingIfNeeded: state >> 16))
        }
        let inventory = DpkgStatusParser.parse(noise, file: "noise")
        #expect(inventory.packages.isEmpty)
        #expect(!inventory.problems.isEmpty)
        let huge =
            [UInt8]("Package: x\nStatus: install ok installed\nVersion: 1\nDescription: ".utf8)
            + [UInt8](repeating: 0x41, count: 2_000_000) + [UInt8]("\n".utf8)
        #expect(DpkgStatusParser.parse(huge, file: "huge").packages.map(\.name) == ["x"])
        let truncated = [UInt8]("Package: y\nStatus: install ok installed\nVers".utf8)
        let result = DpkgStatusParser.parse(truncated, file: "truncated")
        #expect(result.packages.isEmpty)
        #expect(result.problems.first?.location?.file == "truncated")
        #expect(DpkgStatusParser.parse([], file: "empty").packages.isEmpty)
    }

    @Test func readsTheRealSnapshot() throws {
        guard let directory = Corpora.directory("vuln/debian") else {
            print(Corpora.skipMessage("vuln/debian"))
            return
        }
        let data = try Data(contentsOf: directory.appendingPathComponent("dpkg-status.snapshot"))
        let inventory = DpkgStatusParser.parse(data, file: "dpkg-status.snapshot")
        #expect(inventory.problems.isEmpty, "\(inventory.problems)")
        #expect(inventory.packages.count == 761)
        let byName = Dictionary(inventory.packages.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["bsdutils"]?.sourceName == "util-linux")
        #expect(byName["bsdutils"]?.sourceVersion == "2.38.1-5+deb12u3")
        #expect(byName["postgresql"]?.sourceName == "postgresql-common")
        #expect(byName["postgresql"]?.sourceVersion == "248+deb12u1")
        #expect(byName["cpp"]?.version == "4:12.2.0-3")
        #expect(byName["cpp"]?.sourceVersion == "1.203")
    }

    @Test func readsOSRelease() {
        let os = OSRelease.parse(
            """
            PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
            NAME="Debian GNU/Linux"
            VERSION_ID="12"
            VERSION_CODENAME=bookworm
            ID=debian
            # comment
            """)
        #expect(os.id == "debian" && os.versionID == "12" && os.codename == "bookworm")
        #expect(os.scheme == .dpkg)
        #expect(Matcher.distributions(for: os) == ["debian:bookworm", "debian:12"])
        let alpine = OSRelease.parse("ID=alpine\nVERSION_ID=3.19.1\n")
        #expect(Matcher.distributions(for: alpine) == ["alpine:3.19"])
        #expect(alpine.scheme == .apk)
        let rocky = OSRelease.parse("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n")
        #expect(Matcher.distributions(for: rocky) == ["rocky:9"])
        #expect(rocky.scheme == .rpm)
    }
}
