/// Parses one raw audit record, as auditd writes it to `audit.log` or the kernel sends it over netlink.
///
/// Accepted: `[node=NAME ]type=NAME msg=audit(SEC.MS:SERIAL): key=value …` (text), and
/// `audit(SEC.MS:SERIAL): key=value …` with the type number given (netlink). Values may be unquoted,
/// `"quoted"`, hex-encoded, `(null)`, or a `msg='…'` of nested fields (user-space records), which are
/// flattened into the record. In auditd's "enriched" format a 0x1D byte separates the raw fields from
/// the interpreted ones (upper-case names); both are kept. The parser is pure: it reads bytes and
/// returns values, and reports each problem as an `AuditError` with the line number.
public struct AuditRecordParser: Sendable {
    public init() {}

    /// Parses a text line (without its newline). Returns nil, with a diagnostic, when the line is not a record.
    public func parse(line: [UInt8], lineNumber: Int, diagnostics: inout [AuditError]) -> AuditRecord? {
        line.withUnsafeBufferPointer { parse(line: $0, lineNumber: lineNumber, diagnostics: &diagnostics) }
    }

    /// Parses a text line given as a string.
    public func parse(line: String, lineNumber: Int, diagnostics: inout [AuditError]) -> AuditRecord? {
        var copy = line
        return copy.withUTF8 { parse(line: $0, lineNumber: lineNumber, diagnostics: &diagnostics) }
    }

    /// Parses a text line in place.
    public func parse(
        line buffer: UnsafeBufferPointer<UInt8>, lineNumber: Int, diagnostics: inout [AuditError]
    ) -> AuditRecord? {
        var cursor = Cursor(buffer: buffer)
        cursor.skipSpaces()
        var node: String?
        var type: UInt16?
        // Header fields before msg=audit(…).
        while !cursor.atEnd {
            if cursor.hasPrefix("msg=audit(") { break }
            let keyStart = cursor.index
            guard let equals = cursor.find(UInt8(ascii: "="), before: UInt8(ascii: " ")) else { break }
            let key = cursor.string(keyStart, equals)
            cursor.index = equals + 1
            let valueStart = cursor.index
            cursor.skipValue()
            let value = cursor.string(valueStart, cursor.index)
            if key == "node" {
                node = value
            } else if key == "type" {
                type = AuditRecordType.number(of: value)
                if type == nil {
                    diagnostics.append(
                        AuditError(
                            .missingHeader,
                            "unknown record type '\(value.prefix(40))'; expected a name such as SYSCALL or UNKNOWN[n]",
                            line: lineNumber))
                    return nil
                }
            } else {
                break
            }
            cursor.skipSpaces()
        }
        guard let type, cursor.hasPrefix("msg=") else {
            diagnostics.append(
                AuditError(
                    .missingHeader,
                    "not an audit record: expected 'type=NAME msg=audit(SECONDS.MS:SERIAL):' at the start of the line",
                    line: lineNumber))
            return nil
        }
        cursor.index += 4
        return parseBody(&cursor, type: type, node: node, lineNumber: lineNumber, diagnostics: &diagnostics)
    }

    /// Parses a netlink payload (`audit(SEC.MS:SERIAL): …`) whose type came in the netlink header.
    public func parse(
        kernelType: UInt16, payload: UnsafeBufferPointer<UInt8>, diagnostics: inout [AuditError]
    )
        -> AuditRecord?
    {
        var end = payload.count
        while end > 0, payload[end - 1] == 0 || payload[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        var cursor = Cursor(buffer: UnsafeBufferPointer(rebasing: payload[0..<end]))
        return parseBody(&cursor, type: kernelType, node: nil, lineNumber: 0, diagnostics: &diagnostics)
    }

    private func parseBody(
        _ cursor: inout Cursor, type: UInt16, node: String?, lineNumber: Int, diagnostics: inout [AuditError]
    ) -> AuditRecord? {
        guard let (time, serial) = cursor.stamp() else {
            diagnostics.append(
                AuditError(
                    .badTimestamp,
                    "the record stamp is not 'audit(SECONDS.MILLISECONDS:SERIAL):'; the line may be truncated",
                    line: lineNumber))
            return nil
        }
        var record = AuditRecord(type: type, time: time, serial: serial, node: node, line: lineNumber)
        record.storage.reserveCapacity(cursor.buffer.count - cursor.index)
        record.spans.reserveCapacity(24)
        let isExecve = type == AuditRecordType.execve
        parseFields(
            &cursor, into: &record, isExecve: isExecve, lineNumber: lineNumber, diagnostics: &diagnostics)
        return record
    }

    private func parseFields(
        _ cursor: inout Cursor, into record: inout AuditRecord, isExecve: Bool, lineNumber: Int,
        diagnostics: inout [AuditError]
    ) {
        var prefix: StaticString?
        while true {
            cursor.skipSeparators()
            if cursor.atEnd { return }
            let start = cursor.index
            // A key runs to '=', a separator, or the end.
            while !cursor.atEnd, cursor.byte != UInt8(ascii: "="), !Cursor.isSeparator(cursor.byte) {
                cursor.index += 1
            }
            if cursor.atEnd || cursor.byte != UInt8(ascii: "=") {
                let word = cursor.bytes(start, cursor.index)
                if word.elementsEqual("old".utf8) {
                    prefix = "old_"
                } else if word.elementsEqual("new".utf8) {
                    prefix = "new_"
                } else {
                    record.words.append(String(decoding: word, as: UTF8.self))
                    prefix = nil
                }
                continue
            }
            var keyStart = start
            if cursor.buffer[keyStart] == UInt8(ascii: "(") { keyStart += 1 }
            // The name goes into the record's storage first; the value follows it.
            let nameStart = record.storage.count
            if let p = prefix {
                p.withUTF8Buffer { record.storage.append(contentsOf: $0) }
                prefix = nil
            }
            record.appendText(cursor.bytes(keyStart, cursor.index))
            let valueStart = record.storage.count
            let id = record.storage.withUnsafeBufferPointer {
                FieldName.intern(UnsafeBufferPointer(rebasing: $0[nameStart..<valueStart]))
            }
            cursor.index += 1
            if cursor.atEnd {
                record.closeField(nameStart: nameStart, valueStart: valueStart, name: id, encoding: .plain)
                return
            }
            let quote = cursor.byte
            if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                let quotedStart = cursor.index + 1
                cursor.index = quotedStart
                while !cursor.atEnd, cursor.byte != quote { cursor.index += 1 }
                let quotedEnd = cursor.index
                if cursor.atEnd {
                    let name = record.storage.withUnsafeBufferPointer {
                        String(decoding: $0[nameStart..<valueStart], as: UTF8.self)
                    }
                    diagnostics.append(
                        AuditError(
                            .unterminatedQuote,
                            "the value of '\(name)' has no closing quote; the record is truncated", line: lineNumber,
                            field: name))
                } else {
                    cursor.index += 1
                }
                if quote == UInt8(ascii: "'") && id == .msg {
                    record.storage.removeSubrange(nameStart...)
                    var inner = Cursor(buffer: UnsafeBufferPointer(rebasing: cursor.buffer[quotedStart..<quotedEnd]))
                    parseFields(
                        &inner, into: &record, isExecve: false, lineNumber: lineNumber, diagnostics: &diagnostics)
                } else {
                    record.appendText(cursor.bytes(quotedStart, quotedEnd))
                    record.closeField(nameStart: nameStart, valueStart: valueStart, name: id, encoding: .quoted)
                }
                continue
            }
            let rawStart = cursor.index
            cursor.skipValue()
            var rawEnd = cursor.index
            // Enriched records copied without their 0x1D byte: "key=(null)ARCH=x86_64" is two fields.
            if rawEnd - rawStart > 6, cursor.hasPrefix("(null)", at: rawStart) {
                rawEnd = rawStart + 6
                cursor.index = rawEnd
            }
            // Old PAM records: "(hostname=?, addr=?, terminal=cron res=success)".
            while rawEnd > rawStart,
                cursor.buffer[rawEnd - 1] == UInt8(ascii: ",") || cursor.buffer[rawEnd - 1] == UInt8(ascii: "\"")
                    || cursor.buffer[rawEnd - 1] == UInt8(ascii: ")")
                        && cursor.buffer[rawStart] != UInt8(ascii: "(")
            {
                rawEnd -= 1
            }
            let raw = cursor.bytes(rawStart, rawEnd)
            let encoding = decodeUnquoted(
                id: id, raw: raw, into: &record, nameStart: nameStart, valueStart: valueStart, isExecve: isExecve,
                lineNumber: lineNumber, diagnostics: &diagnostics)
            record.closeField(nameStart: nameStart, valueStart: valueStart, name: id, encoding: encoding)
        }
    }

    /// Appends the decoded value of an unquoted field to the record's storage and says how it was written.
    private func decodeUnquoted(
        id: FieldName, raw: UnsafeBufferPointer<UInt8>, into record: inout AuditRecord, nameStart: Int,
        valueStart: Int, isExecve: Bool, lineNumber: Int, diagnostics: inout [AuditError]
    ) -> AuditField.Encoding {
        if raw.elementsEqual("(null)".utf8) {
            record.appendText(raw)
            return .null
        }
        let strict: Bool
        if isExecve {
            let isArgument = record.storage.withUnsafeBufferPointer {
                AuditRecordParser.isArgumentName(UnsafeBufferPointer(rebasing: $0[nameStart..<valueStart]))
            }
            guard isArgument else {
                record.appendText(raw)
                return .plain
            }
            strict = true
        } else if let kind = id.hexKind {
            strict = kind
        } else {
            record.appendText(raw)
            return .plain
        }
        if raw.isEmpty || (raw.count == 1 && raw[0] == UInt8(ascii: "?")) {
            record.appendText(raw)
            return .plain
        }
        if record.appendHex(raw, nulAsSpace: id == .proctitle) { return .hex }
        // Plain text in a field that may be either (old PAM "acct=root") is fine; in a hex-only field it is not.
        record.appendText(raw)
        if strict || Hex.looksLikeHex(raw) {
            let name = record.name(bytes: nameStart..<valueStart)
            diagnostics.append(
                AuditError(
                    .invalidHex,
                    "the value of '\(name)' is not valid hex (odd length or a non-hex digit); kept as written",
                    line: lineNumber, field: name))
            return .invalidHex
        }
        return .plain
    }

    /// `a0`, `a12`, `a3[0]` in EXECVE records (not `a3_len` or `argc`).
    static func isArgumentName(_ name: String) -> Bool {
        var copy = name
        return copy.withUTF8 { isArgumentName($0) }
    }

    static func isArgumentName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count >= 2, name[0] == UInt8(ascii: "a") else { return false }
        var digits = 0
        for c in name.dropFirst() {
            if c >= 0x30 && c <= 0x39 {
                digits += 1
                continue
            }
            return c == UInt8(ascii: "[") && digits > 0
        }
        return digits > 0
    }
}

/// A position in a byte buffer, with the scanning steps the record grammar needs.
struct Cursor {
    let buffer: UnsafeBufferPointer<UInt8>
    var index = 0

    init(buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

    var atEnd: Bool { index >= buffer.count }
    var byte: UInt8 { buffer[index] }

    static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == 0x1D || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    mutating func skipSpaces() {
        while !atEnd, buffer[index] == UInt8(ascii: " ") { index += 1 }
    }

    mutating func skipSeparators() {
        while !atEnd, Cursor.isSeparator(buffer[index]) { index += 1 }
    }

    mutating func skipValue() {
        while !atEnd, !Cursor.isSeparator(buffer[index]) { index += 1 }
    }

    func find(_ target: UInt8, before stop: UInt8) -> Int? {
        var i = index
        while i < buffer.count {
            if buffer[i] == target { return i }
            if buffer[i] == stop { return nil }
            i += 1
        }
        return nil
    }

    func hasPrefix(_ prefix: StaticString) -> Bool { hasPrefix(prefix, at: index) }

    func hasPrefix(_ prefix: StaticString, at position: Int) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard buffer.count - position >= count else { return false }
        let p = prefix.utf8Start
        for i in 0..<count where buffer[position + i] != p[i] { return false }
        return true
    }

    func string(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
    }

    func bytes(_ start: Int, _ end: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: buffer[start..<end])
    }

    /// Reads `audit(SEC.MS:SERIAL):` and returns (milliseconds, serial).
    mutating func stamp() -> (Int64, UInt32)? {
        guard hasPrefix("audit(") else { return nil }
        index += 6
        guard let seconds = number(maxDigits: 12), !atEnd, byte == UInt8(ascii: ".") else { return nil }
        index += 1
        let fractionStart = index
        guard var fraction = number(maxDigits: 9) else { return nil }
        var digits = index - fractionStart
        while digits < 3 {
            fraction *= 10
            digits += 1
        }
        while digits > 3 {
            fraction /= 10
            digits -= 1
        }
        guard !atEnd, byte == UInt8(ascii: ":") else { return nil }
        index += 1
        guard let serial = number(maxDigits: 10), serial <= UInt64(UInt32.max), !atEnd,
            byte == UInt8(ascii: ")")
        else { return nil }
        index += 1
        if !atEnd, byte == UInt8(ascii: ":") { index += 1 }
        return (Int64(seconds) * 1000 + Int64(fraction), UInt32(serial))
    }

    private mutating func number(maxDigits: Int) -> UInt64? {
        var value: UInt64 = 0
        let start = index
        while !atEnd, byte >= 0x30, byte <= 0x39, index - start < maxDigits {
            value = value * 10 + UInt64(byte - 0x30)
            index += 1
        }
        return index > start ? value : nil
    }
}
