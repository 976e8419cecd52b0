import VigilCore

/// Writes an `Event` as JSON bytes identical to `JSON.encoder()`'s output (sorted keys, slashes not
/// escaped), without Foundation's encoder: the audit pipeline emits hundreds of thousands of events a
/// second and the generic encoder costs more than parsing them. The test suite checks the two agree.
public enum EventJSON {
    /// Appends one event (no newline).
    public static func append(_ e: Event, to out: inout [UInt8]) {
        append(e, unmapped: nil, to: &out)
    }

    /// Appends one event whose `unmapped` object is written by `unmapped` (when the event has none).
    static func append(_ e: Event, unmapped writeUnmapped: ((inout Writer) -> Void)?, to out: inout [UInt8]) {
        var w = Writer(out: out)
        out = []
        w.open()
        w.int("activity_id", e.activityID)
        if let actor = e.actor {
            w.key("actor")
            w.open()
            if let p = actor.process { w.key("process"); process(p, &w) }
            if let s = actor.session { w.key("session"); session(s, &w) }
            if let u = actor.user { w.key("user"); user(u, &w) }
            w.close()
        }
        w.int("class_uid", e.classUID.rawValue)
        if let d = e.device {
            w.key("device")
            w.open()
            w.string("hostname", d.hostname)
            w.string("ip", d.ip)
            w.string("os", d.os)
            w.string("uid", d.uid)
            w.close()
        }
        if let d = e.dstEndpoint { w.key("dst_endpoint"); endpoint(d, &w) }
        if let f = e.file { w.key("file"); file(f, &w) }
        w.string("message", e.message)
        w.key("metadata")
        w.open()
        w.string("log_name", e.metadata.logName)
        w.key("product")
        w.open()
        w.string("name", e.metadata.product.name)
        w.string("vendor_name", e.metadata.product.vendorName)
        w.string("version", e.metadata.product.version)
        w.close()
        if let s = e.metadata.sequence { w.key("sequence"); w.number(String(s)) }
        w.string("uid", e.id)
        w.string("version", e.metadata.version)
        w.close()
        if let p = e.process { w.key("process"); process(p, &w) }
        w.string("raw_data", e.rawData)
        w.int("severity_id", e.severityID.rawValue)
        if let s = e.srcEndpoint { w.key("src_endpoint"); endpoint(s, &w) }
        if let s = e.statusID { w.int("status_id", s) }
        w.key("time")
        w.number(String(e.time))
        w.int("type_uid", e.typeUID)
        if let unmapped = e.unmapped {
            w.key("unmapped")
            w.open()
            let pairs = ContiguousArray(unmapped)
            for i in sortedOrder(pairs) {
                w.string(pairs[i].key, pairs[i].value)
            }
            w.close()
        } else if let writeUnmapped {
            w.key("unmapped")
            w.open()
            writeUnmapped(&w)
            w.close()
        }
        if let u = e.user { w.key("user"); user(u, &w) }
        w.close()
        out = w.out
    }

    /// The event as a JSON line (no newline).
    public static func line(_ event: Event) -> String {
        var bytes: [UInt8] = []
        append(event, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A key's first 16 UTF-8 bytes, big-endian and zero-padded, so two integer comparisons order most keys.
    struct SortKey {
        var high: UInt64
        var low: UInt64
        var index: Int

        init(_ key: String, index: Int) {
            var high: UInt64 = 0
            var low: UInt64 = 0
            var n = 0
            for byte in key.utf8 {
                if n < 8 {
                    high |= UInt64(byte) << (56 - 8 * n)
                } else if n < 16 {
                    low |= UInt64(byte) << (56 - 8 * (n - 8))
                } else {
                    break
                }
                n += 1
            }
            self.high = high
            self.low = low
            self.index = index
        }
    }

    /// Indices of `pairs` in `precedes` order of their keys. Different padded prefixes order as the keys do
    /// (a shorter key pads with zeros and is a prefix, or differs earlier); equal ones fall back to `precedes`.
    static func sortedOrder(_ pairs: ContiguousArray<(key: String, value: String)>) -> [Int] {
        var keys: [SortKey] = []
        keys.reserveCapacity(pairs.count)
        for i in pairs.indices { keys.append(SortKey(pairs[i].key, index: i)) }
        keys.sort { a, b in
            if a.high != b.high { return a.high < b.high }
            if a.low != b.low { return a.low < b.low }
            return precedes(pairs[a.index].key, pairs[b.index].key)
        }
        return keys.map(\.index)
    }

    /// UTF-8 byte order, as Foundation's encoder sorts keys, comparing contiguous bytes.
    static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in
                let n = min(pa.count, pb.count)
                var i = 0
                while i < n {
                    if pa[i] != pb[i] { return pa[i] < pb[i] }
                    i += 1
                }
                return pa.count < pb.count
            }
        }
    }

    private static func user(_ u: User, _ w: inout Writer) {
        w.open()
        w.string("name", u.name)
        w.string("uid", u.uid)
        w.close()
    }

    private static func session(_ s: Session, _ w: inout Writer) {
        w.open()
        w.string("terminal", s.terminal)
        w.string("uid", s.uid)
        w.close()
    }

    private static func endpoint(_ e: Endpoint, _ w: inout Writer) {
        w.open()
        w.string("hostname", e.hostname)
        w.string("ip", e.ip)
        w.string("path", e.path)
        if let port = e.port { w.int("port", port) }
        w.close()
    }

    private static func file(_ f: FileObject, _ w: inout Writer) {
        w.open()
        if let hashes = f.hashes {
            w.key("hashes")
            w.out.append(UInt8(ascii: "["))
            for (i, h) in hashes.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                w.first = true
                w.open()
                w.string("algorithm", h.algorithm)
                w.string("value", h.value)
                w.close()
            }
            w.out.append(UInt8(ascii: "]"))
            w.first = false
        }
        w.string("mode", f.mode)
        if let m = f.modifiedTime { w.key("modified_time"); w.number(String(m)) }
        w.string("name", f.name)
        if let o = f.owner { w.key("owner"); user(o, &w) }
        w.string("path", f.path)
        if let s = f.size { w.key("size"); w.number(String(s)) }
        w.string("type", f.type)
        w.close()
    }

    private static func process(_ p: Process, _ w: inout Writer) {
        w.open()
        w.string("cmd_line", p.cmdLine)
        if let t = p.createdTime { w.key("created_time"); w.number(String(t)) }
        w.string("cwd", p.cwd)
        if let u = p.effectiveUser { w.key("effective_user"); user(u, &w) }
        if let f = p.file { w.key("file"); file(f, &w) }
        if let lineage = p.lineage {
            w.key("lineage")
            w.out.append(UInt8(ascii: "["))
            for (i, item) in lineage.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                w.quoted(item)
            }
            w.out.append(UInt8(ascii: "]"))
            w.first = false
        }
        if let u = p.loginUser { w.key("login_user"); user(u, &w) }
        w.string("name", p.name)
        if let parent = p.parentProcess {
            w.key("parent_process")
            w.open()
            w.string("cmd_line", parent.cmdLine)
            if let f = parent.file { w.key("file"); file(f, &w) }
            w.string("name", parent.name)
            if let pid = parent.pid { w.int("pid", pid) }
            if let u = parent.user { w.key("user"); user(u, &w) }
            w.close()
        }
        if let pid = p.pid { w.int("pid", pid) }
        if let s = p.session { w.key("session"); session(s, &w) }
        w.string("tty", p.tty)
        if let u = p.user { w.key("user"); user(u, &w) }
        w.close()
    }

    /// Object writing with commas handled.
    struct Writer {
        var out: [UInt8]
        var first = true

        mutating func open() {
            out.append(UInt8(ascii: "{"))
            first = true
        }

        mutating func close() {
            out.append(UInt8(ascii: "}"))
            first = false
        }

        mutating func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }

        mutating func int(_ name: StaticString, _ value: Int) {
            key(name)
            number(String(value))
        }

        mutating func number(_ text: String) {
            out.append(contentsOf: text.utf8)
            first = false
        }

        mutating func string(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            quoted(value)
        }

        mutating func string(_ name: String, _ value: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            quoted(name)
            out.append(UInt8(ascii: ":"))
            quoted(value)
        }

        mutating func quoted(_ value: String) {
            var copy = value
            copy.withUTF8 { quoted($0) }
        }

        /// A key and value given as UTF-8 bytes.
        mutating func pair(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) {
            if !first { out.append(UInt8(ascii: ",")) }
            quoted(name)
            out.append(UInt8(ascii: ":"))
            quoted(value)
        }

        /// Escapes as Foundation does: `"` `\\` and control characters; everything else (UTF-8, `/`) as is.
        mutating func quoted(_ bytes: UnsafeBufferPointer<UInt8>) {
            out.append(UInt8(ascii: "\""))
            var start = 0
            for i in 0..<bytes.count {
                let c = bytes[i]
                guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                start = i + 1
                switch c {
                case UInt8(ascii: "\""): out += [0x5C, 0x22]
                case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
                case 0x0A: out += [0x5C, UInt8(ascii: "n")]
                case 0x0D: out += [0x5C, UInt8(ascii: "r")]
                case 0x09: out += [0x5C, UInt8(ascii: "t")]
                case 0x08: out += [0x5C, UInt8(ascii: "b")]
                case 0x0C: out += [0x5C, UInt8(ascii: "f")]
                default:
                    let hex: StaticString = "0123456789abcdef"
                    let digits = hex.utf8Start
                    out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, digits[Int(c >> 4)], digits[Int(c & 0xF)]]
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
            out.append(UInt8(ascii: "\""))
            first = false
        }
    }
}
