internal import COpenSSL
import Foundation
import VigilCore

/// An Ed25519 public key (RFC 8032): 32 bytes.
public struct Ed25519PublicKey: Sendable, Hashable {
    public static let byteCount = 32
    public let rawRepresentation: [UInt8]

    /// - Throws: `CryptoError` `ed25519.key-length` unless `rawRepresentation` is 32 bytes.
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == Self.byteCount else {
            throw CryptoError(
                code: "ed25519.key-length",
                message:
                    "an Ed25519 public key is 32 bytes, this one is \(rawRepresentation.count); the key is truncated or not Ed25519"
            )
        }
        self.rawRepresentation = rawRepresentation
    }

    /// Whether `signature` is a valid signature of `message` by this key (`EVP_DigestVerify`).
    public func isValidSignature(_ signature: [UInt8], for message: some DataProtocol) -> Bool {
        guard signature.count == 64 else { return false }
        guard
            let pkey = rawRepresentation.withUnsafeBufferPointer({
                EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
            })
        else {
            ERR_clear_error()
            return false
        }
        defer { EVP_PKEY_free(pkey) }
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, pkey) == 1 else {
            ERR_clear_error()
            return false
        }
        let bytes = Array(message)
        let result = signature.withUnsafeBufferPointer { sig in
            bytes.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        if result != 1 { ERR_clear_error() }
        return result == 1
    }
}

/// An Ed25519 private key. The 32-byte seed lives in memory this object owns and is zeroed
/// (`OPENSSL_cleanse`) when it is freed; libcrypto's copy is freed with the `EVP_PKEY`.
public final class Ed25519PrivateKey: @unchecked Sendable {
    // Immutable after init; EVP_PKEY signing with a fresh EVP_MD_CTX per call is thread-safe.
    private let pkey: OpaquePointer
    private let seed: UnsafeMutableRawBufferPointer
    public let publicKey: Ed25519PublicKey

    /// A key from its 32-byte seed (RFC 8032's private key).
    /// - Throws: `CryptoError` `ed25519.seed-length` for a seed of another length.
    public init(seed seedBytes: [UInt8]) throws {
        guard seedBytes.count == 32 else {
            throw CryptoError(
                code: "ed25519.seed-length",
                message: "an Ed25519 private key seed is 32 bytes, this one is \(seedBytes.count)")
        }
        seed = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)
        seed.copyBytes(from: seedBytes)
        guard let pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, seed.baseAddress, 32) else {
            OPENSSL_cleanse(seed.baseAddress, 32)
            seed.deallocate()
            throw CryptoError.openssl("EVP_PKEY_new_raw_private_key")
        }
        self.pkey = pkey
        var length = 32
        var publicBytes = [UInt8](repeating: 0, count: 32)
        guard EVP_PKEY_get_raw_public_key(pkey, &publicBytes, &length) == 1, length == 32 else {
            preconditionFailure("EVP_PKEY_get_raw_public_key failed for a valid Ed25519 key")
        }
        publicKey = try Ed25519PublicKey(rawRepresentation: publicBytes)
    }

    /// A new key from the system's secure random source.
    public static func generate() throws -> Ed25519PrivateKey {
        var seed = try SecureRandom.bytes(32)
        defer { seed.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        return try Ed25519PrivateKey(seed: seed)
    }

    deinit {
        OPENSSL_cleanse(seed.baseAddress, seed.count)
        seed.deallocate()
        EVP_PKEY_free(pkey)
    }

    /// Calls `body` with the seed; do not let it escape. Used to write the key file.
    public func withSeed<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(seed))
    }

    /// The 64-byte signature of `message` (`EVP_DigestSign`; Ed25519 is deterministic).
    public func signature(for message: some DataProtocol) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, pkey) == 1 else {
            throw CryptoError.openssl("EVP_DigestSignInit")
        }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let bytes = Array(message)
        let ok = bytes.withUnsafeBufferPointer { msg in
            EVP_DigestSign(context, &signature, &length, msg.baseAddress, msg.count)
        }
        guard ok == 1, length == 64 else { throw CryptoError.openssl("EVP_DigestSign") }
        return signature
    }
}
