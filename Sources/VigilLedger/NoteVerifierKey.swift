import VigilCrypto

/// A verifier key (`vkey`): `name+hex(keyID)+base64(type ‖ public key)`, C2SP signed-note §Verifier keys.
public struct NoteVerifierKey: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let keyID: UInt32
    public let type: NoteSignatureType
    public let publicKey: Ed25519PublicKey

    /// A key for `publicKey` under `name`, with the key ID the spec derives.
    /// - Throws: `LedgerError` `note.key-name` for an invalid name.
    public init(name: String, type: NoteSignatureType = .ed25519, publicKey: Ed25519PublicKey) throws {
        guard NoteKeyName.isValid(name) else { throw NoteVerifierKey.badName(name) }
        self.name = name
        self.type = type
        self.publicKey = publicKey
        keyID = NoteKeyName.keyID(name: name, type: type.rawValue, publicKey: publicKey.rawRepresentation)
    }

    /// Parses a vkey. The name is everything before the first `+`, the ID the next eight hex digits;
    /// the base64 part may itself contain `+`.
    /// - Throws: `LedgerError` `note.vkey` naming the part that is wrong.
    public init(_ text: some StringProtocol) throws {
        let text = String(text).trimmingSuffix("\n")
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw NoteVerifierKey.bad("it has \(parts.count) '+'-separated parts, not 3 (name+keyid+key)")
        }
        guard NoteKeyName.isValid(parts[0]) else { throw NoteVerifierKey.badName(String(parts[0])) }
        guard parts[1].count == 8, let idBytes = Hex.decode(parts[1]), parts[1] == parts[1].lowercased() else {
            throw NoteVerifierKey.bad("the key ID '\(printable(parts[1]))' is not 8 lower-case hex digits")
        }
        guard let material = Base64.decode(parts[2]), let first = material.first else {
            throw NoteVerifierKey.bad("the key part is not valid standard base64")
        }
        guard let type = NoteSignatureType(rawValue: first) else {
            throw NoteVerifierKey.bad(
                "signature type 0x\(Hex.encode([first])) is not supported (Vigil verifies 0x01 Ed25519 and 0x04 cosignatures)"
            )
        }
        guard material.count == 33 else {
            throw NoteVerifierKey.bad(
                "an Ed25519 key is 32 bytes after the type byte, this one is \(material.count - 1)")
        }
        try self.init(
            name: String(parts[0]), type: type,
            publicKey: try Ed25519PublicKey(rawRepresentation: Array(material.dropFirst())))
        let given = idBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard given == keyID else {
            throw NoteVerifierKey.bad(
                "its key ID \(parts[1]) does not match the name and key (expected \(NoteVerifierKey.hex(keyID))); the vkey was altered"
            )
        }
    }

    /// The vkey text.
    public var description: String {
        "\(name)+\(NoteVerifierKey.hex(keyID))+\(Base64.encode([type.rawValue] + publicKey.rawRepresentation))"
    }

    /// Whether `signature` (without its key ID) is this key's over `text`.
    func verifies(_ signature: [UInt8], text: [UInt8]) -> (valid: Bool, timestamp: UInt64?) {
        switch type {
        case .ed25519:
            return (publicKey.isValidSignature(signature, for: text), nil)
        case .cosignatureV1:
            guard signature.count == 8 + 64 else { return (false, nil) }
            let timestamp = signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard timestamp < 1 << 63 else { return (false, nil) }
            let message = type.signedMessage(text: text, timestamp: timestamp)
            return (publicKey.isValidSignature(Array(signature.dropFirst(8)), for: message), timestamp)
        }
    }

    static func hex(_ id: UInt32) -> String {
        Hex.encode([UInt8(id >> 24), UInt8(id >> 16 & 0xff), UInt8(id >> 8 & 0xff), UInt8(id & 0xff)])
    }

    static func bad(_ reason: String) -> LedgerError {
        LedgerError(
            code: "note.vkey",
            message: "the verifier key is malformed: \(reason); use the .vkey file 'vigil archive keygen' wrote")
    }

    static func badName(_ name: String) -> LedgerError {
        LedgerError(
            code: "note.key-name",
            message:
                "the key name '\(printable(name))' is empty or contains a space or '+'; use a name like example.com/log"
        )
    }
}

/// `text` cut to 60 characters with anything but printable ASCII shown as `?`, for error messages.
func printable(_ text: some StringProtocol) -> String {
    String(
        String.UnicodeScalarView(
            text.unicodeScalars.prefix(60).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f ? $0 : "?" }))
}

extension String {
    /// The string without one trailing `suffix`, if it has it.
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
