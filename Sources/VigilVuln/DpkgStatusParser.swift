/// Reads dpkg's database (`/var/lib/dpkg/status`) into installed packages, streaming.
///
/// Feed it bytes in chunks of any size, then call `finish()`. Each stanza becomes one package if
/// dpkg records it as installed (`installed`, or installed with pending triggers); the source package
/// and its version come from `Source:` (`util-linux` or `gcc-defaults (1.203)`). A stanza that cannot
/// be read is skipped and reported with the file, line and package; the others still load.
public struct DpkgStatusParser: Sendable {
    /// Status words (the third of `Status:`) under which a package's files are installed and configured.
    public static let installedStates: Set<String> = ["installed", "triggers-awaited", "triggers-pending"]

    public let file: String
    private var partial: [UInt8] = []
    private var lineNumber = 0
    private var stanza = Stanza()
    private var packages: [InstalledPackage] = []
    private var problems: [VulnError] = []

    private struct Stanza {
        var startLine = 0
        var fields: [String: String] = [:]
        var lastField: String?
        var corrupt: String?
        var isEmpty: Bool { fields.isEmpty && corrupt == nil }
    }

    static let wanted: Set<String> = ["Package", "Status", "Version", "Architecture", "Source"]

    public init(file: String) {
        self.file = file
    }

    /// Reads a whole status file.
    public static func parse(_ bytes: some Sequence<UInt8>, file: String) -> Inventory {
        var parser = DpkgStatusParser(file: file)
        parser.feed(bytes)
        return parser.finish()
    }

    /// Feeds the next chunk of the file.
    public mutating func feed(_ chunk: some Sequence<UInt8>) {
        let bytes = Array(chunk)
        feed(bytes[...])
    }

    /// Feeds the next chunk of the file (the fast path: whole lines are read in place).
    public mutating func feed(_ chunk: ArraySlice<UInt8>) {
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
            lineNumber += 1
            if partial.isEmpty {
                line(chunk[start..<newline])
            } else {
                partial += chunk[start..<newline]
                line(partial[...])
                partial.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        partial += chunk[start...]
    }

    /// Ends the input (a last line without a newline is still read) and returns what was found.
    public mutating func finish() -> Inventory {
        if !partial.isEmpty {
            lineNumber += 1
            line(partial[...])
            partial.removeAll()
        }
        endStanza()
        return Inventory(packages: packages, problems: problems)
    }

    private mutating func line(_ bytes: ArraySlice<UInt8>) {
        var content = bytes
        if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
        if content.allSatisfy(isSpace) {
            endStanza()
            return
        }
        if stanza.isEmpty { stanza.startLine = lineNumber }
        if let first = content.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            if stanza.lastField == nil && stanza.corrupt == nil {
                stanza.corrupt = "line \(lineNumber) continues a field but no field came before it"
            }
            return
        }
        guard let colon = content.firstIndex(of: UInt8(ascii: ":")), colon != content.startIndex,
            !content[..<colon].contains(where: { isSpace($0) || $0 < 0x20 || $0 > 0x7e })
        else {
            if stanza.corrupt == nil {
                stanza.corrupt = "line \(lineNumber) is neither 'Field: value' nor a continuation line"
            }
            stanza.lastField = nil
            return
        }
        let name = String(decoding: content[..<colon], as: UTF8.self)
        stanza.lastField = name
        guard DpkgStatusParser.wanted.contains(name) else { return }
        var value = content[(colon + 1)...]
        while let first = value.first, isSpace(first) { value = value.dropFirst() }
        while let last = value.last, isSpace(last) { value = value.dropLast() }
        stanza.fields[name] = String(decoding: value, as: UTF8.self)
    }

    private mutating func endStanza() {
        defer { stanza = Stanza() }
        guard !stanza.isEmpty else { return }
        let line = stanza.startLine
        let name = stanza.fields["Package"]
        let record = name.map { "package '\($0)'" } ?? "the record starting at line \(line)"
        func report(_ code: String, _ text: String) {
            problems.append(.record(code, "\(record): \(text)", file: file, line: line))
        }
        if let corrupt = stanza.corrupt {
            report(
                "dpkg.corrupt-record",
                "\(corrupt); the record was skipped. Restore the file from /var/lib/dpkg/status-old or the backups in /var/backups."
            )
            return
        }
        guard let name, !name.isEmpty else {
            report(
                "dpkg.missing-field",
                "has no Package field; the record was skipped. Check the file is a dpkg status file.")
            return
        }
        guard let status = stanza.fields["Status"] else {
            report("dpkg.missing-field", "has no Status field; the record was skipped.")
            return
        }
        let words = status.split(separator: " ")
        guard words.count == 3 else {
            report("dpkg.bad-status", "Status '\(status)' is not 'want flag state'; the record was skipped.")
            return
        }
        guard DpkgStatusParser.installedStates.contains(String(words[2])) else { return }
        guard let version = stanza.fields["Version"] else {
            report("dpkg.missing-field", "is installed but has no Version field; the record was skipped.")
            return
        }
        if let problem = DpkgVersion.problem(version) {
            report("dpkg.invalid-version", "version '\(version)' is invalid (\(problem)); the record was skipped.")
            return
        }
        var sourceName: String?
        var sourceVersion: String?
        if let source = stanza.fields["Source"] {
            guard let parsed = DpkgStatusParser.parseSource(source) else {
                report(
                    "dpkg.bad-source", "Source '\(source)' is not 'name' or 'name (version)'; the record was skipped.")
                return
            }
            sourceName = parsed.name
            sourceVersion = parsed.version
            if let sourceVersion, let problem = DpkgVersion.problem(sourceVersion) {
                report(
                    "dpkg.invalid-version",
                    "source version '\(sourceVersion)' is invalid (\(problem)); the record was skipped.")
                return
            }
        }
        packages.append(
            InstalledPackage(
                name: name, version: version, architecture: stanza.fields["Architecture"] ?? "",
                sourceName: sourceName, sourceVersion: sourceVersion, scheme: .dpkg))
    }

    /// Splits `Source:` — `name` or `name (version)`.
    static func parseSource(_ text: String) -> (name: String, version: String?)? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        let nameOK: (Substring) -> Bool = { name in
            !name.isEmpty
                && name.utf8.allSatisfy {
                    isDigit($0) || isAlpha($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "+")
                        || $0 == UInt8(ascii: "-")
                }
        }
        switch parts.count {
        case 1 where nameOK(parts[0]):
            return (String(parts[0]), nil)
        case 2 where nameOK(parts[0]) && parts[1].hasPrefix("(") && parts[1].hasSuffix(")") && parts[1].count > 2:
            return (String(parts[0]), String(parts[1].dropFirst().dropLast()))
        default:
            return nil
        }
    }
}
