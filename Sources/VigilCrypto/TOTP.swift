import Foundation

/// Time-based one-time passwords (RFC 6238) over HMAC (RFC 4226's dynamic truncation).
public struct TOTP: Sendable {
    public var secret: [UInt8]
    public var digits: Int
    public var period: Int64
    public var algorithm: HMAC.Algorithm

    public init(secret: [UInt8], digits: Int = 6, period: Int64 = 30, algorithm: HMAC.Algorithm = .sha1) {
        precondition((6...10).contains(digits), "TOTP digits must be 6 to 10")
        precondition(period > 0, "TOTP period must be positive")
        self.secret = secret
        self.digits = digits
        self.period = period
        self.algorithm = algorithm
    }

    /// A new random 20-byte secret.
    public static func generateSecret() throws -> [UInt8] { try SecureRandom.bytes(20) }

    /// The code for a Unix time in seconds, zero-padded to `digits`.
    public func code(at unixSeconds: Int64) -> String {
        code(counter: UInt64(max(0, unixSeconds) / period))
    }

    /// The HOTP code for `counter`.
    public func code(counter: UInt64) -> String {
        let message = withUnsafeBytes(of: counter.bigEndian) { Array($0) }
        let mac = HMAC.authenticationCode(algorithm, key: secret, message: message)
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary =
            (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt64 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = UInt64(binary) % modulus
        let text = String(value)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// Whether `candidate` is the code for `unixSeconds`, or for up to `window` periods either side
    /// (clock drift between the server and the phone). Comparison is constant-time.
    public func verify(_ candidate: String, at unixSeconds: Int64, window: Int = 1) -> Bool {
        guard candidate.count == digits, candidate.allSatisfy(\.isASCII) else { return false }
        let counter = max(0, unixSeconds) / period
        var matched = false
        for delta in -window...window {
            let c = counter + Int64(delta)
            guard c >= 0 else { continue }
            if ConstantTime.equals(Array(code(counter: UInt64(c)).utf8), Array(candidate.utf8)) { matched = true }
        }
        return matched
    }

    /// The `otpauth://totp/…` URI an authenticator app reads (as a QR code).
    public func provisioningURI(issuer: String, account: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let label = "\(issuer):\(account)".addingPercentEncoding(withAllowedCharacters: allowed) ?? account
        let issuerParam = issuer.addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(issuerParam)"
            + "&algorithm=\(algorithm.rawValue)&digits=\(digits)&period=\(period)"
    }
}

/// RFC 4648 base32 (upper case, no padding on output; padding and lower case accepted on input).
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Upper-case base32 of `bytes`, without `=` padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text`; nil for a character outside the alphabet or a length no encoding has
    /// (1, 3 or 6 characters past a multiple of 8: a truncated secret).
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        var count = 0
        for c in text.uppercased().utf8 where c != UInt8(ascii: "=") && c != UInt8(ascii: " ") {
            guard let index = alphabet.firstIndex(of: c) else { return nil }
            buffer = (buffer << 5) | UInt32(index)
            bits += 5
            count += 1
            if bits >= 8 {
                out.append(UInt8((buffer >> UInt32(bits - 8)) & 0xff))
                bits -= 8
            }
        }
        guard ![1, 3, 6].contains(count % 8) else { return nil }
        return out
    }
}
