import Foundation

/// Where the time comes from. Core code never reads the wall clock itself: it is handed a `Clock`,
/// so tests and replays can drive time explicitly.
public protocol Clock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMilliseconds() -> Int64
}

extension Clock {
    /// The current time as a `Date`.
    public func now() -> Date { Date(timeIntervalSince1970: Double(nowMilliseconds()) / 1000) }
}

/// The real clock (`CLOCK_REALTIME`).
public struct SystemClock: Clock {
    public init() {}
    public func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
