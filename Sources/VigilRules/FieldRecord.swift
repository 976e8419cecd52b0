/// Per-event scratch space for the evaluator: each field slot's value as bytes and lower-cased bytes,
/// filled before evaluation and reused (keeping capacity) for the next event.
final class FieldRecord {
    private(set) var present: [Bool]
    private(set) var raw: [[UInt8]]
    private(set) var lower: [[UInt8]]
    private(set) var strings: [String?]

    init(slots: Int) {
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
        raw[slot].removeAll(keepingCapacity: true)
        lower[slot].removeAll(keepingCapacity: true)
        value.withUTF8 { bytes in
            raw[slot].append(contentsOf: bytes)
            lower[slot].reserveCapacity(bytes.count)
            for b in bytes { lower[slot].append(SigmaPattern.lower(b)) }
        }
    }
}
