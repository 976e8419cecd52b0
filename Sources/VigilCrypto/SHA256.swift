internal import COpenSSL
import Foundation
import VigilCore

/// A SHA-256 digest: 32 bytes held inline (no heap allocation), comparable and hashable.
public struct SHA256Digest: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let byteCount = 32
    // Four big-endian-agnostic words holding the 32 bytes in memory order.
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    /// A digest from exactly 32 bytes; nil for any other length.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == Self.byteCount else { return nil }
        // One copy from contiguous storage: a byte-by-byte loop through an unspecialised generic costs
        // microseconds per digest in callers outside this module (Merkle proofs read thousands).
        let copied: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(buffer)) }
            return true
        }
        guard copied == nil else { return }
        withUnsafeMutableBytes(of: &words) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
    }

    /// The 32 bytes.
    public var bytes: [UInt8] { Swift.withUnsafeBytes(of: words) { Array($0) } }

    /// Calls `body` with the 32 bytes, without copying them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public static func == (a: SHA256Digest, b: SHA256Digest) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Byte-wise (lexicographic) order.
    public static func < (a: SHA256Digest, b: SHA256Digest) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// The SHA-256 algorithm object, fetched from the default provider once per process. Fetching is
/// what makes OpenSSL 3's convenience calls slow; a fetched `EVP_MD` is immutable and thread-safe.
final class FetchedDigest: @unchecked Sendable {
    let md: OpaquePointer

    init(name: String) {
        guard let md = EVP_MD_fetch(nil, name, nil) else {
            preconditionFailure("OpenSSL's default provider has no \(name); the libcrypto installation is broken")
        }
        self.md = md
    }

    static let sha256 = FetchedDigest(name: "SHA256")
    static let sha1 = FetchedDigest(name: "SHA1")
    static let sha512 = FetchedDigest(name: "SHA512")
}

/// SHA-256 over libcrypto's `EVP_MD_CTX`.
///
/// One instance owns one digest context and can be reused any number of times: `hash(_:)` for small
/// messages (the Merkle tree, event ids) re-initialises the same context, which is about three times
/// faster than creating one per message; `update(_:)`/`finalize()` stream large inputs such as files.
/// An instance is not thread-safe: give each thread its own.
public final class SHA256 {
    private let context: OpaquePointer

    /// Wraps `EVP_MD_CTX_new` and `EVP_DigestInit_ex2`.
    public init() {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new: out of memory") }
        self.context = context
        reset()
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Starts a new message, discarding anything fed so far.
    public func reset() {
        guard EVP_DigestInit_ex2(context, FetchedDigest.sha256.md, nil) == 1 else {
            preconditionFailure("EVP_DigestInit_ex2(SHA256) failed")
        }
    }

    /// Feeds bytes (`EVP_DigestUpdate`).
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1 else {
            preconditionFailure("EVP_DigestUpdate failed")
        }
    }

    /// Feeds bytes from any contiguous collection.
    public func update<D: DataProtocol>(_ data: D) {
        for region in data.regions { region.withUnsafeBytes { update($0) } }
    }

    /// Feeds a string's UTF-8 bytes.
    public func update(_ string: String) {
        var string = string
        string.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Finishes the message (`EVP_DigestFinal_ex`) and starts a new one.
    public func finalize() -> SHA256Digest {
        var digest = SHA256Digest()
        var length: UInt32 = 0
        let ok = withUnsafeMutableBytes(of: &digest.words) { raw in
            EVP_DigestFinal_ex(context, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
        }
        precondition(ok == 1 && length == 32, "EVP_DigestFinal_ex(SHA256) failed")
        reset()
        return digest
    }

    /// The digest of one message, reusing this instance's context.
    public func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        update(bytes)
        return finalize()
    }

    /// The digest of one message, reusing this instance's context.
    public func hash<D: DataProtocol>(_ data: D) -> SHA256Digest {
        update(data)
        return finalize()
    }

    /// The digest of `data`, with a context made for the call. For many small messages keep an instance.
    public static func hash<D: DataProtocol>(_ data: D) -> SHA256Digest { SHA256().hash(data) }

    /// The digest of a string's UTF-8 bytes.
    public static func hash(_ string: String) -> SHA256Digest {
        let hasher = SHA256()
        hasher.update(string)
        return hasher.finalize()
    }

    /// Streams an open file descriptor to its end in `bufferSize` chunks and returns the digest.
    /// - Throws: `CryptoError` with code `read` if `read(2)` fails (the errno is named).
    public func hash(fileDescriptor fd: Int32, bufferSize: Int = 256 * 1024) throws -> SHA256Digest {
        // A zero-byte buffer reads nothing and would return the empty message's digest for any file.
        precondition(bufferSize > 0, "SHA256.hash(fileDescriptor:bufferSize:) needs a positive buffer size")
        reset()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, bufferSize)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                reset()
                throw CryptoError(
                    code: "read", message: "reading the file to hash failed: \(String(cString: strerror(code)))")
            }
            update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return finalize()
    }
}
