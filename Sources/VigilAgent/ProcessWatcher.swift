import Foundation
import VigilCore

/// Finds processes that started since the last scan by polling `/proc`, and turns each into a
/// process-launch event (redacted).
///
/// This is the first sensor: it can miss a process that starts and exits between two scans. The audit
/// sensor (kernel exec events) replaces it where the audit subsystem is available.
public final class ProcessWatcher {
    let reader: ProcReader
    let redactor: Redactor
    let host: HostFacts
    let users: UserDirectory
    let bootTimeMs: Int64
    let ticksPerSecond: Int64
    /// pid → start ticks of every process seen.
    private var known: [Int: UInt64] = [:]
    /// Cached facts of processes seen, for parent lookups after the parent exits.
    private var cache: [Int: ProcEntry] = [:]

    /// - Parameter reportExisting: whether processes running at the first scan are reported.
    public init(
        reader: ProcReader = ProcReader(), host: HostFacts, users: UserDirectory = .load(),
        redactor: Redactor = Redactor(), reportExisting: Bool = false, clock: any Clock = SystemClock()
    ) {
        self.reader = reader
        self.host = host
        self.users = users
        self.redactor = redactor
        self.ticksPerSecond = Int64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        self.bootTimeMs = (reader.bootTime() ?? clock.nowMilliseconds() / 1000) * 1000
        if !reportExisting {
            for pid in reader.pids() {
                if let entry = reader.entry(pid: pid) {
                    known[pid] = entry.startTicks
                    cache[pid] = entry
                }
            }
        }
    }

    /// Scans `/proc` once and returns an event for each process not seen before.
    public func scan() -> [Event] {
        var events: [Event] = []
        var present = Set<Int>()
        for pid in reader.pids() {
            present.insert(pid)
            guard let entry = reader.entry(pid: pid) else { continue }
            if known[pid] == entry.startTicks {
                // Same process; refresh what a long-running process may have changed (exec, cwd).
                cache[pid] = entry
                continue
            }
            known[pid] = entry.startTicks
            cache[pid] = entry
            // Kernel threads have no command line and no executable; they are not programs started.
            if entry.arguments.isEmpty && entry.executable == nil { continue }
            events.append(event(for: entry))
        }
        for pid in known.keys where !present.contains(pid) {
            known[pid] = nil
            cache[pid] = nil
        }
        return events.sorted { $0.time < $1.time }
    }

    func event(for entry: ProcEntry) -> Event {
        let time = bootTimeMs + Int64(entry.startTicks) * 1000 / ticksPerSecond
        let parent = cache[entry.ppid] ?? reader.entry(pid: entry.ppid)
        let commandLine = redactor.redact(entry.arguments.joined(separator: " "))
        var lineage: [String] = []
        var cursor = entry.ppid
        var seen = Set<Int>()
        while cursor > 1, lineage.count < 16, seen.insert(cursor).inserted, let p = cache[cursor] {
            lineage.append(redactor.redact(p.executable ?? p.name))
            cursor = p.ppid
        }
        let process = Process(
            pid: entry.pid, name: redactor.redact(entry.name), cmdLine: commandLine,
            file: entry.executable.map { FileObject(path: redactor.redact($0)) },
            cwd: entry.cwd.map { redactor.redact($0) }, user: users.user(entry.uid),
            effectiveUser: entry.euid != entry.uid ? users.user(entry.euid) : nil,
            loginUser: entry.loginUID.map { users.user($0) },
            session: entry.sessionID.map { Session(uid: String($0)) },
            parentProcess: parent.map {
                ParentProcess(
                    pid: $0.pid, name: redactor.redact($0.name),
                    cmdLine: redactor.redact($0.arguments.joined(separator: " ")),
                    file: $0.executable.map { FileObject(path: redactor.redact($0)) }, user: users.user($0.uid))
            },
            lineage: lineage.isEmpty ? nil : lineage, createdTime: time)
        return Event(
            id: "proc-\(host.bootID)-\(entry.pid)-\(entry.startTicks)", classUID: .processActivity,
            activityID: Activity.Process.launch, time: time, severityID: .informational, statusID: 1,
            message: "process started: \(redactor.redact(entry.executable ?? entry.name))",
            metadata: EventMetadata(logName: "proc"), device: host.device,
            actor: Actor(user: entry.loginUID.map { users.user($0) } ?? users.user(entry.uid)), process: process)
    }
}
