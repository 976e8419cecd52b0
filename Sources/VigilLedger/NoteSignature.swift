/// One signature line of a signed note: `— <name> base64(keyID ‖ signature)`.
public struct NoteSignature: Sendable, Hashable {
    public var name: String
    /// Key ID (4 bytes, big-endian) followed by the algorithm's signature.
    public var bytes: [UInt8]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    /// The key ID in the first four bytes.
    public var keyID: UInt32 { bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }

    /// The line, with its newline.
    public var line: String { "\u{2014} \(name) \(Base64.encode(bytes))\n" }
}
