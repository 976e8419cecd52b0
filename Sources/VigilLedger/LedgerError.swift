import Foundation
import VigilCore

/// An error from the ledger: a malformed proof, note, key or archive, or a failed read or write.
/// Messages say what is wrong and how to fix it; they never contain key material.
public struct LedgerError: VigilError, Equatable {
    public var code: String
    public var message: String
    public var location: ErrorLocation?

    public init(code: String, message: String, location: ErrorLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    /// A proof that does not verify: the computed root differs from the one given.
    static func rootMismatch(_ what: String) -> LedgerError {
        LedgerError(
            code: "ledger.root-mismatch",
            message: "\(what): the root computed from the proof does not match the expected root; "
                + "the entry, the proof or the checkpoint was altered, or they belong to different trees")
    }

    /// A proof whose shape does not fit the sizes (too short, too long, wrong sizes).
    static func badProof(_ message: String) -> LedgerError {
        LedgerError(code: "ledger.bad-proof", message: message)
    }

    /// A hash that is not 32 bytes.
    static func hashLength(_ what: String, _ count: Int) -> LedgerError {
        LedgerError(
            code: "ledger.hash-length",
            message: "\(what) is \(count) bytes; a SHA-256 hash is 32 bytes — the value is truncated or not a hash")
    }

    /// An I/O failure on an archive file.
    static func io(_ operation: String, path: String, errno code: Int32) -> LedgerError {
        LedgerError(
            code: "ledger.io",
            message: "\(operation) failed: \(String(cString: strerror(code))); check the path and its permissions",
            location: ErrorLocation(file: path))
    }
}
