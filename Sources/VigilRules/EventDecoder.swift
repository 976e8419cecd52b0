import Foundation
import VigilCore

/// Reads one line of input whose kind is detected by content: a Vigil event as JSON (`{…}`), a raw
/// audit record (`type=… msg=audit(…)`), or a syslog/auth-log line (anything else).
public enum EventDecoder {
    /// The kind of line `decode` found.
    public enum Kind: String, Sendable {
        case json, audit, syslog
    }

    /// Decodes a line; `number` names it in errors and ids, `year` completes RFC 3164 dates.
    /// - Throws: `RulesError` (`rules.bad-event`) for a JSON line that is not a Vigil event.
    public static func decode(
        _ line: String, number: Int, year: Int, file: String = "<events>"
    ) throws -> (Kind, Event)? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        if trimmed.hasPrefix("{") {
            do {
                return (.json, try JSON.decoder().decode(Event.self, from: Data(trimmed.utf8)))
            } catch {
                throw RulesError(
                    code: "rules.bad-event",
                    message: "the line is not a Vigil event in JSON (\(error)); give one OCSF-shaped event per line",
                    location: ErrorLocation(file: file, line: number))
            }
        }
        if trimmed.hasPrefix("type=") || trimmed.hasPrefix("node=") {
            if let event = audit(trimmed, id: "line-\(number)") { return (.audit, event) }
        }
        let record =
            SyslogParser.parse(Substring(trimmed), year: year)
            ?? SyslogRecord(time: nil, message: trimmed)
        return (.syslog, AuthLogInterpreter.event(record, line: trimmed, id: "line-\(number)"))
    }

    /// A raw audit record as an event that keeps every field in `unmapped` (quotes removed).
    public static func audit(_ line: String, id: String) -> Event? {
        var fields: [String: String] = [:]
        var time: Int64 = 0
        var rest = Substring(line)
        while !rest.isEmpty {
            while rest.first == " " { rest = rest.dropFirst() }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let key = String(rest[..<eq])
            rest = rest[rest.index(after: eq)...]
            var value: Substring
            if rest.first == "\"" {
                rest = rest.dropFirst()
                let end = rest.firstIndex(of: "\"") ?? rest.endIndex
                value = rest[..<end]
                rest = end < rest.endIndex ? rest[rest.index(after: end)...] : rest[end...]
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = rest[..<end]
                rest = rest[end...]
            }
            if key == "msg", value.hasPrefix("audit(") {
                let inner = value.dropFirst(6).prefix { $0 != ":" }
                time = Int64((Double(inner) ?? 0) * 1000)
                continue
            }
            if value.hasSuffix(":") { value = value.dropLast() }
            fields[key] = String(value)
        }
        guard fields["type"] != nil else { return nil }
        var process: VigilCore.Process?
        if let exe = fields["exe"] {
            process = VigilCore.Process(
                pid: fields["pid"].flatMap { Int($0) }, name: fields["comm"], file: FileObject(path: exe),
                user: fields["uid"].map { User(uid: $0) })
        }
        return Event(
            id: id, classUID: .baseEvent, activityID: Activity.other, time: time,
            metadata: EventMetadata(logName: "audit"), actor: Actor(process: process), unmapped: fields, rawData: line)
    }
}
