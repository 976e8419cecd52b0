import Foundation
import VigilCore
import VigilVuln
import VigilVulnIndex

extension Benchmarks {
    /// `vuln TRACKER.json [RUNS]`: how fast advisory data is compiled into the index.
    ///
    /// Prints `tracker_parse_mb_s` (loader only), `tracker_compile_mb_s` (loader and SQLite index),
    /// `osv_parse_mb_s` and `osv_compile_mb_s` (the same advisories written as OSV records, one array),
    /// and `dpkg_compare_per_s` (version comparisons per second).
    static func vuln(_ arguments: [String]) throws {
        guard let path = arguments.first, let tracker = FileManager.default.contents(atPath: path) else {
            throw VulnError(code: "bench.usage", message: "usage: vigil-bench vuln TRACKER.json [RUNS]")
        }
        let runs = Int(arguments.dropFirst().first ?? "") ?? 5
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-vuln-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let megabytes = Double(tracker.count) / 1e6

        let parse = median(runs: runs) {
            blackHole(DebianTrackerLoader.load(tracker, file: path).advisories.count)
        }
        print("tracker_bytes \(tracker.count)")
        print("tracker_parse_mb_s \(String(format: "%.1f", megabytes / parse)) MB/s")
        // Compiling into the index as `vigil vuln update` does on a daily refresh: the index exists and
        // the file's earlier rows are replaced.
        let index = try VulnIndex(path: scratch.appendingPathComponent("index.sqlite").path)
        func compileInto(_ data: Data, file: String) throws {
            let (feed, load) = AdvisorySources.loadFile(data, file: file)
            let entry = AdvisorySources.File(
                path: file, feed: feed ?? "", bytes: data.count, advisories: load.advisories.count, problems: 0)
            try index.update(
                AdvisorySources.Result(load: load, files: [entry], perFile: [load.advisories]), clock: SystemClock())
        }
        let compile = try median(runs: runs) { try compileInto(tracker, file: path) }
        // CPU time of the same work: on a shared machine the wall time above also holds fsync and
        // waiting for a core.
        let cpuStart = cpuSeconds()
        for _ in 0..<runs { try compileInto(tracker, file: path) }
        let compileCPU = (cpuSeconds() - cpuStart) / Double(runs)
        print("tracker_compile_mb_s \(String(format: "%.1f", megabytes / compile)) MB/s")
        print("tracker_compile_cpu_mb_s \(String(format: "%.1f", megabytes / compileCPU)) MB/s")

        // The same advisories as OSV records (Debian:12 ecosystem), to measure the OSV path.
        let advisories = DebianTrackerLoader.load(tracker, file: path).advisories
        let records: [[String: Any]] = advisories.map { advisory in
            [
                "id": advisory.id, "modified": "2026-01-01T00:00:00Z", "aliases": [String](),
                "affected": [
                    [
                        "package": ["ecosystem": "Debian:12", "name": advisory.package],
                        "ranges": [
                            [
                                "type": "ECOSYSTEM",
                                "events": [["introduced": "0"], ["fixed": advisory.fixedVersion ?? "0"]],
                            ]
                        ],
                    ]
                ],
            ]
        }
        let osv = try JSONSerialization.data(withJSONObject: records)
        let osvMegabytes = Double(osv.count) / 1e6
        let osvParse = median(runs: runs) { blackHole(OSVLoader.load(osv, file: "osv.json").advisories.count) }
        print("osv_bytes \(osv.count)")
        print("osv_parse_mb_s \(String(format: "%.1f", osvMegabytes / osvParse)) MB/s")
        let osvCompile = try median(runs: runs) { try compileInto(osv, file: "osv.json") }
        let osvCPUStart = cpuSeconds()
        for _ in 0..<runs { try compileInto(osv, file: "osv.json") }
        let osvCompileCPU = (cpuSeconds() - osvCPUStart) / Double(runs)
        print("osv_compile_mb_s \(String(format: "%.1f", osvMegabytes / osvCompile)) MB/s")
        print("osv_compile_cpu_mb_s \(String(format: "%.1f", osvMegabytes / osvCompileCPU)) MB/s")

        let pairs = advisories.compactMap { $0.fixedVersion }.map { ($0, $0 + "+deb12u1") }
        let compare = median(runs: runs) {
            var less = 0
            for (a, b) in pairs where DpkgVersion.compare(a, b) == .less { less += 1 }
            blackHole(less)
        }
        print("dpkg_compare_per_s \(String(format: "%.0f", Double(pairs.count) / compare))")
    }

    /// User plus system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
