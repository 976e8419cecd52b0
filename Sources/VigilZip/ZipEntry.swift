/// One file of a zip archive, as its central directory describes it.
///
/// The name is a label, never a path: nothing in Vigil creates, opens or resolves a file by it, so names
/// such as `../../etc/passwd` or `/abs` are read like any other. `displayName` escapes control characters
/// so that a hostile name cannot drive a terminal when it is printed in an error.
public struct ZipEntry: Sendable, Hashable {
    /// Position in the central directory.
    public var index: Int
    /// The name decoded as UTF-8 (invalid bytes replaced with U+FFFD).
    public var name: String
    public var flags: UInt16
    /// 0 stored, 8 DEFLATE; anything else is refused when read.
    public var method: UInt16
    public var crc32: UInt32
    public var compressedSize: Int
    public var uncompressedSize: Int
    public var localHeaderOffset: Int
    /// Where the entry's compressed bytes start in the archive (after its local header).
    public var dataOffset: Int
    /// Another entry has the same name.
    public var isDuplicate: Bool

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
