import VigilCrypto

/// A signing key in the `PRIVATE+KEY+name+hex(keyID)+base64(type ‖ seed)` text form (golang.org/x/mod
/// sumdb/note's signer-key encoding), so keys move between Vigil and Go tooling unchanged.
///
/// `description` is deliberately not the key text: print `encodedSecret()` only to write the key file.
public final class NoteSignerKey: Sendable, CustomStringConvertible {
    public let name: String
    public let type: NoteSignatureType
    public let privateKey: Ed25519PrivateKey
    public let verifier: NoteVerifierKey

    /// A signer for `privateKey` under `name`.
    /// - Throws: `LedgerError` `note.key-name` for an invalid name.
    public init(name: String, type: NoteSignatureType = .ed25519, privateKey: Ed25519PrivateKey) throws {
        self.name = name
        self.type = type
        self.privateKey = privateKey
        verifier = try NoteVerifierKey(name: name, type: type, publicKey: privateKey.publicKey)
    }

    /// A new random key.
    /// - Throws: `LedgerError` for an invalid name, `CryptoError` if the random source fails.
    public static func generate(name: String, type: NoteSignatureType = .ed25519) throws -> NoteSignerKey {
        try NoteSignerKey(name: name, type: type, privateKey: try Ed25519PrivateKey.generate())
    }

    /// Parses a signer key. Error messages never repeat the key text.
    /// - Throws: `LedgerError` `note.skey` naming the part that is wrong.
    public convenience init(_ text: some StringProtocol) throws {
        let text = String(text).trimmingSuffix("\n")
        let parts = text.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw NoteSignerKey.bad("it does not start with PRIVATE+KEY+ and have name+keyid+key after it")
        }
        guard NoteKeyName.isValid(parts[2]) else { throw NoteVerifierKey.badName(String(parts[2])) }
        guard var material = Base64.decode(parts[4]), material.count == 33,
            let type = NoteSignatureType(rawValue: material[0])
        else {
            throw NoteSignerKey.bad("the key part is not base64 of a type byte (0x01 or 0x04) and a 32-byte seed")
        }
        defer { SecureErase.erase(&material) }
        try self.init(
            name: String(parts[2]), type: type, privateKey: try Ed25519PrivateKey(seed: Array(material.dropFirst())))
        guard parts[3] == NoteVerifierKey.hex(verifier.keyID) else {
            throw NoteSignerKey.bad("its key ID does not match the name and key; the key file was altered")
        }
    }

    /// The secret key text, for writing the key file (mode 0600). Never log it.
    public func encodedSecret() -> String {
        privateKey.withSeed { seed in
            "PRIVATE+KEY+\(name)+\(NoteVerifierKey.hex(verifier.keyID))+\(Base64.encode([type.rawValue] + Array(seed)))"
        }
    }

    /// The signature line's payload for `text`: key ID ‖ (timestamp, for cosignatures) ‖ signature.
    /// - Throws: `CryptoError` if signing fails.
    public func sign(text: [UInt8], timestamp: UInt64 = 0) throws -> NoteSignature {
        let id = verifier.keyID
        var bytes = [UInt8(id >> 24), UInt8(id >> 16 & 0xff), UInt8(id >> 8 & 0xff), UInt8(id & 0xff)]
        if type == .cosignatureV1 { bytes += (0..<8).reversed().map { UInt8(timestamp >> UInt64($0 * 8) & 0xff) } }
        bytes += try privateKey.signature(for: type.signedMessage(text: text, timestamp: timestamp))
        return NoteSignature(name: name, bytes: bytes)
    }

    public var description: String { "signer key \(name)+\(NoteVerifierKey.hex(verifier.keyID)) (secret not shown)" }

    static func bad(_ reason: String) -> LedgerError {
        LedgerError(
            code: "note.skey",
            message: "the signing key is malformed: \(reason); use the .key file 'vigil archive keygen' wrote")
    }
}
