import Foundation
import Glibc
import VigilFIM
import VigilSystem

/// A scratch directory with helpers that make files from byte names, removed at deinit.
final class TestTree {
    let root: BytePath
    /// A fixed old time for every file, so a later change always moves mtime.
    static let oldTime: Int = 1_600_000_000

    /// - Parameter base: where to make it (`/dev/shm` keeps live fanotify tests off the busy root file system).
    init(base: String = "/tmp") throws {
        var template = Array("\(base)/vigil-fim-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemError(call: "mkdtemp", errno: errno) }
        root = BytePath(String(cString: made))
    }

    deinit {
        _ = try? Process.run(URL(fileURLWithPath: "/bin/rm"), arguments: ["-rf", root.description]).waitUntilExit()
    }

    func path(_ relative: String) -> BytePath { root.appending(Array(relative.utf8)) }

    private func call(_ name: String, _ path: BytePath, _ body: (UnsafePointer<CChar>) -> Int32) throws {
        var bytes = path.bytes
        bytes.append(0)
        let result = bytes.withUnsafeBufferPointer {
            $0.baseAddress!.withMemoryRebound(to: CChar.self, capacity: $0.count) { body($0) }
        }
        if result != 0 { throw SystemError(call: name, errno: errno, context: path.description) }
    }

    func write(_ relative: String, _ text: String, append: Bool = false) throws {
        try write(path(relative), Array(text.utf8), append: append)
    }

    func write(_ path: BytePath, _ bytes: [UInt8], append: Bool = false) throws {
        var fd: Int32 = -1
        try call("open", path) {
            fd = open($0, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o644); return fd < 0 ? -1 : 0
        }
        let file = FileDescriptor(adopting: fd)
        try file.writeAll(bytes)
    }

    func mkdir(_ relative: String) throws { try call("mkdir", path(relative)) { Glibc.mkdir($0, 0o755) } }
    func chmod(_ relative: String, _ mode: mode_t) throws {
        try call("chmod", path(relative)) { Glibc.chmod($0, mode) }
    }
    func chown(_ relative: String, _ uid: uid_t, _ gid: gid_t) throws {
        try call("lchown", path(relative)) { lchown($0, uid, gid) }
    }
    func unlink(_ relative: String) throws { try call("unlink", path(relative)) { Glibc.unlink($0) } }
    func truncate(_ relative: String, _ size: Int) throws {
        try call("truncate", path(relative)) { Glibc.truncate($0, off_t(size)) }
    }
    func symlink(_ target: String, _ relative: String) throws {
        try call("symlink", path(relative)) { Glibc.symlink(target, $0) }
    }
    func link(_ existing: String, _ relative: String) throws {
        let from = path(existing).description
        try call("link", path(relative)) { Glibc.link(from, $0) }
    }
    func rename(_ from: String, _ to: String) throws {
        let source = path(from).description
        try call("rename", path(to)) { Glibc.rename(source, $0) }
    }
    func mkfifo(_ relative: String) throws { try call("mkfifo", path(relative)) { Glibc.mkfifo($0, 0o644) } }

    /// Sets mtime (and atime) to `oldTime`, without following a symlink.
    func age(_ relative: String) throws {
        var times = [
            timespec(tv_sec: Self.oldTime, tv_nsec: 0), timespec(tv_sec: Self.oldTime, tv_nsec: 0),
        ]
        try call("utimensat", path(relative)) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
    }

    /// Scans the tree with `config` (default: the whole tree with the `all` group).
    func scan(_ config: FIMConfig? = nil, previous: [FileRecord]? = nil) -> ScanResult {
        let scanner = FIMScanner(config: config ?? .watching([root]), threads: 2)
        return scanner.scan(previous: previous.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.path, $0) }) })
    }
}
