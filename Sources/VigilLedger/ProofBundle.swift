import VigilCore
import VigilCrypto

/// A self-contained, offline-checkable proof that one entry is in the log, in the C2SP tlog-proof
/// shape: `c2sp.org/tlog-proof@v1`, `extra <base64 entry>`, `index N`, the inclusion proof (one base64
/// hash per line, leaf side first), a blank line, and the signed checkpoint verbatim.
///
/// The entry travels in the `extra` line, so the proof needs nothing else but the log's public key.
public struct ProofBundle: Sendable, Equatable {
    public static let header = "c2sp.org/tlog-proof@v1"

    public var entry: [UInt8]
    public var index: UInt64
    public var proof: [SHA256Digest]
    public var checkpoint: SignedNote

    public init(entry: [UInt8], index: UInt64, proof: [SHA256Digest], checkpoint: SignedNote) {
        self.entry = entry
        self.index = index
        self.proof = proof
        self.checkpoint = checkpoint
    }

    /// The file's bytes.
    public var bytes: [UInt8] {
        var lines = [Self.header, "extra \(Base64.encode(entry))", "index \(index)"]
        lines += proof.map { Base64.encode($0.bytes) }
        return Array((lines.joined(separator: "\n") + "\n\n").utf8) + checkpoint.bytes
    }

    /// Parses a proof file.
    /// - Throws: `LedgerError` `proof.malformed` naming the line, or the note's own parse error.
    public init(parsing bytes: [UInt8]) throws {
        guard let blank = Self.blankLine(in: bytes) else {
            throw Self.malformed(line: 1, "there is no blank line before the checkpoint (truncated file?)")
        }
        guard let head = String(validating: bytes[..<blank], as: UTF8.self) else {
            throw Self.malformed(line: 1, "the proof is not UTF-8 text")
        }
        let lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == Substring(Self.header) else {
            throw Self.malformed(line: 1, "the first line must be \(Self.header)")
        }
        guard lines.count >= 3, lines[1].hasPrefix("extra "),
            let entry = Base64.decode(lines[1].dropFirst("extra ".count))
        else { throw Self.malformed(line: 2, "the second line must be 'extra ' and the entry in base64") }
        let indexText = lines[2].dropFirst("index ".count)
        guard lines[2].hasPrefix("index "), indexText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            indexText == "0" || !indexText.hasPrefix("0"), let index = UInt64(indexText)
        else { throw Self.malformed(line: 3, "the third line must be 'index ' and a decimal number") }
        var proof: [SHA256Digest] = []
        for (offset, line) in lines.dropFirst(3).enumerated() {
            guard let hash = Base64.decode(line).flatMap({ SHA256Digest(bytes: $0) }) else {
                throw Self.malformed(line: offset + 4, "a proof line must be the base64 of a 32-byte hash")
            }
            proof.append(hash)
        }
        guard proof.count <= 64 else { throw Self.malformed(line: 68, "an inclusion proof has at most 64 hashes") }
        self.init(
            entry: entry, index: index, proof: proof,
            checkpoint: try SignedNote(parsing: Array(bytes[(blank + 2)...])))
    }

    /// Checks the checkpoint's signatures against `keys` and the entry's inclusion under its root.
    /// - Returns: the checkpoint and who signed it.
    /// - Throws: `LedgerError` for a bad or unknown signature, a malformed checkpoint, or a proof that fails.
    public func verify(
        keys: [NoteVerifierKey], hasher: some MerkleHasher = RFC9162Hasher()
    ) throws -> (
        checkpoint: Checkpoint, verification: NoteVerification
    ) {
        let verification = try checkpoint.verify(keys: keys)
        let parsed = try Checkpoint(text: checkpoint.text)
        try MerkleVerifier.verifyInclusion(
            leafHash: hasher.hashLeaf(entry).bytes, index: index, treeSize: parsed.size, proof: proof.map(\.bytes),
            root: parsed.root.bytes, hasher: hasher)
        return (parsed, verification)
    }

    /// The offset of the first `\n\n` (the end of the proof lines).
    private static func blankLine(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for i in 0..<(bytes.count - 1) where bytes[i] == 0x0a && bytes[i + 1] == 0x0a { return i }
        return nil
    }

    static func malformed(line: Int, _ reason: String) -> LedgerError {
        LedgerError(
            code: "proof.malformed", message: "not a tlog proof: \(reason); make it again with 'vigil archive prove'",
            location: ErrorLocation(line: line))
    }
}
