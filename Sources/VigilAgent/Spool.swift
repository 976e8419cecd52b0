import Foundation
import Synchronization
import VigilCore

/// The agent's crash-safe outbox: every event is written here (redacted) before anything tries to send it, and
/// removed only after the server acknowledged it.
///
/// Layout under `directory`:
/// - `seg-<first sequence, 20 digits>.log`: append-only segments. One record per line:
///   `<sequence> <FNV-1a 64 of the JSON, 16 hex> <event JSON>\n`. The JSON is exactly what is sent, so shipping
///   never re-encodes and the event id and `metadata.sequence` stay stable across restarts (the server discards
///   duplicates by id).
/// - `acked`: the highest sequence number the server acknowledged (or that was dropped), replaced atomically
///   (write, fsync, rename, fsync of the directory).
///
/// Every `append` ends with `fsync` of the segment, so an event `append` returned for survives a crash or
/// SIGKILL. On open, the last segment's tail is checked: a truncated or corrupt tail (a crash mid-write) is cut
/// off at the last whole record, with a log line saying how many bytes were removed; sequence numbering resumes
/// after the last whole record.
///
/// Bound (PCI DSS 10.7: a failure of the logging pipeline is itself logged): when the segments exceed
/// `maxBytes`, the oldest segments are removed whole; the exact number of unsent events they held is counted and
/// an event saying so is appended in the same call.
public final class Spool: Sendable {
    public struct Record: Sendable, Equatable {
        public var sequence: UInt64
        /// The event's JSON, one line without the newline.
        public var json: [UInt8]
    }

    public struct Statistics: Sendable, Equatable {
        public var appended: UInt64 = 0
        public var acknowledged: UInt64 = 0
        public var dropped: UInt64 = 0
        public var corruptRecords: UInt64 = 0
        public var bytes: Int = 0
        public var segments: Int = 0
    }

    struct Segment: Sendable {
        var first: UInt64
        var last: UInt64
        var path: String
        var bytes: Int
    }

    struct State: Sendable {
        var segments: [Segment] = []
        var nextSequence: UInt64 = 1
        var acked: UInt64 = 0
        var writeFD: Int32 = -1
        var stats = Statistics()
    }

    public let directory: String
    public let maxBytes: Int
    public let segmentBytes: Int
    let log: @Sendable (String) -> Void
    let device: Device?
    let clock: any Clock
    private let state: Mutex<State>

    /// Opens (creating if needed) the spool in `directory`.
    /// - Parameters:
    ///   - maxBytes: bound on the segments' total size.
    ///   - segmentBytes: a segment is closed and a new one started past this size (default: an eighth of the
    ///     bound, at most 4 MiB), which is also the granularity of dropping.
    public init(
        directory: String, maxBytes: Int = 256 << 20, segmentBytes: Int? = nil, device: Device? = nil,
        clock: any Clock = SystemClock(), log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        self.directory = directory
        self.maxBytes = max(4096, maxBytes)
        self.segmentBytes = max(1024, segmentBytes ?? min(4 << 20, max(1024, maxBytes / 8)))
        self.device = device
        self.clock = clock
        self.log = log
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        state = Mutex(try Self.load(directory: directory, log: log))
    }

    deinit {
        state.withLock { s in
            if s.writeFD >= 0 { close(s.writeFD) }
            s.writeFD = -1
        }
    }

    public var statistics: Statistics {
        state.withLock { s in
            var stats = s.stats
            stats.bytes = s.segments.reduce(0) { $0 + $1.bytes }
            stats.segments = s.segments.count
            return stats
        }
    }

    /// The highest sequence number acknowledged (or dropped).
    public var acknowledgedThrough: UInt64 { state.withLock { $0.acked } }

    /// The sequence number the next event will get.
    public var nextSequence: UInt64 { state.withLock { $0.nextSequence } }

    /// Events waiting to be sent.
    public var pendingCount: UInt64 { state.withLock { $0.nextSequence - 1 - $0.acked } }

    // MARK: - Writing

    /// Assigns sequence numbers, writes the events and fsyncs. Returns the sequence numbers given.
    @discardableResult
    public func append(_ events: [Event]) throws -> [UInt64] {
        guard !events.isEmpty else { return [] }
        return try state.withLock { s in
            var sequences: [UInt64] = []
            try write(events, into: &s, sequences: &sequences)
            let dropped = try enforceBound(&s)
            if dropped > 0 {
                let report = dropReport(count: dropped)
                try write([report], into: &s, sequences: &sequences)
                log(
                    "vigil agent: spool over its bound of \(maxBytes) bytes: dropped the \(dropped) oldest unsent events"
                )
            }
            return sequences
        }
    }

    private func write(_ events: [Event], into s: inout State, sequences: inout [UInt64]) throws {
        let encoder = JSON.encoder()
        var buffer: [UInt8] = []
        for var event in events {
            let sequence = s.nextSequence
            event.metadata.sequence = sequence
            let json = Array(try encoder.encode(event))
            buffer += Self.recordLine(sequence: sequence, json: json)
            s.nextSequence += 1
            sequences.append(sequence)
            if buffer.count >= segmentBytes {
                try flush(&buffer, into: &s, first: sequence - UInt64(0))
            }
        }
        try flush(&buffer, into: &s, first: s.nextSequence - 1)
        s.stats.appended += UInt64(events.count)
    }

    /// Writes `buffer` (records up to `s.nextSequence - 1`) to the current segment, starting a new one when the
    /// current is full, and fsyncs.
    private func flush(_ buffer: inout [UInt8], into s: inout State, first _: UInt64) throws {
        guard !buffer.isEmpty else { return }
        let firstInBuffer = Self.firstSequence(of: buffer) ?? s.nextSequence - 1
        if s.writeFD < 0 || (s.segments.last?.bytes ?? 0) >= segmentBytes {
            if s.writeFD >= 0 { close(s.writeFD) }
            let path = "\(directory)/seg-\(Self.padded(firstInBuffer)).log"
            s.writeFD = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard s.writeFD >= 0 else { throw SpoolError.io("cannot create \(path)", errno) }
            s.segments.append(Segment(first: firstInBuffer, last: firstInBuffer - 1, path: path, bytes: 0))
            Self.syncDirectory(directory)
        }
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Foundation.write(s.writeFD, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpoolError.io("cannot write \(s.segments[s.segments.count - 1].path)", errno)
            }
            offset += n
        }
        guard fsync(s.writeFD) == 0 else {
            throw SpoolError.io("cannot fsync \(s.segments[s.segments.count - 1].path)", errno)
        }
        s.segments[s.segments.count - 1].bytes += buffer.count
        s.segments[s.segments.count - 1].last = s.nextSequence - 1
        buffer.removeAll(keepingCapacity: true)
    }

    /// Removes the oldest segments (never the one being written) while over the bound; returns how many unsent
    /// events they held.
    private func enforceBound(_ s: inout State) throws -> UInt64 {
        var dropped: UInt64 = 0
        while s.segments.reduce(0, { $0 + $1.bytes }) > maxBytes, s.segments.count > 1 {
            let oldest = s.segments.removeFirst()
            if oldest.last > s.acked {
                dropped += oldest.last - max(oldest.first, s.acked + 1) + 1
                s.acked = oldest.last
            }
            unlink(oldest.path)
        }
        if dropped > 0 {
            try Self.writeAcked(s.acked, directory: directory)
            s.stats.dropped += dropped
        }
        return dropped
    }

    private func dropReport(count: UInt64) -> Event {
        let now = clock.nowMilliseconds()
        return Event(
            id: "spool-drop-\(device?.uid ?? "host")-\(now)-\(count)", classUID: .baseEvent, activityID: 99,
            time: now, severityID: .high, statusID: 2,
            message: "agent spool full: \(count) unsent events dropped (bound \(maxBytes) bytes)",
            metadata: EventMetadata(logName: "agent"), device: device,
            unmapped: ["vigil.spool.dropped": String(count), "vigil.spool.max_bytes": String(maxBytes)])
    }

    // MARK: - Reading and acknowledging

    /// Up to `limit` unacknowledged records (and at most about `maxBytes` of JSON), oldest first.
    ///
    /// Records already acknowledged are skipped by their sequence prefix alone (no checksum, no copy), and reading
    /// stops once `limit` records are gathered, so a flush costs what it sends, not the size of the spool.
    public func pending(limit: Int, maxBytes budget: Int = 8 << 20) throws -> [Record] {
        let (segments, acked) = state.withLock { ($0.segments, $0.acked) }
        var out: [Record] = []
        var bytes = 0
        var corrupt = 0
        defer { if corrupt > 0 { state.withLock { $0.stats.corruptRecords += UInt64(corrupt) } } }
        for segment in segments where segment.last > acked {
            guard let data = FileManager.default.contents(atPath: segment.path) else { continue }
            let done = data.withUnsafeBytes { raw -> Bool in
                let buffer = raw.bindMemory(to: UInt8.self)
                var start = 0
                while start < buffer.count {
                    var end = start
                    while end < buffer.count && buffer[end] != 10 { end += 1 }
                    if end == buffer.count { break }  // unterminated: being written, or a torn tail
                    defer { start = end + 1 }
                    var sequence: UInt64 = 0
                    var index = start
                    while index < end, buffer[index] >= 48, buffer[index] <= 57, sequence < UInt64.max / 10 {
                        sequence = sequence * 10 + UInt64(buffer[index] - 48)
                        index += 1
                    }
                    if sequence <= acked && index > start && index < end && buffer[index] == 32 { continue }
                    guard let record = Self.parseLine(ArraySlice(buffer[start..<end])) else {
                        corrupt += 1
                        continue
                    }
                    if out.count >= limit || (bytes + record.json.count > budget && !out.isEmpty) { return true }
                    bytes += record.json.count
                    out.append(record)
                }
                return false
            }
            if done { break }
        }
        return out
    }

    /// Marks everything through `sequence` as delivered; deletes segments wholly delivered.
    public func acknowledge(through sequence: UInt64) throws {
        try state.withLock { s in
            guard sequence > s.acked else { return }
            let target = min(sequence, s.nextSequence - 1)
            s.stats.acknowledged += target - s.acked
            s.acked = target
            try Self.writeAcked(target, directory: directory)
            while let first = s.segments.first, first.last <= s.acked, s.segments.count > 1 {
                unlink(first.path)
                s.segments.removeFirst()
            }
        }
    }

    // MARK: - Files

    static func padded(_ n: UInt64) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, 20 - text.count)) + text
    }

    static func recordLine(sequence: UInt64, json: [UInt8]) -> [UInt8] {
        Array("\(sequence) \(hex16(fnv1a(json))) ".utf8) + json + [10]
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            hash ^= UInt64(b)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func hex16(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    static func firstSequence(of buffer: [UInt8]) -> UInt64? {
        guard let space = buffer.firstIndex(of: 32) else { return nil }
        return UInt64(String(decoding: buffer[..<space], as: UTF8.self))
    }

    /// The whole records of a segment, the byte length they cover, and how many lines were corrupt.
    static func parse(_ bytes: [UInt8]) -> (records: [Record], validLength: Int, corrupt: Int) {
        var records: [Record] = []
        var corrupt = 0
        var start = 0
        var validLength = 0
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: 10) else { break }  // unterminated tail
            let line = bytes[start..<newline]
            start = newline + 1
            if let record = parseLine(line) {
                records.append(record)
                validLength = start
            } else {
                corrupt += 1
            }
        }
        return (records, validLength, corrupt)
    }

    static func parseLine(_ line: ArraySlice<UInt8>) -> Record? {
        guard let firstSpace = line.firstIndex(of: 32) else { return nil }
        let secondSpace = firstSpace + 17
        guard secondSpace < line.endIndex, line[secondSpace] == 32,
            let sequence = UInt64(String(decoding: line[line.startIndex..<firstSpace], as: UTF8.self)),
            let checksum = UInt64(String(decoding: line[(firstSpace + 1)..<secondSpace], as: UTF8.self), radix: 16)
        else { return nil }
        let json = Array(line[(secondSpace + 1)...])
        guard !json.isEmpty, fnv1a(json) == checksum else { return nil }
        return Record(sequence: sequence, json: json)
    }

    static func readAcked(directory: String) -> UInt64 {
        guard let data = FileManager.default.contents(atPath: "\(directory)/acked") else { return 0 }
        return UInt64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    static func writeAcked(_ value: UInt64, directory: String) throws {
        let tmp = "\(directory)/acked.tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SpoolError.io("cannot write \(tmp)", errno) }
        let bytes = Array("\(value)\n".utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0 else { throw SpoolError.io("cannot write \(tmp)", errno) }
        guard rename(tmp, "\(directory)/acked") == 0 else { throw SpoolError.io("cannot rename \(tmp)", errno) }
        syncDirectory(directory)
    }

    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    static func load(directory: String, log: @Sendable (String) -> Void) throws -> State {
        var state = State()
        state.acked = readAcked(directory: directory)
        let names = (try FileManager.default.contentsOfDirectory(atPath: directory))
            .filter { $0.hasPrefix("seg-") && $0.hasSuffix(".log") }.sorted()
        for (index, name) in names.enumerated() {
            let path = "\(directory)/\(name)"
            guard let first = UInt64(name.dropFirst(4).dropLast(4)) else {
                log("vigil agent: spool: ignoring \(path): not a segment name (seg-<20 digits>.log)")
                continue
            }
            let bytes = Array(FileManager.default.contents(atPath: path) ?? Data())
            let parsed = parse(bytes)
            var length = bytes.count
            if index == names.count - 1, parsed.validLength < bytes.count {
                // Only the last segment can have a torn tail: earlier ones were closed after an fsync.
                let removed = bytes.count - parsed.validLength
                guard truncate(path, off_t(parsed.validLength)) == 0 else {
                    throw SpoolError.io("cannot truncate the torn tail of \(path)", errno)
                }
                length = parsed.validLength
                log(
                    "vigil agent: spool: recovered \(path): removed a torn or corrupt tail of \(removed) bytes "
                        + "after sequence \(parsed.records.last.map { String($0.sequence) } ?? "none") "
                        + "(the agent stopped mid-write; those events were never acknowledged as written)")
            } else if parsed.corrupt > 0 {
                log("vigil agent: spool: \(path) holds \(parsed.corrupt) corrupt records; they are skipped")
                state.stats.corruptRecords += UInt64(parsed.corrupt)
            }
            let last = parsed.records.last?.sequence ?? (first - 1)
            if parsed.records.isEmpty && length == 0 && index != names.count - 1 {
                unlink(path)
                continue
            }
            state.segments.append(Segment(first: first, last: last, path: path, bytes: length))
            state.nextSequence = max(state.nextSequence, last + 1)
        }
        state.nextSequence = max(state.nextSequence, state.acked + 1)
        // Segments fully acknowledged before a crash (deleted lazily): remove them now.
        while let first = state.segments.first, first.last <= state.acked, state.segments.count > 1 {
            unlink(first.path)
            state.segments.removeFirst()
        }
        return state
    }
}

public struct SpoolError: Error, CustomStringConvertible {
    public var description: String

    static func io(_ what: String, _ code: Int32) -> SpoolError {
        SpoolError(description: "spool: \(what): \(String(cString: strerror(code))); check free space and permissions")
    }
}
