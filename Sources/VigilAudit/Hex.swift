/// Hex decoding for audit field values.
enum Hex {
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    /// Decodes an even-length string of hex digits; nil when it is not one.
    static func decode(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard raw.count % 2 == 0, !raw.isEmpty else { return nil }
        var out = [UInt8](repeating: 0, count: raw.count / 2)
        var i = 0
        while i < raw.count {
            guard let high = nibble(raw[i]), let low = nibble(raw[i + 1]) else { return nil }
            out[i / 2] = high << 4 | low
            i += 2
        }
        return out
    }

    /// Decodes a hex string; nil when it is not one.
    static func decode(_ text: String) -> [UInt8]? {
        var copy = text
        return copy.withUTF8 { decode($0) }
    }

    /// True when every byte is a hex digit (whatever the length).
    static func looksLikeHex(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        raw.count >= 2 && raw.allSatisfy { nibble($0) != nil }
    }

    /// Decoded bytes as text; NUL separators (proctitle's argv) become spaces when asked.
    static func text(_ bytes: [UInt8], nulAsSpace: Bool) -> String {
        guard nulAsSpace else { return String(decoding: bytes, as: UTF8.self) }
        var copy = bytes
        while copy.last == 0 { copy.removeLast() }
        for i in copy.indices where copy[i] == 0 { copy[i] = UInt8(ascii: " ") }
        return String(decoding: copy, as: UTF8.self)
    }
}
