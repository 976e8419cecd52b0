extension AuditRecord {
    /// The architecture named by this record's `arch` field.
    public var arch: AuditTables.Arch? { self["arch"].flatMap { AuditTables.Arch(auditHex: $0) } }

    /// The syscall name, interpreted with the record's architecture (x86_64 when absent).
    public var syscallName: String? {
        guard let raw = self["syscall"], let number = Int(raw) else { return nil }
        return AuditTables.syscallName(number, arch: arch ?? .x86_64)
    }

    /// `true` for `success=yes`/`res=success`/`res=1`, `false` for their opposites, nil when absent.
    public var succeeded: Bool? {
        if let success = self["success"] { return success == "yes" }
        if let res = self["res"] {
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
        guard let key = field("key"), key.encoding != .null, !key.value.isEmpty else { return [] }
        // Some auditctl versions stored `-F key=x` as the literal text "key=x".
        return key.value.split(separator: "\u{01}").map { $0.hasPrefix("key=") ? String($0.dropFirst(4)) : String($0) }
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
        let arch = self.arch
        for field in fields {
            if field.encoding == .null || field.value == "?" || field.value.isEmpty { continue }
            let value = field.value
            // Most fields need no interpretation; skip the string comparisons below for them.
            if !AuditRecord.mayNeedInterpretation(field.name) {
                body(field.name, value)
                continue
            }
            switch field.name {
            case "key":
                continue
            case "arch":
                body("arch", arch?.rawValue ?? value)
            case "syscall":
                body("syscall", Int(value).flatMap { AuditTables.syscallName($0, arch: arch ?? .x86_64) } ?? value)
            case "exit":
                if let n = Int(value), n < 0, let name = AuditTables.errnoName(-n) {
                    body("exit", name)
                } else {
                    body("exit", value)
                }
            case "sig":
                body("sig", Int(value).flatMap(AuditTables.signalName) ?? value)
            case "auid", "ses", "old-auid", "loginuid", "old-loginuid":
                body(field.name, value == "4294967295" || value == "-1" ? "unset" : value)
            case "res", "success":
                body("result", succeeded == true ? "success" : succeeded == false ? "fail" : value)
            case "subj", "obj":
                AuditRecord.splitContext(value, prefix: field.name, body)
            case "saddr":
                if let address = SocketAddress(hex: value) {
                    body("family", address.family)
                    if let ip = address.ip { body("addr", ip) }
                    if let port = address.port { body("port", String(port)) }
                    if let path = address.path { body("path", path) }
                    if address.ip == nil && address.path == nil { body("saddr", value) }
                } else {
                    body("saddr", value)
                }
            default:
                body(field.name, value)
            }
        }
        if type == 1400 || type == 1107, let decision = words.first(where: { $0 == "denied" || $0 == "granted" }) {
            body("seresult", decision)
            if let open = words.firstIndex(of: "{"), let close = words.firstIndex(of: "}"), open < close {
                body("seperms", words[(open + 1)..<close].joined(separator: ","))
            }
        }
    }

    /// `user:role:type:level[:category]` into `subj_user`, `subj_role`, `subj_domain`, `subj_level`,
    /// `subj_category` (AppArmor labels without colons are kept whole).
    /// False for names that no case of `forEachInterpretedField` handles (checked on length and first byte).
    @inline(__always)
    static func mayNeedInterpretation(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard let first = utf8.first, utf8.count >= 3, utf8.count <= 12 else { return false }
        switch first {
        case UInt8(ascii: "k"), UInt8(ascii: "a"), UInt8(ascii: "s"), UInt8(ascii: "e"), UInt8(ascii: "o"),
            UInt8(ascii: "l"), UInt8(ascii: "r"):
            return true
        default:
            return false
        }
    }

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
