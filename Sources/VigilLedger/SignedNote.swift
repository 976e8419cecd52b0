import VigilCore
import VigilCrypto

/// A C2SP signed note: a text ending in a newline, a blank line, and one or more signature lines.
///
/// Parsing is strict (valid UTF-8, no control characters but newline, canonical base64) so that any
/// change to a stored note is either a parse error or a failed signature.
public struct SignedNote: Sendable, Hashable {
    /// The signed text, including its final newline.
    public var text: [UInt8]
    public var signatures: [NoteSignature]

    /// The most signatures a note may carry; the spec requires accepting at least 16.
    public static let maximumSignatures = 100

    public init(text: [UInt8], signatures: [NoteSignature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Signs `text` with each key (cosignature keys stamp `timestamp`, seconds since 1970).
    /// - Throws: `LedgerError` `note.text` if the text is not a valid note text; `CryptoError` if signing fails.
    public init(signing text: [UInt8], with keys: [NoteSignerKey], timestamp: UInt64 = 0) throws {
        try SignedNote.checkText(text)
        self.text = text
        signatures = try keys.map { try $0.sign(text: text, timestamp: timestamp) }
    }

    /// Parses note bytes.
    /// - Throws: `LedgerError` `note.malformed` saying what is wrong and at which byte offset.
    public init(parsing bytes: [UInt8]) throws {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw SignedNote.malformed("the note is not valid UTF-8", offset: nil)
        }
        if let bad = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x0a || $0 == 0x7f }) {
            throw SignedNote.malformed("the note contains control byte 0x\(Hex.encode([bytes[bad]]))", offset: bad)
        }
        guard bytes.last == 0x0a else {
            throw SignedNote.malformed("the note does not end with a newline (truncated?)", offset: bytes.count)
        }
        // The text ends at the last blank line.
        var split: Int?
        var i = bytes.count - 1
        while i > 0 {
            if bytes[i] == 0x0a && bytes[i - 1] == 0x0a {
                split = i
                break
            }
            i -= 1
        }
        guard let split else {
            throw SignedNote.malformed("there is no blank line between the text and the signatures", offset: nil)
        }
        text = Array(bytes[..<split])
        signatures = []
        try SignedNote.checkText(text)
        var lineStart = split + 1
        let dash = Array("\u{2014} ".utf8)
        while lineStart < bytes.count {
            guard let end = bytes[lineStart...].firstIndex(of: 0x0a) else { break }
            let line = bytes[lineStart..<end]
            guard line.starts(with: dash) else {
                throw SignedNote.malformed("a signature line does not start with '— '", offset: lineStart)
            }
            let rest = line.dropFirst(dash.count)
            guard let space = rest.lastIndex(of: 0x20) else {
                throw SignedNote.malformed(
                    "a signature line has no space between key name and signature", offset: lineStart)
            }
            let name = String(decoding: rest[..<space], as: UTF8.self)
            guard NoteKeyName.isValid(name) else {
                throw SignedNote.malformed("a signature line has an invalid key name", offset: lineStart)
            }
            guard let signature = Base64.decode(String(decoding: rest[(space + 1)...], as: UTF8.self)),
                signature.count > 4
            else {
                throw SignedNote.malformed(
                    "a signature is not canonical base64 of key ID and signature", offset: space + 1)
            }
            signatures.append(NoteSignature(name: name, bytes: signature))
            guard signatures.count <= SignedNote.maximumSignatures else {
                throw SignedNote.malformed(
                    "the note has more than \(SignedNote.maximumSignatures) signatures", offset: lineStart)
            }
            lineStart = end + 1
        }
        guard !signatures.isEmpty else { throw SignedNote.malformed("the note has no signature lines", offset: split) }
    }

    /// The note's bytes: text, blank line, signature lines.
    public var bytes: [UInt8] { text + [0x0a] + signatures.flatMap { Array($0.line.utf8) } }

    /// Verifies the note against trusted keys.
    ///
    /// Signatures from unknown keys (name and ID not both matching) are ignored, as the spec requires;
    /// a known key whose signature fails rejects the whole note.
    /// - Returns: which known keys signed, and the signatures that were ignored.
    /// - Throws: `LedgerError` `note.bad-signature` naming the key, or `note.unknown-key` when no known key signed.
    public func verify(keys: [NoteVerifierKey]) throws -> NoteVerification {
        var result = NoteVerification()
        for signature in signatures {
            guard let key = keys.first(where: { $0.name == signature.name && $0.keyID == signature.keyID }) else {
                result.ignored.append(signature)
                continue
            }
            let (valid, timestamp) = key.verifies(Array(signature.bytes.dropFirst(4)), text: text)
            guard valid else {
                throw LedgerError(
                    code: "note.bad-signature",
                    message: "the signature by \(key.name)+\(NoteVerifierKey.hex(key.keyID)) does not verify: "
                        + "the note was altered after signing, or the signature is corrupt")
            }
            if !result.signers.contains(where: { $0.key == key }) {
                result.signers.append((key: key, timestamp: timestamp))
            }
        }
        guard !result.signers.isEmpty else {
            let names = signatures.map { "\($0.name)+\(NoteVerifierKey.hex($0.keyID))" }.joined(separator: ", ")
            let known = keys.map { "\($0.name)+\(NoteVerifierKey.hex($0.keyID))" }.joined(separator: ", ")
            throw LedgerError(
                code: "note.unknown-key",
                message:
                    "no trusted key signed this note (signed by \(names); trusted: \(known.isEmpty ? "none" : known)); "
                    + "pass the signer's .vkey with --vkey")
        }
        return result
    }

    /// A note text: non-empty, ends with a newline, and contains no blank line at its end.
    static func checkText(_ text: [UInt8]) throws {
        guard text.last == 0x0a, String(validating: text, as: UTF8.self) != nil,
            !text.contains(where: { $0 < 0x20 && $0 != 0x0a })
        else {
            throw LedgerError(
                code: "note.text",
                message: "a note text must be UTF-8 without control characters and end with a newline")
        }
    }

    static func malformed(_ reason: String, offset: Int?) -> LedgerError {
        LedgerError(
            code: "note.malformed", message: "not a signed note: \(reason)",
            location: offset.map { ErrorLocation(offset: $0) })
    }
}

/// The outcome of verifying a note: the trusted keys that signed it (with the cosignature time, if any)
/// and the signatures from keys not trusted, which were ignored.
public struct NoteVerification: Sendable {
    public var signers: [(key: NoteVerifierKey, timestamp: UInt64?)] = []
    public var ignored: [NoteSignature] = []
}
