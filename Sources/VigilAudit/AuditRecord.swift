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
public struct AuditRecord: Sendable, Hashable {
    /// The record type number (1300 for SYSCALL); see `AuditRecordType`.
    public var type: UInt16
    /// Milliseconds since the Unix epoch, from the `audit(SEC.MS:SERIAL)` stamp.
    public var time: Int64
    /// The event serial from the stamp (the kernel's counter wraps at 2^32).
    public var serial: UInt32
    /// The `node=` prefix, when the record came through a forwarding auditd.
    public var node: String?
    /// Fields in the order they were written; nested `msg='…'` fields of user records are flattened in.
    public var fields: [AuditField]
    /// Words without `=` (e.g. `denied` and `{ read }` in AVC records), in order.
    public var words: [String]
    /// The source line number (1-based) for records read from text; 0 for netlink.
    public var line: Int

    public init(
        type: UInt16, time: Int64, serial: UInt32, node: String? = nil, fields: [AuditField] = [],
        words: [String] = [], line: Int = 0
    ) {
        self.type = type
        self.time = time
        self.serial = serial
        self.node = node
        self.fields = fields
        self.words = words
        self.line = line
    }

    /// The record type's name (`SYSCALL`), or `UNKNOWN[n]`.
    public var typeName: String { AuditRecordType.name(of: type) }

    /// The first field with this name, decoded.
    public subscript(name: String) -> String? {
        for field in fields where field.name == name { return field.value }
        return nil
    }

    /// The first field with this name.
    public func field(_ name: String) -> AuditField? {
        fields.first { $0.name == name }
    }
}
