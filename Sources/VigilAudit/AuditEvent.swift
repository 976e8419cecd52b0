/// The records of one audit event (all sharing a serial), in arrival order.
public struct AuditEvent: Sendable, Hashable {
    /// Why the assembler considered the event complete.
    public enum Completion: String, Sendable, Hashable {
        /// An `EOE` record arrived.
        case endOfEvent = "eoe"
        /// A record type that is an event on its own (user-space and daemon messages).
        case standalone
        /// No record arrived for the event within the timeout.
        case timeout
        /// Too many events were in flight; the oldest was closed.
        case evicted
        /// The input ended.
        case flush
    }

    public var serial: UInt32
    /// Milliseconds since the Unix epoch, from the first record.
    public var time: Int64
    /// The records, without the `EOE` marker.
    public var records: [AuditRecord]
    public var completion: Completion

    public init(serial: UInt32, time: Int64, records: [AuditRecord], completion: Completion) {
        self.serial = serial
        self.time = time
        self.records = records
        self.completion = completion
    }

    /// The first record of this type.
    public func record(_ type: UInt16) -> AuditRecord? {
        // Indexing, not `first(where:)`, which copies (retains) every record it looks at.
        for i in records.indices where records[i].type == type { return records[i] }
        return nil
    }

    /// All records of this type, in order.
    public func records(_ type: UInt16) -> [AuditRecord] { records.filter { $0.type == type } }

    /// The record that describes the actor: the SYSCALL record when there is one, else the first record.
    public var primary: AuditRecord? { record(AuditRecordType.syscall) ?? records.first }

    /// The value of the first field with this interned name in the first record of this type.
    func value(_ name: FieldName, in type: UInt16) -> String? {
        guard let i = index(of: type) else { return nil }
        return records[i][name]
    }

    /// The index of the first record of this type.
    func index(of type: UInt16) -> Int? {
        for i in records.indices where records[i].type == type { return i }
        return nil
    }

    /// The record that names what happened: the first record that is not part of every syscall event
    /// (SYSCALL, CWD, PATH, PROCTITLE, EXECVE, SOCKADDR…) — an AVC, a NETFILTER_CFG — else the primary one.
    public var kind: AuditRecord? {
        for i in records.indices where !AuditEvent.isAuxiliary(records[i].type) { return records[i] }
        return primary
    }

    /// SYSCALL and the records that accompany syscalls: PATH, IPC, SOCKETCALL, SOCKADDR, CWD, EXECVE,
    /// IPC_SET_PERM, MQ_*, FD_PAIR, OBJ_PID, EOE, BPRM_FCAPS, CAPSET, MMAP, PROCTITLE.
    static func isAuxiliary(_ type: UInt16) -> Bool {
        switch type {
        case 1300, 1302, 1303, 1304, 1306, 1307, 1309, 1311, 1312, 1313, 1314, 1315, 1317, 1318, 1320, 1321, 1322,
            1323, 1327:
            true
        default: false
        }
    }

    /// Rule keys from every record, without duplicates, in order.
    public var keys: [String] {
        var seen: [String] = []
        for i in records.indices where records[i].index(of: .key) != nil {
            for key in records[i].keys where !seen.contains(key) { seen.append(key) }
        }
        return seen
    }
}

/// Serials that never arrived: the kernel's sequence had a gap (PCI DSS 10.7 — a failing control is detected).
public struct AuditLoss: Sendable, Hashable {
    /// How many serials were missing.
    public var count: UInt64
    /// The first and last missing serial.
    public var firstSerial: UInt32
    public var lastSerial: UInt32
    /// When the loss was concluded (milliseconds since the Unix epoch, from the assembler's clock).
    public var time: Int64

    public init(count: UInt64, firstSerial: UInt32, lastSerial: UInt32, time: Int64) {
        self.count = count
        self.firstSerial = firstSerial
        self.lastSerial = lastSerial
        self.time = time
    }
}
