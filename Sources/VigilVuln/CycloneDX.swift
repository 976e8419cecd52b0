import Foundation

/// The inventory as a CycloneDX 1.5 JSON SBOM, with a package URL per component.
public enum CycloneDX {
    /// The SBOM document. `timestamp` (ISO 8601) and `serial` (a UUID) come from the caller, so the
    /// output is reproducible in tests.
    public static func document(
        _ inventory: Inventory, timestamp: String, serial: String, toolVersion: String
    ) throws
        -> Data
    {
        var metadata: [String: Any] = [
            "timestamp": timestamp,
            "tools": ["components": [["type": "application", "name": "vigil", "version": toolVersion]]],
        ]
        if let os = inventory.os {
            metadata["component"] = [
                "type": "operating-system", "name": os.id, "version": os.versionID,
                "description": os.prettyName, "bom-ref": "os:\(os.id)-\(os.versionID)",
            ]
        }
        let components: [[String: Any]] = inventory.packages.map { package in
            var properties: [[String: String]] = [
                ["name": "vigil:package:source_name", "value": package.sourceName],
                ["name": "vigil:package:source_version", "value": package.sourceVersion],
            ]
            if !package.architecture.isEmpty {
                properties.append(["name": "vigil:package:architecture", "value": package.architecture])
            }
            let url = purl(package, os: inventory.os)
            return [
                "type": "library", "name": package.name, "version": package.version, "purl": url, "bom-ref": url,
                "properties": properties,
            ]
        }
        let document: [String: Any] = [
            "bomFormat": "CycloneDX", "specVersion": "1.5", "serialNumber": "urn:uuid:\(serial)", "version": 1,
            "metadata": metadata, "components": components,
        ]
        return try JSONSerialization.data(
            withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }

    /// `pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&epoch=1`.
    public static func purl(_ package: InstalledPackage, os: OSRelease?) -> String {
        let type: String
        switch package.scheme {
        case .dpkg: type = "deb"
        case .rpm: type = "rpm"
        case .apk: type = "apk"
        }
        let namespace = os?.id ?? (package.scheme == .apk ? "alpine" : "linux")
        var version = package.version
        var qualifiers: [String] = []
        if !package.architecture.isEmpty { qualifiers.append("arch=\(encode(package.architecture))") }
        if let os, !os.versionID.isEmpty { qualifiers.append("distro=\(encode("\(os.id)-\(os.versionID)"))") }
        if package.scheme != .apk, let colon = version.firstIndex(of: ":"), version[..<colon].allSatisfy(\.isNumber) {
            qualifiers.append("epoch=\(version[..<colon])")
            version = String(version[version.index(after: colon)...])
        }
        let query = qualifiers.isEmpty ? "" : "?" + qualifiers.sorted().joined(separator: "&")
        return "pkg:\(type)/\(encode(namespace))/\(encode(package.name))@\(encode(version))\(query)"
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: ".-_~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
