// ASCII character classes, as C's `isdigit`/`isalpha`/`islower`/`isspace` in the "C" locale.

@inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
@inline(__always) func isAlpha(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a }
@inline(__always) func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7a }
@inline(__always) func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0d) }
