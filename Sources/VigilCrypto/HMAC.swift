internal import COpenSSL
import Foundation

/// HMAC (RFC 2104) over libcrypto's one-shot `HMAC()`.
public enum HMAC {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1 = "SHA1"
        case sha256 = "SHA256"
        case sha512 = "SHA512"

        var digest: FetchedDigest {
            switch self {
            case .sha1: .sha1
            case .sha256: .sha256
            case .sha512: .sha512
            }
        }
    }

    /// The MAC of `message` under `key`.
    public static func authenticationCode(
        _ algorithm: Algorithm, key: some DataProtocol, message: some DataProtocol
    ) -> [UInt8] {
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = keyBytes.withUnsafeBufferPointer { k in
            messageBytes.withUnsafeBufferPointer { m in
                COpenSSL.HMAC(algorithm.digest.md, k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        precondition(result != nil, "HMAC(\(algorithm.rawValue)) failed")
        return Array(out.prefix(Int(length)))
    }

    /// HMAC-SHA256.
    public static func sha256(key: some DataProtocol, message: some DataProtocol) -> [UInt8] {
        authenticationCode(.sha256, key: key, message: message)
    }

    /// HMAC-SHA1 (TOTP's default).
    public static func sha1(key: some DataProtocol, message: some DataProtocol) -> [UInt8] {
        authenticationCode(.sha1, key: key, message: message)
    }
}
