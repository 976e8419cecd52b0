internal import COpenSSL

/// Cryptographically secure random bytes (`RAND_bytes`).
public enum SecureRandom {
    /// `count` random bytes.
    /// - Throws: `CryptoError` if the generator is not seeded (never expected on Linux).
    public static func bytes(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count == 0 || RAND_bytes(&out, Int32(count)) == 1 else { throw CryptoError.openssl("RAND_bytes") }
        return out
    }

    /// A random token: `byteCount` random bytes as lower-case hex.
    public static func hexToken(byteCount: Int = 32) throws -> String { Hex.encode(try bytes(byteCount)) }
}

/// Comparison whose time does not depend on where two secrets differ (`CRYPTO_memcmp`).
public enum ConstantTime {
    /// Whether `a` and `b` are equal; the lengths are not secret.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 }
        }
    }
}

/// Zeroing memory that held a secret, in a way the compiler may not remove (`OPENSSL_cleanse`).
public enum SecureErase {
    public static func erase(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
    }
}
