/// Per-event scratch space for the evaluator: each field slot's value as bytes and lower-cased bytes,
/// filled before evaluation and reused (keeping capacity) for the next event.
final class FieldRecord {
    private(set) var generation: UInt32 = 1
    private var stamp: [UInt32]
    private(set) var present: [Bool]
    private(set) var raw: [[UInt8]]
    private(set) var lower: [[UInt8]]
    private(set) var strings: [String?]

    init(slots: Int) {
        stamp = [UInt32](repeating: 0, count: slots)
        present = [Bool](repeating: false, count: slots)
        raw = [[UInt8]](repeating: [], count: slots)
        lower = [[UInt8]](repeating: [], count: slots)
        strings = [String?](repeating: nil, count: slots)
    }

    /// Starts a new event: every slot becomes unfilled.
    func reset() {
        generation &+= 1
        if generation == 0 {
            for i in stamp.indices { stamp[i] = 0 }
            generation = 1
        }
    }

    /// Whether `slot` holds this event's value already.
    @inline(__always)
    func isFilled(_ slot: Int) -> Bool { stamp[slot] == generation }

    /// Stores this event's value of `slot` (nil: absent).
    func fill(_ slot: Int, _ value: String?) {
        stamp[slot] = generation
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
