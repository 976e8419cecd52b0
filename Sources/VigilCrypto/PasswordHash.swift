internal import COpenSSL
import Foundation

/// Password hashing with scrypt (RFC 7914) via `EVP_PBE_scrypt`, stored as
/// `scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>`.
public struct PasswordHash: Sendable {
    public var logN: UInt8
    public var r: UInt32
    public var p: UInt32

    /// The cost used for new hashes: N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds).
    public static let standard = PasswordHash(logN: 15, r: 8, p: 1)

    public init(logN: UInt8, r: UInt32, p: UInt32) {
        self.logN = logN
        self.r = r
        self.p = p
    }

    /// Hashes `password` with a new random salt.
    public func hash(password: String) throws -> String {
        let salt = try SecureRandom.bytes(16)
        let key = try Self.derive(password: password, salt: salt, logN: logN, r: r, p: p)
        return "scrypt$\(logN)$\(r)$\(p)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// The most memory (128·r·N bytes) `verify` lets a stored hash ask for: 1 GiB, 32 times `standard`.
    /// Anything above is treated as malformed rather than allocated.
    public static let maxVerifyMemory: UInt64 = 1 << 30

    /// Whether `password` matches `encoded`; false for anything malformed (never throws on bad input).
    public static func verify(password: String, against encoded: String) -> Bool {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let logN = UInt8(parts[1]), (1...22).contains(logN),
            let r = UInt32(parts[2]), let p = UInt32(parts[3]), r > 0, p > 0,
            // In 64 bits: r·p and 128·r·N overflow 32 bits for hostile strings (that trapped).
            UInt64(r) * UInt64(p) < 1 << 20, 128 * UInt64(r) << UInt64(logN) <= maxVerifyMemory,
            let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])),
            !expected.isEmpty
        else { return false }
        guard
            let key = try? derive(password: password, salt: Array(salt), logN: logN, r: r, p: p, length: expected.count)
        else { return false }
        return ConstantTime.equals(key, Array(expected))
    }

    static func derive(
        password: String, salt: [UInt8], logN: UInt8, r: UInt32, p: UInt32, length: Int = 32
    ) throws -> [UInt8] {
        var key = [UInt8](repeating: 0, count: length)
        let n = UInt64(1) << UInt64(logN)
        // scrypt needs 128·r·N bytes (plus p blocks); allow that with headroom.
        let maxMemory = 128 * UInt64(r) * n * 2 + 128 * UInt64(r) * UInt64(p) + (1 << 20)
        var passwordBytes = Array(password.utf8)
        defer { SecureErase.erase(&passwordBytes) }
        let ok = passwordBytes.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                pw.withMemoryRebound(to: CChar.self) { pwc in
                    EVP_PBE_scrypt(
                        pwc.baseAddress, pwc.count, s.baseAddress, s.count, n, UInt64(r), UInt64(p),
                        maxMemory, &key, key.count)
                }
            }
        }
        guard ok == 1 else { throw CryptoError.openssl("EVP_PBE_scrypt") }
        return key
    }
}
