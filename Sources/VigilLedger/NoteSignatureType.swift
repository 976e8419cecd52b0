/// The signed-note signature types Vigil signs and verifies (C2SP signed-note and tlog-cosignature).
public enum NoteSignatureType: UInt8, Sendable, CaseIterable {
    /// Ed25519 over the note text (`0x01`): a log's own checkpoint signature.
    case ed25519 = 0x01
    /// Timestamped Ed25519 checkpoint cosignature (`0x04`): a witness's or second signer's statement,
    /// signed over `cosignature/v1\ntime <t>\n` followed by the checkpoint text.
    case cosignatureV1 = 0x04

    /// The bytes a key of this type signs for `text`, given the cosignature timestamp.
    func signedMessage(text: [UInt8], timestamp: UInt64) -> [UInt8] {
        switch self {
        case .ed25519: return text
        case .cosignatureV1: return Array("cosignature/v1\ntime \(timestamp)\n".utf8) + text
        }
    }
}
