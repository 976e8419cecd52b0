/// A JSON document read by `JSONValue.parse`: objects keep their members in order.
///
/// Advisory feeds are large (the Debian tracker's JSON is tens of megabytes) and Foundation's
/// `JSONSerialization` on Linux builds bridged dictionaries slowly, so the loaders read JSON with this
/// small parser over the raw bytes instead.
public enum JSONValue: Sendable, Hashable {
    case object([Member])
    case array([JSONValue])
    case string(String)
    /// A number, kept as written.
    case number(String)
    case bool(Bool)
    case null

    /// One `"key": value` of an object.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
    }

    /// The members of an object; nil for other kinds.
    public var members: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The items of an array; nil for other kinds.
    public var items: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The text of a string; nil for other kinds.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The first member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Why a text is not JSON, and at which byte.
    public struct ParseError: Error, Sendable, Hashable {
        public var message: String
        public var offset: Int
    }

    /// Parses one JSON document (RFC 8259).
    /// - Throws: `ParseError` with the byte offset of the first problem.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> JSONValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { buffer throws(ParseError) -> JSONValue in
            var reader = Reader(bytes: buffer)
            reader.skipSpace()
            let value = try reader.value(depth: 0)
            reader.skipSpace()
            if reader.position != buffer.count { throw reader.fail("unexpected text after the JSON value") }
            return value
        }
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        /// Members and items of the containers being read, kept on shared stacks so each container is
        /// allocated once at its final size instead of growing.
        var memberStack: [Member] = []
        var itemStack: [JSONValue] = []
        static let maxDepth = 512
        static let replacement: Unicode.Scalar = "\u{FFFD}"

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func fail(_ message: String) -> ParseError { ParseError(message: message, offset: position) }

        mutating func skipSpace() {
            while position < bytes.count {
                let byte = bytes[position]
                guard byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09 else { return }
                position += 1
            }
        }

        mutating func value(depth: Int) throws(ParseError) -> JSONValue {
            guard depth < Reader.maxDepth else { throw fail("nested deeper than \(Reader.maxDepth) levels") }
            guard position < bytes.count else { throw fail("the text ends where a value should be") }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                skipSpace()
                if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object([])
                }
                let base = memberStack.count
                defer { memberStack.removeSubrange(base...) }
                while true {
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                        throw fail("expected a quoted member name")
                    }
                    let key = try string()
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                        throw fail("expected ':' after a member name")
                    }
                    position += 1
                    skipSpace()
                    let member = try value(depth: depth + 1)
                    memberStack.append(Member(key: key, value: member))
                    skipSpace()
                    guard position < bytes.count else { throw fail("the text ends inside an object") }
                    if bytes[position] == UInt8(ascii: ",") {
                        position += 1
                        continue
                    }
                    guard bytes[position] == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in an object") }
                    position += 1
                    return .object(Array(memberStack[base...]))
                }
            case UInt8(ascii: "["):
                position += 1
                skipSpace()
                if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array([])
                }
                let base = itemStack.count
                defer { itemStack.removeSubrange(base...) }
                while true {
                    skipSpace()
                    let item = try value(depth: depth + 1)
                    itemStack.append(item)
                    skipSpace()
                    guard position < bytes.count else { throw fail("the text ends inside an array") }
                    if bytes[position] == UInt8(ascii: ",") {
                        position += 1
                        continue
                    }
                    guard bytes[position] == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in an array") }
                    position += 1
                    return .array(Array(itemStack[base...]))
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = position
                position += 1
                while position < bytes.count {
                    let byte = bytes[position]
                    guard
                        isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                            || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                    else { break }
                    position += 1
                }
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                guard text != "-", Double(text) != nil else { throw fail("'\(text)' is not a number") }
                return .number(text)
            default:
                throw fail("unexpected character where a value should be")
            }
        }

        mutating func literal(_ word: StaticString) throws(ParseError) {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count else { throw fail("the text ends inside '\(word)'") }
            for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] {
                throw fail("expected '\(word)'")
            }
            position += count
        }

        /// A string starting at the opening quote; the fast path copies runs without escapes at once.
        mutating func string() throws(ParseError) -> String {
            position += 1
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                    position += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw fail("control character inside a string") }
                position += 1
            }
            var scalars = Array(bytes[start..<position])
            while position < bytes.count {
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: "\""):
                    position += 1
                    return String(decoding: scalars, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    position += 1
                    guard position < bytes.count else { throw fail("the text ends inside an escape") }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                    case UInt8(ascii: "b"): scalars.append(0x08)
                    case UInt8(ascii: "f"): scalars.append(0x0c)
                    case UInt8(ascii: "n"): scalars.append(0x0a)
                    case UInt8(ascii: "r"): scalars.append(0x0d)
                    case UInt8(ascii: "t"): scalars.append(0x09)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xd800..<0xdc00).contains(code), position + 1 < bytes.count,
                            bytes[position] == UInt8(ascii: "\\"),
                            bytes[position + 1] == UInt8(ascii: "u")
                        {
                            position += 2
                            let low = try hex4()
                            if (0xdc00..<0xe000).contains(low) {
                                code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
                            } else {
                                scalars += Array(String(Character(Reader.replacement)).utf8)
                                code = low
                            }
                        }
                        let scalar = Unicode.Scalar(code) ?? Reader.replacement
                        scalars += Array(String(Character(scalar)).utf8)
                    default:
                        throw fail("unknown escape '\\\(Character(Unicode.Scalar(escape)))'")
                    }
                default:
                    if byte < 0x20 { throw fail("control character inside a string") }
                    scalars.append(byte)
                    position += 1
                }
            }
            throw fail("the text ends inside a string")
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw fail("the text ends inside a \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x57)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x37)
                default: throw fail("bad hex digit in a \\u escape")
                }
                value = value << 4 | digit
                position += 1
            }
            return value
        }
    }
}
