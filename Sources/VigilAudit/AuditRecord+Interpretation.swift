extension AuditRecord {
    /// The architecture named by this record's `arch` field.
    public var arch: AuditTables.Arch? { self[.arch].flatMap { AuditTables.Arch(auditHex: $0) } }

    /// The syscall name, interpreted with the record's architecture (x86_64 when absent).
    public var syscallName: String? {
        guard let raw = self[.syscall], let number = Int(raw) else { return nil }
        return AuditTables.syscallName(number, arch: arch ?? .x86_64)
    }

    /// `true` for `success=yes`/`res=success`/`res=1`, `false` for their opposites, nil when absent.
    public var succeeded: Bool? {
        if let success = self[.success] { return success == "yes" }
        if let res = self[.res] {
            switch res {
            case "success", "1", "yes": return true
            case "failed", "0", "no", "fail", "failure": return false
            default: return nil
            }
        }
        return nil
    }

    /// Rule keys (`key="exec"`, or several keys joined by 0x01), without `(null)`.
    public var keys: [String] {
        guard let i = index(of: .key), spans[i].encoding != .null, !spans[i].valueRange.isEmpty else { return [] }
        // Some auditctl versions stored `-F key=x` as the literal text "key=x".
        return value(at: i).split(separator: "\u{01}").map {
            $0.hasPrefix("key=") ? String($0.dropFirst(4)) : String($0)
        }
    }

    /// Every field as a fact, interpreted the way `ausearch -i` would: architecture and syscall names,
    /// errno and signal names, `unset` ids, SELinux contexts split into their parts, decoded socket
    /// addresses, `result` from `res`/`success`, and AVC decisions. Absent values (`?`, `(null)`) and the
    /// rule key (see `keys`) are left out. A name repeated in the record keeps its first value.
    public func interpretedFields() -> [String: String] {
        var out: [String: String] = [:]
        out.reserveCapacity(fields.count + 4)
        forEachInterpretedField { name, value in
            if out[name] == nil { out[name] = value }
        }
        return out
    }

    /// The facts of `interpretedFields()` in record order, without building a dictionary (repeated names
    /// are passed on as they come).
    public func forEachInterpretedField(_ body: (String, String) -> Void) {
        withoutActuallyEscaping(body) { body in
            var sink = ClosureSink(body: body)
            interpret(into: &sink)
        }
    }

    /// The facts of `interpretedFields()` in record order, handed to `sink` as bytes where no
    /// interpretation changes them (most fields), so the JSON path creates no string for them.
    func interpret<Sink: InterpretedFieldSink>(into sink: inout Sink) {
        let arch = self.arch
        storage.withUnsafeBufferPointer { bytes in
            for span in spans {
                let value = UnsafeBufferPointer(rebasing: bytes[span.valueRange])
                if span.encoding == .null || value.isEmpty || (value.count == 1 && value[0] == UInt8(ascii: "?")) {
                    continue
                }
                switch span.name {
                case .key:
                    continue
                case .arch:
                    sink.emit(name: "arch", value: arch?.rawValue ?? String(decoding: value, as: UTF8.self))
                case .syscall:
                    let text = String(decoding: value, as: UTF8.self)
                    sink.emit(
                        name: "syscall",
                        value: Int(text).flatMap { AuditTables.syscallName($0, arch: arch ?? .x86_64) } ?? text)
                case .exit:
                    let text = String(decoding: value, as: UTF8.self)
                    if let n = Int(text), n < 0, let name = AuditTables.errnoName(-n) {
                        sink.emit(name: "exit", value: name)
                    } else {
                        sink.emit(name: "exit", value: text)
                    }
                case .sig:
                    let text = String(decoding: value, as: UTF8.self)
                    sink.emit(name: "sig", value: Int(text).flatMap(AuditTables.signalName) ?? text)
                case .auid, .ses, .oldAuid, .loginuid, .oldLoginuid:
                    if value.elementsEqual("4294967295".utf8) || value.elementsEqual("-1".utf8) {
                        sink.emit(name: UnsafeBufferPointer(rebasing: bytes[span.nameRange]), value: "unset")
                    } else {
                        sink.emit(
                            name: UnsafeBufferPointer(rebasing: bytes[span.nameRange]), value: value)
                    }
                case .res, .success:
                    let ok = succeeded
                    sink.emit(
                        name: "result",
                        value: ok == true ? "success" : ok == false ? "fail" : String(decoding: value, as: UTF8.self))
                case .subj, .obj:
                    AuditRecord.splitContext(
                        String(decoding: value, as: UTF8.self), prefix: span.name == .subj ? "subj" : "obj"
                    ) { sink.emit(name: $0, value: $1) }
                case .saddr:
                    let text = String(decoding: value, as: UTF8.self)
                    if let address = SocketAddress(hex: text) {
                        sink.emit(name: "family", value: address.family)
                        if let ip = address.ip { sink.emit(name: "addr", value: ip) }
                        if let port = address.port { sink.emit(name: "port", value: String(port)) }
                        if let path = address.path { sink.emit(name: "path", value: path) }
                        if address.ip == nil && address.path == nil { sink.emit(name: "saddr", value: text) }
                    } else {
                        sink.emit(name: "saddr", value: text)
                    }
                default:
                    sink.emit(name: UnsafeBufferPointer(rebasing: bytes[span.nameRange]), value: value)
                }
            }
        }
        if type == 1400 || type == 1107, let decision = words.first(where: { $0 == "denied" || $0 == "granted" }) {
            sink.emit(name: "seresult", value: decision)
            if let open = words.firstIndex(of: "{"), let close = words.firstIndex(of: "}"), open < close {
                sink.emit(name: "seperms", value: words[(open + 1)..<close].joined(separator: ","))
            }
        }
    }

    /// `user:role:type:level[:category]` into `subj_user`, `subj_role`, `subj_domain`, `subj_level`,
    /// `subj_category` (AppArmor labels without colons are kept whole).
    static func splitContext(_ value: String, prefix: String, _ body: (String, String) -> Void) {
        var parts: [Substring] = []
        var start = value.startIndex
        var index = value.startIndex
        while index < value.endIndex, parts.count < 4 {
            if value[index] == ":" {
                parts.append(value[start..<index])
                start = value.index(after: index)
            }
            index = value.index(after: index)
        }
        parts.append(value[start...])
        guard parts.count >= 3 else {
            body(prefix, value)
            return
        }
        let names =
            prefix == "subj"
            ? AuditRecord.subjectParts : prefix == "obj" ? AuditRecord.objectParts : AuditRecord.contextParts(prefix)
        for (i, part) in parts.enumerated() { body(names[i], String(part)) }
    }

    static let subjectParts = contextParts("subj")
    static let objectParts = contextParts("obj")

    static func contextParts(_ prefix: String) -> [String] {
        ["_user", "_role", "_domain", "_level", "_category"].map { prefix + $0 }
    }
}

/// Receives interpreted fields; bytes are valid UTF-8 and only valid during the call.
protocol InterpretedFieldSink {
    mutating func emit(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)
    mutating func emit(name: UnsafeBufferPointer<UInt8>, value: String)
    mutating func emit(name: String, value: String)
}

/// Hands interpreted fields to a closure as strings.
struct ClosureSink: InterpretedFieldSink {
    let body: (String, String) -> Void

    func emit(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        body(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    func emit(name: UnsafeBufferPointer<UInt8>, value: String) {
        body(String(decoding: name, as: UTF8.self), value)
    }

    func emit(name: String, value: String) { body(name, value) }
}
