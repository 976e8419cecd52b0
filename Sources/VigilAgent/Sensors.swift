import Foundation
import Synchronization
import VigilAuditSensor
import VigilCore
import VigilSystem

/// New processes from `/proc` polling (the fallback where the audit subsystem is not available).
public final class ProcessSensor: Sensor, @unchecked Sendable {
    // The watcher's state is touched only by the sensor's own thread (one poll at a time).
    private let watcher: ProcessWatcher
    public let name = "proc"
    public let interval: Double

    public init(host: HostFacts, interval: Double = 0.2, reader: ProcReader = ProcReader()) {
        self.watcher = ProcessWatcher(reader: reader, host: host)
        self.interval = interval
    }

    public func poll() throws -> [Event] { watcher.scan() }
}

/// Host facts (hostname, OS, kernel, machine id, IP addresses) and the agent's own health, every `interval`.
/// The server notices a silent agent by the missing heartbeat.
public final class HeartbeatSensor: Sensor, @unchecked Sendable {
    public let name = "heartbeat"
    public let interval: Double
    let host: HostFacts
    let clock: any Clock
    var agent: WeakAgent?

    public init(host: HostFacts, interval: Double, clock: any Clock = SystemClock()) {
        self.host = host
        self.interval = interval
        self.clock = clock
    }

    public func poll() throws -> [Event] {
        var facts: [String: String] = [
            "host.kernel": Self.kernel(), "host.machine_id": host.machineID, "host.boot_id": host.bootID,
            "host.ips": Self.addresses().joined(separator: ","),
        ]
        if let agent = agent?.agent {
            let spool = agent.spool.statistics
            let shipper = agent.shipper.statistics
            facts["agent.spool.bytes"] = String(spool.bytes)
            facts["agent.spool.pending"] = String(agent.spool.pendingCount)
            facts["agent.spool.dropped"] = String(spool.dropped)
            facts["agent.shipper.sent"] = String(shipper.sent)
            facts["agent.shipper.failures"] = String(shipper.failures)
            facts["agent.policy.version"] = String(agent.shipper.policy.version)
            for health in agent.sensorHealth {
                facts["sensor.\(health.name)"] =
                    "\(health.healthy ? "ok" : "error") polls=\(health.polls) events=\(health.events) errors=\(health.errors)"
            }
        }
        let now = clock.nowMilliseconds()
        return [
            Event(
                id: "hb-\(UUID().uuidString.lowercased())", classUID: .deviceInventoryInfo, activityID: 2, time: now,
                message: "agent heartbeat from \(host.hostname)", metadata: EventMetadata(logName: "heartbeat"),
                device: host.device, unmapped: facts)
        ]
    }

    static func kernel() -> String {
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(field(name.sysname)) \(field(name.release)) \(field(name.machine))"
    }

    /// The host's non-loopback IPv4 and IPv6 addresses.
    static func addresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var out: [String] = []
        var cursor = list
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else {
                continue
            }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text == "127.0.0.1" || text == "::1" { continue }
            out.append(text)
        }
        return out.sorted()
    }
}

/// Clock synchronisation (PCI DSS 10.6): an event when the kernel's synchronised flag changes, and when the clock
/// is stepped (CLOCK_REALTIME moves against CLOCK_BOOTTIME by more than `stepThreshold` between polls).
public final class TimeSyncSensor: Sensor, @unchecked Sendable {
    public let name = "timesync"
    public let interval: Double
    let host: HostFacts
    let clock: any Clock
    let stepThresholdMilliseconds: Int64
    private var lastSynchronised: Bool?
    private var lastDelta: Int64?
    let read: () -> ClockState?
    let delta: () -> Int64

    public init(
        host: HostFacts, interval: Double = 10, stepThresholdMilliseconds: Int64 = 1000,
        clock: any Clock = SystemClock(), read: @escaping () -> ClockState? = ClockState.read,
        delta: @escaping () -> Int64 = ClockState.realtimeMinusBoottimeMilliseconds
    ) {
        self.host = host
        self.interval = interval
        self.stepThresholdMilliseconds = stepThresholdMilliseconds
        self.clock = clock
        self.read = read
        self.delta = delta
    }

    public func poll() throws -> [Event] {
        var events: [Event] = []
        let now = clock.nowMilliseconds()
        guard let state = read() else { throw AgentTransportError(description: "adjtimex failed") }
        let fields = [
            "clock.synchronised": String(state.synchronised), "clock.offset_us": String(state.offsetMicroseconds),
            "clock.max_error_us": String(state.maxErrorMicroseconds),
            "clock.estimated_error_us": String(state.estimatedErrorMicroseconds),
        ]
        if lastSynchronised != state.synchronised {
            events.append(
                Event(
                    id: "time-\(UUID().uuidString.lowercased())", classUID: .deviceConfigState, activityID: 99,
                    time: now, severityID: state.synchronised ? .informational : .medium,
                    message: state.synchronised
                        ? "clock synchronised (offset \(state.offsetMicroseconds) µs)"
                        : "clock NOT synchronised: no time source is disciplining it",
                    metadata: EventMetadata(logName: "timesync"), device: host.device, unmapped: fields))
            lastSynchronised = state.synchronised
        }
        let current = delta()
        if let previous = lastDelta, abs(current - previous) > stepThresholdMilliseconds {
            var stepped = fields
            stepped["clock.step_ms"] = String(current - previous)
            events.append(
                Event(
                    id: "time-\(UUID().uuidString.lowercased())", classUID: .deviceConfigState, activityID: 99,
                    time: now, severityID: .high, message: "system clock changed by \(current - previous) ms",
                    metadata: EventMetadata(logName: "timesync"), device: host.device, unmapped: stepped))
        }
        lastDelta = current
        return events
    }
}

/// One socket from `/proc/net/{tcp,tcp6,udp,udp6}`.
public struct SocketEntry: Sendable, Hashable {
    public var proto: String
    public var localAddress: String
    public var localPort: Int
    public var remoteAddress: String
    public var remotePort: Int
    /// The kernel's TCP state (0x0A listen, 0x01 established; UDP: 0x07 unconnected, 0x01 connected).
    public var state: Int
    public var uid: Int
    public var inode: UInt64

    public var listening: Bool { (proto.hasPrefix("tcp") && state == 0x0A) || (proto.hasPrefix("udp") && state == 7) }
    public var established: Bool { state == 0x01 }

    /// Parses one table. Malformed lines are skipped (counted in `malformed`).
    public static func parse(_ text: String, proto: String) -> (entries: [SocketEntry], malformed: Int) {
        var entries: [SocketEntry] = []
        var malformed = 0
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 10, let local = endpoint(fields[1]), let remote = endpoint(fields[2]),
                let state = Int(fields[3], radix: 16), let uid = Int(fields[7]), let inode = UInt64(fields[9])
            else {
                malformed += 1
                continue
            }
            entries.append(
                SocketEntry(
                    proto: proto, localAddress: local.0, localPort: local.1, remoteAddress: remote.0,
                    remotePort: remote.1, state: state, uid: uid, inode: inode))
        }
        return (entries, malformed)
    }

    /// `0100007F:1F90` → ("127.0.0.1", 8080); IPv6 as four little-endian 32-bit words.
    static func endpoint(_ text: Substring) -> (String, Int)? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1], radix: 16), port <= 65535 else { return nil }
        let hex = parts[0]
        guard hex.count == 8 || hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 8)
            guard let word = UInt32(hex[index..<next], radix: 16) else { return nil }
            // /proc prints each 32-bit word in host (little-endian) order.
            bytes += [UInt8(word & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word >> 16 & 0xFF), UInt8(word >> 24)]
            index = next
        }
        if bytes.count == 4 { return (bytes.map(String.init).joined(separator: "."), port) }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16))
        }
        return (groups.joined(separator: ":"), port)
    }
}

/// Listening sockets and established connections, with the owning process (from the `/proc/<pid>/fd` socket inode
/// map). Reports each socket once when it appears.
public final class SocketSensor: Sensor, @unchecked Sendable {
    public let name = "sockets"
    public let interval: Double
    let host: HostFacts
    let procRoot: String
    let clock: any Clock
    private var known: Set<UInt64>?

    public init(host: HostFacts, interval: Double = 5, procRoot: String = "/proc", clock: any Clock = SystemClock()) {
        self.host = host
        self.interval = interval
        self.procRoot = procRoot
        self.clock = clock
    }

    public func poll() throws -> [Event] {
        var entries: [SocketEntry] = []
        for proto in ["tcp", "tcp6", "udp", "udp6"] {
            guard let text = try? String(contentsOfFile: "\(procRoot)/net/\(proto)", encoding: .utf8) else { continue }
            entries += SocketEntry.parse(text, proto: proto).entries.filter { $0.listening || $0.established }
        }
        let current = Set(entries.map(\.inode))
        let first = known == nil
        let fresh = entries.filter { !(known?.contains($0.inode) ?? false) && $0.inode != 0 }
        known = current
        if first || fresh.isEmpty { return first ? report(entries.filter(\.listening)) : [] }
        return report(fresh)
    }

    func report(_ entries: [SocketEntry]) -> [Event] {
        guard !entries.isEmpty else { return [] }
        let owners = inodeOwners()
        let now = clock.nowMilliseconds()
        return entries.map { entry in
            let owner = owners[entry.inode]
            return Event(
                id: "sock-\(host.bootID)-\(entry.inode)", classUID: .networkActivity,
                activityID: entry.listening ? Activity.Network.listen : Activity.Network.open, time: now,
                message: entry.listening
                    ? "\(entry.proto) listening on \(entry.localAddress):\(entry.localPort)"
                    : "\(entry.proto) connection \(entry.localAddress):\(entry.localPort) → \(entry.remoteAddress):\(entry.remotePort)",
                metadata: EventMetadata(logName: "sockets"), device: host.device,
                actor: owner.map { Actor(process: Process(pid: $0.pid, name: $0.name)) },
                srcEndpoint: Endpoint(ip: entry.localAddress, port: entry.localPort),
                dstEndpoint: entry.listening ? nil : Endpoint(ip: entry.remoteAddress, port: entry.remotePort),
                unmapped: ["socket.proto": entry.proto, "socket.uid": String(entry.uid)])
        }
    }

    /// socket inode → owning process, from `/proc/<pid>/fd/*` links `socket:[inode]`.
    func inodeOwners() -> [UInt64: (pid: Int, name: String)] {
        var owners: [UInt64: (pid: Int, name: String)] = [:]
        // Under the agent's Landlock domain other processes' fd links are refused (see `ProcessLinks`).
        guard ProcessLinks.othersReadable else { return owners }
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: procRoot) else { return owners }
        for pidText in pids {
            guard let pid = Int32(pidText) else { continue }
            let fdDirectory = "\(procRoot)/\(pid)/fd"
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: fdDirectory) else { continue }
            var name: String?
            for fd in fds {
                let outcome = ProcessLinks.read("\(fdDirectory)/\(fd)", pid: pid)
                if outcome == .refused { break }
                guard case .target(let target) = outcome, target.count > 8 else { continue }
                let link = String(decoding: target, as: UTF8.self)
                guard link.hasPrefix("socket:["), link.hasSuffix("]"),
                    let inode = UInt64(link.dropFirst(8).dropLast())
                else { continue }
                if name == nil {
                    name =
                        (try? String(contentsOfFile: "\(procRoot)/\(pid)/comm", encoding: .utf8))?
                        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                }
                owners[inode] = (Int(pid), name ?? "?")
            }
        }
        return owners
    }
}

/// Kernel audit events (process execution and whatever the policy's audit rules add) from
/// `VigilAuditSensor.AuditSensor`: the rules are installed at start and the kernel's previous rules and status
/// restored at `shutdown`. Where the audit subsystem is unavailable, `start` throws and the agent falls back to
/// `ProcessSensor` (/proc polling).
public final class KernelAuditSensor: Sensor, @unchecked Sendable {
    // The audit sensor is polled from the sensor's own thread only; `shutdown` runs after that thread ended.
    private let sensor: AuditSensor
    let host: HostFacts
    public let name = "audit"
    /// `poll` itself waits up to 200 ms for records.
    public let interval: Double = 0

    /// The rules loaded when the policy names none: every program execution, both ABIs.
    public static let defaultRules = [
        "-a always,exit -F arch=b64 -S execve,execveat -k vigil-exec",
        "-a always,exit -F arch=b32 -S execve,execveat -k vigil-exec",
    ]

    /// Starts the sensor (opens the audit netlink sockets and installs the rules): call before hardening.
    public init(host: HostFacts, rules: [String] = KernelAuditSensor.defaultRules) throws {
        self.host = host
        sensor = AuditSensor(configuration: .init(rules: rules, hostname: host.hostname))
        try sensor.start()
    }

    public var statistics: AuditSensor.Statistics { sensor.statistics }

    /// Gathers events for up to `window` milliseconds (or `maxEvents`): one spool write and fsync per window
    /// rather than per netlink read keeps a burst of processes from costing a disk flush each.
    public func poll() throws -> [Event] {
        var events: [Event] = []
        let window: UInt64 = 100_000_000
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            let left = Int32(max(1, (window &- min(window, elapsed)) / 1_000_000))
            try sensor.poll(timeout: events.isEmpty ? 200 : left) { event in
                var event = event
                // The server checks every event's device against the enrolled host.
                event.device = host.device
                events.append(event)
            }
        } while !events.isEmpty && events.count < 2000 && DispatchTime.now().uptimeNanoseconds - start < window
        return events
    }

    public func shutdown() {
        do {
            try sensor.stop()
        } catch {
            AgentLog.log("vigil agent: audit: restoring the kernel's audit rules and status failed: \(error)")
        }
    }
}
