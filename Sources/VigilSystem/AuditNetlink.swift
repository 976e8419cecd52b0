internal import CLinux
import Glibc

/// The kernel audit status (`struct audit_status`), as `AUDIT_GET` returns it.
public struct AuditStatus: Sendable, Hashable {
    /// 0 off, 1 on, 2 on and locked (rules and settings cannot change until reboot).
    public var enabled: UInt32 = 0
    /// What the kernel does when it cannot log: 0 silent, 1 printk, 2 panic.
    public var failure: UInt32 = 0
    /// The pid of the process the kernel sends records to (auditd, or us), 0 for none.
    public var pid: UInt32 = 0
    /// Messages per second, 0 for unlimited.
    public var rateLimit: UInt32 = 0
    public var backlogLimit: UInt32 = 0
    /// Records the kernel dropped since boot (or since the counter was reset).
    public var lost: UInt32 = 0
    /// Records waiting in the kernel's queue.
    public var backlog: UInt32 = 0
    public var featureBitmap: UInt32 = 0
    public var backlogWaitTime: UInt32 = 0

    public init() {}

    /// Bits of the `mask` word saying which fields an `AUDIT_SET` changes.
    public struct Fields: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let enabled = Fields(rawValue: 0x1)
        public static let failure = Fields(rawValue: 0x2)
        public static let pid = Fields(rawValue: 0x4)
        public static let rateLimit = Fields(rawValue: 0x8)
        public static let backlogLimit = Fields(rawValue: 0x10)
        public static let backlogWaitTime = Fields(rawValue: 0x20)
    }

    init(bytes: [UInt8]) {
        func word(_ i: Int) -> UInt32 {
            guard bytes.count >= (i + 1) * 4 else { return 0 }
            return UInt32(bytes[i * 4]) | UInt32(bytes[i * 4 + 1]) << 8 | UInt32(bytes[i * 4 + 2]) << 16
                | UInt32(bytes[i * 4 + 3]) << 24
        }
        enabled = word(1)
        failure = word(2)
        pid = word(3)
        rateLimit = word(4)
        backlogLimit = word(5)
        lost = word(6)
        backlog = word(7)
        featureBitmap = word(8)
        backlogWaitTime = word(9)
    }

    func encoded(mask: Fields) -> [UInt8] {
        let words: [UInt32] = [
            mask.rawValue, enabled, failure, pid, rateLimit, backlogLimit, 0, 0, 0, backlogWaitTime, 0,
        ]
        var out: [UInt8] = []
        for w in words { withUnsafeBytes(of: w.littleEndian) { out += $0 } }
        let size = Int(vigil_audit_status_size())
        if out.count > size { out.removeLast(out.count - size) }
        while out.count < size { out.append(0) }
        return out
    }
}

/// Requests to the kernel's audit subsystem over `NETLINK_AUDIT`: status, rules, and the stream of records.
///
/// Rules travel as `struct audit_rule_data` bytes (VigilAudit encodes and decodes them). Every request
/// asks for an acknowledgement and throws `SystemError` with the kernel's errno when refused.
public final class AuditNetlink {
    public let socket: NetlinkSocket
    /// Audit records that arrived while waiting for a reply (`type`, payload), oldest first.
    public private(set) var pendingRecords: [NetlinkMessage] = []

    public static let get: UInt16 = 1000
    public static let set: UInt16 = 1001
    public static let addRule: UInt16 = 1011
    public static let deleteRule: UInt16 = 1012
    public static let listRules: UInt16 = 1013
    /// `AUDIT_NLGRP_READLOG`: the read-only multicast group.
    public static let readLogGroup: UInt32 = 1

    /// Opens the audit socket. Throws where the kernel has no audit support (EPROTONOSUPPORT) or we lack
    /// CAP_AUDIT_CONTROL/CAP_AUDIT_READ (EPERM).
    public init(multicast: Bool = false, receiveBufferSize: Int32 = 8 << 20) throws {
        socket = try NetlinkSocket(family: NETLINK_AUDIT, receiveBufferSize: receiveBufferSize)
        if multicast { try socket.join(group: AuditNetlink.readLogGroup) }
    }

    /// `AUDIT_GET`.
    public func status() throws -> AuditStatus {
        let replies = try request(AuditNetlink.get, payload: [], expect: AuditNetlink.get)
        guard let reply = replies.first(where: { $0.type == AuditNetlink.get }) else {
            throw SystemError(call: "AUDIT_GET", errno: EPROTO, context: "no status in the kernel's reply")
        }
        return AuditStatus(bytes: reply.payload)
    }

    /// `AUDIT_SET` of the fields in `mask`. Setting `pid` makes this socket the receiver of all records.
    public func setStatus(_ status: AuditStatus, fields: AuditStatus.Fields) throws {
        _ = try request(AuditNetlink.set, payload: status.encoded(mask: fields), expect: nil)
    }

    /// `AUDIT_LIST_RULES`: every rule as `audit_rule_data` bytes, in kernel order.
    public func rules() throws -> [[UInt8]] {
        try request(AuditNetlink.listRules, payload: [], expect: AuditNetlink.listRules, dump: true)
            .filter { $0.type == AuditNetlink.listRules }.map(\.payload)
    }

    /// `AUDIT_ADD_RULE`.
    public func add(rule: [UInt8]) throws { _ = try request(AuditNetlink.addRule, payload: rule, expect: nil) }

    /// `AUDIT_DEL_RULE`.
    public func delete(rule: [UInt8]) throws { _ = try request(AuditNetlink.deleteRule, payload: rule, expect: nil) }

    /// Waits up to `timeout` ms for audit records: (record type, payload) pairs, queued ones first.
    /// Throws `SystemError` ENOBUFS when the kernel dropped records (the socket stays usable).
    public func receiveRecords(timeout: Int32) throws -> [NetlinkMessage] {
        if !pendingRecords.isEmpty {
            defer { pendingRecords.removeAll() }
            return pendingRecords
        }
        return try socket.receive(timeout: timeout).filter { Self.isRecord($0.type) }
    }

    static func isRecord(_ type: UInt16) -> Bool { type >= 1100 }

    private func request(
        _ type: UInt16, payload: [UInt8], expect: UInt16?, dump: Bool = false
    ) throws
        -> [NetlinkMessage]
    {
        let flags = NetlinkMessage.flagRequest | NetlinkMessage.flagAck | (dump ? NetlinkMessage.flagDump : 0)
        let sequence = try socket.send(type: type, flags: flags, payload: payload)
        var replies: [NetlinkMessage] = []
        var acknowledged = false
        var answered = expect == nil
        var waits = 0
        while !(acknowledged && answered) {
            let messages: [NetlinkMessage]
            do {
                messages = try socket.receive(timeout: 1000)
            } catch let error as SystemError where error.errno == ENOBUFS {
                continue
            }
            if messages.isEmpty {
                waits += 1
                if waits >= 5 {
                    throw SystemError(
                        call: "netlink type \(type)", errno: ETIMEDOUT, context: "no reply from the kernel")
                }
                continue
            }
            for message in messages {
                if Self.isRecord(message.type) {
                    pendingRecords.append(message)
                    continue
                }
                if message.type == NetlinkMessage.error,
                    message.erroredSequence == sequence || message.sequence == sequence
                {
                    let code = message.errorCode ?? 0
                    if code != 0 { throw SystemError(call: "audit netlink request \(type)", errno: code) }
                    acknowledged = true
                    // The kernel acknowledges a dump before or after its parts; keep reading until DONE.
                    continue
                }
                guard message.sequence == sequence else { continue }
                if message.type == NetlinkMessage.done {
                    answered = true
                } else {
                    replies.append(message)
                    if !dump && message.type == expect { answered = true }
                }
            }
        }
        return replies
    }
}
