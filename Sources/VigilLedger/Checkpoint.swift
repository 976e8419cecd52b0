import VigilCore
import VigilCrypto

/// A C2SP tlog-checkpoint note text: origin, decimal tree size, base64 root hash, optional extension lines.
public struct Checkpoint: Sendable, Hashable {
    public var origin: String
    public var size: UInt64
    public var root: SHA256Digest
    /// Extension lines (non-empty, opaque). Vigil writes none.
    public var extensions: [String]

    public init(origin: String, size: UInt64, root: SHA256Digest, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// The note text.
    public var text: [UInt8] {
        Array(([origin, String(size), Base64.encode(root.bytes)] + extensions).map { $0 + "\n" }.joined().utf8)
    }

    /// Parses a checkpoint's note text.
    /// - Throws: `LedgerError` `checkpoint.malformed` naming the line that is wrong.
    public init(text: [UInt8]) throws {
        guard text.last == 0x0a, let string = String(validating: text, as: UTF8.self) else {
            throw Checkpoint.malformed(line: 0, "the text is not UTF-8 ending in a newline")
        }
        let lines = string.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else {
            throw Checkpoint.malformed(line: lines.count + 1, "a checkpoint has at least 3 lines: origin, size, root")
        }
        if let empty = lines.firstIndex(where: \.isEmpty) {
            throw Checkpoint.malformed(line: empty + 1, "the line is empty")
        }
        let sizeText = lines[1]
        guard sizeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), sizeText == "0" || !sizeText.hasPrefix("0"),
            let size = UInt64(sizeText)
        else {
            throw Checkpoint.malformed(line: 2, "the tree size is not a decimal number without leading zeros")
        }
        guard let rootBytes = Base64.decode(lines[2]), let root = SHA256Digest(bytes: rootBytes) else {
            throw Checkpoint.malformed(line: 3, "the root hash is not the base64 of 32 bytes")
        }
        self.init(origin: lines[0], size: size, root: root, extensions: Array(lines.dropFirst(3)))
    }

    static func malformed(line: Int, _ reason: String) -> LedgerError {
        LedgerError(
            code: "checkpoint.malformed", message: "not a tlog checkpoint: \(reason)",
            location: ErrorLocation(line: line))
    }
}
