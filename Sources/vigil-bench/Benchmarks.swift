import Foundation

/// Benchmarks of Vigil's own code, run by `make bench` (release build) through `scripts/bench/*.sh`,
/// which put each figure beside a peer tool's in the same run.
///
/// Each area adds a file with `extension Benchmarks { static func name(_ arguments: [String]) throws }`
/// and one entry in `all`.
enum Benchmarks {
    typealias Run = @Sendable ([String]) async throws -> Void

    static let all: [(name: String, summary: String, run: Run)] = [
        ("sha256", "SHA-256 MB/s on 16 KiB blocks and hashes/s on 200-byte messages", sha256),
        ("audit", "audit log: generate a large input, records/s of parsing and normalizing", audit),
        ("audit-sensor", "live audit sensor: own CPU seconds while N processes start (root)", auditSensor),
        ("vuln", "advisory compile rate (tracker JSON, OSV) in MB/s and dpkg comparisons/s", vuln),
        ("vuln-zip", "OSV zip archive: inflate and compile rate in MB/s of JSON and of zip", vulnZip),
        ("rules", "Sigma detection events/s with all SigmaHQ Linux rules and the built-in ruleset", rules),
        ("ledger", "Merkle archive appends/s (memory, durable), proof µs at 1e6/1e7, verify of 1e6", ledger),
        ("fim", "FIM: generate/mutate the seeded benchmark tree, or time one in-process scan", fim),
        ("dashboard", "dashboard pages' server time over a seeded SQLite store (1e6 events), query plans", dashboard),
        (
            "server", "server end to end: 1,000 agents over keep-alive sockets, events/s, p99 ack, raw insert rate",
            server
        ),
    ]

    /// Median of `runs` measurements of `body`, in seconds.
    static func median(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Keeps a value alive so the optimizer cannot drop the work that made it.
    @inline(never)
    static func blackHole<T>(_ value: T) { _ = value }
}
