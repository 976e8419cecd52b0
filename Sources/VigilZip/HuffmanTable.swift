/// A canonical Huffman code of DEFLATE (RFC 1951 §3.2.2), built from code lengths.
///
/// Codes of up to `fastBits` bits (9 for literals/lengths, 7 for distances and code lengths, as small as a
/// look-up stays likely: the table is refilled for every block, and OSV records are blocks of a few hundred
/// bytes) are decoded with one look-up in `fast`, indexed by the next bits of the stream, least significant
/// first; longer codes, and bit patterns that no code has, fall back to walking the canonical code length by
/// length (`slow`). The storage belongs to the decoder (one temporary allocation) and is reused for every
/// block.
struct HuffmanTable {
    /// What the code encodes: the acceptance rules differ (zlib's, which Python's zlib applies too).
    enum Kind { case codeLengths, literals, distances }

    static let maxSymbols = 288

    let fastBits: Int
    /// `(1 << fastBits) - 1`, to index `fast` with the next bits.
    let mask: UInt64

    /// `symbol << 16 | length` for each `fastBits`-bit pattern whose code is that short; 0 otherwise.
    let fast: UnsafeMutablePointer<UInt32>
    /// How many codes have each length 0…15.
    let counts: UnsafeMutablePointer<UInt16>
    /// The symbols ordered by code (length, then symbol value).
    let symbols: UnsafeMutablePointer<UInt16>

    /// Bytes of storage one table needs (the largest fast table, counts, symbols).
    static let byteCount = (1 << 9) * 4 + 16 * 2 + maxSymbols * 2

    /// A table over `byteCount` bytes of `storage` (4-byte aligned), which the decoder owns. Nothing is
    /// read before `build` writes it: every fast slot, the counts, and the symbols that codes reach.
    init(fastBits: Int, storage: UnsafeMutableRawPointer) {
        precondition(fastBits <= 9, "the reversal table has 9 bits")
        self.fastBits = fastBits
        mask = (1 << UInt64(fastBits)) - 1
        fast = storage.bindMemory(to: UInt32.self, capacity: 1 << 9)
        counts = (storage + (1 << 9) * 4).bindMemory(to: UInt16.self, capacity: 16)
        symbols = (storage + (1 << 9) * 4 + 32).bindMemory(to: UInt16.self, capacity: Self.maxSymbols)
    }

    /// Builds the code for `count` symbols with the given lengths (0 = symbol unused, at most 15).
    ///
    /// Returns what is wrong when the lengths do not form a code: over-subscribed (more codes than bit
    /// patterns), or incomplete where that is not allowed. As in zlib, an incomplete code is accepted
    /// only for literals or distances whose longest code has one bit (a single one-bit code), and a code
    /// with no symbols at all is accepted (any use of it is then an invalid code).
    func build(_ lengths: UnsafePointer<UInt8>, count: Int, kind: Kind) -> String? {
        precondition(count <= Self.maxSymbols, "at most 288 symbols")
        counts.update(repeating: 0, count: 16)
        var maxLength = 0
        for symbol in 0..<count {
            let length = Int(lengths[symbol])
            precondition(length < 16, "code lengths are at most 15")
            counts[length] += 1
            if length > maxLength { maxLength = length }
        }
        if maxLength == 0 {
            fast.update(repeating: 0, count: 1 << fastBits)
            return nil
        }
        var left = 1
        for length in 1...15 {
            left <<= 1
            left -= Int(counts[length])
            if left < 0 { return "over-subscribed (more codes of \(length) bits than bit patterns)" }
        }
        if left > 0 && (kind == .codeLengths || maxLength != 1) {
            return "incomplete (its codes leave bit patterns unused)"
        }
        // Symbols in canonical order.
        var offsets = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &offsets) { raw in
            let offset = raw.bindMemory(to: Int.self)
            for length in 1..<15 { offset[length + 1] = offset[length] + Int(counts[length]) }
            for symbol in 0..<count where lengths[symbol] != 0 {
                let length = Int(lengths[symbol])
                symbols[offset[length]] = UInt16(symbol)
                offset[length] += 1
            }
        }
        // The short codes, each filling every table slot whose low bits are its (bit-reversed) code.
        var code = 0
        var index = 0
        let shortest = min(maxLength, fastBits)
        let size = 1 << fastBits
        Self.reversal.withUnsafeBufferPointer { reversal in
            for length in 1...shortest {
                for _ in 0..<Int(counts[length]) {
                    let entry = UInt32(symbols[index]) << 16 | UInt32(length)
                    var slot = Int(reversal[code << (9 - length)])
                    while slot < size {
                        fast[slot] = entry
                        slot += 1 << length
                    }
                    index += 1
                    code += 1
                }
                code <<= 1
            }
            // Canonical codes fill the code space from 0: the `fastBits`-bit patterns from the next code on
            // are prefixes of longer codes or no code at all, and go to `slow`. (No clearing of the whole
            // table: it is rebuilt for every block.)
            for rest in (code >> 1) << (fastBits - shortest)..<size {
                fast[Int(reversal[rest << (9 - fastBits)])] = 0
            }
        }
        return nil
    }

    /// Each 9-bit value with its bits in reverse order (a code of fewer bits is reversed shifted left).
    static let reversal: [UInt16] = (0..<512).map { UInt16(reversed($0, bits: 9)) }

    /// Decodes a code longer than `fastBits` (or finds none) from the next bits, least significant first.
    /// Returns `symbol << 16 | length`, or 0 when the bits start no code of this table.
    func slow(_ bits: UInt64) -> UInt32 {
        var bits = bits
        var code = 0
        var first = 0
        var index = 0
        for length in 1...15 {
            code |= Int(bits & 1)
            bits >>= 1
            let count = Int(counts[length])
            if code < first + count { return UInt32(symbols[index + code - first]) << 16 | UInt32(length) }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        return 0
    }

    static func reversed(_ code: Int, bits: Int) -> Int {
        var code = code
        var result = 0
        for _ in 0..<bits {
            result = result << 1 | code & 1
            code >>= 1
        }
        return result
    }
}
