/// Parses a Sigma `condition` string into a `Condition` over a rule's selection names.
///
/// Grammar (lowest precedence first): `or`, `and`, `not`, then a primary: `( … )`, a selection name,
/// or `1 of X` / `N of X` / `all of X` where X is a name, a wildcard (`selection_*`) or `them`
/// (every selection not starting with `_`). Names are matched exactly; keywords in any case.
struct ConditionParser {
    /// A parse failure with the 0-based offset in the condition text.
    struct Failure: Error {
        var code: String
        var message: String
        var offset: Int
    }

    enum TokenKind: Equatable {
        case open, close, and, or, not, of, them, all, number(Int), name(String)
    }

    struct Token {
        var kind: TokenKind
        var offset: Int
    }

    /// Nesting limit for parentheses and `not`, so hostile input cannot exhaust the stack.
    static let maxDepth = 64

    let names: [String]
    var tokens: [Token] = []
    var index = 0
    let length: Int
    var depth = 0

    init(names: [String], text: String) throws(Failure) {
        self.names = names
        length = text.count
        tokens = try ConditionParser.tokenize(text)
    }

    static func tokenize(_ text: String) throws(Failure) -> [Token] {
        var out: [Token] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
                continue
            }
            if c == "|" {
                throw Failure(
                    code: "sigma.condition-aggregation",
                    message:
                        "aggregation expressions ('| count() …') are not supported; write a correlation rule instead",
                    offset: i)
            }
            if c == "(" || c == ")" {
                out.append(Token(kind: c == "(" ? .open : .close, offset: i))
                i += 1
                continue
            }
            let start = i
            while i < chars.count, !chars[i].isWhitespace, chars[i] != "(", chars[i] != ")", chars[i] != "|" {
                i += 1
            }
            let word = String(chars[start..<i])
            let kind: TokenKind
            switch word.lowercased() {
            case "and": kind = .and
            case "or": kind = .or
            case "not": kind = .not
            case "of": kind = .of
            case "them": kind = .them
            case "all": kind = .all
            default:
                if let n = Int(word) {
                    kind = .number(n)
                } else {
                    guard
                        word.allSatisfy({
                            $0.isLetter || $0.isNumber || $0 == "_" || $0 == "*" || $0 == "-" || $0 == "."
                        })
                    else {
                        throw Failure(
                            code: "sigma.condition-syntax",
                            message: "'\(word)' is not a selection name; names use letters, digits, _ and *",
                            offset: start)
                    }
                    kind = .name(word)
                }
            }
            out.append(Token(kind: kind, offset: start))
        }
        return out
    }

    mutating func parse() throws(Failure) -> Condition {
        guard !tokens.isEmpty else {
            throw Failure(code: "sigma.condition-empty", message: "the condition is empty; name a selection", offset: 0)
        }
        let result = try parseOr()
        if index < tokens.count {
            let token = tokens[index]
            throw Failure(
                code: "sigma.condition-syntax",
                message: "unexpected \(describe(token)); expected 'and', 'or' or the end",
                offset: token.offset)
        }
        return result
    }

    func describe(_ token: Token) -> String {
        switch token.kind {
        case .open: "'('"
        case .close: "')'"
        case .and: "'and'"
        case .or: "'or'"
        case .not: "'not'"
        case .of: "'of'"
        case .them: "'them'"
        case .all: "'all'"
        case .number(let n): "'\(n)'"
        case .name(let s): "'\(s)'"
        }
    }

    var peek: TokenKind? { index < tokens.count ? tokens[index].kind : nil }
    var offset: Int { index < tokens.count ? tokens[index].offset : length }

    mutating func parseOr() throws(Failure) -> Condition {
        var items = [try parseAnd()]
        while peek == .or {
            index += 1
            items.append(try parseAnd())
        }
        return items.count == 1 ? items[0] : .or(items)
    }

    mutating func parseAnd() throws(Failure) -> Condition {
        var items = [try parseNot()]
        while peek == .and {
            index += 1
            items.append(try parseNot())
        }
        return items.count == 1 ? items[0] : .and(items)
    }

    mutating func enter() throws(Failure) {
        depth += 1
        if depth > ConditionParser.maxDepth {
            throw Failure(
                code: "sigma.condition-too-deep",
                message: "the condition nests more than \(ConditionParser.maxDepth) levels; simplify it", offset: offset
            )
        }
    }

    mutating func parseNot() throws(Failure) -> Condition {
        if peek == .not {
            index += 1
            try enter()
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    mutating func parsePrimary() throws(Failure) -> Condition {
        let at = offset
        guard let kind = peek else {
            throw Failure(
                code: "sigma.condition-syntax", message: "the condition ends early; a selection name is missing",
                offset: at)
        }
        switch kind {
        case .open:
            index += 1
            try enter()
            defer { depth -= 1 }
            let inner = try parseOr()
            guard peek == .close else {
                throw Failure(code: "sigma.condition-syntax", message: "'(' is not closed; add ')'", offset: offset)
            }
            index += 1
            return inner
        case .number(let n):
            index += 1
            guard n >= 1 else {
                throw Failure(
                    code: "sigma.condition-syntax", message: "'\(n) of' needs a number of 1 or more", offset: at)
            }
            return try parseOf(count: n)
        case .all:
            index += 1
            return try parseOf(count: nil)
        case .name(let name):
            index += 1
            guard let i = names.firstIndex(of: name) else {
                throw Failure(
                    code: "sigma.missing-selection",
                    message: "the condition names '\(name)', which is not in 'detection'; "
                        + "define it or fix the name (defined: \(names.joined(separator: ", ")))",
                    offset: at)
            }
            return .selection(i)
        default:
            throw Failure(
                code: "sigma.condition-syntax",
                message:
                    "unexpected \(describe(tokens[index])); expected a selection name, '(', 'not', '1 of' or 'all of'",
                offset: at)
        }
    }

    mutating func parseOf(count: Int?) throws(Failure) -> Condition {
        guard peek == .of else {
            throw Failure(code: "sigma.condition-syntax", message: "expected 'of' after the quantifier", offset: offset)
        }
        index += 1
        let at = offset
        let targets: [Int]
        switch peek {
        case .them:
            targets = names.indices.filter { !names[$0].hasPrefix("_") }
        case .name(let pattern):
            let glob = SigmaPattern(pattern, cased: true)
            targets = names.indices.filter { glob.matches(Array(names[$0].utf8)) }
            if targets.isEmpty {
                throw Failure(
                    code: "sigma.missing-selection",
                    message: "'\(pattern)' matches no selection in 'detection'; define one or fix the pattern",
                    offset: at)
            }
        default:
            throw Failure(
                code: "sigma.condition-syntax", message: "expected a selection name, a wildcard or 'them' after 'of'",
                offset: at)
        }
        index += 1
        return .of(count: count, targets)
    }
}
