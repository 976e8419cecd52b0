internal import CZstd

/// zstd compression (`ZSTD_compress` / streaming `ZSTD_decompressStream` with an output bound).
public enum Zstd {
    /// Compresses `bytes` at `level` (1 fast … 19 small; 3 is zstd's default).
    public static func compress(_ bytes: [UInt8], level: Int32 = 3) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level)
            }
        }
        precondition(ZSTD_isError(written) == 0, "ZSTD_compress failed: \(String(cString: ZSTD_getErrorName(written)))")
        out.removeSubrange(written..<out.count)
        return out
    }

    /// Decompresses a zstd frame, refusing to produce more than `maxOutput` bytes (a zip bomb).
    /// - Throws: `StoreError` `zstd.corrupt` for damaged or truncated input, `zstd.too-large` past the limit.
    public static func decompress(_ bytes: [UInt8], maxOutput: Int) throws -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { preconditionFailure("ZSTD_createDStream: out of memory") }
        defer { ZSTD_freeDStream(stream) }
        ZSTD_initDStream(stream)
        var out: [UInt8] = []
        let chunk = ZSTD_DStreamOutSize()
        var buffer = [UInt8](repeating: 0, count: chunk)
        var lastResult = 0
        try bytes.withUnsafeBytes { src in
            var input = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
            repeat {
                let produced: Int = try buffer.withUnsafeMutableBytes { dst in
                    var output = ZSTD_outBuffer(dst: dst.baseAddress, size: chunk, pos: 0)
                    let result = ZSTD_decompressStream(stream, &output, &input)
                    if ZSTD_isError(result) != 0 {
                        throw StoreError(code: "zstd.corrupt",
                                         message: "the zstd data is damaged (\(String(cString: ZSTD_getErrorName(result)))); resend it")
                    }
                    lastResult = result
                    return output.pos
                }
                if out.count + produced > maxOutput {
                    throw StoreError(code: "zstd.too-large",
                                     message: "the zstd data expands past \(maxOutput) bytes; send smaller batches")
                }
                out.append(contentsOf: buffer[0..<produced])
                if produced == 0 && input.pos == input.size { break }
            } while input.pos < input.size || lastResult != 0
        }
        if lastResult != 0 {
            throw StoreError(code: "zstd.corrupt", message: "the zstd data ends in the middle of a frame (truncated); resend it")
        }
        return out
    }
}
