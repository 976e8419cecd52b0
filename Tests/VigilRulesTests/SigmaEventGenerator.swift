import Foundation
import VigilTestSupport

@testable import VigilRules

/// One generated event: Sigma fields (keyword text under `_raw`) for one log-source key.
struct FlatEvent {
    var id: Int
    var logSource: String
    var fields: [String: String]
}

/// Builds events that hit each rule's selections (and filters), their case-flipped twins, near misses
/// (one character changed or dropped) and mixtures of several selections, over random background fields.
struct SigmaEventGenerator {
    var random: SeededRandom
    var events: [FlatEvent] = []
    let words = [
        "bash", "python3", "/usr/bin/curl", "-o", "/tmp/x", "http://10.0.0.5/a.sh", "root", "www-data", "/etc/passwd",
        "nginx", "--help", "|", "sh", "-c", "/var/log/syslog", "base64", "-d", "echo", "id", "systemctl", "ssh",
    ]
    /// Background fields per log-source key: every field a rule of that source reads.
    var backgroundFields: [String: [String]] = [:]
    /// One spelling per field name ignoring case (`User`/`USER`): SQLite's columns ignore case, so two
    /// spellings in one event would be one column in the reference.
    var spelling: [String: String] = ["_raw": "_raw"]

    init(rules: [SigmaRule], seed: UInt64 = 0x5167_6D61) {
        random = SeededRandom(seed: seed)
        for rule in rules {
            let key = rule.logSource.indexKey
            var fields = backgroundFields[key] ?? []
            for field in rule.fields {
                let name = spelling[field.lowercased()] ?? field
                spelling[field.lowercased()] = name
                if !fields.contains(name) { fields.append(name) }
            }
            backgroundFields[key] = fields
        }
    }

    mutating func word() -> String { words.randomElement(using: &random) ?? "x" }

    mutating func filler() -> String {
        switch Int.random(in: 0..<5, using: &random) {
        case 0: ""
        case 1: " "
        case 2: word()
        case 3: " \(word()) "
        default: "/\(word())"
        }
    }

    mutating func background(_ key: String) -> [String: String] {
        var fields: [String: String] = [:]
        for field in backgroundFields[key] ?? [] where Int.random(in: 0..<10, using: &random) < 8 {
            fields[field] = "\(word()) \(word())"
        }
        if key == "*" || fields.isEmpty || Bool.random(using: &random) { fields["_raw"] = "\(word()) \(word())" }
        return fields
    }

    /// A string the matcher's value accepts (or nil: the field must be absent).
    mutating func sample(_ value: ValueMatcher, other: [String: String]) -> String?? {
        switch value {
        case .pattern(let p):
            var out: [UInt8] = []
            for token in p.tokens {
                switch token {
                case .byte(let b): out.append(b)
                case .any: out.append(UInt8(ascii: "q"))
                case .star: out += Array(filler().utf8)
                }
            }
            return .some(String(decoding: out, as: UTF8.self))
        case .regex(_, let source):
            let cleaned = source.replacingOccurrences(of: "\\", with: "").filter { !"^$()[]{}+*?|".contains($0) }
            return .some(Bool.random(using: &random) ? cleaned : "\(word())\(cleaned)")
        case .cidr(let network):
            var bytes = network.address
            if let last = bytes.indices.last, network.prefixLength < bytes.count * 8 {
                bytes[last] = UInt8.random(in: 0...255, using: &random)
            }
            if bytes.count == 4 { return .some(bytes.map(String.init).joined(separator: ".")) }
            return .some(
                stride(from: 0, to: 16, by: 2).map { String(format: "%x", Int(bytes[$0]) << 8 | Int(bytes[$0 + 1])) }
                    .joined(separator: ":"))
        case .compare(_, let bound):
            return .some(String(Int(bound) + Int.random(in: -2...2, using: &random)))
        case .null:
            return .some(nil)
        case .exists(let flag):
            return flag ? .some(word()) : .some(nil)
        case .fieldRef(let field, _, _):
            return .some(other[spelling[field.lowercased()] ?? field] ?? word())
        }
    }

    /// The fields that satisfy one group (an AND of tests), choosing value `pick` of each list.
    mutating func satisfy(_ group: [FieldTest], pick: Int, into fields: inout [String: String]) {
        for test in group {
            let name = test.field.map { spelling[$0.lowercased()] ?? $0 } ?? "_raw"
            let chosen = test.requireAll ? test.values : [test.values[pick % test.values.count]]
            var parts: [String] = []
            var absent = false
            for value in chosen {
                switch sample(value, other: fields) {
                case .some(.some(let text)): parts.append(text)
                case .some(.none): absent = true
                case .none: break
                }
            }
            if absent {
                fields[name] = nil
            } else {
                fields[name] = parts.joined(separator: " ")
            }
        }
    }

    mutating func flipCase(_ text: String) -> String {
        String(
            text.map { c in
                Bool.random(using: &random) ? Character(c.uppercased().count == 1 ? c.uppercased() : String(c)) : c
            })
    }

    mutating func nearMiss(_ text: String) -> String {
        var chars = Array(text)
        guard !chars.isEmpty else { return "x" }
        let i = Int.random(in: 0..<chars.count, using: &random)
        if Bool.random(using: &random) { chars.remove(at: i) } else { chars[i] = "Z" }
        return String(chars)
    }

    mutating func add(_ logSource: String, _ fields: [String: String]) {
        events.append(FlatEvent(id: events.count + 1, logSource: logSource, fields: fields))
    }

    /// Generates events for every rule, then random mixtures until there are at least `minimum`.
    mutating func generate(_ rules: [SigmaRule], minimum: Int) {
        var groups: [(String, [FieldTest], Int)] = []
        for rule in rules {
            let key = rule.logSource.indexKey
            for selection in rule.selections {
                for group in selection.groups {
                    let width = min(group.map(\.values.count).max() ?? 1, 40)
                    groups.append((key, group, width))
                    for pick in 0..<width {
                        var fields = background(key)
                        satisfy(group, pick: pick, into: &fields)
                        add(key, fields)
                        var flipped: [String: String] = [:]
                        for name in fields.keys.sorted() { flipped[name] = flipCase(fields[name] ?? "") }
                        add(key, flipped)
                        if let name = group.randomElement(using: &random).map({
                            $0.field.map { spelling[$0.lowercased()] ?? $0 } ?? "_raw"
                        }),
                            let value = fields[name]
                        {
                            var miss = fields
                            miss[name] = nearMiss(value)
                            add(key, miss)
                        }
                    }
                }
            }
            // The rule's groups together: selections with their filters.
            for _ in 0..<3 {
                var fields = background(key)
                for selection in rule.selections where Bool.random(using: &random) {
                    if let group = selection.groups.randomElement(using: &random) {
                        satisfy(group, pick: Int.random(in: 0..<100, using: &random), into: &fields)
                    }
                }
                add(key, fields)
            }
        }
        while events.count < minimum, !groups.isEmpty {
            let (key, group, width) = groups[Int.random(in: 0..<groups.count, using: &random)]
            var fields = background(key)
            satisfy(group, pick: Int.random(in: 0..<width, using: &random), into: &fields)
            let (_, other, otherWidth) = groups[Int.random(in: 0..<groups.count, using: &random)]
            satisfy(other, pick: Int.random(in: 0..<otherWidth, using: &random), into: &fields)
            if Bool.random(using: &random), let name = fields.keys.sorted().randomElement(using: &random),
                let v = fields[name]
            {
                fields[name] = nearMiss(v)
            }
            add(key, fields)
        }
    }
}
