import Foundation
import VigilCore
import VigilCrypto

/// The key files `vigil archive keygen` writes: `PREFIX.key` (the signer key text, mode 0600, created
/// exclusively so an existing key is never overwritten) and `PREFIX.vkey` (the verifier key text).
public enum KeyFiles {
    /// Writes both files for `signer`.
    /// - Throws: `LedgerError` if either file exists or cannot be written.
    public static func write(_ signer: NoteSignerKey, prefix: String) throws {
        var secret = Array((signer.encodedSecret() + "\n").utf8)
        defer { SecureErase.erase(&secret) }
        try create(prefix + ".key", secret, mode: 0o600)
        try create(prefix + ".vkey", Array((signer.verifier.description + "\n").utf8), mode: 0o644)
    }

    /// Reads a signer key file.
    /// - Throws: `LedgerError` if the file cannot be read or is not a signer key (never echoing its text).
    public static func readSigner(_ path: String) throws -> NoteSignerKey {
        var bytes = try read(path, what: "signing key")
        defer { SecureErase.erase(&bytes) }
        do {
            return try NoteSignerKey(String(decoding: bytes, as: UTF8.self))
        } catch var error as LedgerError {
            error.location = ErrorLocation(file: path)
            throw error
        }
    }

    /// Reads a verifier key from a file, or takes `argument` itself as a vkey when no such file exists
    /// and it looks like one (`name+id+key`).
    /// - Throws: `LedgerError` if neither works.
    public static func readVerifier(_ argument: String) throws -> NoteVerifierKey {
        if !FileManager.default.fileExists(atPath: argument) && argument.split(separator: "+").count >= 3 {
            return try NoteVerifierKey(argument)
        }
        let bytes = try read(argument, what: "verifier key")
        do {
            return try NoteVerifierKey(String(decoding: bytes, as: UTF8.self))
        } catch var error as LedgerError {
            error.location = ErrorLocation(file: argument)
            throw error
        }
    }

    private static func read(_ path: String, what: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerError(
                code: "ledger.no-key", message: "there is no \(what) file at \(path); check the path",
                location: ErrorLocation(file: path))
        }
        let file = try ArchiveFile(path: path, writable: false)
        guard try file.length() <= 64 * 1024 else {
            throw LedgerError(
                code: "ledger.key-size", message: "\(path) is too large to be a \(what); check the path",
                location: ErrorLocation(file: path))
        }
        return try file.readAll()
    }

    private static func create(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let fd = ArchiveFile.retrying { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        guard fd >= 0 else {
            if errno == EEXIST {
                throw LedgerError(
                    code: "ledger.key-exists", message: "\(path) already exists; choose another --out prefix",
                    location: ErrorLocation(file: path))
            }
            throw LedgerError.io("creating \(path)", path: path, errno: errno)
        }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                ArchiveFile.retrying { Glibc.write(fd, raw.baseAddress.map { $0 + done }, raw.count - done) }
            }
            guard n > 0 else { throw LedgerError.io("writing", path: path, errno: errno) }
            done += n
        }
        guard ArchiveFile.retrying({ fsync(fd) }) == 0 else { throw LedgerError.io("fsync", path: path, errno: errno) }
    }
}
