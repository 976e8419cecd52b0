import Foundation
import VigilAudit
import VigilCore
import VigilSystem

extension Commands {
    /// `vigil audit …`: offline tools for Linux audit logs.
    public static var audit: CommandSpec {
        CommandSpec(
            name: "audit", summary: "Linux audit logs: parse raw records into normalized events.",
            usage: "audit <command> [options]",
            examples: ["vigil audit parse /var/log/audit/audit.log --json", "vigil audit parse --help"],
            subcommands: [auditParse])
    }

    /// `vigil audit parse [FILE] [--json]`.
    static var auditParse: CommandSpec {
        CommandSpec(
            name: "parse", summary: "Raw audit log (file or stdin) to normalized events, one per line.",
            usage: "audit parse [FILE] [--json] [--max-diagnostics N]",
            discussion: """
                Reads raw audit records as auditd writes them (plain or enriched format, with or without node=), \
                groups the records of each event, and writes one normalized event per line on stdout: OCSF-aligned \
                JSON with --json, else a short text line. A summary (records, events, lost serials, unparsable \
                lines) and every problem with its line number go to stderr. Reads stdin when FILE is absent or '-'.
                """,
            examples: [
                "vigil audit parse /var/log/audit/audit.log --json > events.jsonl",
                "ausearch --raw -ts today | vigil audit parse",
            ],
            exitCodes: [
                (1, "the input could not be read"),
                (4, "some lines were not audit records or serials were lost (events were still written)"),
            ],
            options: [
                OptionSpec("json", help: "Write each event as one line of JSON."),
                OptionSpec(
                    "max-diagnostics", .value(placeholder: "N"), help: "Report at most N problems (default 20)."),
            ],
            arguments: ["FILE?"],
            run: { parsed in try runAuditParse(parsed) })
    }

    static func runAuditParse(_ parsed: ParsedArguments) throws -> Int32 {
        let json = parsed.flag("json")
        let maxDiagnostics = try parsed.integer("max-diagnostics", default: 20)
        let path = parsed.positionals.first ?? "-"
        let input: FileDescriptor
        if path == "-" {
            input = FileDescriptor(adopting: dup(STDIN_FILENO))
        } else {
            do {
                input = try FileDescriptor.open(path, O_RDONLY)
            } catch {
                Output.err("vigil audit parse: cannot read '\(path)': \(error); check the path and permissions")
                return 1
            }
        }
        var pipeline = AuditLogPipeline(hostname: nil)
        let writer = BufferedOutput(fd: STDOUT_FILENO)
        let emit: (Event) throws -> Void = { event in
            writer.append(Self.textLine(event))
            writer.newline()
        }
        do {
            while true {
                let chunk = try input.read(upTo: 1 << 20)
                if chunk.isEmpty { break }
                if json {
                    // Events straight to JSON bytes: `unmapped` from the records' bytes, no dictionary. (A second
                    // thread for the JSON measured more CPU and no shorter wall time on a loaded machine.)
                    chunk.withUnsafeBufferPointer { bytes in writer.fill { pipeline.feedJSON(bytes, into: &$0) } }
                } else {
                    try pipeline.feed(chunk, emit)
                }
            }
        } catch let error as SystemError {
            Output.err("vigil audit parse: reading '\(path)' failed: \(error)")
            return 1
        }
        if json {
            writer.fill { pipeline.finishJSON(into: &$0) }
        } else {
            try pipeline.finish(emit)
        }
        writer.flush()
        let label = path == "-" ? "stdin" : path
        let diagnostics = pipeline.diagnostics
        for diagnostic in diagnostics.prefix(maxDiagnostics) {
            Output.err(
                "\(label):\(diagnostic.line.map(String.init) ?? "?"): \(diagnostic.message) [\(diagnostic.code)]")
        }
        if diagnostics.count > maxDiagnostics {
            Output.err(
                "… and \(diagnostics.count - maxDiagnostics) more problems (raise --max-diagnostics to see them)")
        }
        let s = pipeline.summary
        Output.err(
            "\(label): \(s.lines) lines, \(s.records) records, \(s.events) events, \(s.lostSerials) lost serials in \(s.lossReports) gaps, \(s.unparsableLines) unparsable lines, \(s.problems) problems"
        )
        return s.unparsableLines > 0 || s.lostSerials > 0 ? 4 : 0
    }

    static func textLine(_ event: Event) -> String {
        let seconds = Double(event.time) / 1000
        let status = event.statusID == 1 ? "ok" : event.statusID == 2 ? "FAIL" : "-"
        return String(format: "%.3f", seconds) + " \(event.classUID.name) \(status) \(event.message ?? "")"
    }
}

/// Collects output bytes and writes them in large blocks.
final class BufferedOutput {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 17)
    }

    /// The event as JSON (the same bytes `JSON.encoder()` writes).
    func append(_ event: Event) {
        EventJSON.append(event, to: &buffer)
        if buffer.count >= 1 << 16 { flush() }
    }

    func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func newline() { buffer.append(10) }

    /// Lets `body` append to the buffer, then writes it out when it is large.
    func fill(_ body: (inout [UInt8]) -> Void) {
        body(&buffer)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        var offset = 0
        buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            while offset < raw.count {
                let n = write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
