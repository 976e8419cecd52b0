import Foundation
import VigilCore

/// A process as read from `/proc/PID`.
public struct ProcEntry: Sendable, Equatable {
    public var pid: Int
    public var ppid: Int
    /// Start time in clock ticks since boot (`/proc/PID/stat` field 22): with the pid, a unique key.
    public var startTicks: UInt64
    public var uid: Int
    public var euid: Int
    public var executable: String?
    /// argv, NUL-separated in `/proc/PID/cmdline`.
    public var arguments: [String]
    public var cwd: String?
    public var name: String
    public var loginUID: Int?
    public var sessionID: Int?
}

/// Reads processes from a procfs mount. The parsing is separate from the file reads so it can be tested
/// on fixtures.
public struct ProcReader: Sendable {
    public let root: String

    public init(root: String = "/proc") { self.root = root }

    /// The pids present now.
    public func pids() -> [Int] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return names.compactMap { Int($0) }
    }

    /// Reads one process; nil if it is gone or unreadable.
    public func entry(pid: Int) -> ProcEntry? {
        let base = "\(root)/\(pid)"
        guard let stat = read("\(base)/stat"), let parsed = Self.parseStat(stat) else { return nil }
        let status = read("\(base)/status") ?? ""
        let ids = Self.parseStatusIDs(status)
        let cmdline = readBytes("\(base)/cmdline") ?? []
        let loginUID = read("\(base)/loginuid").flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let session = read("\(base)/sessionid").flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return ProcEntry(
            pid: pid, ppid: parsed.ppid, startTicks: parsed.startTicks, uid: ids.uid, euid: ids.euid,
            executable: link("\(base)/exe"), arguments: Self.parseCmdline(cmdline), cwd: link("\(base)/cwd"),
            name: parsed.name, loginUID: loginUID == 4_294_967_295 ? nil : loginUID,
            sessionID: session == 4_294_967_295 ? nil : session)
    }

    /// Boot time in seconds since the epoch (`btime` in `/proc/stat`).
    public func bootTime() -> Int64? {
        guard let stat = read("\(root)/stat") else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int64(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// `(name, ppid, startTicks)` from `/proc/PID/stat`. The name is in parentheses and may itself contain
    /// spaces and parentheses, so fields are counted from the last `)`.
    public static func parseStat(_ text: String) -> (name: String, ppid: Int, startTicks: UInt64)? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        let name = String(text[text.index(after: open)..<close])
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is the state (field 3); ppid is field 4; starttime is field 22.
        guard rest.count > 19, let ppid = Int(rest[1]), let start = UInt64(rest[19]) else { return nil }
        return (name, ppid, start)
    }

    /// Real and effective uid from `/proc/PID/status`.
    public static func parseStatusIDs(_ text: String) -> (uid: Int, euid: Int) {
        for line in text.split(separator: "\n") where line.hasPrefix("Uid:") {
            let fields = line.dropFirst(4).split(whereSeparator: { $0 == "\t" || $0 == " " }).compactMap { Int($0) }
            if fields.count >= 2 { return (fields[0], fields[1]) }
        }
        return (-1, -1)
    }

    /// argv from the NUL-separated `cmdline` bytes (invalid UTF-8 replaced, never dropped).
    public static func parseCmdline(_ bytes: [UInt8]) -> [String] {
        var trimmed = bytes[...]
        while trimmed.last == 0 { trimmed = trimmed.dropLast() }
        guard !trimmed.isEmpty else { return [] }
        return trimmed.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    func read(_ path: String) -> String? {
        readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    func readBytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buffer[0..<n]
            if out.count > 1 << 20 { break }  // a command line is at most a few MB; keep the first MB
        }
        return out
    }

    func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// User names by uid, from `/etc/passwd` (the agent does not rely on NSS modules).
public struct UserDirectory: Sendable {
    private var names: [Int: String]

    public init(passwd: String) {
        var names: [Int: String] = [:]
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            // The first line for a uid wins, as with getpwuid(3) (`root` before an alias such as `toor`).
            if fields.count >= 3, let uid = Int(fields[2]), names[uid] == nil { names[uid] = String(fields[0]) }
        }
        self.names = names
    }

    public static func load(path: String = "/etc/passwd") -> UserDirectory {
        UserDirectory(passwd: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }

    public func name(_ uid: Int) -> String? { names[uid] }

    /// The OCSF user for a uid.
    public func user(_ uid: Int) -> User { User(uid: String(uid), name: names[uid]) }
}
