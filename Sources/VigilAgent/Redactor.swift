import Foundation
import VigilCore

/// Masks card numbers and secrets in text before it is written or sent. The agent runs every command
/// line, path and log line through one `Redactor`.
///
/// Card numbers (PCI DSS 3.4): a run of 13–19 digits, alone or in groups separated by single spaces or
/// dashes, not touching other digits or letters, starting with 2–6 (the payment brands' industry
/// identifiers) and passing the Luhn check, is replaced by its first six and last four digits with `*`
/// between (`4111 1111 1111 1111` → `411111******1111`). That is the most PCI DSS allows to be shown. A
/// digit run that fails Luhn is left alone, as is one of another length; a card number followed by more
/// digit groups (an expiry, a CVV) is still masked (see `cardRun`).
///
/// Secrets: values of password options (`--password=`, `--password VALUE`, `--passwd`, mysql's `-pVALUE`,
/// sshpass `-p VALUE`, curl `-u user:pass`), `Authorization:` header values, `user:pass@` in URLs, AWS
/// access key ids and secret keys, private-key blocks, and `*_TOKEN=`, `*_SECRET=`, `*PASSWORD=` assignments
/// become `********` (the name is kept so an analyst still sees what was there).
///
/// Cost: each secret rule has trigger words (lowercase ASCII) one of which any match must contain; a text holding
/// none is not run through that rule's regular expression. (ICU's case-insensitive matching also folds a few
/// non-ASCII letters such as `ſ` to `s`; such spellings bypass the trigger and are not masked.)
public struct Redactor: Sendable {
    public static let mask = "********"

    private struct Rule: @unchecked Sendable {
        // NSRegularExpression is immutable and thread-safe once built.
        let regex: NSRegularExpression
        /// The capture group that holds the secret.
        let group: Int
        /// Lowercase ASCII words one of which every match contains: a text holding none of them cannot match,
        /// and the (slow) regular expression is not run on it. Most command lines hold none.
        let triggers: [[UInt8]]
    }

    private let rules: [Rule]

    public init() {
        let patterns: [(String, Int, [String])] = [
            // -----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY----- (whole block)
            (
                #"(-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$))"#, 1,
                ["private key"]
            ),
            // --password=secret, --passwd=secret, --pass=secret (any tool)
            (
                #"(?i)(?:^|\s)--?(?:password|passwd|pass|pwd|secret|token|api-key|apikey)=(\S+)"#, 1,
                ["pass", "pwd", "secret", "token", "api-key", "apikey"]
            ),
            // --password secret
            (
                #"(?i)(?:^|\s)--(?:password|passwd|pass|pwd|secret|token|api-key|apikey)\s+(?!-)(\S+)"#, 1,
                ["pass", "pwd", "secret", "token", "api-key", "apikey"]
            ),
            // mysql/mariadb -psecret (attached value)
            // (The gap to -p is bounded: an unbounded `.*?` made a long line full of "mysql" quadratic.)
            (
                #"(?:^|\s)(?:\S*/)?(?:mysql|mysqldump|mariadb|mysqladmin)\b[^\n]{0,256}?\s-p([^\s-]\S*)"#, 1,
                ["mysql", "mariadb"]
            ),
            // sshpass -p secret
            (#"(?:^|\s)(?:\S*/)?sshpass\b[^\n]{0,256}?\s-p\s*(\S+)"#, 1, ["sshpass"]),
            // curl -u user:secret / --user user:secret
            (#"(?:^|\s)(?:-u|--user)\s*[^\s:]+:(\S+)"#, 1, ["-u"]),
            // Authorization: Bearer xyz / Basic xyz (header in any form)
            (#"(?i)(authorization\s*[:=]\s*(?:bearer|basic|token|digest)?\s*)([^\s'"]+)"#, 2, ["authorization"]),
            // scheme://user:secret@host (a scheme is short: an unbounded one made a long word quadratic)
            (#"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s/:@]+:([^\s/@]+)@"#, 1, ["://"]),
            // AWS access key ids
            (#"\b((?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16})\b"#, 1, ["akia", "asia", "aida", "aroa"]),
            // aws_secret_access_key = value
            (#"(?i)aws_secret_access_key\s*[=:]\s*['"]?([A-Za-z0-9/+=]{40})"#, 1, ["aws_secret_access_key"]),
            // FOO_TOKEN=value, FOO_SECRET=value, DB_PASSWORD=value, PASSWORD=value
            (
                #"(?i)\b[A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_KEY)\s*=\s*['"]?([^\s'"]+)"#, 1,
                ["token", "secret", "password", "passwd", "api_key"]
            ),
        ]
        rules = patterns.map { pattern, group, triggers in
            // The patterns are constants of this file; a failure here is a bug caught by the tests.
            guard let regex = try? NSRegularExpression(pattern: pattern) else {
                preconditionFailure("Redactor pattern does not compile: \(pattern)")
            }
            return Rule(regex: regex, group: group, triggers: triggers.map { Array($0.utf8) })
        }
    }

    /// `text` with card numbers and secrets masked.
    public func redact(_ text: String) -> String {
        var result = Self.maskCardNumbers(text)
        let lowered = Self.asciiLowercased(result)
        for rule in rules where rule.triggers.contains(where: { Self.contains(lowered, $0) }) {
            let ns = result as NSString
            let matches = rule.regex.matches(in: result, range: NSRange(location: 0, length: ns.length))
            guard !matches.isEmpty else { continue }
            let mutable = NSMutableString(string: result)
            for match in matches.reversed() {
                let range = match.range(at: rule.group)
                guard range.location != NSNotFound, range.length > 0 else { continue }
                if mutable.substring(with: range) == Self.mask { continue }
                mutable.replaceCharacters(in: range, with: Self.mask)
            }
            result = mutable as String
        }
        return result
    }

    static func asciiLowercased(_ text: String) -> [UInt8] {
        text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return true }
            }
            index += 1
        }
        return false
    }

    /// Masks every Luhn-valid 13–19 digit card number, with or without space/dash group separators.
    public static func maskCardNumbers(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 13 else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        func isWordByte(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= 97 && b | 0x20 <= 122) }
        while index < bytes.count {
            let startsRun = isDigit(bytes[index]) && (index == 0 || !isWordByte(bytes[index - 1]))
            if startsRun, let (end, digits) = cardRun(bytes, from: index) {
                out += Array(digits.prefix(6))
                out += [UInt8](repeating: UInt8(ascii: "*"), count: digits.count - 10)
                out += Array(digits.suffix(4))
                index = end
                changed = true
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    /// A card number starting at `start`: the index after it and its digits, or nil.
    ///
    /// Reads the run of digits in which groups are separated by one space or one dash (the same separator
    /// throughout). The card number is the longest prefix of that run ending at a group boundary or at the end
    /// of the run that has 13–19 digits, passes Luhn and is not followed by a letter — so a number followed by
    /// its expiry or CVV (`4111 1111 1111 1111 123`) is still found. It must start with a payment brand's
    /// major industry identifier, 2–6 (Mastercard, Amex, Diners, JCB, Visa, Discover, UnionPay, Maestro):
    /// epoch timestamps in milliseconds or nanoseconds (which start with 1) and runs of zeros are not card
    /// numbers, even when they pass Luhn. A contiguous run of more than 19 digits is not one either.
    static func cardRun(_ bytes: [UInt8], from start: Int) -> (Int, [UInt8])? {
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        guard start < bytes.count, (UInt8(ascii: "2")...UInt8(ascii: "6")).contains(bytes[start]) else { return nil }
        var digits: [UInt8] = []
        var index = start
        var separator: UInt8?
        var best: (end: Int, count: Int)?
        func consider(end: Int) {
            guard (13...19).contains(digits.count), end >= bytes.count || !isLetter(bytes[end]), luhn(digits) else {
                return
            }
            best = (end, digits.count)
        }
        while index < bytes.count {
            let b = bytes[index]
            if isDigit(b) {
                digits.append(b)
                index += 1
                if digits.count > 19 {
                    if separator == nil { return nil }
                    break
                }
                continue
            }
            if b == 32 || b == 45, separator == nil || separator == b, index + 1 < bytes.count,
                isDigit(bytes[index + 1])
            {
                consider(end: index)
                separator = b
                index += 1
                continue
            }
            break
        }
        if digits.count <= 19 { consider(end: index) }
        guard let best else { return nil }
        return (best.end, Array(digits.prefix(best.count)))
    }

    static func isLetter(_ b: UInt8) -> Bool { b | 0x20 >= 97 && b | 0x20 <= 122 }

    /// The Luhn (mod 10) check over ASCII digits.
    public static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (position, byte) in digits.reversed().enumerated() {
            var d = Int(byte - 48)
            if position % 2 == 1 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        return sum % 10 == 0
    }
}

extension Redactor {
    /// `event` with every free-text field redacted: message, raw data, unmapped values, the command lines, names,
    /// paths and lineage of the process and its parent (and the actor's process), file paths and names, and
    /// endpoint host names and paths. Ids, numbers and enumerations are left as they are. The agent passes every
    /// event through this before the spool, whichever sensor produced it.
    public func redact(event: Event) -> Event {
        var event = event
        event.message = event.message.map(redact)
        event.rawData = event.rawData.map(redact)
        event.unmapped = event.unmapped?.mapValues(redact)
        event.process = event.process.map(redact(process:))
        if let process = event.actor?.process { event.actor?.process = redact(process: process) }
        event.file = event.file.map(redact(file:))
        event.srcEndpoint = event.srcEndpoint.map(redact(endpoint:))
        event.dstEndpoint = event.dstEndpoint.map(redact(endpoint:))
        return event
    }

    func redact(process: VigilCore.Process) -> VigilCore.Process {
        var process = process
        process.cmdLine = process.cmdLine.map(redact)
        process.name = process.name.map(redact)
        process.cwd = process.cwd.map(redact)
        process.file = process.file.map(redact(file:))
        process.lineage = process.lineage?.map(redact)
        if var parent = process.parentProcess {
            parent.cmdLine = parent.cmdLine.map(redact)
            parent.name = parent.name.map(redact)
            parent.file = parent.file.map(redact(file:))
            process.parentProcess = parent
        }
        return process
    }

    func redact(file: FileObject) -> FileObject {
        var file = file
        file.path = file.path.map(redact)
        file.name = file.name.map(redact)
        return file
    }

    func redact(endpoint: Endpoint) -> Endpoint {
        var endpoint = endpoint
        endpoint.hostname = endpoint.hostname.map(redact)
        endpoint.path = endpoint.path.map(redact)
        return endpoint
    }
}
