import Foundation

/// A procfs tree under a temporary directory, for `ProcReader(root:)`: `stat` with `btime`, and per pid
/// `stat`, `status`, `cmdline`, `loginuid`, `sessionid` and the `exe`/`cwd` symbolic links.
final class FakeProcfs {
    let root: URL
    var path: String { root.path }

    init(bootTime: Int64 = 1_700_000_000) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try "cpu  1 2 3 4\nbtime \(bootTime)\nprocesses 100\n".write(
            to: root.appendingPathComponent("stat"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Adds (or replaces) a process.
    func add(
        pid: Int, ppid: Int, start: UInt64, name: String, argv: [String], uid: Int = 1000, euid: Int? = nil,
        exe: String? = nil, cwd: String? = "/home/alice", loginUID: Int? = 1000, session: Int? = 3
    ) throws {
        remove(pid: pid)
        let dir = root.appendingPathComponent("\(pid)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let stat = "\(pid) (\(name)) S \(ppid) \(pid) \(pid) 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 \(start) 1 1 0\n"
        try stat.write(to: dir.appendingPathComponent("stat"), atomically: true, encoding: .utf8)
        let e = euid ?? uid
        try "Name:\t\(name)\nUid:\t\(uid)\t\(e)\t\(e)\t\(e)\n".write(
            to: dir.appendingPathComponent("status"), atomically: true, encoding: .utf8)
        var cmdline: [UInt8] = []
        for arg in argv { cmdline += Array(arg.utf8) + [0] }
        try Data(cmdline).write(to: dir.appendingPathComponent("cmdline"))
        try "\(loginUID ?? 4_294_967_295)".write(
            to: dir.appendingPathComponent("loginuid"), atomically: true, encoding: .utf8)
        try "\(session ?? 4_294_967_295)".write(
            to: dir.appendingPathComponent("sessionid"), atomically: true, encoding: .utf8)
        if let exe {
            try FileManager.default.createSymbolicLink(
                atPath: dir.appendingPathComponent("exe").path, withDestinationPath: exe)
        }
        if let cwd {
            try FileManager.default.createSymbolicLink(
                atPath: dir.appendingPathComponent("cwd").path, withDestinationPath: cwd)
        }
    }

    func remove(pid: Int) {
        try? FileManager.default.removeItem(at: root.appendingPathComponent("\(pid)"))
    }
}
