import Glibc
import Synchronization

/// The `/proc/PID/…` links that need ptrace-mode access to another process: `exe`, `cwd`, `fd/N`.
///
/// Inside a Landlock domain (the hardened agent) the kernel refuses that access for every process outside the
/// domain, whatever the capabilities, and logs each refusal as an audit record (type 1423 `LANDLOCK_ACCESS`,
/// `blockers=ptrace`) — which the agent's own audit sensor then reads back, thousands a minute on a busy host.
/// So the refusals are counted for the whole process: after `refusalLimit` in a row, links of other processes
/// are no longer asked for (`othersReadable` is false), and callers report the pid, name and users instead.
/// A few odd processes refusing (another sandbox's) do not switch it off: any success resets the count.
public enum ProcessLinks {
    public static let refusalLimit = 16
    private static let refusalsInARow = Atomic<Int>(0)

    /// Whether links of other processes are still worth asking for.
    public static var othersReadable: Bool { refusalsInARow.load(ordering: .relaxed) < refusalLimit }

    /// What reading a link came to.
    public enum Outcome: Equatable {
        case target([UInt8])
        /// The kernel refused access (EACCES or EPERM), or other processes' links are no longer asked for.
        case refused
        /// Gone, not a link, or any other error.
        case unavailable
    }

    /// Reads the link at `path`, a link of process `pid`. The agent's own links are always read and never counted.
    public static func read(_ path: String, pid: Int32) -> Outcome {
        let own = pid == getpid()
        guard own || othersReadable else { return .refused }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { raw in
            readlink(path, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        if count > 0 {
            if !own { refusalsInARow.store(0, ordering: .relaxed) }
            return .target(Array(buffer[..<count]))
        }
        guard errno == EACCES || errno == EPERM else { return .unavailable }
        if !own { refusalsInARow.add(1, ordering: .relaxed) }
        return .refused
    }

    /// The link's target as a string, or nil (refused or unavailable).
    public static func string(_ path: String, pid: Int32) -> String? {
        guard case .target(let bytes) = read(path, pid: pid) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
