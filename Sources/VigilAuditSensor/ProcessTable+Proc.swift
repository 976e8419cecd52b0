import Foundation
import VigilAudit
import VigilSystem

extension ProcessTable {
    /// Seeds the table from `/proc` (pid, parent, executable, command line, real uid of each process),
    /// so events for processes started before the sensor still get a parent chain. Unreadable entries
    /// (processes that exited meanwhile, kernel threads) are skipped.
    public mutating func seedFromProc(root: String = "/proc") {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names {
            guard let pid = Int(name), let stat = try? String(contentsOfFile: "\(root)/\(name)/stat", encoding: .utf8)
            else { continue }
            // "pid (comm) state ppid …": comm may hold spaces and parentheses; the last ')' ends it.
            guard let close = stat.lastIndex(of: ")") else { continue }
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            let ppid = rest.count > 1 ? Int(rest[1]) : nil
            // Refused inside the agent's Landlock domain: `ProcessLinks` stops asking after a few refusals.
            let exe = ProcessLinks.string("\(root)/\(name)/exe", pid: Int32(pid))
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
