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
    private var jsonWriter = AuditJSONWriter()

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
        try feed(chunk, unmapped: true) { try emit($1) }
    }

    /// Feeds a chunk of raw text and appends each event it completes to `out` as one line of JSON (the
    /// bytes `EventJSON` writes for the event `feed` would give, and a newline). Faster than `feed` then
    /// `EventJSON`: `unmapped` is written from the records' bytes without building a dictionary.
    public mutating func feedJSON(_ chunk: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var writer = jsonWriter
        jsonWriter = AuditJSONWriter()
        feed(chunk, unmapped: false) { writer.append($1, source: $0, to: &out) }
        jsonWriter = writer
    }

    /// Ends the input as `finish`, appending the remaining events to `out` as lines of JSON.
    public mutating func finishJSON(into out: inout [UInt8]) {
        var writer = jsonWriter
        jsonWriter = AuditJSONWriter()
        finish(unmapped: false) { writer.append($1, source: $0, to: &out) }
        jsonWriter = writer
    }

    private mutating func feed(
        _ chunk: UnsafeBufferPointer<UInt8>, unmapped: Bool, _ emit: (AuditEvent?, Event) throws -> Void
    ) rethrows {
        // Each record goes to the assembler as the reader completes it (no array of records in between).
        var reader = self.reader
        self.reader = AuditLogReader(maxLineLength: reader.maxLineLength)
        defer { self.reader = reader }
        var outputs: [AuditAssembler.Output] = []
        reader.feed(chunk) { add($0, &outputs) }
        try deliver(outputs, unmapped: unmapped, emit)
        summary.lines = reader.lineCount
        summary.records = reader.recordCount
    }

    /// Feeds a chunk of raw text.
    public mutating func feed(_ chunk: [UInt8], _ emit: (Event) throws -> Void) rethrows {
        try chunk.withUnsafeBufferPointer { try feed($0, emit) }
    }

    /// Ends the input: the last line is read, open events complete, missing serials count as lost.
    public mutating func finish(_ emit: (Event) throws -> Void) rethrows {
        try finish(unmapped: true) { try emit($1) }
    }

    private mutating func finish(unmapped: Bool, _ emit: (AuditEvent?, Event) throws -> Void) rethrows {
        var records: [AuditRecord] = []
        reader.finish { records.append($0) }
        try process(records, unmapped: unmapped, emit)
        var outputs: [AuditAssembler.Output] = []
        assembler.flush { outputs.append($0) }
        try deliver(outputs, unmapped: unmapped, emit)
        summary.lines = reader.lineCount
        summary.records = reader.recordCount
        // Lines that gave no record at all; a record with a bad field is still read (its problem is reported).
        let unreadable: Set<AuditError.Code> = [.missingHeader, .badTimestamp, .lineTooLong, .binaryNoise]
        summary.unparsableLines =
            Set(reader.diagnostics.filter { unreadable.contains($0.kind) }.compactMap(\.line)).count
        summary.problems = reader.diagnostics.count + incomplete.count
    }

    private mutating func process(
        _ records: [AuditRecord], unmapped: Bool, _ emit: (AuditEvent?, Event) throws -> Void
    ) rethrows {
        var outputs: [AuditAssembler.Output] = []
        for i in records.indices { add(records[i], &outputs) }
        try deliver(outputs, unmapped: unmapped, emit)
        summary.lines = reader.lineCount
        summary.records = reader.recordCount
    }

    private mutating func add(_ record: AuditRecord, _ outputs: inout [AuditAssembler.Output]) {
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

    private mutating func deliver(
        _ outputs: [AuditAssembler.Output], unmapped: Bool, _ emit: (AuditEvent?, Event) throws -> Void
    ) rethrows {
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
                let normalized = normalizer.normalize(event, unmapped: unmapped)
                summary.events += 1
                summary.byClass[normalized.classUID, default: 0] += 1
                try emit(event, normalized)
            case .loss(let loss):
                summary.lostSerials += loss.count
                summary.lossReports += 1
                let event = normalizer.lossEvent(loss)
                try emit(nil, event)
            }
        }
    }
}

/// Writes normalized audit events as JSON lines. Given the event's records (`source`) and an event
/// without `unmapped`, it writes `unmapped` from the records' bytes — the same bytes `EventJSON` writes
/// for the event `AuditNormalizer.normalize` gives, without building its dictionary.
public struct AuditJSONWriter: Sendable {
    private var unmapped = UnmappedWriter()

    public init() {}

    /// Appends the event and a newline.
    public mutating func append(_ event: Event, source: AuditEvent?, to out: inout [UInt8]) {
        if let source, event.unmapped == nil {
            unmapped.collect(source)
            let writer = unmapped
            EventJSON.append(event, unmapped: { writer.write(&$0) }, to: &out)
        } else {
            EventJSON.append(event, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }
}
