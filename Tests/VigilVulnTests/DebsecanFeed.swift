import Foundation

/// Test helper: writes Debian tracker JSON as the feed `debsecan` downloads
/// (`VERSION 1`, vulnerability names, per-package lines, source-to-binary lines; zlib-compressed),
/// so the real debsecan can be run offline with `--source file://DIR/ --suite RELEASE`.
///
/// It reads the JSON on its own (not through `DebianTrackerLoader`), so the comparison with Vigil's
/// scan is a real second opinion.
enum DebsecanFeed {
    /// The feed text for one release.
    static func text(trackerJSON data: Data, release: String) throws -> String {
        guard let packages = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.propertyListReadCorrupt)
        }
        var names: [String] = []
        var index: [String: Int] = [:]
        var lines: [String] = []
        for package in packages.keys.sorted() {
            guard let entries = packages[package] as? [String: Any] else { continue }
            for id in entries.keys.sorted() {
                guard let entry = entries[id] as? [String: Any],
                    let info = (entry["releases"] as? [String: Any])?[release] as? [String: Any]
                else { continue }
                let status = info["status"] as? String
                let fixed = info["fixed_version"] as? String ?? ""
                if status == "resolved" && (fixed == "0" || fixed.isEmpty) { continue }
                let number: Int
                if let known = index[id] {
                    number = known
                } else {
                    number = names.count
                    index[id] = number
                    let description = (entry["description"] as? String ?? "")
                        .replacingOccurrences(of: "\n", with: " ")
                    names.append("\(id),,\(description)")
                }
                let urgency =
                    ["low": "L", "medium": "M", "high": "H"][
                        (info["urgency"] as? String ?? "")
                            .replacingOccurrences(of: "*", with: "")] ?? " "
                let fixAvailable = status == "resolved" ? "F" : " "
                let unstable = status == "resolved" ? fixed : ""
                lines.append("\(package),\(number),S\(urgency)?\(fixAvailable),\(unstable),")
            }
        }
        return "VERSION 1\n" + names.map { $0 + "\n" }.joined() + "\n" + lines.map { $0 + "\n" }.joined() + "\n\n"
    }

    /// `bytes` as a zlib stream made of stored (uncompressed) deflate blocks, which `zlib.decompress` reads.
    static func zlibStored(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65_535, bytes.count - offset)
            let final: UInt8 = offset + count == bytes.count ? 1 : 0
            out.append(final)
            out += [UInt8(count & 0xff), UInt8(count >> 8), UInt8(~count & 0xff), UInt8((~count >> 8) & 0xff)]
            out += bytes[offset..<(offset + count)]
            offset += count
        } while offset < bytes.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        let adler = (b << 16) | a
        out += [UInt8(adler >> 24), UInt8((adler >> 16) & 0xff), UInt8((adler >> 8) & 0xff), UInt8(adler & 0xff)]
        return out
    }

    /// Writes the feed for `release` into `directory` (as debsecan's `--source` expects: `DIR/RELEASE`).
    static func write(trackerJSON data: Data, release: String, to directory: URL) throws {
        let text = try self.text(trackerJSON: data, release: release)
        let compressed = zlibStored(Array(text.utf8))
        try Data(compressed).write(to: directory.appendingPathComponent(release))
    }

    /// Runs debsecan offline and returns its `(binary package, CVE)` pairs, or nil when it is not installed.
    static func run(feedDirectory: URL, release: String, status: URL) throws -> (pairs: Set<String>, stderr: String)? {
        let executable = "/usr/bin/debsecan"
        guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--suite", release, "--source", feedDirectory.absoluteString, "--status", status.path, "--format", "simple",
            "--config", "/dev/null", "--whitelist", feedDirectory.appendingPathComponent("whitelist").path,
            "--history", feedDirectory.appendingPathComponent("history").path,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var pairs: Set<String> = []
        for line in String(decoding: stdout, as: UTF8.self).split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2 { pairs.insert("\(words[1]) \(words[0])") }
        }
        return (
            pairs,
            String(decoding: stderr, as: UTF8.self)
                + (process.terminationStatus == 0 ? "" : " (exit \(process.terminationStatus))")
        )
    }
}
