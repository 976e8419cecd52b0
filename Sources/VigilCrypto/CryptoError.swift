internal import COpenSSL
import VigilCore

/// An error from a cryptographic operation. Never carries key material or plaintext.
public struct CryptoError: VigilError, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// An error for a failed libcrypto call, with OpenSSL's own reason appended (and its queue cleared).
    static func openssl(_ function: String) -> CryptoError {
        var reasons: [String] = []
        while case let error = ERR_get_error(), error != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(error, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let detail = reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))"
        return CryptoError(code: "openssl", message: "\(function) failed\(detail); check that OpenSSL 3 is installed.")
    }
}
