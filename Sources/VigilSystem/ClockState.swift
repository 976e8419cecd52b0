internal import CLinux
import Glibc

/// The kernel's view of clock discipline (`adjtimex(2)` in read-only mode, `modes = 0`), for PCI DSS 10.6
/// (time synchronisation): whether an NTP/PTP daemon keeps the clock synchronised, and the estimated offset.
public struct ClockState: Sendable, Equatable {
    /// The kernel says the clock is synchronised (`adjtimex` did not return TIME_ERROR and STA_UNSYNC is clear).
    public var synchronised: Bool
    /// Current offset being corrected, microseconds (nanoseconds when STA_NANO is set, converted here).
    public var offsetMicroseconds: Int64
    /// Maximum error estimate, microseconds.
    public var maxErrorMicroseconds: Int64
    /// Estimated error, microseconds.
    public var estimatedErrorMicroseconds: Int64
    /// The raw status word (STA_* bits).
    public var status: Int32

    public init(
        synchronised: Bool, offsetMicroseconds: Int64, maxErrorMicroseconds: Int64, estimatedErrorMicroseconds: Int64,
        status: Int32
    ) {
        self.synchronised = synchronised
        self.offsetMicroseconds = offsetMicroseconds
        self.maxErrorMicroseconds = maxErrorMicroseconds
        self.estimatedErrorMicroseconds = estimatedErrorMicroseconds
        self.status = status
    }

    /// Reads the state; nil if the call fails (it does not in practice: reading needs no privilege).
    public static func read() -> ClockState? {
        var tx = timex()
        tx.modes = 0
        let state = adjtimex(&tx)
        guard state >= 0 else { return nil }
        let nano = tx.status & Int32(STA_NANO) != 0
        let offset = Int64(tx.offset)
        return ClockState(
            synchronised: state != TIME_ERROR && tx.status & Int32(STA_UNSYNC) == 0,
            offsetMicroseconds: nano ? offset / 1000 : offset, maxErrorMicroseconds: Int64(tx.maxerror),
            estimatedErrorMicroseconds: Int64(tx.esterror), status: tx.status)
    }

    /// `CLOCK_REALTIME − CLOCK_BOOTTIME` in milliseconds: constant while nobody sets the clock, so a change
    /// between two readings beyond the slew NTP can do is a clock step (`settimeofday`, `date -s`).
    public static func realtimeMinusBoottimeMilliseconds() -> Int64 {
        var real = timespec()
        var boot = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        clock_gettime(CLOCK_BOOTTIME, &boot)
        return (Int64(real.tv_sec) - Int64(boot.tv_sec)) * 1000 + (Int64(real.tv_nsec) - Int64(boot.tv_nsec))
            / 1_000_000
    }
}
