import VigilCore

/// Groups records into events by serial, and accounts for gaps in the serial sequence.
///
/// An event completes on its `EOE` record, at once for a standalone record type, when no record has
/// arrived for it within `timeout` (by the injected clock; call `expire`), when more than `maxInFlight`
/// events are open (the oldest closes), or at `flush`. Serials may interleave and arrive out of order.
/// A serial skipped in the sequence is held as missing for `timeout`; if it has not arrived by then it
/// is counted in `lost` and reported as an `AuditLoss`. The serial wraps from 2^32−1 to 0 without loss.
public struct AuditAssembler {
    /// What the assembler hands back.
    public enum Output: Sendable, Hashable {
        case event(AuditEvent)
        case loss(AuditLoss)
    }

    public let clock: any Clock
    public let timeout: Int64
    public let maxInFlight: Int
    /// Gaps wider than this are counted lost at once beyond the window (a wide gap is not reordering).
    public let gapWindow: Int

    /// Serials counted lost so far.
    public private(set) var lost: UInt64 = 0
    /// Events completed so far.
    public private(set) var eventCount: UInt64 = 0

    private struct Pending {
        var records: [AuditRecord]
        var lastSeen: Int64
    }

    private var open: [UInt32: Pending] = [:]
    private var order: [UInt32] = []
    private var orderHead = 0
    private var highest: UInt32?
    private var missing: [UInt32: Int64] = [:]

    public init(clock: any Clock, timeout: Int64 = 2000, maxInFlight: Int = 8192, gapWindow: Int = 4096) {
        precondition(timeout >= 0 && maxInFlight > 0 && gapWindow >= 0, "assembler limits must be positive")
        self.clock = clock
        self.timeout = timeout
        self.maxInFlight = maxInFlight
        self.gapWindow = gapWindow
    }

    /// Adds a record; `emit` receives events it completes and losses it concludes.
    public mutating func add(_ record: AuditRecord, _ emit: (Output) throws -> Void) rethrows {
        let now = clock.nowMilliseconds()
        if let wide = account(serial: record.serial, now: now) { try emit(.loss(wide)) }
        let serial = record.serial
        if record.type == AuditRecordType.eoe {
            if let pending = open.removeValue(forKey: serial) {
                try complete(serial, pending.records, .endOfEvent, emit)
            }
            return
        }
        if AuditRecordType.isStandalone(record.type) {
            var records = open.removeValue(forKey: serial)?.records ?? []
            records.append(record)
            try complete(serial, records, .standalone, emit)
            return
        }
        if open[serial] != nil {
            open[serial]?.records.append(record)
            open[serial]?.lastSeen = now
        } else {
            var records: [AuditRecord] = []
            records.reserveCapacity(6)  // a syscall event is SYSCALL, CWD, PATH×n, PROCTITLE…: no regrowth
            records.append(record)
            open[serial] = Pending(records: records, lastSeen: now)
            order.append(serial)
            if open.count > maxInFlight { try evictOldest(emit) }
        }
    }

    /// Completes events idle for longer than `timeout` and concludes losses older than it.
    public mutating func expire(_ emit: (Output) throws -> Void) rethrows {
        let now = clock.nowMilliseconds()
        while orderHead < order.count {
            let serial = order[orderHead]
            guard let pending = open[serial] else {
                orderHead += 1
                continue
            }
            guard now - pending.lastSeen >= timeout else { break }
            open[serial] = nil
            orderHead += 1
            try complete(serial, pending.records, .timeout, emit)
        }
        compactOrder()
        let expired = missing.filter { now - $0.value >= timeout }.keys
        if !expired.isEmpty {
            for serial in expired { missing[serial] = nil }
            try reportLoss(Array(expired), now: now, emit)
        }
    }

    /// Completes every open event and concludes every missing serial (end of input).
    public mutating func flush(_ emit: (Output) throws -> Void) rethrows {
        while orderHead < order.count {
            let serial = order[orderHead]
            orderHead += 1
            if let pending = open.removeValue(forKey: serial) { try complete(serial, pending.records, .flush, emit) }
        }
        order.removeAll()
        orderHead = 0
        if !missing.isEmpty {
            let serials = Array(missing.keys)
            missing.removeAll()
            try reportLoss(serials, now: clock.nowMilliseconds(), emit)
        }
    }

    /// Events still open.
    public var inFlight: Int { open.count }

    private mutating func evictOldest(_ emit: (Output) throws -> Void) rethrows {
        while orderHead < order.count {
            let serial = order[orderHead]
            orderHead += 1
            if let pending = open.removeValue(forKey: serial) {
                try complete(serial, pending.records, .evicted, emit)
                break
            }
        }
        compactOrder()
    }

    private mutating func compactOrder() {
        if orderHead > 1024 && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }

    private mutating func complete(
        _ serial: UInt32, _ records: [AuditRecord], _ how: AuditEvent.Completion, _ emit: (Output) throws -> Void
    ) rethrows {
        guard let first = records.first else { return }
        eventCount += 1
        try emit(.event(AuditEvent(serial: serial, time: first.time, records: records, completion: how)))
    }

    /// Notes the serial; returns the part of a gap wider than `gapWindow`, which is lost at once.
    private mutating func account(serial: UInt32, now: Int64) -> AuditLoss? {
        guard let top = highest else {
            highest = serial
            return nil
        }
        let distance = serial &- top
        if distance == 0 { return nil }
        var wide: AuditLoss?
        if distance < 0x8000_0000 {
            let gap = Int(distance) - 1
            if gap > 0 {
                let tracked = min(gap, gapWindow)
                if gap > tracked {
                    lost += UInt64(gap - tracked)
                    wide = AuditLoss(
                        count: UInt64(gap - tracked), firstSerial: top &+ 1,
                        lastSerial: serial &- UInt32(tracked) &- 1, time: now)
                }
                var s = serial &- UInt32(tracked)
                for _ in 0..<tracked {
                    missing[s] = now
                    s &+= 1
                }
            }
            highest = serial
        } else if top &- serial > UInt32(gapWindow) {
            // Far behind the highest serial: the sequence restarted (a reboot, or logs of several boots
            // concatenated). Start counting from here.
            highest = serial
        } else {
            missing[serial] = nil
        }
        return wide
    }

    private mutating func reportLoss(_ serials: [UInt32], now: Int64, _ emit: (Output) throws -> Void) rethrows {
        // Report contiguous runs (in wrapping order relative to the highest serial seen).
        let top = highest ?? 0
        let sorted = serials.sorted { (top &- $0) > (top &- $1) }
        var runStart = sorted[0]
        var previous = sorted[0]
        var count: UInt64 = 1
        for serial in sorted.dropFirst() {
            if serial == previous &+ 1 {
                previous = serial
                count += 1
                continue
            }
            lost += count
            try emit(.loss(AuditLoss(count: count, firstSerial: runStart, lastSerial: previous, time: now)))
            runStart = serial
            previous = serial
            count = 1
        }
        lost += count
        try emit(.loss(AuditLoss(count: count, firstSerial: runStart, lastSerial: previous, time: now)))
    }
}
