import Foundation
import VigilCore
import VigilRules

/// Authentication events from `/var/log/auth.log` (Debian, Ubuntu) or `/var/log/secure` (RHEL, Fedora), followed
/// across rotation and parsed by `VigilRules.SyslogParser` and `AuthLogInterpreter` (sshd, sudo, su, pam_unix,
/// useradd…; other lines become base events that keep the line).
///
/// Rotation: the sensor keeps the file open; when the path names another inode (logrotate's rename + create) it
/// reads what is left of the old file, then starts the new one at 0. When the file shrinks below the position
/// (copytruncate) it starts again at 0. The position (`inode offset`) is kept in `<state>/authlog.position` and
/// saved at the next poll, once the previous poll's events went to the spool; event ids are the inode and the
/// line's offset, so a line read twice after a crash is discarded by the server as a duplicate. On the first start
/// (no position) the sensor begins at the end: history before the agent is not sent.
public final class AuthLogSensor: Sensor, @unchecked Sendable {
    // Touched only by the sensor's own thread.
    public let name = "authlog"
    public let interval: Double
    let host: HostFacts
    let candidates: [String]
    let positionPath: String
    let clock: any Clock
    /// Bytes read per poll at most (a large backlog is read over several polls).
    let readLimit: Int
    private var fd: Int32 = -1
    private var path: String?
    private var inode: UInt64 = 0
    /// The offset just after the last complete line handed out.
    private var offset: Int64 = 0
    private var partial: [UInt8] = []
    private var savedPosition: String?
    private var pendingPosition: String?
    private var everOpened = false
    public private(set) var malformed = 0
    public private(set) var rotations = 0

    public init(
        host: HostFacts, stateDirectory: String, paths: [String] = ["/var/log/auth.log", "/var/log/secure"],
        interval: Double = 1, readLimit: Int = 4 << 20, clock: any Clock = SystemClock()
    ) {
        self.host = host
        self.candidates = paths
        self.positionPath = "\(stateDirectory)/authlog.position"
        self.interval = interval
        self.readLimit = readLimit
        self.clock = clock
    }

    public func shutdown() {
        savePosition()
        if fd >= 0 { close(fd) }
        fd = -1
    }

    public func poll() throws -> [Event] {
        savePosition()
        var events: [Event] = []
        if fd < 0 { openFile(resume: true) }
        guard fd >= 0 else { return [] }
        var budget = readLimit
        events += readAvailable(budget: &budget)
        // Rotated away (the path names another file now): the old file was read to its end above.
        if let path, let now = Self.inodeOf(path), now != inode, budget > 0 {
            if !partial.isEmpty {
                events += lines(from: partial + [UInt8(ascii: "\n")], startingAt: offset)
                offset += Int64(partial.count)
                partial = []
            }
            close(fd)
            fd = -1
            rotations += 1
            openFile(resume: false)
            if fd >= 0 { events += readAvailable(budget: &budget) }
        }
        pendingPosition = fd >= 0 ? "\(inode) \(offset)\n" : nil
        return events
    }

    /// Opens the first existing candidate; `resume` takes the saved position when it names this inode (else the
    /// end of the file when there is no saved position at all); otherwise starts at 0.
    func openFile(resume: Bool) {
        for candidate in candidates {
            let opened = open(candidate, O_RDONLY | O_CLOEXEC)
            guard opened >= 0 else { continue }
            var info = stat()
            guard fstat(opened, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                close(opened)
                continue
            }
            fd = opened
            path = candidate
            inode = UInt64(info.st_ino)
            offset = 0
            partial = []
            if resume {
                let saved = (try? String(contentsOfFile: positionPath, encoding: .utf8))?
                    .split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                if let saved, saved.count == 2, let savedInode = UInt64(saved[0]), let savedOffset = Int64(saved[1]) {
                    if savedInode == inode, savedOffset <= Int64(info.st_size) { offset = max(0, savedOffset) }
                    // Another inode: the file rotated while the agent was stopped; the new one is read from 0.
                } else if !everOpened {
                    offset = Int64(info.st_size)
                }
            }
            everOpened = true
            lseek(fd, off_t(offset), SEEK_SET)
            return
        }
    }

    /// Reads to the end of the open file (or `budget` bytes), returning the events of the complete lines.
    func readAvailable(budget: inout Int) -> [Event] {
        var info = stat()
        if fstat(fd, &info) == 0, Int64(info.st_size) < offset + Int64(partial.count) {
            // Truncated in place (copytruncate): start again at the beginning.
            offset = 0
            partial = []
            rotations += 1
            lseek(fd, 0, SEEK_SET)
        }
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while budget > 0 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, budget)) }
            guard n > 0 else { break }
            budget -= n
            var chunk = partial
            chunk.append(contentsOf: buffer[0..<n])
            guard let lastNewline = chunk.lastIndex(of: UInt8(ascii: "\n")) else {
                partial = chunk
                if partial.count > SyslogParser.maxLineBytes {
                    // A line that never ends: hand it out as it is rather than hold it forever.
                    events += lines(from: partial + [UInt8(ascii: "\n")], startingAt: offset)
                    offset += Int64(partial.count)
                    partial = []
                }
                continue
            }
            let complete = Array(chunk[...lastNewline])
            events += lines(from: complete, startingAt: offset)
            offset += Int64(complete.count)
            partial = Array(chunk[(lastNewline + 1)...])
        }
        return events
    }

    /// Events of newline-terminated `bytes` whose first byte is at `start` in the file.
    func lines(from bytes: [UInt8], startingAt start: Int64) -> [Event] {
        var events: [Event] = []
        let year = Calendar(identifier: .gregorian).component(
            .year, from: Date(timeIntervalSince1970: Double(clock.nowMilliseconds()) / 1000))
        var lineStart = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            let lineOffset = start + Int64(lineStart)
            let raw = bytes[lineStart..<index]
            lineStart = index + 1
            if raw.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            // Invalid UTF-8 becomes U+FFFD; a NUL (a log preallocated and not yet written) makes the line garbage.
            let text = String(decoding: raw.prefix(SyslogParser.maxLineBytes), as: UTF8.self)
            guard !raw.contains(0), let record = SyslogParser.parse(Substring(text), year: year) else {
                malformed += 1
                continue
            }
            var event = AuthLogInterpreter.event(
                record, line: text, id: "auth-\(host.machineID.prefix(12))-\(inode)-\(lineOffset)")
            // The server checks every event's device against the enrolled host; the log's own name is kept.
            if let logged = record.hostname { event.unmapped?["syslog.hostname"] = logged }
            event.device = host.device
            event.metadata.logName = path.map { ($0 as NSString).lastPathComponent } ?? "auth.log"
            events.append(event)
        }
        return events
    }

    func savePosition() {
        guard let pending = pendingPosition, pending != savedPosition else { return }
        let tmp = positionPath + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array(pending.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written == bytes.count, rename(tmp, positionPath) == 0 { savedPosition = pending }
    }

    static func inodeOf(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }
}
