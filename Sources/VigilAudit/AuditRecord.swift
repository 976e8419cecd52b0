/// One field of an audit record, with its value decoded (quotes removed, hex decoded).
public struct AuditField: Sendable, Hashable {
    /// How the value was written in the record.
    public enum Encoding: UInt8, Sendable, Hashable {
        /// `key=value`.
        case plain
        /// `key="value"`.
        case quoted
        /// `key=68656C6C6F`: the kernel hex-encodes strings with spaces or control characters.
        case hex
        /// `key=(null)`.
        case null
        /// A field that should be hex but is not valid hex; `value` is the text as written.
        case invalidHex
    }

    public var name: String
    public var value: String
    public var encoding: Encoding

    public init(name: String, value: String, encoding: Encoding = .plain) {
        self.name = name
        self.value = value
        self.encoding = encoding
    }
}

/// One audit record: `type=SYSCALL msg=audit(1700000000.123:42): key=value …`.
///
/// Records sharing a `serial` belong to one event (see `AuditAssembler`).
///
/// The fields live in one byte buffer (names and decoded values back to back, always valid UTF-8) with a
/// small fixed-size span per field, so parsing a record costs two allocations instead of two strings per
/// field, and copying one retains two buffers. Names the normalizer reads are interned (`FieldName`) at
/// parse time, so looking one up compares a byte, not a string. `fields` builds `AuditField`s on demand.
public struct AuditRecord: Sendable {
    /// The record type number (1300 for SYSCALL); see `AuditRecordType`.
    public var type: UInt16
    /// Milliseconds since the Unix epoch, from the `audit(SEC.MS:SERIAL)` stamp.
    public var time: Int64
    /// The event serial from the stamp (the kernel's counter wraps at 2^32).
    public var serial: UInt32
    /// The `node=` prefix, when the record came through a forwarding auditd.
    public var node: String?
    /// Words without `=` (e.g. `denied` and `{ read }` in AVC records), in order.
    public var words: [String]
    /// The source line number (1-based) for records read from text; 0 for netlink.
    public var line: Int

    /// Names and decoded values, back to back in field order.
    var storage: [UInt8] = []
    /// Where each field's name and value are in `storage`.
    var spans: [FieldSpan] = []

    public init(
        type: UInt16, time: Int64, serial: UInt32, node: String? = nil, fields: [AuditField] = [],
        words: [String] = [], line: Int = 0
    ) {
        self.type = type
        self.time = time
        self.serial = serial
        self.node = node
        self.words = words
        self.line = line
        for field in fields { append(field) }
    }

    /// Fields in the order they were written; nested `msg='…'` fields of user records are flattened in.
    public var fields: [AuditField] {
        get {
            storage.withUnsafeBufferPointer { bytes in
                spans.map { span in
                    AuditField(
                        name: String(decoding: bytes[span.nameRange], as: UTF8.self),
                        value: String(decoding: bytes[span.valueRange], as: UTF8.self), encoding: span.encoding)
                }
            }
        }
        set {
            storage.removeAll(keepingCapacity: true)
            spans.removeAll(keepingCapacity: true)
            for field in newValue { append(field) }
        }
    }

    /// How many fields the record has.
    public var fieldCount: Int { spans.count }

    /// The record type's name (`SYSCALL`), or `UNKNOWN[n]`.
    public var typeName: String { AuditRecordType.name(of: type) }

    /// The first field with this name, decoded.
    public subscript(name: String) -> String? {
        guard let i = index(of: name) else { return nil }
        return value(at: i)
    }

    /// The first field with this name.
    public func field(_ name: String) -> AuditField? {
        guard let i = index(of: name) else { return nil }
        return AuditField(name: name, value: value(at: i), encoding: spans[i].encoding)
    }

    // MARK: - Internal access by interned name

    /// The first field with this interned name, decoded.
    subscript(id: FieldName) -> String? {
        guard let i = index(of: id) else { return nil }
        return value(at: i)
    }

    func index(of id: FieldName) -> Int? {
        for i in spans.indices where spans[i].name == id { return i }
        return nil
    }

    func index(of name: String) -> Int? {
        var name = name
        return name.withUTF8 { wanted in
            storage.withUnsafeBufferPointer { bytes in
                for i in spans.indices {
                    let range = spans[i].nameRange
                    if range.count == wanted.count, memoryEqual(bytes, range.lowerBound, wanted) { return i }
                }
                return nil
            }
        }
    }

    /// Whether the first field with this interned name has exactly this value.
    func value(_ id: FieldName, equals text: StaticString) -> Bool {
        guard let i = index(of: id) else { return false }
        let range = spans[i].valueRange
        guard range.count == text.utf8CodeUnitCount else { return false }
        return storage.withUnsafeBufferPointer { bytes in
            memoryEqual(bytes, range.lowerBound, UnsafeBufferPointer(start: text.utf8Start, count: range.count))
        }
    }

    func value(at i: Int) -> String {
        storage.withUnsafeBufferPointer { String(decoding: $0[spans[i].valueRange], as: UTF8.self) }
    }

    func name(at i: Int) -> String {
        storage.withUnsafeBufferPointer { String(decoding: $0[spans[i].nameRange], as: UTF8.self) }
    }

    mutating func append(_ field: AuditField) {
        var name = field.name
        var value = field.value
        name.withUTF8 { n in
            value.withUTF8 { v in
                let start = storage.count
                storage.append(contentsOf: n)
                let valueStart = storage.count
                storage.append(contentsOf: v)
                spans.append(
                    FieldSpan(
                        nameStart: start, valueStart: valueStart, valueEnd: storage.count,
                        name: FieldName.intern(n), encoding: field.encoding))
            }
        }
    }
}

extension AuditRecord: Hashable {
    public static func == (a: AuditRecord, b: AuditRecord) -> Bool {
        guard a.type == b.type, a.time == b.time, a.serial == b.serial, a.node == b.node, a.words == b.words,
            a.line == b.line, a.spans.count == b.spans.count
        else { return false }
        return a.storage.withUnsafeBufferPointer { x in
            b.storage.withUnsafeBufferPointer { y in
                for i in a.spans.indices {
                    let s = a.spans[i]
                    let t = b.spans[i]
                    guard s.encoding == t.encoding, s.nameRange.count == t.nameRange.count,
                        s.valueRange.count == t.valueRange.count,
                        memoryEqual(x, s.nameRange.lowerBound, UnsafeBufferPointer(rebasing: y[t.nameRange])),
                        memoryEqual(x, s.valueRange.lowerBound, UnsafeBufferPointer(rebasing: y[t.valueRange]))
                    else { return false }
                }
                return true
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(time)
        hasher.combine(serial)
        hasher.combine(node)
        hasher.combine(words)
        hasher.combine(line)
        storage.withUnsafeBufferPointer { bytes in
            for span in spans {
                hasher.combine(span.encoding)
                hasher.combine(span.nameRange.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[span.nameRange])))
                hasher.combine(span.valueRange.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[span.valueRange])))
            }
        }
    }
}

/// Where one field's name and value sit in a record's storage (the value follows the name).
struct FieldSpan: Sendable {
    var nameStart: UInt32
    var valueStart: UInt32
    var valueEnd: UInt32
    var name: FieldName
    var encoding: AuditField.Encoding

    init(nameStart: Int, valueStart: Int, valueEnd: Int, name: FieldName, encoding: AuditField.Encoding) {
        self.nameStart = UInt32(truncatingIfNeeded: nameStart)
        self.valueStart = UInt32(truncatingIfNeeded: valueStart)
        self.valueEnd = UInt32(truncatingIfNeeded: valueEnd)
        self.name = name
        self.encoding = encoding
    }

    var nameRange: Range<Int> { Int(nameStart)..<Int(valueStart) }
    var valueRange: Range<Int> { Int(valueStart)..<Int(valueEnd) }
}

/// `bytes[offset..<offset + other.count] == other`; the caller checks the bounds.
@inline(__always)
func memoryEqual(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    while i < other.count {
        if bytes[offset + i] != other[i] { return false }
        i += 1
    }
    return true
}

// MARK: - Building (the parser)

extension AuditRecord {
    /// Appends bytes to the storage as text: ASCII as is, anything else as `String(decoding:)` makes it
    /// (invalid UTF-8 repaired), so every value read back or written out is valid UTF-8.
    @inline(__always)
    mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>) {
        var ascii = true
        for b in bytes where b >= 0x80 {
            ascii = false
            break
        }
        if ascii {
            storage.append(contentsOf: bytes)
        } else {
            storage.append(contentsOf: String(decoding: bytes, as: UTF8.self).utf8)
        }
    }

    /// Appends the hex-decoded bytes as text; false (nothing appended) when `raw` is not even-length hex.
    /// With `nulAsSpace` (proctitle's argv), trailing NULs are dropped and the others become spaces.
    mutating func appendHex(_ raw: UnsafeBufferPointer<UInt8>, nulAsSpace: Bool) -> Bool {
        guard raw.count % 2 == 0, !raw.isEmpty else { return false }
        let start = storage.count
        var ascii = true
        var i = 0
        while i < raw.count {
            guard let high = Hex.nibble(raw[i]), let low = Hex.nibble(raw[i + 1]) else {
                storage.removeSubrange(start...)
                return false
            }
            let byte = high << 4 | low
            if byte >= 0x80 { ascii = false }
            storage.append(byte)
            i += 2
        }
        if nulAsSpace {
            while storage.count > start, storage[storage.count - 1] == 0 { storage.removeLast() }
            for j in start..<storage.count where storage[j] == 0 { storage[j] = UInt8(ascii: " ") }
        }
        if !ascii {
            let decoded = storage.withUnsafeBufferPointer {
                String(decoding: UnsafeBufferPointer(rebasing: $0[start...]), as: UTF8.self)
            }
            storage.removeSubrange(start...)
            storage.append(contentsOf: decoded.utf8)
        }
        return true
    }

    /// Records the field whose name and value were just appended.
    @inline(__always)
    mutating func closeField(nameStart: Int, valueStart: Int, name: FieldName, encoding: AuditField.Encoding) {
        spans.append(
            FieldSpan(
                nameStart: nameStart, valueStart: valueStart, valueEnd: storage.count, name: name, encoding: encoding))
    }

    func name(bytes range: Range<Int>) -> String {
        storage.withUnsafeBufferPointer { String(decoding: $0[range], as: UTF8.self) }
    }
}
