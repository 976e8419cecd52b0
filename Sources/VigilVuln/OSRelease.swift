import Foundation

/// The operating system and release from `/etc/os-release`.
public struct OSRelease: Sendable, Hashable, Codable {
    /// `debian`, `ubuntu`, `alpine`, `rocky`, `rhel`, `fedora`, …
    public var id: String
    /// `12`, `3.19.1`, `9.3`.
    public var versionID: String
    /// `bookworm`, `jammy`; empty where the distribution has none.
    public var codename: String
    public var prettyName: String
    /// `ID_LIKE`, e.g. `rhel centos fedora`.
    public var like: [String]

    public init(id: String, versionID: String = "", codename: String = "", prettyName: String = "", like: [String] = [])
    {
        self.id = id
        self.versionID = versionID
        self.codename = codename
        self.prettyName = prettyName
        self.like = like
    }

    /// Parses the `KEY=value` lines of os-release (values optionally quoted, `#` comments).
    public static func parse(_ text: String) -> OSRelease {
        var fields: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
                value = value.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
            fields[String(line[..<equals])] = value
        }
        return OSRelease(
            id: fields["ID"] ?? "linux", versionID: fields["VERSION_ID"] ?? "",
            codename: fields["VERSION_CODENAME"] ?? "", prettyName: fields["PRETTY_NAME"] ?? "",
            like: (fields["ID_LIKE"] ?? "").split(separator: " ").map(String.init))
    }

    /// The package scheme this distribution uses, when known.
    public var scheme: VersionScheme? {
        let ids = [id] + like
        if ids.contains(where: { ["debian", "ubuntu"].contains($0) }) { return .dpkg }
        if ids.contains("alpine") { return .apk }
        if ids.contains(where: { ["rhel", "fedora", "centos", "suse", "opensuse", "amzn"].contains($0) }) {
            return .rpm
        }
        return nil
    }
}
