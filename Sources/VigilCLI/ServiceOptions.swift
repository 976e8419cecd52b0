import Foundation
import VigilCrypto
import VigilHTTP

/// Option parsing shared by `up`, `server` and `agent`.
enum ServiceOptions {
    static let listen = OptionSpec(
        "listen", .value(placeholder: "ADDR:PORT"),
        help: "Address to serve HTTP on (default 127.0.0.1:8470; loopback only until TLS lands).")

    /// Parses `ADDR:PORT` or `[V6]:PORT`; HTTP without TLS is allowed on loopback only.
    static func parseListen(_ text: String?, path: [String]) throws -> (host: String, port: UInt16) {
        guard let text else { return ("127.0.0.1", 8470) }
        let host: String
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(after: close)...].dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        } else {
            throw UsageError("--listen takes ADDR:PORT, e.g. 127.0.0.1:8470", path: path)
        }
        guard let port = UInt16(portText) else {
            throw UsageError("--listen: '\(portText)' is not a port number (0–65535)", path: path)
        }
        guard host == "127.0.0.1" || host == "::1" || host == "localhost" else {
            throw UsageError(
                "--listen: plain HTTP is only served on loopback (127.0.0.1 or ::1) until TLS lands", path: path)
        }
        return (host == "localhost" ? "127.0.0.1" : host, port)
    }

    /// Reads the agent token file, or creates it (mode 0600) with a new random token.
    static func agentToken(at path: String, create: Bool) throws -> String {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let token = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 32 else {
                throw CLIError("the agent token in \(path) is too short; delete the file to have a new one made")
            }
            return token
        }
        guard create else {
            throw CLIError("cannot read the agent token file \(path); give the server's token file with --token-file")
        }
        let token = try SecureRandom.hexToken()
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        }
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data((token + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
        else { throw CLIError("cannot write the agent token file \(path); check the directory's permissions") }
        return token
    }
}

/// A runtime error a command reports (exit 1).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
