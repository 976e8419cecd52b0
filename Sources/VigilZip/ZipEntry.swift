/// One file of a zip archive, as its central directory describes it.
///
/// The name is a label, never a path: nothing in Vigil creates, opens or resolves a file by it, so names
/// such as `../../etc/passwd` or `/abs` are read like any other. `displayName` escapes control characters
/// so that a hostile name cannot drive a terminal when it is printed in an error.
public struct ZipEntry: Sendable, Hashable {
    /// Position in the central directory.
    public internal(set) var index: Int
    /// The name decoded as UTF-8 (invalid bytes replaced with U+FFFD).
    public internal(set) var name: String
    public internal(set) var flags: UInt16
    /// 0 stored, 8 DEFLATE; anything else is refused when read.
    public internal(set) var method: UInt16
    public internal(set) var crc32: UInt32
    public internal(set) var compressedSize: Int
    public internal(set) var uncompressedSize: Int
    public internal(set) var localHeaderOffset: Int
    /// Where the entry's compressed bytes start in the archive (after its local header).
    public internal(set) var dataOffset: Int
    /// Another entry has the same name.
    public internal(set) var isDuplicate: Bool

    /// Traditional PKWARE encryption (flag bit 0), strong encryption (bit 6) or WinZip AES (method 99).
    public var isEncrypted: Bool { flags & 0x41 != 0 || method == 99 }
    public var isDirectory: Bool { name.hasSuffix("/") }

    /// The name with control characters (C0, DEL, C1) written as `\u{XX}`.
    public var displayName: String {
        // C1 controls are U+0080…U+009F, 0xC2 0x80…0x9F in UTF-8: names without 0xC2 need no look.
        if name.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F && $0 != 0xC2 }) { return name }
        var text = ""
        for scalar in name.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                text += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}
