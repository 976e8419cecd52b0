/// A Linux path as the kernel sees it: a sequence of bytes, not a string.
///
/// Names with newlines, invalid UTF-8 or thousands of characters round-trip exactly. `description`
/// escapes what is not printable UTF-8 (`\n`, `\xff`, `\\`) and `init(escaped:)` reads that form back,
/// so the escaped text is what goes into JSON and human output.
public struct BytePath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The raw bytes, without a terminating NUL.
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(!bytes.contains(0), "a path cannot contain a NUL byte")
        self.bytes = bytes
    }

    /// The UTF-8 bytes of `string`.
    public init(_ string: String) { self.init(bytes: Array(string.utf8)) }

    /// Whether the path starts with `/`.
    public var isAbsolute: Bool { bytes.first == UInt8(ascii: "/") }

    /// This path with `name` appended after a `/`.
    public func appending(_ name: [UInt8]) -> BytePath {
        var result = bytes
        if result.last != UInt8(ascii: "/") { result.append(UInt8(ascii: "/")) }
        result += name
        return BytePath(bytes: result)
    }

    /// The last component (everything after the last `/`).
    public var lastComponent: [UInt8] {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return bytes }
        return Array(bytes[(slash + 1)...])
    }

    /// The path without its last component; `/` for a top-level entry.
    public var parent: BytePath {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return BytePath(bytes: []) }
        return BytePath(bytes: slash == 0 ? [UInt8(ascii: "/")] : Array(bytes[..<slash]))
    }

    /// Whether `other` is this path or lies below it, component-wise (`/etc` contains `/etc/x`, not `/etcx`).
    public func contains(_ other: BytePath) -> Bool {
        guard other.bytes.count >= bytes.count, other.bytes.starts(with: bytes) else { return false }
        if other.bytes.count == bytes.count || bytes.last == UInt8(ascii: "/") { return true }
        return other.bytes[bytes.count] == UInt8(ascii: "/")
    }

    /// Byte-wise order, so sorting is stable whatever the locale.
    public static func < (a: BytePath, b: BytePath) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    /// The escaped form: printable UTF-8 as is; `\\`, `\n`, `\t`, `\r` and `\xNN` for everything else.
    public var description: String { Self.escape(bytes) }

    /// Reads the escaped form back; nil if an escape is malformed or the result holds a NUL.
    public init?(escaped text: String) {
        var out: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < utf8.count else { return nil }
            switch utf8[index + 1] {
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "x"):
                guard index + 3 < utf8.count,
                    let value = UInt8(String(decoding: utf8[(index + 2)...(index + 3)], as: UTF8.self), radix: 16)
                else { return nil }
                out.append(value)
                index += 2
            default: return nil
            }
            index += 2
        }
        guard !out.contains(0) else { return nil }
        self.init(bytes: out)
    }

    /// Escapes arbitrary bytes as described for `description`.
    public static func escape(_ bytes: [UInt8]) -> String {
        var out = ""
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x0D: out += "\\r"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let length = validUTF8Length(bytes, at: index)
                if length > 1, let text = String(validating: bytes[index..<(index + length)], as: UTF8.self),
                    text.unicodeScalars.allSatisfy({ $0.properties.generalCategory != .control })
                {
                    out += text
                    index += length
                    continue
                }
                out += "\\x" + String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
            }
            index += 1
        }
        return out
    }

    /// The length of a well-formed multi-byte UTF-8 sequence at `index`, or 1.
    private static func validUTF8Length(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 1
        }
        guard index + length <= bytes.count else { return 1 }
        for offset in 1..<length where bytes[index + offset] & 0xC0 != 0x80 { return 1 }
        return String(validating: bytes[index..<(index + length)], as: UTF8.self) == nil ? 1 : length
    }
}
