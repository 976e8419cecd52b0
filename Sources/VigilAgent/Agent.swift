import Foundation
import Synchronization
import VigilCore

/// A source of events polled on its own thread. Each sensor reports its health and counters in the heartbeat.
public protocol Sensor: AnyObject, Sendable {
    var name: String { get }
    /// Seconds between polls.
    var interval: Double { get }
    /// New events since the last poll (not yet redacted: the agent redacts everything before the spool).
    func poll() throws -> [Event]
    /// Releases what the sensor changed on the host (audit rules); called once after its thread ended.
    func shutdown()
}

extension Sensor {
    public func shutdown() {}
}

/// Health and counters of one sensor.
public struct SensorHealth: Sendable, Equatable, Codable {
    public var name: String
    public var polls = 0
    public var events = 0
    public var errors = 0
    public var lastError: String?
    public var healthy: Bool { lastError == nil }

    public init(name: String) { self.name = name }
}

/// The agent: sensors → redactor → spool → shipper.
///
/// Start-up order (`vigil agent`): `init` opens the spool and builds the sensors (opening what needs privilege),
/// then the caller applies `Hardening`, then `start()` starts the sensor threads and the shipper, whose first
/// connection is the first network byte.
public final class Agent: Sendable {
    public let config: AgentConfig
    public let host: HostFacts
    public let spool: Spool
    public let shipper: SpoolShipper
    public let redactor: Redactor
    let sensors: [any Sensor]
    let log: @Sendable (String) -> Void
    private let health: Mutex<[String: SensorHealth]>
    private let stopped = Atomic<Bool>(false)
    private let threadsDone = Mutex<[DispatchSemaphore]>([])

    public init(
        config: AgentConfig, host: HostFacts = .read(), sensors: [any Sensor]? = nil,
        log: @escaping @Sendable (String) -> Void = { AgentLog.log($0) }
    ) throws {
        self.config = config
        self.host = host
        self.log = log
        self.redactor = Redactor()
        let spool = try Spool(
            directory: config.spoolDirectory, maxBytes: config.spoolMaxBytes, device: host.device, log: log)
        self.spool = spool
        self.shipper = SpoolShipper(
            spool: spool, client: try config.client(), authorization: config.bearer,
            verifier: try config.policyVerifier(), policyPath: config.policyPath, maxBatch: config.batchEvents,
            log: log)
        let chosen =
            sensors ?? [
                ProcessSensor(host: host, interval: Double(config.processScanMilliseconds) / 1000),
                TimeSyncSensor(host: host), SocketSensor(host: host),
            ]
        // Sensors whose settings the signed policy may change read the policy in force from the shipper.
        let shipper = self.shipper
        for case let following as any PolicyFollowing in chosen { following.follow(policy: { shipper.policy }) }
        var heartbeatList = chosen
        let heartbeat = HeartbeatSensor(host: host, interval: config.heartbeatSeconds)
        heartbeatList.append(heartbeat)
        self.sensors = heartbeatList
        health = Mutex(Dictionary(uniqueKeysWithValues: heartbeatList.map { ($0.name, SensorHealth(name: $0.name)) }))
        heartbeat.agent = WeakAgent(self)
    }

    public var sensorHealth: [SensorHealth] { health.withLock { $0.values.sorted { $0.name < $1.name } } }

    /// Redacts and spools events; wakes the shipper.
    public func emit(_ events: [Event]) throws {
        guard !events.isEmpty else { return }
        try spool.append(events.map(redactor.redact(event:)))
        shipper.nudge()
    }

    /// Starts every sensor on its own thread, and the shipper.
    public func start() {
        var done: [DispatchSemaphore] = []
        for sensor in sensors {
            let finished = DispatchSemaphore(value: 0)
            done.append(finished)
            let thread = Thread { [self] in
                while !stopped.load(ordering: .relaxed) {
                    do {
                        let events = try sensor.poll()
                        try emit(events)
                        health.withLock { h in
                            h[sensor.name]?.polls += 1
                            h[sensor.name]?.events += events.count
                            h[sensor.name]?.lastError = nil
                        }
                    } catch {
                        let first = health.withLock { h -> Bool in
                            h[sensor.name]?.errors += 1
                            defer { h[sensor.name]?.lastError = "\(error)" }
                            return h[sensor.name]?.lastError != "\(error)"
                        }
                        if first { log("vigil agent: sensor \(sensor.name): \(error)") }
                    }
                    Self.sleep(seconds: sensor.interval, unless: stopped)
                }
                finished.signal()
            }
            thread.name = "vigil-\(sensor.name)"
            thread.start()
        }
        done.append(shipper.start())
        threadsDone.withLock { $0 = done }
    }

    /// Stops the sensors, then gives the shipper one last flush.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        shipper.stop()
        for semaphore in threadsDone.withLock({ $0 }) { semaphore.wait() }
        for sensor in sensors { sensor.shutdown() }
    }

    static func sleep(seconds: Double, unless stopped: borrowing Atomic<Bool>) {
        var left = seconds
        while left > 0, !stopped.load(ordering: .relaxed) {
            let step = min(left, 0.25)
            usleep(UInt32(step * 1_000_000))
            left -= step
        }
    }
}

/// The heartbeat's link back to the agent (for counters), without a reference cycle.
final class WeakAgent: @unchecked Sendable {
    weak var agent: Agent?
    init(_ agent: Agent) { self.agent = agent }
}
