import VigilCore

extension FIMChange: Encodable {
    private enum CodingKeys: String, CodingKey { case kind, path, from, attributes }
    private enum AttributeKeys: String, CodingKey { case attribute, old, new }

    /// `{"kind": "changed", "path": "/etc/x", "attributes": [{"attribute": "mode", "old": "0644", "new": "0600"}]}`;
    /// paths in `BytePath`'s escaped form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind.rawValue, forKey: .kind)
        try container.encode(path.description, forKey: .path)
        try container.encodeIfPresent(from?.description, forKey: .from)
        var list = container.nestedUnkeyedContainer(forKey: .attributes)
        for change in attributes {
            var item = list.nestedContainer(keyedBy: AttributeKeys.self)
            try item.encode(change.attribute.rawValue, forKey: .attribute)
            try item.encode(change.old, forKey: .old)
            try item.encode(change.new, forKey: .new)
        }
    }
}

extension ScanProblem: Encodable {
    private enum CodingKeys: String, CodingKey { case code, path, message }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(path.description, forKey: .path)
        try container.encode(message, forKey: .message)
    }
}

/// The stable JSON document `vigil fim check --json` prints.
public struct FIMCheckDocument: Encodable {
    public struct Summary: Encodable {
        var added: Int
        var removed: Int
        var changed: Int
        var moved: Int
        var problems: Int
        var entries: Int
        var hashed_files: Int
        var reused_hashes: Int
    }

    var mode: String
    var baseline_created: Int64
    var exit_code: Int32
    var summary: Summary
    var changes: [FIMChange]
    var problems: [ScanProblem]

    public init(_ outcome: FIMSession.Outcome) {
        let report = outcome.report
        mode = outcome.mode.rawValue
        baseline_created = outcome.baseline.created
        exit_code = report.exitCode
        summary = Summary(
            added: report.count(.added), removed: report.count(.removed), changed: report.count(.changed),
            moved: report.count(.moved), problems: outcome.scan.problems.count, entries: outcome.scan.records.count,
            hashed_files: outcome.scan.hashedFiles, reused_hashes: outcome.scan.reusedHashes)
        changes = report.changes
        problems = outcome.scan.problems
    }

    /// One line of sorted-key JSON.
    public func line() throws -> String { try JSON.line(self) }
}

extension FIMReport {
    /// The report for people: one block per change with `old → new`, and a summary line.
    public func text(problems: Int) -> String {
        var out = ""
        for change in changes {
            switch change.kind {
            case .moved:
                out += "moved:   \(change.from?.description ?? "?") → \(change.path)\n"
            default:
                out += "\(change.kind.rawValue):".padding(toLength: 9, withPad: " ", startingAt: 0) + "\(change.path)\n"
            }
            for attribute in change.attributes {
                out += "    \(attribute.attribute.rawValue): \(attribute.old) → \(attribute.new)\n"
            }
        }
        out +=
            "summary: \(count(.added)) added, \(count(.removed)) removed, \(count(.changed)) changed, \(count(.moved)) moved"
        if problems > 0 { out += "; \(problems) entries could not be checked (listed on stderr)" }
        return out
    }
}
