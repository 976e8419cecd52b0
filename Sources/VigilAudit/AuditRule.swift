/// One audit rule, parsed from auditctl syntax, ready to encode as the kernel's `struct audit_rule_data`.
public struct AuditRule: Sendable, Hashable {
    /// `AUDIT_FILTER_*`: which list the rule goes on.
    public enum List: UInt32, Sendable, Hashable {
        case user = 0, task = 1, entry = 2, watch = 3, exit = 4, exclude = 5, filesystem = 6, uringExit = 7

        init?(name: String) {
            switch name {
            case "user": self = .user
            case "task": self = .task
            case "entry": self = .entry
            case "exit": self = .exit
            case "exclude": self = .exclude
            case "filesystem": self = .filesystem
            case "io_uring": self = .uringExit
            default: return nil
            }
        }
    }

    /// `AUDIT_NEVER` / `AUDIT_ALWAYS`.
    public enum Action: UInt32, Sendable, Hashable {
        case never = 0, always = 2
    }

    /// A comparison operator as the kernel encodes it in `fieldflags`.
    public enum Operator: UInt32, Sendable, Hashable, CaseIterable {
        case equal = 0x4000_0000
        case notEqual = 0x3000_0000
        case lessThan = 0x1000_0000
        case greaterThan = 0x2000_0000
        case lessOrEqual = 0x5000_0000
        case greaterOrEqual = 0x6000_0000
        case bitMask = 0x0800_0000
        case bitTest = 0x4800_0000

        /// The operator's text, longest first when scanning.
        var text: String {
            switch self {
            case .equal: "="
            case .notEqual: "!="
            case .lessThan: "<"
            case .greaterThan: ">"
            case .lessOrEqual: "<="
            case .greaterOrEqual: ">="
            case .bitMask: "&"
            case .bitTest: "&="
            }
        }
    }

    /// One `-F`/`-C` condition: field number, operator, and either a number or a string (stored in `buf`).
    public struct Condition: Sendable, Hashable {
        public var field: UInt32
        public var op: Operator
        public var value: UInt32
        public var string: String?

        public init(field: UInt32, op: Operator, value: UInt32 = 0, string: String? = nil) {
            self.field = field
            self.op = op
            self.value = value
            self.string = string
        }
    }

    public var list: List
    public var action: Action
    /// Syscall numbers (for the rule's architecture), or nil for all syscalls.
    public var syscalls: [Int]?
    public var conditions: [Condition]
    /// The rule text it came from (for messages and `auditctl -l` comparison).
    public var text: String

    public init(list: List, action: Action, syscalls: [Int]? = nil, conditions: [Condition] = [], text: String = "") {
        self.list = list
        self.action = action
        self.syscalls = syscalls
        self.conditions = conditions
        self.text = text
    }

    /// `struct audit_rule_data` bytes (little-endian host order), padded to 4 bytes:
    /// flags, action, field_count, mask[64], fields[64], values[64], fieldflags[64], buflen, buf.
    public func encoded() -> [UInt8] {
        precondition(conditions.count <= 64, "an audit rule has at most 64 fields (checked by the parser)")
        var mask = [UInt32](repeating: 0, count: 64)
        if let syscalls {
            for number in syscalls where number >= 0 && number < 64 * 32 {
                mask[number / 32] |= 1 << UInt32(number % 32)
            }
        } else {
            // "All syscalls" as auditctl sends it: every bit of the first 63 words, the low half of the last.
            mask = [UInt32](repeating: 0xFFFF_FFFF, count: 64)
            mask[63] = 0x0000_FFFF
        }
        var fields = [UInt32](repeating: 0, count: 64)
        var values = [UInt32](repeating: 0, count: 64)
        var flags = [UInt32](repeating: 0, count: 64)
        var buffer: [UInt8] = []
        for (i, condition) in conditions.enumerated() {
            fields[i] = condition.field
            flags[i] = condition.op.rawValue
            if let string = condition.string {
                values[i] = UInt32(string.utf8.count)
                buffer += Array(string.utf8)
            } else {
                values[i] = condition.value
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(1040 + buffer.count + 3)
        func put(_ value: UInt32) {
            withUnsafeBytes(of: value.littleEndian) { out += $0 }
        }
        put(list.rawValue)
        put(action.rawValue)
        put(UInt32(conditions.count))
        mask.forEach(put)
        fields.forEach(put)
        values.forEach(put)
        flags.forEach(put)
        put(UInt32(buffer.count))
        out += buffer
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    /// Decodes `struct audit_rule_data` bytes (as AUDIT_LIST_RULES returns them); nil when too short.
    public static func decode(_ bytes: [UInt8]) -> AuditRule? {
        guard bytes.count >= 1040 else { return nil }
        func word(_ index: Int) -> UInt32 {
            UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
                | UInt32(bytes[index + 3]) << 24
        }
        guard let list = List(rawValue: word(0)), let action = Action(rawValue: word(4)) else { return nil }
        let count = Int(word(8))
        guard count <= 64 else { return nil }
        var syscalls: [Int] = []
        var all = true
        for i in 0..<64 {
            let m = word(12 + i * 4)
            if i < 63 && m != 0xFFFF_FFFF { all = false }
            for bit in 0..<32 where m & (1 << UInt32(bit)) != 0 { syscalls.append(i * 32 + bit) }
        }
        let bufferLength = Int(word(1036))
        guard bytes.count >= 1040 + bufferLength else { return nil }
        var offset = 1040
        var conditions: [Condition] = []
        for i in 0..<count {
            let field = word(12 + 256 + i * 4)
            let value = word(12 + 512 + i * 4)
            guard let op = Operator(rawValue: word(12 + 768 + i * 4)) else { return nil }
            if AuditRuleParser.stringFields.contains(field) {
                let end = offset + Int(value)
                guard end <= 1040 + bufferLength else { return nil }
                conditions.append(
                    Condition(field: field, op: op, string: String(decoding: bytes[offset..<end], as: UTF8.self)))
                offset = end
            } else {
                conditions.append(Condition(field: field, op: op, value: value))
            }
        }
        return AuditRule(list: list, action: action, syscalls: all ? nil : syscalls, conditions: conditions)
    }
}
