/// Decodes raw DEFLATE streams (RFC 1951): stored, fixed-Huffman and dynamic-Huffman blocks.
///
/// Pure and bounded: the output is allocated once, at the size the caller expects (a zip entry's declared
/// size), and never grows. A stream that would write more or less than that, refers back before the start
/// of its output, ends early, carries bytes after its final block, or has an invalid Huffman table throws a
/// `ZipError` whose offset is the byte of the stream where decoding stopped. Huffman codes are accepted by
/// zlib's rules, so what Python's zlib refuses is refused here too.
public enum Inflate {
    /// Inflates the complete raw DEFLATE stream `input` into exactly `size` bytes.
    public static func inflate(_ input: UnsafeRawBufferPointer, size: Int) throws(ZipError) -> [UInt8] {
        precondition(size >= 0, "the output size is not negative")
        var failure: ZipError?
        let output = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            // The tables and scratch of one stream: one temporary allocation (on the stack where it fits).
            withUnsafeTemporaryAllocation(byteCount: Decoder.storageBytes, alignment: 8) { storage in
                var decoder = Decoder(input: input, output: buffer.baseAddress, size: size, storage: storage)
                do throws(ZipError) {
                    try decoder.run()
                    initialized = size
                } catch {
                    failure = error
                    initialized = 0
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Inflates `input` into exactly `size` bytes.
    public static func inflate(_ input: [UInt8], size: Int) throws(ZipError) -> [UInt8] {
        var result: Result<[UInt8], ZipError> = .success([])
        input.withUnsafeBytes { raw in
            do throws(ZipError) { result = .success(try inflate(raw, size: size)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Length symbols 257…285: `base << 8 | extra bits`.
    static let lengthCodes: [UInt32] = zip(
        [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
            227, 258,
        ],
        [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    ).map { UInt32($0) << 8 | UInt32($1) }
    /// Distance symbols 0…29: `base << 8 | extra bits`.
    static let distanceCodes: [UInt32] = zip(
        [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
            4097, 6145, 8193, 12289, 16385, 24577,
        ],
        [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    ).map { UInt32($0) << 8 | UInt32($1) }
    /// The order in which a dynamic block sends the code-length code's lengths.
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// The state of one stream's decoding.
    struct Decoder {
        let input: UnsafePointer<UInt8>?
        let inputCount: Int
        /// The next input byte to load into `bits`.
        var position = 0
        /// Loaded, not yet used bits; the next bit of the stream is the lowest.
        var bits: UInt64 = 0
        var bitCount = 0
        /// Zero bits loaded past the end of the input; more than `bitCount` means the stream was cut.
        var padding = 0
        let output: UnsafeMutablePointer<UInt8>?
        let size: Int
        var written = 0
        let literals: HuffmanTable
        let distances: HuffmanTable
        let codeLengths: HuffmanTable
        /// Code lengths read from a block header (literal/length then distance), 286 + 30 at most.
        let lengths: UnsafeMutablePointer<UInt8>
        /// `lengthCodes` at 0…28, `distanceCodes` at 32…61.
        let extras: UnsafeMutablePointer<UInt32>

        /// Three tables, 320 code lengths, 64 length/distance codes.
        static let storageBytes = 3 * HuffmanTable.byteCount + 320 + 64 * 4

        init(
            input: UnsafeRawBufferPointer, output: UnsafeMutablePointer<UInt8>?, size: Int,
            storage: UnsafeMutableRawBufferPointer
        ) {
            precondition(storage.count >= Self.storageBytes, "storage for the tables")
            self.input = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
            inputCount = input.count
            self.output = output
            self.size = size
            let base = storage.baseAddress!
            literals = HuffmanTable(fastBits: 9, storage: base)
            distances = HuffmanTable(fastBits: 7, storage: base + HuffmanTable.byteCount)
            codeLengths = HuffmanTable(fastBits: 7, storage: base + 2 * HuffmanTable.byteCount)
            lengths = (base + 3 * HuffmanTable.byteCount).bindMemory(to: UInt8.self, capacity: 320)
            lengths.initialize(repeating: 0, count: 320)
            extras = (base + 3 * HuffmanTable.byteCount + 320).bindMemory(to: UInt32.self, capacity: 64)
            extras.initialize(repeating: 0, count: 64)
            for (index, code) in Inflate.lengthCodes.enumerated() { extras[index] = code }
            for (index, code) in Inflate.distanceCodes.enumerated() { extras[32 + index] = code }
        }

        /// The offset of the byte that holds the next unread bit.
        var offset: Int { (position * 8 + padding - bitCount) / 8 }

        func error(_ code: String, _ message: String) -> ZipError {
            ZipError(code: code, message: message, location: .init(offset: min(offset, inputCount)))
        }

        var truncated: ZipError {
            error("zip.truncated", "the DEFLATE stream ends before its final block does; the archive is cut short")
        }

        /// `truncated` when fewer than 15 real bits (the longest code) were left: a code that is not
        /// defined is then the end of the input, not a bad table.
        var cut: ZipError? { bitCount - padding < 15 ? truncated : nil }

        var tooLong: ZipError {
            error(
                "zip.size-mismatch",
                "inflates to more than the declared \(size) bytes; the archive is damaged or hostile (refused)")
        }

        /// Loads whole bytes until at least 56 bits are at hand (zero bits past the end of the input).
        @inline(__always) mutating func refill() {
            if let input, position + 8 <= inputCount {
                let word = UInt64(littleEndian: UnsafeRawPointer(input + position).loadUnaligned(as: UInt64.self))
                bits |= word &<< UInt64(bitCount)
                position += (63 - bitCount) >> 3
                bitCount |= 56
                return
            }
            while bitCount <= 56 {
                if let input, position < inputCount {
                    bits |= UInt64(input[position]) &<< UInt64(bitCount)
                    position += 1
                } else {
                    padding += 8
                }
                bitCount += 8
            }
        }

        @inline(__always) mutating func take(_ count: Int) -> Int {
            let value = Int(bits & ((1 << UInt64(count)) &- 1))
            bits >>= UInt64(count)
            bitCount -= count
            return value
        }

        mutating func run() throws(ZipError) {
            var final = false
            repeat {
                refill()
                let header = take(3)
                final = header & 1 == 1
                switch header >> 1 {
                case 0: try stored()
                case 1:
                    try fixedTables()
                    try codes()
                case 2:
                    try dynamicTables()
                    try codes()
                default:
                    throw error("zip.deflate", "a DEFLATE block has the reserved type 3; the data is corrupt")
                }
            } while !final
            if padding > bitCount { throw truncated }
            if written != size {
                throw error(
                    "zip.size-mismatch",
                    "inflates to \(written) bytes, not the declared \(size); the archive is damaged (refused)")
            }
            let unread = (inputCount - position) + (bitCount - padding) / 8
            if unread > 0 {
                throw error(
                    "zip.trailing-data",
                    "has \(unread) bytes after the end of its DEFLATE stream; the archive is damaged or hostile")
            }
        }

        /// A stored block: LEN, its complement NLEN, then LEN bytes, from the next byte boundary.
        mutating func stored() throws(ZipError) {
            _ = take(bitCount & 7)
            refill()
            let length = take(16)
            let complement = take(16)
            if padding > bitCount { throw truncated }
            guard length == ~complement & 0xFFFF else {
                throw error(
                    "zip.deflate",
                    "a stored block's length \(length) does not match its complement \(complement); the data is corrupt"
                )
            }
            let start = position - (bitCount - padding) / 8
            guard length <= inputCount - start else { throw truncated }
            guard length <= size - written else { throw tooLong }
            if length > 0, let input, let output {
                (output + written).initialize(from: input + start, count: length)
            }
            written += length
            position = start + length
            bits = 0
            bitCount = 0
            padding = 0
        }

        /// The fixed codes of RFC 1951 §3.2.6 (with the two unused literal and distance symbols, as zlib).
        mutating func fixedTables() throws(ZipError) {
            for symbol in 0..<288 {
                lengths[symbol] = symbol < 144 ? 8 : symbol < 256 ? 9 : symbol < 280 ? 7 : 8
            }
            for symbol in 288..<320 { lengths[symbol] = 5 }
            let literalProblem = literals.build(lengths, count: 288, kind: .literals)
            let distanceProblem = distances.build(lengths + 288, count: 32, kind: .distances)
            precondition(literalProblem == nil && distanceProblem == nil, "the fixed codes are complete")
        }

        /// A dynamic block's header: the code-length code, then the literal/length and distance codes.
        mutating func dynamicTables() throws(ZipError) {
            refill()
            let literalCount = take(5) + 257
            let distanceCount = take(5) + 1
            let codeLengthCount = take(4) + 4
            guard literalCount <= 286, distanceCount <= 30 else {
                throw error(
                    "zip.deflate",
                    "a dynamic block declares \(literalCount) literal/length and \(distanceCount) distance codes (at most 286 and 30); the data is corrupt"
                )
            }
            lengths.update(repeating: 0, count: 19)
            for index in 0..<codeLengthCount {
                refill()
                lengths[Inflate.codeLengthOrder[index]] = UInt8(take(3))
            }
            if padding > bitCount { throw truncated }
            if let problem = codeLengths.build(lengths, count: 19, kind: .codeLengths) {
                throw error("zip.huffman", "a dynamic block's code-length code is \(problem); the data is corrupt")
            }
            let total = literalCount + distanceCount
            var index = 0
            while index < total {
                refill()
                if padding > bitCount { throw truncated }
                var entry = codeLengths.fast[Int(bits & codeLengths.mask)]
                if entry == 0 { entry = codeLengths.slow(bits) }
                guard entry != 0 else {
                    throw cut ?? error("zip.huffman", "a dynamic block uses a code-length code it did not define")
                }
                _ = take(Int(entry & 0xFF))
                let symbol = Int(entry >> 16)
                if symbol < 16 {
                    lengths[index] = UInt8(symbol)
                    index += 1
                    continue
                }
                var value: UInt8 = 0
                let count: Int
                switch symbol {
                case 16:
                    guard index > 0 else {
                        throw error("zip.huffman", "a dynamic block repeats a previous code length before the first")
                    }
                    value = lengths[index - 1]
                    count = 3 + take(2)
                case 17: count = 3 + take(3)
                default: count = 11 + take(7)
                }
                if padding > bitCount { throw truncated }
                guard count <= total - index else {
                    throw error(
                        "zip.huffman",
                        "a dynamic block's code lengths run past its \(total) codes; the data is corrupt")
                }
                (lengths + index).update(repeating: value, count: count)
                index += count
            }
            if padding > bitCount { throw truncated }
            guard lengths[256] != 0 else {
                throw error("zip.huffman", "a dynamic block has no end-of-block code; the data is corrupt")
            }
            if let problem = literals.build(lengths, count: literalCount, kind: .literals) {
                throw error("zip.huffman", "a dynamic block's literal/length code is \(problem); the data is corrupt")
            }
            if let problem = distances.build(lengths + literalCount, count: distanceCount, kind: .distances) {
                throw error("zip.huffman", "a dynamic block's distance code is \(problem); the data is corrupt")
            }
        }

        /// Literals and length/distance pairs up to the end-of-block code.
        mutating func codes() throws(ZipError) {
            guard let output else { return try codesWithoutOutput() }
            let literalMask = literals.mask
            let distanceMask = distances.mask
            let literalFast = literals.fast
            let distanceFast = distances.fast
            while true {
                // 56 bits hold the longest pair: 15 + 5 extra length bits, 15 + 13 extra distance bits (48).
                if bitCount < 48 { refill() }
                if padding > bitCount { throw truncated }
                var entry = literalFast[Int(bits & literalMask)]
                if entry == 0 {
                    entry = literals.slow(bits)
                    guard entry != 0 else {
                        throw cut ?? error("zip.huffman", "uses a literal/length code it did not define")
                    }
                }
                bits >>= UInt64(entry & 0xFF)
                bitCount -= Int(entry & 0xFF)
                let symbol = Int(entry >> 16)
                if symbol < 256 {
                    guard written < size else { throw tooLong }
                    output[written] = UInt8(truncatingIfNeeded: symbol)
                    written += 1
                    continue
                }
                if symbol == 256 { break }
                guard symbol < 286 else {
                    throw error("zip.deflate", "uses the reserved literal/length symbol \(symbol); the data is corrupt")
                }
                let lengthCode = extras[symbol - 257]
                let length = Int(lengthCode >> 8) + take(Int(lengthCode & 0xFF))
                var distanceEntry = distanceFast[Int(bits & distanceMask)]
                if distanceEntry == 0 {
                    distanceEntry = distances.slow(bits)
                    guard distanceEntry != 0 else {
                        throw cut ?? error("zip.huffman", "uses a distance code it did not define")
                    }
                }
                bits >>= UInt64(distanceEntry & 0xFF)
                bitCount -= Int(distanceEntry & 0xFF)
                let distanceSymbol = Int(distanceEntry >> 16)
                guard distanceSymbol < 30 else {
                    throw error(
                        "zip.deflate", "uses the reserved distance symbol \(distanceSymbol); the data is corrupt")
                }
                let distanceCode = extras[32 + distanceSymbol]
                let distance = Int(distanceCode >> 8) + take(Int(distanceCode & 0xFF))
                if padding > bitCount { throw truncated }
                guard distance <= written else {
                    throw error(
                        "zip.deflate",
                        "refers \(distance) bytes back with only \(written) written; the data is corrupt or hostile")
                }
                guard length <= size - written else { throw tooLong }
                let target = output + written
                let source = target - distance
                if distance >= length {
                    target.update(from: source, count: length)
                } else if distance == 1 {
                    target.update(repeating: source.pointee, count: length)
                } else {
                    for index in 0..<length { target[index] = source[index] }
                }
                written += length
            }
            if padding > bitCount { throw truncated }
        }

        /// An expected size of 0: the only valid content is an end-of-block code.
        mutating func codesWithoutOutput() throws(ZipError) {
            refill()
            if padding > bitCount { throw truncated }
            var entry = literals.fast[Int(bits & literals.mask)]
            if entry == 0 { entry = literals.slow(bits) }
            guard entry != 0 else {
                throw cut ?? error("zip.huffman", "uses a literal/length code it did not define")
            }
            _ = take(Int(entry & 0xFF))
            if padding > bitCount { throw truncated }
            guard entry >> 16 == 256 else { throw tooLong }
        }
    }
}
