/// Parses audit rules in auditctl syntax into `AuditRule`s (pure: names of users and groups are resolved
/// through the closures given, directories told apart by `isDirectory`).
///
/// Supported: `-a/-A list,action` (either order), `-S name,…` (after `-F arch=`; `all`), `-F field op value`
/// for every kernel field (uids accept `unset`/`-1`, `exit` accepts `-ENAME`, `perm` letters, `msgtype`
/// names, `filetype` names, `a0`…`a3` in decimal or `0x` hex), `-C field op field`, `-k key` (several keys
/// join with 0x01), and `-w path [-p rwxa] [-k key]` watches. Control lines (`-D`, `-b`, `-e`, `-f`, `-r`,
/// `--backlog_wait_time`, `--loginuid-immutable`) are returned separately.
public struct AuditRuleParser: Sendable {
    /// A line of a rules file that is not a rule.
    public struct Control: Sendable, Hashable {
        public var option: String
        public var value: String?
        public var line: Int
    }

    /// What a rules file holds.
    public struct File: Sendable {
        public var rules: [AuditRule] = []
        public var controls: [Control] = []
        public var errors: [AuditError] = []
    }

    public var defaultArch: AuditTables.Arch
    public var userID: @Sendable (String) -> UInt32?
    public var groupID: @Sendable (String) -> UInt32?
    public var isDirectory: @Sendable (String) -> Bool

    public init(
        defaultArch: AuditTables.Arch = .x86_64, userID: @escaping @Sendable (String) -> UInt32? = { _ in nil },
        groupID: @escaping @Sendable (String) -> UInt32? = { _ in nil },
        isDirectory: @escaping @Sendable (String) -> Bool = { $0.hasSuffix("/") }
    ) {
        self.defaultArch = defaultArch
        self.userID = userID
        self.groupID = groupID
        self.isDirectory = isDirectory
    }

    /// Parses a whole rules file; comments and blank lines are skipped, each bad line is one error.
    public func parseFile(_ text: String) -> File {
        var file = File()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                switch try parseLine(line, lineNumber: index + 1) {
                case .rule(let rule): file.rules.append(rule)
                case .control(let control): file.controls.append(control)
                }
            } catch {
                file.errors.append(error)
            }
        }
        return file
    }

    /// One parsed line.
    public enum Line: Sendable, Hashable {
        case rule(AuditRule)
        case control(Control)
    }

    /// Parses one rule.
    public func parseRule(_ text: String) throws(AuditError) -> AuditRule {
        guard case .rule(let rule) = try parseLine(text, lineNumber: 1) else {
            throw AuditError(.ruleSyntax, "'\(text)' is a control option, not a rule; expected -a, -A or -w", line: 1)
        }
        return rule
    }

    /// Parses one line of auditctl syntax.
    public func parseLine(_ text: String, lineNumber: Int) throws(AuditError) -> Line {
        let tokens = try Self.tokenize(text, line: lineNumber)
        guard let first = tokens.first else { throw AuditError(.ruleSyntax, "empty rule", line: lineNumber) }
        func fail(_ message: String) -> AuditError { AuditError(.ruleSyntax, message, line: lineNumber) }
        let controls = ["-D", "-b", "-e", "-f", "-r", "--backlog_wait_time", "--loginuid-immutable", "-i", "-c"]
        if controls.contains(first) {
            return .control(Control(option: first, value: tokens.dropFirst().first, line: lineNumber))
        }
        var list: AuditRule.List?
        var action: AuditRule.Action?
        var arch: AuditTables.Arch?
        var syscalls: [Int] = []
        var allSyscalls = false
        var sawSyscall = false
        var conditions: [AuditRule.Condition] = []
        var keyIndex: Int?
        var watchPath: String?
        var permissions: UInt32?
        var i = 0
        func next() throws(AuditError) -> String {
            i += 1
            guard i < tokens.count else { throw fail("option \(tokens[i - 1]) needs a value") }
            return tokens[i]
        }
        func addKey(_ key: String) {
            if let k = keyIndex, let existing = conditions[k].string {
                conditions[k].string = existing + "\u{01}" + key
            } else {
                keyIndex = conditions.count
                conditions.append(.init(field: 210, op: .equal, string: key))
            }
        }
        while i < tokens.count {
            let option = tokens[i]
            switch option {
            case "-a", "-A":
                let parts = try next().split(separator: ",").map(String.init)
                guard parts.count == 2 else { throw fail("-a takes LIST,ACTION (e.g. always,exit)") }
                for part in parts {
                    if let a = ["always": AuditRule.Action.always, "never": .never][part] {
                        action = a
                    } else if let l = AuditRule.List(name: part) {
                        list = l
                    } else {
                        throw fail(
                            "unknown list or action '\(part)' in -a; use always|never and exit|user|exclude|task|filesystem"
                        )
                    }
                }
                guard list != nil, action != nil else { throw fail("-a needs one list and one action") }
            case "-S":
                sawSyscall = true
                for name in try next().split(separator: ",").map(String.init) {
                    if name == "all" {
                        allSyscalls = true
                    } else if let number = Int(name) {
                        syscalls.append(number)
                    } else if let number = AuditTables.syscallNumber(name, arch: arch ?? defaultArch) {
                        syscalls.append(number)
                    } else {
                        throw fail(
                            "unknown syscall '\(name)' for \((arch ?? defaultArch).rawValue); check the name or the -F arch= before -S"
                        )
                    }
                }
            case "-F":
                let condition = try parseCondition(try next(), arch: &arch, line: lineNumber)
                if condition.field == 210, let key = condition.string {
                    addKey(key)
                } else {
                    conditions.append(condition)
                }
            case "-C":
                conditions.append(try parseComparison(try next(), line: lineNumber))
            case "-k":
                addKey(try next())
            case "-w":
                watchPath = try next()
            case "-p":
                permissions = try Self.permissions(try next(), line: lineNumber)
            default:
                throw fail("unknown option '\(option)'; supported: -a -A -S -F -C -k -w -p")
            }
            i += 1
        }
        if let path = watchPath {
            guard list == nil, !sawSyscall else { throw fail("-w cannot be combined with -a or -S") }
            // auditctl watches a directory as AUDIT_DIR, without its trailing slash.
            let directory = isDirectory(path)
            var trimmed = Substring(path)
            while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            var watch: [AuditRule.Condition] = [
                .init(field: directory ? 107 : 105, op: .equal, string: String(trimmed)),
                .init(field: 106, op: .equal, value: permissions ?? 15),
            ]
            watch += conditions
            return .rule(AuditRule(list: .exit, action: .always, syscalls: nil, conditions: watch, text: text))
        }
        guard let list, let action else { throw fail("a rule needs -a LIST,ACTION or -w PATH") }
        if permissions != nil { conditions.append(.init(field: 106, op: .equal, value: permissions ?? 0)) }
        guard conditions.count <= 64 else { throw fail("a rule has at most 64 fields") }
        // No -S (or -S all) means every syscall, on every list.
        let mask: [Int]? = allSyscalls || !sawSyscall ? nil : syscalls
        return .rule(AuditRule(list: list, action: action, syscalls: mask, conditions: conditions, text: text))
    }

    /// Kernel field numbers by auditctl name.
    static let fieldNumbers: [String: UInt32] = [
        "pid": 0, "uid": 1, "euid": 2, "suid": 3, "fsuid": 4, "gid": 5, "egid": 6, "sgid": 7, "fsgid": 8,
        "auid": 9, "loginuid": 9, "pers": 10, "arch": 11, "msgtype": 12, "subj_user": 13, "subj_role": 14,
        "subj_type": 15, "subj_sen": 16, "subj_clr": 17, "ppid": 18, "obj_user": 19, "obj_role": 20,
        "obj_type": 21, "obj_lev_low": 22, "obj_lev_high": 23, "loginuid_set": 24, "sessionid": 25, "fstype": 26,
        "devmajor": 100, "devminor": 101, "inode": 102, "exit": 103, "success": 104, "path": 105, "perm": 106,
        "dir": 107, "filetype": 108, "obj_uid": 109, "obj_gid": 110, "exe": 112, "saddr_fam": 113, "a0": 200,
        "a1": 201, "a2": 202, "a3": 203, "key": 210,
    ]

    /// Fields whose value is a string carried in the rule's buffer.
    static let stringFields: Set<UInt32> = [13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 105, 107, 112, 210]
    static let uidFields: Set<UInt32> = [1, 2, 3, 4, 9, 109]
    static let gidFields: Set<UInt32> = [5, 6, 7, 8, 110]

    /// `-C` pairs and their `AUDIT_COMPARE_*` numbers (either order).
    static let comparisons: [String: UInt32] = {
        let pairs: [(String, String, UInt32)] = [
            ("uid", "obj_uid", 1), ("gid", "obj_gid", 2), ("euid", "obj_uid", 3), ("egid", "obj_gid", 4),
            ("auid", "obj_uid", 5), ("suid", "obj_uid", 6), ("sgid", "obj_gid", 7), ("fsuid", "obj_uid", 8),
            ("fsgid", "obj_gid", 9), ("uid", "auid", 10), ("uid", "euid", 11), ("uid", "fsuid", 12),
            ("uid", "suid", 13), ("auid", "fsuid", 14), ("auid", "suid", 15), ("auid", "euid", 16),
            ("euid", "suid", 17), ("euid", "fsuid", 18), ("suid", "fsuid", 19), ("gid", "egid", 20),
            ("gid", "fsgid", 21), ("gid", "sgid", 22), ("egid", "fsgid", 23), ("egid", "sgid", 24),
            ("sgid", "fsgid", 25),
        ]
        var map: [String: UInt32] = [:]
        for (a, b, n) in pairs {
            map["\(a),\(b)"] = n
            map["\(b),\(a)"] = n
        }
        return map
    }()

    static let fileTypes: [String: UInt32] = [
        "socket": 0o140000, "link": 0o120000, "file": 0o100000, "block": 0o060000, "dir": 0o040000,
        "character": 0o020000, "fifo": 0o010000,
    ]

    /// Splits `field op value` at the operator.
    static func splitCondition(_ text: String) -> (String, AuditRule.Operator, String)? {
        let scalars = Array(text.utf8)
        guard let start = scalars.firstIndex(where: { "=!<>&".utf8.contains($0) }) else { return nil }
        var end = start
        while end < scalars.count, "=!<>&".utf8.contains(scalars[end]), end - start < 2 { end += 1 }
        let opText = String(decoding: scalars[start..<end], as: UTF8.self)
        guard let op = AuditRule.Operator.allCases.first(where: { $0.text == opText }) else { return nil }
        return (
            String(decoding: scalars[..<start], as: UTF8.self), op,
            String(decoding: scalars[end...], as: UTF8.self)
        )
    }

    func parseCondition(
        _ text: String, arch: inout AuditTables.Arch?, line: Int
    ) throws(AuditError)
        -> AuditRule.Condition
    {
        func fail(_ message: String) -> AuditError { AuditError(.ruleSyntax, message, line: line, field: text) }
        guard let (name, op, value) = Self.splitCondition(text) else {
            throw fail("-F takes FIELD OP VALUE with OP one of = != < > <= >= & &=")
        }
        guard let field = Self.fieldNumbers[name] else {
            throw AuditError(.ruleUnsupported, "unknown field '\(name)' in -F", line: line, field: text)
        }
        if Self.stringFields.contains(field) {
            guard op == .equal || op == .notEqual else { throw fail("field '\(name)' takes only = or !=") }
            return .init(field: field, op: op, string: value)
        }
        let number: UInt32
        switch field {
        case 11:
            guard let a = AuditTables.Arch(ruleName: value) else {
                throw fail("unknown arch '\(value)'; use b64, b32, x86_64, i386, aarch64 or arm")
            }
            arch = a
            number = a.auditValue
        case 12:
            guard let type = AuditRecordType.number(of: value) ?? UInt16(value) else {
                throw fail("unknown record type '\(value)' for msgtype")
            }
            number = UInt32(type)
        case 106:
            number = try Self.permissions(value, line: line)
        case 108:
            guard let t = Self.fileTypes[value] else { throw fail("unknown filetype '\(value)'") }
            number = t
        case 103:
            if let n = Int64(value) {
                number = UInt32(truncatingIfNeeded: n)
            } else {
                let negative = value.hasPrefix("-")
                let name = negative ? String(value.dropFirst()) : value
                guard let errno = (1..<200).first(where: { AuditTables.errnoName($0) == name }) else {
                    throw fail("unknown errno '\(value)' for exit; use a number or -ENAME")
                }
                number = UInt32(truncatingIfNeeded: negative ? -errno : errno)
            }
        default:
            if Self.uidFields.contains(field), value == "unset" {
                number = 0xFFFF_FFFF
            } else if let n = Self.number(value) {
                number = n
            } else if Self.uidFields.contains(field), let uid = userID(value) {
                number = uid
            } else if Self.gidFields.contains(field), let gid = groupID(value) {
                number = gid
            } else {
                throw fail("'\(value)' is not a number for field '\(name)'")
            }
        }
        return .init(field: field, op: op, value: number)
    }

    func parseComparison(_ text: String, line: Int) throws(AuditError) -> AuditRule.Condition {
        guard let (left, op, right) = Self.splitCondition(text), op == .equal || op == .notEqual,
            let compare = Self.comparisons[
                "\(left == "loginuid" ? "auid" : left),\(right == "loginuid" ? "auid" : right)"]
        else {
            throw AuditError(
                .ruleSyntax, "-C takes FIELD=FIELD or FIELD!=FIELD with two comparable ids (e.g. uid!=euid)",
                line: line, field: text)
        }
        return .init(field: 111, op: op, value: compare)
    }

    /// Decimal, `0x` hex, leading-zero octal, or a negative decimal (as its 32-bit pattern).
    static func number(_ text: String) -> UInt32? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt32(text.dropFirst(2), radix: 16) }
        if text.count > 1 && text.hasPrefix("0") { return UInt32(text.dropFirst(), radix: 8) }
        if let n = Int64(text), n >= Int64(Int32.min), n <= Int64(UInt32.max) {
            return UInt32(truncatingIfNeeded: n)
        }
        return nil
    }

    static func permissions(_ text: String, line: Int) throws(AuditError) -> UInt32 {
        var bits: UInt32 = 0
        for c in text {
            switch c {
            case "r": bits |= 4
            case "w": bits |= 2
            case "x": bits |= 1
            case "a": bits |= 8
            default:
                throw AuditError(.ruleSyntax, "permission '\(c)' in '\(text)'; use letters r, w, x, a", line: line)
            }
        }
        return bits
    }

    /// Splits a line on spaces, honouring single and double quotes.
    static func tokenize(_ text: String, line: Int) throws(AuditError) -> [String] {
        var tokens: [String] = []
        var current = ""
        var quote: Character?
        var inToken = false
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
                inToken = true
            } else if c == " " || c == "\t" {
                if inToken { tokens.append(current) }
                current = ""
                inToken = false
            } else {
                current.append(c)
                inToken = true
            }
        }
        if quote != nil { throw AuditError(.ruleSyntax, "unterminated quote", line: line) }
        if inToken { tokens.append(current) }
        return tokens
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
