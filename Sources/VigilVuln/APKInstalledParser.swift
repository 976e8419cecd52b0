/// Reads apk's database of installed packages (`/lib/apk/db/installed`): stanzas of `X:value` lines
/// separated by blank lines — `P` name, `V` version, `A` architecture, `o` origin (the source package
/// the secdb names). A stanza without a name or with a version apk rejects is reported and skipped.
public enum APKInstalledParser {
    public static func parse(_ bytes: some Sequence<UInt8>, file: String) -> Inventory {
        var inventory = Inventory()
        var fields: [UInt8: String] = [:]
        var start = 1
        var lineNumber = 0
        var bad: String?
        func finish() {
            defer {
                fields = [:]
                bad = nil
            }
            guard !fields.isEmpty || bad != nil else { return }
            let record = fields[UInt8(ascii: "P")].map { "package '\($0)'" } ?? "the record starting at line \(start)"
            if let bad {
                inventory.problems.append(
                    .record("apk.corrupt-record", "\(record): \(bad); skipped.", file: file, line: start))
                return
            }
            guard let name = fields[UInt8(ascii: "P")], !name.isEmpty, let version = fields[UInt8(ascii: "V")] else {
                inventory.problems.append(
                    .record("apk.missing-field", "\(record) has no P: or V: line; skipped.", file: file, line: start))
                return
            }
            if let problem = APKVersion.problem(version) {
                inventory.problems.append(
                    .record(
                        "apk.invalid-version", "\(record): version '\(version)' is invalid (\(problem)); skipped.",
                        file: file, line: start))
                return
            }
            inventory.packages.append(
                InstalledPackage(
                    name: name, version: version, architecture: fields[UInt8(ascii: "A")] ?? "",
                    sourceName: fields[UInt8(ascii: "o")], sourceVersion: version, scheme: .apk))
        }
        var line: [UInt8] = []
        func take() {
            lineNumber += 1
            if line.isEmpty {
                finish()
                start = lineNumber + 1
                return
            }
            if line.count >= 2 && line[1] == UInt8(ascii: ":") {
                let key = line[0]
                if key == UInt8(ascii: "P") || key == UInt8(ascii: "V") || key == UInt8(ascii: "A")
                    || key == UInt8(ascii: "o")
                {
                    fields[key] = String(decoding: line[2...], as: UTF8.self)
                }
            } else if bad == nil {
                bad = "line \(lineNumber) is not 'X:value'"
            }
        }
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                take()
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(byte)
            }
        }
        if !line.isEmpty { take() }
        finish()
        return inventory
    }
}
