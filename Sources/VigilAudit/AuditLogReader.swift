/// Reads raw audit text in chunks of any size and yields records, splitting on `\n` only (never on the
/// 0x1D byte of auditd's enriched format or on `\r`).
///
/// Pure: the caller feeds bytes (from a file, stdin or a test) and calls `finish()` at the end. Lines
/// longer than `maxLineLength` are reported and skipped; every problem is a diagnostic with its line number.
public struct AuditLogReader: Sendable {
    /// The longest line accepted. The kernel's records are at most 8970 bytes; enriched lines are longer.
    public var maxLineLength: Int
    /// Problems found so far, in line order. The caller may drain it.
    public var diagnostics: [AuditError] = []
    /// Lines read so far.
    public private(set) var lineCount = 0
    /// Records parsed so far.
    public private(set) var recordCount = 0

    private var pending: [UInt8] = []
    private var skippingLongLine = false
    private let parser = AuditRecordParser()

    public init(maxLineLength: Int = 256 * 1024) {
        precondition(maxLineLength > 0, "maxLineLength must be positive")
        self.maxLineLength = maxLineLength
    }

    /// Feeds a chunk; `body` receives each record completed by it.
    public mutating func feed(_ chunk: [UInt8], _ body: (AuditRecord) throws -> Void) rethrows {
        try chunk.withUnsafeBufferPointer { try feed($0, body) }
    }

    /// Feeds a chunk in place.
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ body: (AuditRecord) throws -> Void) rethrows {
        var start = 0
        let newline = UInt8(ascii: "\n")
        while start < chunk.count {
            let rest = UnsafeBufferPointer(rebasing: chunk[start...])
            guard let offset = rest.firstIndex(of: newline) else {
                append(rest)
                return
            }
            let end = start + offset
            if pending.isEmpty && !skippingLongLine {
                lineCount += 1
                if offset > maxLineLength {
                    reportLong()
                } else {
                    try handle(UnsafeBufferPointer(rebasing: chunk[start..<end]), body)
                }
            } else {
                append(UnsafeBufferPointer(rebasing: chunk[start..<end]))
                lineCount += 1
                if skippingLongLine {
                    skippingLongLine = false
                } else {
                    let line = pending
                    pending.removeAll(keepingCapacity: true)
                    try line.withUnsafeBufferPointer { try handle($0, body) }
                }
                pending.removeAll(keepingCapacity: true)
            }
            start = end + 1
        }
    }

    /// Ends the input: a last line without a newline is parsed.
    public mutating func finish(_ body: (AuditRecord) throws -> Void) rethrows {
        if skippingLongLine {
            lineCount += 1
            skippingLongLine = false
        } else if !pending.isEmpty {
            lineCount += 1
            let line = pending
            pending.removeAll()
            try line.withUnsafeBufferPointer { try handle($0, body) }
        }
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        if skippingLongLine { return }
        if pending.count + bytes.count > maxLineLength {
            pending.removeAll()
            skippingLongLine = true
            reportLong(lineNumber: lineCount + 1)
            return
        }
        pending.append(contentsOf: bytes)
    }

    private mutating func reportLong(lineNumber: Int? = nil) {
        diagnostics.append(
            AuditError(
                .lineTooLong,
                "line is longer than \(maxLineLength) bytes; skipped (audit records are at most a few KiB — is this an audit log?)",
                line: lineNumber ?? lineCount))
    }

    private mutating func handle(_ line: UnsafeBufferPointer<UInt8>, _ body: (AuditRecord) throws -> Void) rethrows {
        var trimmed = line
        if let last = trimmed.last, last == UInt8(ascii: "\r") {
            trimmed = UnsafeBufferPointer(rebasing: trimmed.dropLast())
        }
        // Blank lines are skipped (only lines that start with a space are scanned for it).
        if trimmed.isEmpty || (trimmed[0] == UInt8(ascii: " ") && trimmed.allSatisfy({ $0 == UInt8(ascii: " ") })) {
            return
        }
        if let record = parser.parse(line: trimmed, lineNumber: lineCount, diagnostics: &diagnostics) {
            recordCount += 1
            try body(record)
        }
    }
}
