import Foundation
import Testing
import VigilCrypto

@Suite struct TLSIdentityTests {
    /// The fingerprint is SHA-256 of the DER certificate: decode the PEM body ourselves and compare.
    @Test func aSelfSignedCertificateHasThePinnedFingerprintAndItsNames() throws {
        let identity = try TLSIdentity.selfSigned(dnsNames: ["localhost", "vigil.example"], ipAddresses: ["127.0.0.1"])
        #expect(identity.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        #expect(identity.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let body = identity.certificatePEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let der = try #require(Data(base64Encoded: body))
        #expect(try TLSIdentity.der(certificatePEM: identity.certificatePEM) == Array(der))
        #expect(try identity.fingerprint == "sha256:" + SHA256.hash(der).hex)
        // The names are in the certificate's DER (subjectAltName dNSName and iPAddress entries).
        #expect(der.range(of: Data("vigil.example".utf8)) != nil)
        #expect(der.range(of: Data([127, 0, 0, 1])) != nil)
        // Two certificates: two keys, two fingerprints.
        let other = try TLSIdentity.selfSigned(dnsNames: ["localhost"], ipAddresses: [])
        #expect(try other.fingerprint != identity.fingerprint)
        #expect(other.privateKeyPEM != identity.privateKeyPEM)
    }

    @Test(arguments: ["", "not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
    func garbageIsNotACertificate(_ text: String) {
        #expect {
            try TLSIdentity.der(certificatePEM: text)
        } throws: { error in
            (error as? CryptoError)?.code == "tls.no-certificate"
        }
    }

    @Test(arguments: ["", "a,b", "line\nbreak"])
    func namesThatCannotGoInACertificateAreRefused(_ name: String) {
        #expect(throws: CryptoError.self) { try TLSIdentity.selfSigned(dnsNames: [name], ipAddresses: []) }
    }
}
