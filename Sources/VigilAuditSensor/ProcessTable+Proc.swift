import Foundation
import VigilAudit

extension ProcessTable {
    /// Seeds the table from `/proc` (pid, parent, executable, command line, real uid of each process),
    /// so events for processes started before the sensor still get a parent chain. Unreadable entries
    /// (processes that exited meanwhile, kernel threads) are skipped.
    public mutating func seedFromProc(root: String = "/proc") {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        // `exe` links need ptrace-mode access: inside a Landlock domain (the hardened agent) every other
        // process refuses it, and each refusal is an audit record the sensor would read back. After 16 refusals
        // in a row the executables are left out (the command line and parent still come from world-readable
        // files); a few odd processes (another sandbox's) refusing do not switch it off.
        var refusalsInARow = 0
        for name in names {
            guard let pid = Int(name), let stat = try? String(contentsOfFile: "\(root)/\(name)/stat", encoding: .utf8)
            else { continue }
            // "pid (comm) state ppid …": comm may hold spaces and parentheses; the last ')' ends it.
            guard let close = stat.lastIndex(of: ")") else { continue }
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            let ppid = rest.count > 1 ? Int(rest[1]) : nil
            var exe: String?
            if refusalsInARow < 16 || pid == Int(getpid()) {
                var buffer = [CChar](repeating: 0, count: 4097)
                let count = readlink("\(root)/\(name)/exe", &buffer, buffer.count - 1)
                if count > 0 {
                    exe = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    refusalsInARow = 0
                } else if errno == EACCES || errno == EPERM {
                    refusalsInARow += 1
                }
            }
            var commandLine: String?
            if let data = FileManager.default.contents(atPath: "\(root)/\(name)/cmdline"), !data.isEmpty {
                let argv = data.split(separator: 0, omittingEmptySubsequences: false).map {
                    String(decoding: $0, as: UTF8.self)
                }
                commandLine = AuditNormalizer.commandLine(argv.last == "" ? Array(argv.dropLast()) : argv)
            }
            var uid: String?
            if let status = try? String(contentsOfFile: "\(root)/\(name)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
            {
                uid = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.map(String.init)
            }
            insert(ProcessEntry(pid: pid, ppid: ppid, executable: exe, commandLine: commandLine, uid: uid))
        }
    }
}
