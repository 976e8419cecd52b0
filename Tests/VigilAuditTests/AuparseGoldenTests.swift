import Foundation
import Testing
import VigilAudit
import VigilTestSupport

/// The auparse test logs of go-libaudit: every record agrees with the golden file on every fact
/// (type, serial, time, keys, and each interpreted field).
@Suite struct AuparseGoldenTests {
    static let files = [
        "audit-rhel6.log", "audit-rhel7.log", "audit-ubuntu14.log", "audit-ubuntu16.log", "audit-ubuntu17.log",
        "test2.log", "test3.log",
    ]

    @Test(arguments: files)
    func agreesWithGolden(_ name: String) throws {
        guard let dir = GoldenSupport.directory("auparse/testdata") else {
            print(Corpora.skipMessage("\(GoldenSupport.corpus)/auparse/testdata"))
            return
        }
        let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        let golden = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name + ".golden")))
                as? [Any])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == golden.count, "\(name): one golden entry per line")
        let parser = AuditRecordParser()
        for (index, (line, expected)) in zip(lines, golden).enumerated() {
            var diagnostics: [AuditError] = []
            let record = parser.parse(line: String(line), lineNumber: index + 1, diagnostics: &diagnostics)
            guard let expected = expected as? [String: Any] else {
                #expect(record == nil, "\(name):\(index + 1): golden says unparsable")
                #expect(!diagnostics.isEmpty, "\(name):\(index + 1): an unparsable line is reported")
                continue
            }
            guard let record else {
                Issue.record("\(name):\(index + 1): not parsed: \(diagnostics)")
                continue
            }
            #expect(diagnostics.isEmpty, "\(name):\(index + 1): \(diagnostics)")
            #expect(record.typeName.lowercased() == expected["record_type"] as? String, "\(name):\(index + 1)")
            #expect(Int(record.serial) == expected["sequence"] as? Int, "\(name):\(index + 1)")
            let time = (expected["@timestamp"] as? String).flatMap(GoldenSupport.milliseconds(iso:))
            #expect(record.time == time, "\(name):\(index + 1)")
            #expect(record.keys == (expected["keys"] as? [String] ?? []), "\(name):\(index + 1) keys")
            let ours = record.interpretedFields()
            let theirs = (expected["data"] as? [String: String]) ?? [:]
            for (key, value) in theirs {
                #expect(
                    ours[key] == value, "\(name):\(index + 1) field \(key): ours \(ours[key] ?? "nil"), golden \(value)"
                )
            }
            for (key, value) in ours where theirs[key] == nil {
                Issue.record("\(name):\(index + 1) extra field \(key)=\(value)")
            }
        }
    }
}
