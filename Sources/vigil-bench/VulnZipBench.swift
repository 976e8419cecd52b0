import Foundation
import VigilCore
import VigilVuln
import VigilVulnIndex
import VigilZip

extension Benchmarks {
    /// `vuln-zip ARCHIVE.zip [RUNS]`: reading an OSV zip archive (OSV's `all.zip` shape).
    ///
    /// Prints the archive's size and entries, then medians of RUNS: `zip_inflate` (every entry inflated and
    /// CRC-checked, as Python's `zipfile` reading each entry), `zip_load` (and each record loaded by the OSV
    /// loader) and `zip_compile` (and written into the SQLite index, as `vigil vuln update --from` does),
    /// each in MB/s of uncompressed JSON and of zip; `zip_inflate_cpu`, `zip_load_cpu` and `zip_compile_cpu` are the same
    /// work per CPU second.
    static func vulnZip(_ arguments: [String]) throws {
        guard let path = arguments.first, let data = FileManager.default.contents(atPath: path) else {
            throw VulnError(code: "bench.usage", message: "usage: vigil-bench vuln-zip ARCHIVE.zip [RUNS]")
        }
        let runs = Int(arguments.dropFirst().first ?? "") ?? 5
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-zip-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let archive = try ZipArchive(data, name: path)
        let json = archive.entries.reduce(0) { $0 + $1.uncompressedSize }
        print("zip_bytes \(data.count)")
        print("zip_json_bytes \(json)")
        print("zip_entries \(archive.entries.count)")
        func rates(_ name: String, _ seconds: Double) {
            print("\(name)_json_mb_s \(String(format: "%.1f", Double(json) / 1e6 / seconds)) MB/s")
            print("\(name)_zip_mb_s \(String(format: "%.1f", Double(data.count) / 1e6 / seconds)) MB/s")
        }
        let inflate = try median(runs: runs) {
            let zip = try ZipArchive(data, name: path)
            var total = 0
            for entry in zip.entries { total += try zip.contents(of: entry).count }
            blackHole(total)
        }
        rates("zip_inflate", inflate)
        // CPU time of the same work (user + system, mean of RUNS): steadier than wall time on a shared machine.
        let inflateStart = cpuSeconds()
        for _ in 0..<runs {
            let zip = try ZipArchive(data, name: path)
            for entry in zip.entries { blackHole(try zip.contents(of: entry).count) }
        }
        rates("zip_inflate_cpu", (cpuSeconds() - inflateStart) / Double(runs))
        var advisories = 0
        let load = median(runs: runs) {
            let (load, _) = OSVArchiveLoader.load(data, archive: path)
            advisories = load.advisories.count
        }
        print("zip_advisories \(advisories)")
        rates("zip_load", load)
        let loadStart = cpuSeconds()
        for _ in 0..<runs { blackHole(OSVArchiveLoader.load(data, archive: path).0.advisories.count) }
        rates("zip_load_cpu", (cpuSeconds() - loadStart) / Double(runs))
        let index = try VulnIndex(path: scratch.appendingPathComponent("index.sqlite").path)
        let compile = try median(runs: runs) {
            try index.update(AdvisorySources.load([path]), clock: SystemClock())
        }
        rates("zip_compile", compile)
        let compileStart = cpuSeconds()
        for _ in 0..<runs { try index.update(AdvisorySources.load([path]), clock: SystemClock()) }
        rates("zip_compile_cpu", (cpuSeconds() - compileStart) / Double(runs))
    }
}
