import VigilCrypto

/// Rules for signed-note key names (C2SP signed-note): non-empty, no Unicode spaces, no `+`.
enum NoteKeyName {
    /// Whether `name` may name a key.
    static func isValid(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && !name.contains("+")
            && !name.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }
    }

    /// The key ID: the first four bytes of `SHA-256(name ‖ 0x0A ‖ type ‖ public key)`, big-endian.
    static func keyID(name: String, type: UInt8, publicKey: [UInt8]) -> UInt32 {
        let digest = SHA256.hash(Array(name.utf8) + [0x0a, type] + publicKey).bytes
        return digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}
