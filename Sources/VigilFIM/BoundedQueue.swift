import Synchronization

/// A thread-safe first-in-first-out queue with a capacity: when full, new items are dropped and
/// counted, never blocking the producer (the kernel reader) and never hiding the loss.
public final class BoundedQueue<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var dropped = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int) {
        precondition(capacity > 0, "a BoundedQueue needs room for at least one item")
        self.capacity = capacity
    }

    /// Appends items while there is room; returns how many were dropped.
    @discardableResult
    public func push(_ new: [Item]) -> Int {
        state.withLock { state in
            let room = capacity - state.items.count
            let taken = min(room, new.count)
            state.items += new.prefix(taken)
            state.dropped += new.count - taken
            return new.count - taken
        }
    }

    /// Removes and returns everything queued, and the number dropped since the last drain.
    public func drain() -> (items: [Item], dropped: Int) {
        state.withLock { state in
            let items = state.items
            let dropped = state.dropped
            state = State()
            return (items, dropped)
        }
    }
}
