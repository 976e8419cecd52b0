/// Builds an event's `unmapped` object straight from its records' bytes, in JSON key order, without the
/// dictionary `AuditNormalizer.unmapped` builds: the same pairs (first value under a name; a later different
/// value as `TYPE[i].name`), copied into one reused buffer, sorted by UTF-8 bytes, written once.
/// The JSON output path uses it; tests check it agrees with the dictionary for every corpus event.
struct UnmappedWriter: InterpretedFieldSink, Sendable {
    struct Pair: Sendable {
        var keyStart: Int32
        var keyEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
        /// The key's first 8 bytes, big-endian and zero-padded: one comparison orders most keys.
        var prefix: UInt64
        var sequence: Int32
        /// Which record (index into the event's records) it came from; -1 for `type` and `key`.
        var record: Int32
        var renamed: Bool
    }

    private var bytes: [UInt8] = []
    private var pairs: [Pair] = []
    private var order: [Int32] = []
    private var currentRecord: Int32 = -1

    init() {}

    /// Collects and orders the pairs of `event` (`kind` as `AuditEvent.kind` gives it).
    mutating func collect(_ event: AuditEvent) {
        bytes.removeAll(keepingCapacity: true)
        pairs.removeAll(keepingCapacity: true)
        currentRecord = -1
        var size = 64
        for i in event.records.indices { size += event.records[i].storage.count + 16 }
        bytes.reserveCapacity(size)
        if let kind = event.kind { emit(name: "type", value: kind.typeName) }
        let keys = event.keys
        if !keys.isEmpty { emit(name: "key", value: keys.joined(separator: ",")) }
        for i in event.records.indices {
            currentRecord = Int32(i)
            event.records[i].interpret(into: &self)
        }
        resolve(event)
    }

    /// Writes the collected pairs (the caller opened the object).
    func write(_ w: inout EventJSON.Writer) {
        bytes.withUnsafeBufferPointer { b in
            for i in order {
                let p = pairs[Int(i)]
                w.pair(
                    UnsafeBufferPointer(rebasing: b[Int(p.keyStart)..<Int(p.keyEnd)]),
                    UnsafeBufferPointer(rebasing: b[Int(p.valueStart)..<Int(p.valueEnd)]))
            }
        }
    }

    // MARK: - InterpretedFieldSink

    mutating func emit(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        let keyStart = bytes.count
        bytes.append(contentsOf: name)
        let valueStart = bytes.count
        bytes.append(contentsOf: value)
        add(keyStart, valueStart, renamed: false)
    }

    mutating func emit(name: UnsafeBufferPointer<UInt8>, value: String) {
        let keyStart = bytes.count
        bytes.append(contentsOf: name)
        let valueStart = bytes.count
        bytes.append(contentsOf: value.utf8)
        add(keyStart, valueStart, renamed: false)
    }

    mutating func emit(name: String, value: String) {
        let keyStart = bytes.count
        bytes.append(contentsOf: name.utf8)
        let valueStart = bytes.count
        bytes.append(contentsOf: value.utf8)
        add(keyStart, valueStart, renamed: false)
    }

    private mutating func add(_ keyStart: Int, _ valueStart: Int, renamed: Bool) {
        let prefix = bytes.withUnsafeBufferPointer { b in
            var prefix: UInt64 = 0
            var n = 0
            while n < 8 && keyStart + n < valueStart {
                prefix |= UInt64(b[keyStart + n]) << (56 - 8 * n)
                n += 1
            }
            return prefix
        }
        pairs.append(
            Pair(
                keyStart: Int32(keyStart), keyEnd: Int32(valueStart), valueStart: Int32(valueStart),
                valueEnd: Int32(bytes.count), prefix: prefix, sequence: Int32(pairs.count), record: currentRecord,
                renamed: renamed))
    }

    // MARK: - Ordering and duplicates

    /// Sorts by key (then arrival), keeps the first value of each name, turns later different values into
    /// `TYPE[i].name` pairs (the last one of a renamed key wins, as a dictionary assignment would).
    private mutating func resolve(_ event: AuditEvent) {
        sortOrder()
        var renames: [(pair: Int32, typeIndex: Int)] = []
        var i = 0
        while i < order.count {
            var j = i + 1
            while j < order.count, sameKey(order[i], order[j]) { j += 1 }
            if j - i > 1 {
                let kept = pairs[Int(order[i])]
                for k in (i + 1)..<j where !sameValue(kept, pairs[Int(order[k])]) {
                    let p = pairs[Int(order[k])]
                    renames.append((order[k], typeIndex(of: Int(p.record), in: event)))
                }
            }
            i = j
        }
        dropDuplicates()
        if renames.isEmpty { return }
        var keep = order
        for (index, typeIndex) in renames.sorted(by: { $0.pair < $1.pair }) {
            let p = pairs[Int(index)]
            let record = event.records[Int(p.record)]
            let name = String(decoding: bytes[Int(p.keyStart)..<Int(p.keyEnd)], as: UTF8.self)
            let value = Array(bytes[Int(p.valueStart)..<Int(p.valueEnd)])
            currentRecord = p.record
            let keyStart = bytes.count
            bytes.append(contentsOf: "\(record.typeName)[\(typeIndex)].\(name)".utf8)
            let valueStart = bytes.count
            bytes.append(contentsOf: value)
            add(keyStart, valueStart, renamed: true)
            keep.append(Int32(pairs.count - 1))
        }
        order = keep
        sortKeep()
        dropDuplicates()
    }

    /// The index of the record among the event's records of its type.
    private func typeIndex(of record: Int, in event: AuditEvent) -> Int {
        let type = event.records[record].type
        var n = 0
        for r in event.records[..<record] where r.type == type { n += 1 }
        return n
    }

    private mutating func sortOrder() {
        order.removeAll(keepingCapacity: true)
        for i in pairs.indices { order.append(Int32(i)) }
        sortKeep()
    }

    private mutating func sortKeep() {
        var order = self.order
        self.order = []
        let pairs = self.pairs
        bytes.withUnsafeBufferPointer { b in
            pairs.withUnsafeBufferPointer { p in
                order.sort { x, y in
                    let a = p[Int(x)]
                    let c = p[Int(y)]
                    if a.prefix != c.prefix { return a.prefix < c.prefix }
                    let order = UnmappedWriter.compare(b, a, c)
                    if order != 0 { return order < 0 }
                    return a.sequence < c.sequence
                }
            }
        }
        self.order = order
    }

    /// After sorting: one pair per key, the first arrival (originals) or the last renamed one.
    private mutating func dropDuplicates() {
        var out = self.order
        self.order = []
        var kept = 0
        var i = 0
        while i < out.count {
            var j = i + 1
            while j < out.count, sameKey(out[i], out[j]) { j += 1 }
            // One pair per key: the last renamed one if any, else the first arrival.
            var chosen = out[i]
            var k = j - 1
            while k > i {
                if pairs[Int(out[k])].renamed {
                    chosen = out[k]
                    break
                }
                k -= 1
            }
            if k == i, pairs[Int(out[i])].renamed { chosen = out[i] }
            out[kept] = chosen
            kept += 1
            i = j
        }
        out.removeLast(out.count - kept)
        self.order = out
    }

    private func sameKey(_ x: Int32, _ y: Int32) -> Bool {
        let a = pairs[Int(x)]
        let c = pairs[Int(y)]
        guard a.prefix == c.prefix else { return false }
        return bytes.withUnsafeBufferPointer { UnmappedWriter.compare($0, a, c) == 0 }
    }

    private func sameValue(_ a: Pair, _ c: Pair) -> Bool {
        let n = Int(a.valueEnd - a.valueStart)
        guard n == Int(c.valueEnd - c.valueStart) else { return false }
        return bytes.withUnsafeBufferPointer { b in
            memoryEqual(b, Int(a.valueStart), UnsafeBufferPointer(rebasing: b[Int(c.valueStart)..<Int(c.valueEnd)]))
        }
    }

    /// Key byte order (a prefix sorts first), as Foundation's encoder sorts keys.
    private static func compare(_ b: UnsafeBufferPointer<UInt8>, _ a: Pair, _ c: Pair) -> Int {
        let n = Int(a.keyEnd - a.keyStart)
        let m = Int(c.keyEnd - c.keyStart)
        var i = 0
        while i < n && i < m {
            let x = b[Int(a.keyStart) + i]
            let y = b[Int(c.keyStart) + i]
            if x != y { return x < y ? -1 : 1 }
            i += 1
        }
        return n == m ? 0 : n < m ? -1 : 1
    }
}
