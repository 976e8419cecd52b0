import VigilCore

/// Raw audit text in, normalized events out: reader → assembler → normalizer, with the counts a summary needs.
///
/// Time comes from the records themselves (`StreamClock`), so a replayed log groups events as a live
/// stream would. Events cut off by the end of input are reported when the stream shows it marks events
/// with `EOE` (a log without any `EOE` is from a kernel or tool that never wrote them).
public struct AuditLogPipeline {
    /// Counts for the summary line.
    public struct Summary: Sendable, Hashable {
        public var lines = 0
        public var records = 0
        public var events = 0
        public var lostSerials: UInt64 = 0
        public var lossReports = 0
        public var unparsableLines = 0
        /// Every problem reported, including fields that could not be decoded in records that were read.
        public var problems = 0
        public var byClass: [EventClass: Int] = [:]
    }

    public private(set) var reader: AuditLogReader
    public private(set) var assembler: AuditAssembler
    public var normalizer: AuditNormalizer
    public private(set) var summary = Summary()
    private let clock: StreamClock
    private var sawEndOfEvent = false
    private var sinceExpire = 0
    private var lastLine: [UInt32: Int] = [:]
    private var incomplete: [AuditError] = []

    public init(hostname: String? = nil, timeout: Int64 = 2000, maxLineLength: Int = 256 * 1024) {
        clock = StreamClock()
        reader = AuditLogReader(maxLineLength: maxLineLength)
        assembler = AuditAssembler(clock: clock, timeout: timeout)
        normalizer = AuditNormalizer(hostname: hostname)
    }

    /// Problems found so far (reader diagnostics, then events cut off at the end), in line order.
    public var diagnostics: [AuditError] {
        (reader.diagnostics + incomplete).sorted { ($0.line ?? 0) < ($1.line ?? 0) }
    }

    /// Feeds a chunk of raw text.
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ emit: (Event) throws -> Void) rethrows {
        var records: [AuditRecord] = []
        reader.feed(chunk) { records.append($0) }
        try process(records, emit)
    }

    /// Feeds a chunk of raw text.
    public mutating func feed(_ chunk: [UInt8], _ emit: (Event) throws -> Void) rethrows {
        try chunk.withUnsafeBufferPointer { try feed($0, emit) }
    }

    /// Ends the input: the last line is read, open events complete, missing serials count as lost.
    public mutating func finish(_ emit: (Event) throws -> Void) rethrows {
        var records: [AuditRecord] = []
        reader.finish { records.append($0) }
        try process(records, emit)
        var outputs: [AuditAssembler.Output] = []
        assembler.flush { outputs.append($0) }
        try deliver(outputs, emit)
        summary.lines = reader.lineCount
        summary.records = reader.recordCount
        // Lines that gave no record at all; a record with a bad field is still read (its problem is reported).
        let unreadable: Set<AuditError.Code> = [.missingHeader, .badTimestamp, .lineTooLong, .binaryNoise]
        summary.unparsableLines =
            Set(reader.diagnostics.filter { unreadable.contains($0.kind) }.compactMap(\.line)).count
        summary.problems = reader.diagnostics.count + incomplete.count
    }

    private mutating func process(_ records: [AuditRecord], _ emit: (Event) throws -> Void) rethrows {
        var outputs: [AuditAssembler.Output] = []
        for record in records {
            clock.observe(record.time)
            if record.type == AuditRecordType.eoe { sawEndOfEvent = true }
            lastLine[record.serial] = record.line
            assembler.add(record) { outputs.append($0) }
            sinceExpire += 1
            if sinceExpire >= 256 {
                sinceExpire = 0
                assembler.expire { outputs.append($0) }
            }
        }
        try deliver(outputs, emit)
        summary.lines = reader.lineCount
        summary.records = reader.recordCount
    }

    private mutating func deliver(_ outputs: [AuditAssembler.Output], _ emit: (Event) throws -> Void) rethrows {
        for output in outputs {
            switch output {
            case .event(let event):
                let line = lastLine.removeValue(forKey: event.serial)
                if event.completion == .flush, sawEndOfEvent, event.record(AuditRecordType.syscall) != nil {
                    incomplete.append(
                        AuditError(
                            .incompleteEvent,
                            "event \(event.serial) has no EOE record: the input ends (or was cut) inside it; its records are kept",
                            line: line))
                }
                let normalized = normalizer.normalize(event)
                summary.events += 1
                summary.byClass[normalized.classUID, default: 0] += 1
                try emit(normalized)
            case .loss(let loss):
                summary.lostSerials += loss.count
                summary.lossReports += 1
                let event = normalizer.lossEvent(loss)
                try emit(event)
            }
        }
    }
}
