import Synchronization
import VigilCore

/// A clock that only moves when told to.
public final class FakeClock: Clock {
    private let milliseconds: Mutex<Int64>

    public init(milliseconds: Int64 = 1_700_000_000_000) { self.milliseconds = Mutex(milliseconds) }

    public func nowMilliseconds() -> Int64 { milliseconds.withLock { $0 } }

    /// Moves time forward (or back, for clock-change tests).
    public func advance(by delta: Int64) { milliseconds.withLock { $0 += delta } }

    public func set(_ value: Int64) { milliseconds.withLock { $0 = value } }
}
