internal import COpenSSL
import Foundation

/// A TLS certificate and its private key, in PEM, for the server (OpenSSL libcrypto's X509 functions).
public struct TLSIdentity: Sendable {
    public var certificatePEM: String
    public var privateKeyPEM: String

    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// `sha256:<hex>` of the certificate's DER encoding: what an agent pins (`--pin`).
    /// - Throws: `CryptoError` when the PEM holds no certificate.
    public var fingerprint: String {
        get throws { "sha256:" + SHA256.hash(try Self.der(certificatePEM: certificatePEM)).hex }
    }

    /// A new ECDSA P-256 key and a self-signed certificate for it, valid from an hour ago for `days`, with
    /// `dnsNames` and `ipAddresses` as subject alternative names.
    /// - Throws: `CryptoError` if OpenSSL fails or a name cannot go in a certificate.
    public static func selfSigned(dnsNames: [String], ipAddresses: [String], days: Int = 825) throws -> TLSIdentity {
        for name in dnsNames + ipAddresses where name.isEmpty || name.contains(where: { $0 == "," || $0 == "\n" }) {
            throw CryptoError(
                code: "tls.name",
                message: "a certificate name must be non-empty without commas or newlines: '\(name)'")
        }
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else {
            throw CryptoError.openssl("EVP_PKEY_CTX_new_id")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1,
            EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) == 1,
            EVP_PKEY_keygen(context, &key) == 1, let key
        else { throw CryptoError.openssl("EVP_PKEY_keygen (P-256)") }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else { throw CryptoError.openssl("X509_new") }
        defer { X509_free(certificate) }
        var serial: Int64 = 0
        let random = try SecureRandom.bytes(8)
        for byte in random { serial = serial << 8 | Int64(byte) }
        serial &= .max
        guard X509_set_version(certificate, 2) == 1,
            ASN1_INTEGER_set_int64(X509_get_serialNumber(certificate), max(1, serial)) == 1,
            X509_gmtime_adj(X509_getm_notBefore(certificate), -3600) != nil,
            X509_gmtime_adj(X509_getm_notAfter(certificate), days * 86_400) != nil,
            X509_set_pubkey(certificate, key) == 1,
            let name = X509_get_subject_name(certificate),
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "vigil server", -1, -1, 0) == 1,
            X509_set_issuer_name(certificate, name) == 1
        else { throw CryptoError.openssl("building the certificate") }
        let alternativeNames = (dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }).joined(separator: ",")
        for (nid, value) in [
            (NID_subject_alt_name, alternativeNames), (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature"), (NID_ext_key_usage, "serverAuth"),
        ] {
            var v3 = X509V3_CTX()
            X509V3_set_ctx(&v3, certificate, certificate, nil, nil, 0)
            guard let extensionItem = X509V3_EXT_conf_nid(nil, &v3, nid, value) else {
                throw CryptoError.openssl("the certificate extension \(value)")
            }
            defer { X509_EXTENSION_free(extensionItem) }
            guard X509_add_ext(certificate, extensionItem, -1) == 1 else { throw CryptoError.openssl("X509_add_ext") }
        }
        guard X509_sign(certificate, key, EVP_sha256()) > 0 else { throw CryptoError.openssl("X509_sign") }
        let certificatePEM = try pem { PEM_write_bio_X509($0, certificate) }
        let keyPEM = try pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
        return TLSIdentity(certificatePEM: certificatePEM, privateKeyPEM: keyPEM)
    }

    private static func pem(_ write: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.openssl("BIO_new") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw CryptoError.openssl("PEM_write_bio") }
        var bytes = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(bio)))
        let read = BIO_read(bio, &bytes, Int32(bytes.count))
        return String(decoding: bytes.prefix(Int(max(0, read))), as: UTF8.self)
    }

    /// The DER bytes of the first certificate in `certificatePEM`.
    public static func der(certificatePEM: String) throws -> [UInt8] {
        let bytes = Array(certificatePEM.utf8)
        let certificate = bytes.withUnsafeBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let certificate else {
            throw CryptoError(
                code: "tls.no-certificate",
                message: "the file holds no PEM certificate (-----BEGIN CERTIFICATE-----); check --tls-cert")
        }
        defer { X509_free(certificate) }
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { throw CryptoError.openssl("i2d_X509") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var pointer = buffer.baseAddress
            return i2d_X509(certificate, &pointer)
        }
        guard written == length else { throw CryptoError.openssl("i2d_X509") }
        return der
    }
}
