/// Per-event scratch space for the evaluator: each field slot's value as bytes and lower-cased bytes,
/// filled before evaluation and reused (keeping capacity) for the next event.
final class FieldRecord {
    private(set) var present: [Bool]
    private(set) var raw: [[UInt8]]
    private(set) var lower: [[UInt8]]
    private(set) var strings: [String?]

    /// Whether a slot's raw bytes are read (by `|cased` patterns and cased field references); others keep only
    /// the lower-cased copy.
    let needsRaw: [Bool]

    init(slots: Int, needsRaw: [Bool]) {
        self.needsRaw = needsRaw
        present = [Bool](repeating: false, count: slots)
        raw = [[UInt8]](repeating: [], count: slots)
        lower = [[UInt8]](repeating: [], count: slots)
        strings = [String?](repeating: nil, count: slots)
    }

    /// Stores this event's value of `slot` (nil: absent).
    func fill(_ slot: Int, _ value: String?) {
        guard var value else {
            present[slot] = false
            strings[slot] = nil
            return
        }
        present[slot] = true
        strings[slot] = value
        lower[slot].removeAll(keepingCapacity: true)
        value.withUTF8 { bytes in
            if needsRaw[slot] {
                raw[slot].removeAll(keepingCapacity: true)
                raw[slot].append(contentsOf: bytes)
            }
            lower[slot].reserveCapacity(bytes.count)
            for b in bytes { lower[slot].append(SigmaPattern.lower(b)) }
        }
    }
}
