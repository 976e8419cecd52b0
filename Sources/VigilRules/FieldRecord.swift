/// Per-event scratch space for the evaluator: each field slot's value as bytes and lower-cased bytes,
/// filled on first use and reused (keeping capacity) for the next event.
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

    /// Fills `slot` from `read` unless it was filled for this event already.
    @inline(__always)
    func fill(_ slot: Int, _ read: () -> String?) {
        if stamp[slot] == generation { return }
        stamp[slot] = generation
        guard var value = read() else {
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
