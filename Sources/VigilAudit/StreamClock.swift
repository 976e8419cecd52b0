import Synchronization
import VigilCore

/// A clock that follows the timestamps of the records being read, for replaying a log: "now" is the
/// newest record time seen, so event timeouts mean the same as they would have live.
public final class StreamClock: Clock {
    private let current = Mutex<Int64>(0)

    public init() {}

    public func nowMilliseconds() -> Int64 { current.withLock { $0 } }

    /// Moves the clock to `time` if that is later.
    public func observe(_ time: Int64) { current.withLock { if time > $0 { $0 = time } } }
}
