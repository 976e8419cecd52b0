import Foundation
import VigilAudit
import VigilAuditSensor
import VigilCore

extension Benchmarks {
    /// `audit generate OUT RECORDS [CORPORA_DIR]`: writes a raw audit log of about RECORDS records by repeating
    /// the go-libaudit corpus events with fresh, increasing serials and shifted times (no gaps), cut at an
    /// event boundary. Prints `audit_input_records` and `audit_input_bytes`.
    ///
    /// `audit parse FILE [RUNS]`: in-process throughput of reading, assembling and normalizing FILE, with and
    /// without JSON encoding (median of RUNS). Prints `audit_parse_records_s`, `audit_json_records_s`,
    /// `audit_events`.
    static func audit(_ arguments: [String]) throws {
        switch arguments.first {
        case "generate":
            guard arguments.count >= 3, let records = Int(arguments[2]) else {
                throw BenchError("usage: vigil-bench audit generate OUT RECORDS [CORPORA_DIR]")
            }
            let corpora = arguments.count > 3 ? arguments[3] : "../shared/corpora/audit/go-libaudit"
            try generateAuditLog(out: arguments[1], records: records, corpora: corpora)
        case "parse":
            guard arguments.count >= 2 else { throw BenchError("usage: vigil-bench audit parse FILE [RUNS]") }
            try measureAuditParse(file: arguments[1], runs: arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3)
        default:
            throw BenchError("usage: vigil-bench audit generate|parse …")
        }
    }

    /// The corpus events: groups of consecutive lines sharing a serial, stamps removed.
    static func corpusEvents(_ corpora: String) throws -> [[(type: String, body: String)]] {
        let base = URL(fileURLWithPath: corpora)
        var texts: [String] = []
        for sub in ["auparse/testdata", "aucoalesce/testdata", "testdata"] {
            let dir = base.appendingPathComponent(sub)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            where name.hasSuffix(".log") || name.hasSuffix(".yaml") {
                texts.append(try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8))
            }
        }
        var events: [[(type: String, body: String)]] = []
        var current: [(type: String, body: String)] = []
        var currentSerial = ""
        for text in texts {
            for raw in text.split(separator: "\n") {
                let line = raw.drop { $0 == " " }
                guard line.hasPrefix("type="), let stamp = line.range(of: " msg=audit("),
                    let close = line[stamp.upperBound...].range(of: "):")
                else { continue }
                let type = String(line[line.index(line.startIndex, offsetBy: 5)..<stamp.lowerBound])
                let inside = line[stamp.upperBound..<close.lowerBound]
                let serial = String(inside.split(separator: ":").last ?? "")
                let body = String(line[close.upperBound...])
                if serial != currentSerial, !current.isEmpty {
                    events.append(current)
                    current = []
                }
                currentSerial = serial
                if type == "EOE" { continue }
                current.append((type, body))
            }
        }
        if !current.isEmpty { events.append(current) }
        return events
    }

    static func generateAuditLog(out: String, records: Int, corpora: String) throws {
        let events = try corpusEvents(corpora)
        guard !events.isEmpty else { throw BenchError("no audit events found under \(corpora)") }
        var output = [UInt8]()
        output.reserveCapacity(records * 300)
        var serial: UInt64 = 1000
        var milliseconds: Int64 = 1_700_000_000_000
        var written = 0
        var index = 0
        while written < records {
            let event = events[index % events.count]
            index += 1
            serial += 1
            milliseconds += 3
            let stamp =
                "msg=audit(\(milliseconds / 1000).\(String(format: "%03d", Int(milliseconds % 1000))):\(serial)):"
            for record in event {
                output += Array("type=\(record.type) \(stamp)\(record.body)\n".utf8)
            }
            written += event.count
            // Multi-record events end with EOE, as the kernel sends them.
            if event.count > 1 || event.first?.type == "SYSCALL" {
                output += Array("type=EOE \(stamp)\n".utf8)
                written += 1
            }
        }
        try Data(output).write(to: URL(fileURLWithPath: out))
        print("audit_input_records \(written) records")
        print("audit_input_bytes \(output.count) bytes")
    }

    static func measureAuditParse(file: String, runs: Int) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        var records = 0
        var events = 0
        let parseOnly = median(runs: runs) {
            var pipeline = AuditLogPipeline()
            var count = 0
            bytes.withUnsafeBufferPointer { buffer in
                var offset = 0
                while offset < buffer.count {
                    let end = min(buffer.count, offset + (1 << 20))
                    pipeline.feed(UnsafeBufferPointer(rebasing: buffer[offset..<end])) { blackHole($0) }
                    offset = end
                }
                pipeline.finish { _ in count += 1 }
            }
            records = pipeline.summary.records
            events = pipeline.summary.events
            blackHole(count)
        }
        // The JSON path `vigil audit parse --json` takes (on one thread here): unmapped from the record bytes.
        let withJSON = median(runs: runs) {
            var pipeline = AuditLogPipeline()
            var total = 0
            var out: [UInt8] = []
            out.reserveCapacity(1 << 21)
            bytes.withUnsafeBufferPointer { buffer in
                var offset = 0
                while offset < buffer.count {
                    let end = min(buffer.count, offset + (1 << 20))
                    pipeline.feedJSON(UnsafeBufferPointer(rebasing: buffer[offset..<end]), into: &out)
                    total += out.count
                    out.removeAll(keepingCapacity: true)
                    offset = end
                }
                pipeline.finishJSON(into: &out)
            }
            blackHole(total + out.count)
        }
        print("audit_events \(events) events")
        print("audit_parse_records_s \(String(format: "%.0f", Double(records) / parseOnly)) records/s")
        print("audit_json_records_s \(String(format: "%.0f", Double(records) / withJSON)) records/s")
    }
}

/// A benchmark's usage or input problem.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Benchmarks {
    /// `audit-sensor N`: owns the audit stream with an exec rule, starts N short processes from a child shell
    /// and prints the sensor's own CPU seconds (`audit_sensor_cpu_s`) once all their exec events arrived.
    /// Needs root; restores the kernel's audit rules and status.
    static func auditSensor(_ arguments: [String]) throws {
        let count = Int(arguments.first ?? "") ?? 20000
        let marker = "vigil-burst-\(UInt32.random(in: 0...UInt32.max))"
        let sensor = AuditSensor(
            configuration: .init(rules: ["-a always,exit -F arch=b64 -S execve -k exec"], mode: .owner))
        sensor.normalizer.processes.seedFromProc()
        let start = cpuSeconds()
        try sensor.start()
        var seen = 0
        do {
            let burst = Process()
            burst.executableURL = URL(fileURLWithPath: "/bin/sh")
            burst.arguments = ["-c", "i=0; while [ $i -lt \(count) ]; do /bin/true \(marker); i=$((i+1)); done"]
            try burst.run()
            var idle = 0
            while burst.isRunning || idle < 20 {
                var got = false
                try sensor.poll(timeout: 50) { event in
                    got = true
                    if event.process?.cmdLine?.hasSuffix(marker) == true { seen += 1 }
                }
                idle = got ? 0 : idle + 1
                if !burst.isRunning && seen >= count { break }
            }
        } catch {
            try? sensor.stop()
            throw error
        }
        try sensor.stop()
        let cpu = cpuSeconds() - start
        print("audit_sensor_processes \(count) started, \(seen) exec events received")
        print("audit_sensor_cpu_s \(String(format: "%.2f", cpu)) s")
        print("audit_sensor_stats \(sensor.statistics)")
    }
}
