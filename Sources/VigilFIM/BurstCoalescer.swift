import VigilSystem

/// Folds bursts of the same event into one: the same kind on the same path by the same process within
/// `window` milliseconds of the first becomes one event with a count. Pure: time comes in with each call.
public struct BurstCoalescer: Sendable {
    private struct Key: Hashable {
        var kind: LiveEvent.Kind
        var path: BytePath
        var pid: Int32?
    }

    public var window: Int64
    private var pending: [Key: LiveEvent] = [:]
    /// Keys in arrival order, so output keeps the order events started in.
    private var order: [Key] = []

    public init(window: Int64) { self.window = window }

    /// Adds an event; a `lost` event is returned at once (with everything pending before it, so order
    /// holds), others wait for `flush`. Constant time per event.
    public mutating func add(_ event: LiveEvent) -> [LiveEvent] {
        if event.kind == .lost { return flush(now: 0, all: true) + [event] }
        let key = Key(kind: event.kind, path: event.path, pid: event.process?.pid)
        if var existing = pending[key] {
            existing.count += event.count
            if existing.process?.executable == nil { existing.process = event.process ?? existing.process }
            pending[key] = existing
        } else {
            pending[key] = event
            order.append(key)
        }
        return []
    }

    /// Events whose window closed by `now` (all of them when `all`).
    public mutating func flush(now: Int64, all: Bool = true) -> [LiveEvent] {
        var out: [LiveEvent] = []
        var keep: [Key] = []
        for key in order {
            guard let event = pending[key] else { continue }
            if all || now - event.time >= window {
                out.append(event)
                pending[key] = nil
            } else {
                keep.append(key)
            }
        }
        order = keep
        return out
    }

    /// Events waiting for their window to close.
    public var pendingCount: Int { pending.count }
}
