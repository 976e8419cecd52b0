import Foundation
import Testing
import VigilStore
import VigilTestSupport

@testable import VigilVuln
@testable import VigilVulnIndex

/// The grouped row format of the advisory index, and the conversion of an index written before it.
struct VulnIndexStorageTests {
    static let advisories = [
        Advisory(
            id: "CVE-2024-0001", aliases: ["GHSA-1", "DSA-5-1"], feed: "osv", distribution: "debian:12",
            package: "zlib", scheme: .dpkg, status: .fixAvailable, fixedVersion: "1:1.2.13.dfsg-1",
            ranges: [AffectedRange(introduced: "0", fixed: "1:1.2.13.dfsg-1", limit: "2")],
            versions: ["1.2", "1.3"], severity: "CVSS:3.1/AV:N", note: "12:- odd\u{1c}\u{1d} note ✓"),
        Advisory(
            id: "CVE-2024-0002", feed: "debian-tracker", distribution: "debian:12", package: "openssl",
            scheme: .dpkg, status: .noFixYet, severity: "", note: nil),
        Advisory(
            id: "CVE-2024-0003", feed: "osv", distribution: "debian:12", package: "zlib", scheme: .dpkg,
            status: .notAffected, fixedVersion: ""),
        Advisory(id: "-", feed: "", distribution: "debian:11", package: "zlib", scheme: .apk, status: .willNotFix),
    ]

    @Test func groupsRoundTripInOrder() {
        let groups = RowCodec.groups(Self.advisories)
        #expect(groups.map(\.package) == ["zlib", "openssl", "zlib"])
        #expect(groups.map(\.count) == [2, 1, 1])
        var decoded: [Advisory] = []
        for group in groups {
            RowCodec.decode(group.body, distribution: group.distribution, package: group.package) {
                decoded.append($0)
            }
        }
        #expect(decoded == [Self.advisories[0], Self.advisories[2], Self.advisories[1], Self.advisories[3]])
    }

    @Test(arguments: [0, 1, 7, 30, 50])
    func truncatedBodyStopsAtTheDamage(cut: Int) {
        let body = RowCodec.groups([Self.advisories[0], Self.advisories[2]])[0].body
        var decoded: [Advisory] = []
        RowCodec.decode(String(body.utf8.dropLast(cut)) ?? "x", distribution: "debian:12", package: "zlib") {
            decoded.append($0)
        }
        #expect(decoded.count == (cut == 0 ? 2 : 1))
        #expect(decoded.first == Self.advisories[0])
    }

    @Test func anIndexOfTheFirstSchemaIsConverted() throws {
        let path = try VulnIndexTests.temporary("vuln.sqlite")
        defer { try? FileManager.default.removeItem(at: path.deletingLastPathComponent()) }
        do {
            let database = try SQLiteDatabase(path: path.path, durability: .normal)
            try database.migrate(Array(VulnIndex.migrations.prefix(1)), what: "vulnerability index")
            for source in 1...2 {
                try database.run(
                    "INSERT INTO vuln_sources(id, path, feed, loaded_at, bytes, advisories, problems) VALUES (?,?,?,?,?,?,?)",
                    [source, "file\(source)", "osv", 5, 10, 2, 0])
            }
            // Rows of two files, interleaved, so the conversion must keep each file's order.
            for (source, advisory) in [(1, 0), (2, 3), (1, 1), (2, 2), (1, 2)] {
                let item = Self.advisories[advisory]
                try database.run(
                    """
                    INSERT INTO vuln_advisories(source_id, distribution, package, id, feed, scheme, status, fixed,
                    ranges, versions, severity, note, aliases) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
                    """,
                    [
                        source, item.distribution, item.package, item.id, item.feed, item.scheme.rawValue,
                        item.status.rawValue, item.fixedVersion, RowCodec.ranges(item.ranges),
                        RowCodec.list(item.versions), item.severity, item.note, RowCodec.list(item.aliases),
                    ])
            }
        }
        let index = try VulnIndex(path: path.path)
        let packages = [
            InstalledPackage(name: "zlib", version: "1", architecture: "amd64", scheme: .dpkg),
            InstalledPackage(name: "openssl", version: "1", architecture: "amd64", scheme: .dpkg),
        ]
        let compiled = try index.advisoryIndex(for: packages, distributions: ["debian:12", "debian:11"])
        #expect(compiled.count == 5)
        #expect(
            compiled.advisories(distribution: "debian:12", package: "zlib") == [
                Self.advisories[0], Self.advisories[2], Self.advisories[2],
            ])
        #expect(compiled.advisories(distribution: "debian:12", package: "openssl") == [Self.advisories[1]])
        #expect(compiled.advisories(distribution: "debian:11", package: "zlib") == [Self.advisories[3]])
    }
}
