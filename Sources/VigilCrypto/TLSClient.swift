internal import COpenSSL
import Foundation

/// A TLS 1.2+ client session over a connected socket that trusts exactly one server certificate.
///
/// Pinning is by the whole leaf certificate: after the handshake the peer's DER certificate must equal the one
/// saved at enrollment byte for byte (or, at enrollment, its SHA-256 must equal the `sha256:` pin the
/// administrator gave). OpenSSL's chain verification is off because a CA is not what is trusted here; the
/// handshake itself still proves the server holds that certificate's private key (CertificateVerify), so the
/// pin is the whole trust decision. No system CA store, environment variable or hostname can widen it.
///
/// FoundationNetworking's URLSession cannot do this on Linux: its libcurl handle reads
/// `URLSessionCertificateAuthorityInfoFile` only under `#if os(Android)` and offers no server-trust challenge.
public final class TLSClientSession: @unchecked Sendable {
    // The SSL objects are used by one caller at a time (one request per connection).
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    /// The server's certificate (DER), as presented in the handshake.
    public let peerCertificate: [UInt8]

    /// What the server's certificate must be.
    public enum Trust: Sendable {
        /// Exactly this DER certificate (saved at enrollment).
        case certificate([UInt8])
        /// A certificate whose SHA-256 is this digest (the administrator's `--pin`, at enrollment).
        case sha256([UInt8])
    }

    /// Runs the handshake on `fd` (a connected stream socket the caller keeps owning and closes after `close()`).
    public init(fd: Int32, serverName: String, trust: Trust) throws {
        guard let method = TLS_client_method(), let context = SSL_CTX_new(method) else {
            throw CryptoError.openssl("SSL_CTX_new")
        }
        guard vigil_ssl_ctx_min_tls12(context) == 1 else {
            SSL_CTX_free(context)
            throw CryptoError.openssl("SSL_CTX_set_min_proto_version")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw CryptoError.openssl("SSL_new")
        }
        self.context = context
        self.ssl = ssl
        var certificate: [UInt8] = []
        _ = serverName.withCString { vigil_ssl_set_sni(ssl, $0) }
        SSL_set_fd(ssl, fd)
        guard SSL_connect(ssl) == 1 else {
            let detail = Self.lastError()
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw CryptoError(
                code: "tls.handshake",
                message: "TLS handshake with \(serverName) failed\(detail); check the server URL and that it speaks TLS"
            )
        }
        guard let peer = SSL_get1_peer_certificate(ssl) else {
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw CryptoError(code: "tls.no-certificate", message: "\(serverName) presented no certificate")
        }
        let length = i2d_X509(peer, nil)
        if length > 0 {
            certificate = [UInt8](repeating: 0, count: Int(length))
            certificate.withUnsafeMutableBufferPointer { buffer in
                var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
                _ = i2d_X509(peer, &cursor)
            }
        }
        X509_free(peer)
        // Decided before the last stored property is set: a throw after full initialisation would run deinit,
        // which frees the SSL objects a second time.
        let trusted: Bool
        switch trust {
        case .certificate(let expected): trusted = !certificate.isEmpty && certificate == expected
        case .sha256(let digest): trusted = !certificate.isEmpty && SHA256.hash(certificate).bytes == digest
        }
        guard trusted else {
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw CryptoError(
                code: "tls.pin-mismatch",
                message:
                    "\(serverName) presented a certificate (sha256:\(SHA256.hash(certificate).hex)) that is not the pinned one; "
                    + "refusing to talk to it. If the server's certificate was replaced on purpose, enroll the agent again with the new pin"
            )
        }
        peerCertificate = certificate
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, Int32($0.count - offset)) }
            guard n > 0 else { throw CryptoError(code: "tls.write", message: "TLS write failed\(Self.lastError())") }
            offset += Int(n)
        }
    }

    /// Reads up to `count` bytes; 0 at the end of the stream.
    public func read(into buffer: inout [UInt8]) throws -> Int {
        let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
        if n > 0 { return Int(n) }
        let code = SSL_get_error(ssl, n)
        if code == SSL_ERROR_ZERO_RETURN || code == SSL_ERROR_SYSCALL { return 0 }
        throw CryptoError(code: "tls.read", message: "TLS read failed\(Self.lastError())")
    }

    /// Sends close_notify.
    public func shutdown() { _ = SSL_shutdown(ssl) }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        ERR_clear_error()
        return ": " + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The DER bytes of the first certificate in a PEM text; nil if there is none.
    public static func derFromPEM(_ pem: String) -> [UInt8]? {
        let lines = pem.split(whereSeparator: \.isNewline)
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN CERTIFICATE-----") }),
            let end = lines[begin...].firstIndex(where: { $0.hasPrefix("-----END CERTIFICATE-----") })
        else { return nil }
        return Data(base64Encoded: lines[(begin + 1)..<end].joined()).map { Array($0) }
    }

    /// A PEM text for DER certificate bytes.
    public static func pem(der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines: [String] = ["-----BEGIN CERTIFICATE-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<next]))
            index = next
        }
        lines.append("-----END CERTIFICATE-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
