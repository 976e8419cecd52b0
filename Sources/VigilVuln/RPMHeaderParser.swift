import VigilCore

/// Reads one rpm package header blob, as rpm stores it in `rpmdb.sqlite` (`Packages.blob`) and in
/// `Packages` of the older databases: a big-endian index count and data length, the index entries
/// (tag, type, offset, count; 16 bytes each), then the data store.
///
/// Every offset and length is checked against the blob, so a truncated or corrupted header gives an
/// error naming the byte offset instead of reading past the end.
public enum RPMHeaderParser {
    enum Tag: Int32 {
        case name = 1000
        case version = 1001
        case release = 1002
        case epoch = 1003
        case arch = 1022
        case sourceRPM = 1044
    }

    /// The most index entries and data bytes one header may declare (rpm's own limits).
    static let maxEntries = 0xffff
    static let maxData = 256 * 1024 * 1024

    /// The package the header describes; `record` names it in errors (e.g. the rpmdb row id).
    public static func parse(_ blob: [UInt8], record: String) throws(VulnError) -> InstalledPackage {
        func fail(_ text: String, _ offset: Int) -> VulnError {
            VulnError(
                code: "rpm.bad-header",
                message: "\(record): \(text); the header is damaged — run 'rpm --rebuilddb' on the host.",
                location: ErrorLocation(field: record, offset: offset))
        }
        func int32(_ at: Int) -> Int32 {
            Int32(
                bitPattern: UInt32(blob[at]) << 24 | UInt32(blob[at + 1]) << 16 | UInt32(blob[at + 2]) << 8
                    | UInt32(blob[at + 3]))
        }
        guard blob.count >= 8 else {
            throw fail("header is \(blob.count) bytes, shorter than its 8-byte preamble", blob.count)
        }
        let entries = Int(int32(0))
        let dataLength = Int(int32(4))
        guard entries > 0, entries <= maxEntries else { throw fail("index count \(entries) is out of range", 0) }
        guard dataLength >= 0, dataLength <= maxData else { throw fail("data length \(dataLength) is out of range", 4) }
        let dataStart = 8 + entries * 16
        guard blob.count >= dataStart + dataLength else {
            throw fail("header is truncated: needs \(dataStart + dataLength) bytes, has \(blob.count)", blob.count)
        }
        var strings: [Tag: String] = [:]
        var epoch: Int32?
        for entry in 0..<entries {
            let at = 8 + entry * 16
            guard let tag = Tag(rawValue: int32(at)) else { continue }
            let type = int32(at + 4)
            let offset = Int(int32(at + 8))
            let count = Int(int32(at + 12))
            guard offset >= 0, offset < dataLength, count >= 1 else {
                throw fail("tag \(tag.rawValue) points outside the data store (offset \(offset))", at + 8)
            }
            let start = dataStart + offset
            switch tag {
            case .epoch:
                guard type == 4, offset % 4 == 0, offset + 4 <= dataLength else {
                    throw fail("EPOCH is not a 4-byte integer inside the data store", at)
                }
                epoch = int32(start)
            default:
                // STRING (6), or the first entry of a STRING_ARRAY (8) / I18NSTRING (9).
                guard type == 6 || type == 8 || type == 9 else {
                    throw fail("tag \(tag.rawValue) has type \(type), not a string", at + 4)
                }
                let end = dataStart + dataLength
                guard let nul = blob[start..<end].firstIndex(of: 0) else {
                    throw fail("string of tag \(tag.rawValue) runs past the data store", start)
                }
                strings[tag] = String(decoding: blob[start..<nul], as: UTF8.self)
            }
        }
        guard let name = strings[.name], !name.isEmpty, let version = strings[.version], let release = strings[.release]
        else {
            throw fail("NAME, VERSION or RELEASE is missing", 0)
        }
        let evr = (epoch.map { "\($0):" } ?? "") + "\(version)-\(release)"
        var sourceName: String?
        var sourceVersion: String?
        if let source = strings[.sourceRPM], let parsed = splitSourceRPM(source) {
            sourceName = parsed.name
            sourceVersion = (epoch.map { "\($0):" } ?? "") + parsed.versionRelease
        }
        return InstalledPackage(
            name: name, version: evr, architecture: strings[.arch] ?? "", sourceName: sourceName,
            sourceVersion: sourceVersion, scheme: .rpm)
    }

    /// `util-linux-2.37.4-10.el9.src.rpm` → (`util-linux`, `2.37.4-10.el9`).
    static func splitSourceRPM(_ file: String) -> (name: String, versionRelease: String)? {
        var base = Substring(file)
        for suffix in [".src.rpm", ".nosrc.rpm"] where base.hasSuffix(suffix) { base = base.dropLast(suffix.count) }
        guard let releaseDash = base.lastIndex(of: "-") else { return nil }
        let head = base[..<releaseDash]
        guard let versionDash = head.lastIndex(of: "-") else { return nil }
        return (String(head[..<versionDash]), String(base[base.index(after: versionDash)...]))
    }

    /// Builds a header blob from string and epoch tags (for tests and fixtures).
    public static func build(
        name: String, version: String, release: String, epoch: Int32? = nil, arch: String, sourceRPM: String?
    ) -> [UInt8] {
        var entries: [(Int32, Int32, Int32, Int32)] = []
        var data: [UInt8] = []
        func be(_ value: Int32) -> [UInt8] {
            let bits = UInt32(bitPattern: value)
            return [UInt8(bits >> 24), UInt8((bits >> 16) & 0xff), UInt8((bits >> 8) & 0xff), UInt8(bits & 0xff)]
        }
        if let epoch {
            entries.append((Tag.epoch.rawValue, 4, Int32(data.count), 1))
            data += be(epoch)
        }
        let strings: [(Tag, String?)] = [
            (.name, name), (.version, version), (.release, release), (.arch, arch), (.sourceRPM, sourceRPM),
        ]
        for (tag, value) in strings {
            guard let value else { continue }
            entries.append((tag.rawValue, 6, Int32(data.count), 1))
            data += Array(value.utf8) + [0]
        }
        var blob = be(Int32(entries.count)) + be(Int32(data.count))
        for entry in entries { blob += be(entry.0) + be(entry.1) + be(entry.2) + be(entry.3) }
        return blob + data
    }
}
