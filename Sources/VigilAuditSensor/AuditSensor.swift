import Glibc
import VigilAudit
import VigilCore
import VigilSystem

/// The live audit sensor: reads the kernel's audit stream over `NETLINK_AUDIT`, assembles and normalizes
/// events, and leaves the kernel's audit state as it found it.
///
/// Two modes: when no audit daemon runs, the sensor owns the stream (`AUDIT_SET` pid, as go-audit does)
/// and sets the backlog and rate limits; when auditd runs, it joins the read-only multicast group
/// (`AUDIT_NLGRP_READLOG`) and leaves auditd in charge. Either way it installs its rules (those not already
/// loaded) and, in `stop()`, restores the exact rule list and the status fields it changed.
public final class AuditSensor {
    public enum Mode: String, Sendable {
        /// Decide at start: multicast when another live process owns the stream, owner otherwise.
        case automatic
        case owner
        case multicast
    }

    public struct Configuration: Sendable {
        /// Rules in auditctl syntax.
        public var rules: [String]
        public var mode: Mode
        public var backlogLimit: UInt32
        /// Records per second, 0 for no limit.
        public var rateLimit: UInt32
        public var hostname: String?
        /// How long an event may stay open without an EOE.
        public var eventTimeout: Int64

        public init(
            rules: [String], mode: Mode = .automatic, backlogLimit: UInt32 = 8192, rateLimit: UInt32 = 0,
            hostname: String? = nil, eventTimeout: Int64 = 1000
        ) {
            self.rules = rules
            self.mode = mode
            self.backlogLimit = backlogLimit
            self.rateLimit = rateLimit
            self.hostname = hostname
            self.eventTimeout = eventTimeout
        }
    }

    /// Counters for the agent's health report.
    public struct Statistics: Sendable, Hashable {
        public var records = 0
        public var unparsable = 0
        public var events = 0
        /// Serials missing from the sequence (records the kernel or the socket dropped).
        public var lostSerials: UInt64 = 0
        /// Times the socket buffer overflowed (`ENOBUFS`).
        public var overflows = 0
        /// The kernel's own `lost` counter when we started, and its growth since.
        public var kernelLostAtStart: UInt32 = 0
        public var kernelLostSinceStart: UInt32 = 0
    }

    public let configuration: Configuration
    public private(set) var mode: Mode = .automatic
    public private(set) var statistics = Statistics()
    /// The status and rules found at start, restored by `stop()`.
    public private(set) var statusBefore: AuditStatus?
    public private(set) var rulesBefore: [[UInt8]] = []
    public var normalizer: AuditNormalizer

    private var control: AuditNetlink?
    private var stream: AuditNetlink?
    private var assembler: AuditAssembler
    private let parser = AuditRecordParser()
    private var changedFields: AuditStatus.Fields = []

    public init(configuration: Configuration, clock: any Clock = SystemClock()) {
        self.configuration = configuration
        assembler = AuditAssembler(clock: clock, timeout: configuration.eventTimeout)
        normalizer = AuditNormalizer(hostname: configuration.hostname)
    }

    /// Opens the sockets, records the current state, takes the stream (or joins the multicast group),
    /// sets limits and installs the rules. On failure, whatever was changed is restored before throwing.
    public func start() throws {
        let parser = AuditRuleParser()
        let parsed = try configuration.rules.map { try parser.parseRule($0).encoded() }
        let control = try AuditNetlink()
        self.control = control
        let before = try control.status()
        statusBefore = before
        rulesBefore = try control.rules()
        statistics.kernelLostAtStart = before.lost
        var chosen = configuration.mode
        if chosen == .automatic {
            chosen =
                before.pid != 0 && kill(pid_t(before.pid), 0) == 0 && before.pid != UInt32(getpid())
                ? .multicast : .owner
        }
        mode = chosen
        do {
            if chosen == .owner {
                let stream = try AuditNetlink()
                self.stream = stream
                var status = AuditStatus()
                status.pid = UInt32(getpid())
                status.enabled = before.enabled == 2 ? 2 : 1
                status.backlogLimit = configuration.backlogLimit
                status.rateLimit = configuration.rateLimit
                var fields: AuditStatus.Fields = [.pid, .backlogLimit, .rateLimit]
                if before.enabled == 0 { fields.insert(.enabled) }
                if before.enabled == 2 { fields = [.pid] }
                try stream.setStatus(status, fields: fields)
                changedFields = fields
            } else {
                stream = try AuditNetlink(multicast: true)
                if before.enabled == 0 {
                    var status = AuditStatus()
                    status.enabled = 1
                    try control.setStatus(status, fields: .enabled)
                    changedFields = .enabled
                }
            }
            if before.enabled != 2 {
                for rule in parsed where !rulesBefore.contains(rule) {
                    try control.add(rule: rule)
                }
            }
        } catch {
            try? stop()
            throw error
        }
    }

    /// Reads what arrives within `timeout` milliseconds and hands each completed event to `emit`.
    /// Buffer overflows are counted and reading goes on (the gap shows in `lostSerials`).
    public func poll(timeout: Int32, _ emit: (Event) throws -> Void) throws {
        guard let stream else { preconditionFailure("AuditSensor.poll called before start()") }
        var outputs: [AuditAssembler.Output] = []
        do {
            for message in try stream.receiveRecords(timeout: timeout) {
                var diagnostics: [AuditError] = []
                let record = message.payload.withUnsafeBufferPointer {
                    parser.parse(kernelType: message.type, payload: $0, diagnostics: &diagnostics)
                }
                guard let record else {
                    statistics.unparsable += 1
                    continue
                }
                statistics.records += 1
                assembler.add(record) { outputs.append($0) }
            }
        } catch let error as SystemError where error.errno == ENOBUFS {
            statistics.overflows += 1
        }
        assembler.expire { outputs.append($0) }
        for output in outputs {
            switch output {
            case .event(let event):
                statistics.events += 1
                try emit(normalizer.normalize(event))
            case .loss(let loss):
                statistics.lostSerials += loss.count
                try emit(normalizer.lossEvent(loss))
            }
        }
    }

    /// Removes the rules it added (restoring the exact rule list found at start), gives the stream back
    /// and restores the status fields it changed. Safe to call more than once.
    public func stop() throws {
        guard let control, let before = statusBefore else { return }
        var firstError: (any Error)?
        do {
            var current = try control.rules()
            for rule in current where !rulesBefore.contains(rule) {
                try control.delete(rule: rule)
            }
            current = try control.rules()
            if current != rulesBefore {
                // Order differs (someone else changed rules meanwhile): rebuild the list exactly.
                for rule in current { try control.delete(rule: rule) }
                for rule in rulesBefore { try control.add(rule: rule) }
            }
        } catch {
            firstError = error
        }
        if let now = try? control.status() {
            statistics.kernelLostSinceStart = now.lost &- statistics.kernelLostAtStart
        }
        if !changedFields.isEmpty {
            do {
                var restore = before
                if changedFields.contains(.pid) {
                    // Only the owner may clear the pid; send it from the stream socket.
                    restore.pid = before.pid
                }
                let sender = changedFields.contains(.pid) ? (stream ?? control) : control
                try sender.setStatus(restore, fields: changedFields)
                changedFields = []
            } catch {
                firstError = firstError ?? error
            }
        }
        stream = nil
        self.control = nil
        statusBefore = nil
        if let firstError { throw firstError }
    }
}
