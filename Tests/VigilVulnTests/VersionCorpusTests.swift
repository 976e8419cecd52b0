import Foundation
import Testing
import VigilTestSupport

@testable import VigilVuln

/// Every pair in `../shared/corpora/versions/*.tsv` must get the real tool's verdict.
struct VersionCorpusTests {
    struct Row {
        var line: Int
        var columns: [String]
    }

    static func rows(_ name: String) -> [Row]? {
        guard let directory = Corpora.directory("versions") else { return nil }
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)) else { return nil }
        var rows: [Row] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated()
        where !line.hasPrefix("#") {
            rows.append(
                Row(
                    line: index + 1,
                    columns: line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        return rows
    }

    @Test func dpkgAgreesWithDpkgCompareVersions() throws {
        guard let rows = Self.rows("dpkg.tsv") else {
            print(Corpora.skipMessage("versions/dpkg.tsv"))
            return
        }
        #expect(rows.count > 2000)
        var mismatches: [String] = []
        for row in rows {
            let verdict = VersionScheme.dpkg.compare(row.columns[0], row.columns[1]).symbol
            if verdict != row.columns[2] {
                mismatches.append(
                    "line \(row.line): '\(row.columns[0])' vs '\(row.columns[1])': got \(verdict), dpkg says \(row.columns[2])"
                )
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(40).joined(separator: "\n"))")
    }

    @Test func rpmAgreesWithRpmverCmp() throws {
        guard let rows = Self.rows("rpm.tsv") else {
            print(Corpora.skipMessage("versions/rpm.tsv"))
            return
        }
        #expect(rows.count > 2000)
        var mismatches: [String] = []
        for row in rows {
            let verdict = VersionScheme.rpm.compare(row.columns[0], row.columns[1]).symbol
            if verdict != row.columns[2] {
                mismatches.append(
                    "line \(row.line): '\(row.columns[0])' vs '\(row.columns[1])': got \(verdict), rpm says \(row.columns[2])"
                )
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(40).joined(separator: "\n"))")
    }

    @Test func apkAgreesWithApkTools214() throws {
        guard let rows = Self.rows("apk.tsv") else {
            print(Corpora.skipMessage("versions/apk.tsv"))
            return
        }
        #expect(rows.count > 2000)
        var mismatches: [String] = []
        for row in rows {
            let (a, b) = (row.columns[0], row.columns[1])
            let verdict = VersionScheme.apk.compare(a, b).symbol
            if verdict != row.columns[2] {
                mismatches.append("line \(row.line): '\(a)' vs '\(b)': got \(verdict), apk 2.14 says \(row.columns[2])")
            }
            let validA = VersionScheme.apk.problem(a) == nil ? "1" : "0"
            let validB = VersionScheme.apk.problem(b) == nil ? "1" : "0"
            if validA != row.columns[4] || validB != row.columns[5] {
                mismatches.append(
                    "line \(row.line): validity of '\(a)', '\(b)': got \(validA)\(validB), apk 2.14 says \(row.columns[4])\(row.columns[5])"
                )
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(40).joined(separator: "\n"))")
    }
}
