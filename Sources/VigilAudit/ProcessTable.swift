/// What the process table knows about one process.
public struct ProcessEntry: Sendable, Hashable {
    public var pid: Int
    public var ppid: Int?
    public var executable: String?
    public var commandLine: String?
    public var uid: String?
    /// Milliseconds since the Unix epoch, when it was seen to start (exec), if known.
    public var startTime: Int64?

    public init(
        pid: Int, ppid: Int? = nil, executable: String? = nil, commandLine: String? = nil, uid: String? = nil,
        startTime: Int64? = nil
    ) {
        self.pid = pid
        self.ppid = ppid
        self.executable = executable
        self.commandLine = commandLine
        self.uid = uid
        self.startTime = startTime
    }
}

/// Running processes by pid, for parent chains: seeded from `/proc` at start (an edge function feeds
/// `insert`), then kept current from exec and exit events. Bounded: past `capacity`, the oldest entries go.
public struct ProcessTable: Sendable {
    public let capacity: Int
    private var entries: [Int: ProcessEntry] = [:]
    private var insertionOrder: [Int] = []
    private var head = 0

    public init(capacity: Int = 65536) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    public subscript(pid: Int) -> ProcessEntry? { entries[pid] }

    /// Adds or replaces a process (a pid reused by exec keeps its place).
    public mutating func insert(_ info: ProcessEntry) {
        if entries.updateValue(info, forKey: info.pid) == nil {
            insertionOrder.append(info.pid)
            while entries.count > capacity, head < insertionOrder.count {
                entries[insertionOrder[head]] = nil
                head += 1
            }
            if head > 4096 && head * 2 > insertionOrder.count {
                insertionOrder.removeFirst(head)
                head = 0
            }
        }
    }

    /// Forgets a process that exited.
    public mutating func remove(pid: Int) { entries[pid] = nil }

    /// Executables of the ancestors of `pid`, nearest first (at most `depth`; stops at unknown pids and loops).
    public func lineage(of pid: Int, depth: Int = 16) -> [String] {
        var out: [String] = []
        var seen: Set<Int> = [pid]
        var current = entries[pid]?.ppid
        while let p = current, out.count < depth, !seen.contains(p), let info = entries[p] {
            seen.insert(p)
            out.append(info.executable ?? "?")
            current = info.ppid
        }
        return out
    }

    /// Updates the table from an assembled event: a successful execve/execveat records the new image,
    /// `exit`/`exit_group` forgets the process, a successful fork/clone records the child under its parent.
    public mutating func update(from event: AuditEvent) {
        guard let syscall = event.record(AuditRecordType.syscall), let name = syscall.syscallName,
            let pid = syscall[.pid].flatMap(Int.init)
        else { return }
        switch name {
        case "execve", "execveat":
            guard syscall.succeeded != false else { return }
            let argv = event.record(AuditRecordType.execve).map(AuditNormalizer.arguments(of:))
            insert(
                ProcessEntry(
                    pid: pid, ppid: syscall[.ppid].flatMap(Int.init), executable: syscall[.exe],
                    commandLine: argv.map(AuditNormalizer.commandLine), uid: syscall[.uid], startTime: event.time))
        case "exit", "exit_group":
            remove(pid: pid)
        case "fork", "vfork", "clone", "clone3":
            guard syscall.succeeded != false, let child = syscall[.exit].flatMap(Int.init), child > 0 else { return }
            insert(
                ProcessEntry(
                    pid: child, ppid: pid, executable: syscall[.exe], commandLine: entries[pid]?.commandLine,
                    uid: syscall[.uid], startTime: event.time))
        default:
            return
        }
    }
}
