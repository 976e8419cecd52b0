import Dispatch
import Foundation
import Synchronization

/// SIGINT, SIGTERM and SIGHUP turned into a graceful shutdown.
///
/// `install()` runs first thing in `main`. It sets the three signals to "ignore" and blocks them on the
/// main thread before any other thread exists (libdispatch's and libmicrohttpd's threads keep them
/// blocked too), and listens with dispatch signal sources, which read them through a signalfd. A
/// long-running command waits in `waitForTermination()`; without a waiter, a signal ends the process as the
/// default action would (exit 128 + signal). A second signal while shutting down exits at once.
public enum Signals {
    private static let state = Mutex<(waiter: CheckedContinuation<Int32, Never>?, received: Int)>((nil, 0))
    /// Kept alive for the life of the process; written once, by `install()` on the main thread.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    public static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let queue = DispatchQueue(label: "vigil.signals")
        var made: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { deliver(number) }
            source.resume()
            made.append(source)
        }
        sources = made
    }

    static func deliver(_ signal: Int32) {
        let waiter = state.withLock { s -> CheckedContinuation<Int32, Never>? in
            s.received += 1
            guard s.received == 1 else { return nil }
            defer { s.waiter = nil }
            return s.waiter
        }
        guard let waiter else { exit(128 + signal) }
        waiter.resume(returning: signal)
    }

    /// Waits until SIGINT, SIGTERM or SIGHUP arrives; returns the signal.
    public static func waitForTermination() async -> Int32 {
        await withCheckedContinuation { continuation in
            state.withLock { $0.waiter = continuation }
        }
    }
}
