/// What a case-sensitive regular expression promises about every text it matches, read from its source without
/// running it: a set of literals one of which every match contains (for the prefilter), and a minimum length in
/// bytes (checked before the regex engine is called).
///
/// The reading is conservative: whatever it does not understand (inline flags, `\Q…\E`, unknown escapes,
/// non-ASCII literals, case-insensitive expressions) yields no literal and length 0, which only costs speed.
struct RegexFacts: Equatable {
    /// Lower-cased literals; every match contains one of them. Empty: no promise.
    var literals: Set<[UInt8]> = []
    /// Every match is at least this many bytes long (one byte per character matched, at least).
    var minLength = 0

    static let none = RegexFacts()

    init() {}

    init(literals: Set<[UInt8]>, minLength: Int) {
        self.literals = literals
        self.minLength = minLength
    }

    /// Facts of `pattern` (ICU syntax); `caseInsensitive` expressions promise nothing (case folding can match
    /// other bytes and other lengths).
    static func of(_ pattern: String, caseInsensitive: Bool) -> RegexFacts {
        if caseInsensitive { return .none }
        var parser = Parser(Array(pattern.utf8))
        guard let node = parser.alternation(), parser.atEnd else { return .none }
        var best: Set<[UInt8]> = []
        for candidate in node.candidates where score(candidate) > score(best) { best = candidate }
        return RegexFacts(literals: best, minLength: node.minLength)
    }

    static func score(_ set: Set<[UInt8]>) -> Int {
        guard let shortest = set.map(\.count).min(), shortest > 0 else { return -1 }
        return min(shortest, 8) * 1000 - set.count
    }

    /// A parsed piece: its minimum length; literal sets that every match of it contains; and, when the piece
    /// is nothing but literal text, its alternatives (so that neighbours can extend them).
    struct Node {
        var minLength = 0
        var candidates: [Set<[UInt8]>] = []
        var exact: Set<[UInt8]>?
    }

    struct Parser {
        let bytes: [UInt8]
        var i = 0
        /// At most this many alternatives in one literal set.
        static let maxAlternatives = 16

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { i >= bytes.count }

        func peek(_ offset: Int = 0) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

        /// `a|b|…` up to `)` or the end.
        mutating func alternation() -> Node? {
            var branches: [Node] = []
            while true {
                guard let branch = sequence() else { return nil }
                branches.append(branch)
                if peek() == UInt8(ascii: "|") {
                    i += 1
                    continue
                }
                break
            }
            if branches.count == 1 { return branches[0] }
            var node = Node(minLength: branches.map(\.minLength).min() ?? 0)
            // One literal of each branch's best set: their union holds for the whole alternation.
            var union: Set<[UInt8]> = []
            for branch in branches {
                guard let best = branch.candidates.max(by: { RegexFacts.score($0) < RegexFacts.score($1) }),
                    RegexFacts.score(best) > 0
                else { return node }
                union.formUnion(best)
            }
            if union.count <= Parser.maxAlternatives { node.candidates = [union] }
            if branches.allSatisfy({ $0.exact != nil }) {
                let all = branches.reduce(into: Set<[UInt8]>()) { $0.formUnion($1.exact ?? []) }
                if all.count <= Parser.maxAlternatives { node.exact = all }
            }
            return node
        }

        /// Items up to `|`, `)` or the end.
        mutating func sequence() -> Node? {
            var node = Node()
            // The literal text just before the current position (its alternatives), still growing.
            var run: Set<[UInt8]> = [[]]
            var allExact = true
            func flush() {
                if RegexFacts.score(run) > 0 { node.candidates.append(run) }
                run = [[]]
            }
            while let b = peek(), b != UInt8(ascii: "|"), b != UInt8(ascii: ")") {
                guard var item = atom() else { return nil }
                guard let (low, high) = quantifier() else { return nil }
                node.minLength += item.minLength * low
                if low == 0 {
                    item.candidates = []
                    item.exact = nil
                }
                node.candidates += item.candidates
                if let exact = item.exact, low >= 1 {
                    var grown: Set<[UInt8]> = []
                    for prefix in run { for suffix in exact { grown.insert(prefix + suffix) } }
                    if grown.count > Parser.maxAlternatives {
                        allExact = false
                        flush()
                        run = exact
                    } else {
                        run = grown
                    }
                    if high != 1 {
                        // Repeated: what follows need not be adjacent to the first copy.
                        allExact = false
                        flush()
                    }
                } else {
                    allExact = false
                    flush()
                }
            }
            if allExact { node.exact = run }
            flush()
            return node
        }

        /// `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` (with a lazy `?` or possessive `+`): (minimum, maximum or -1).
        /// No quantifier: (1, 1). Nil: malformed.
        mutating func quantifier() -> (Int, Int)? {
            var result: (Int, Int)
            switch peek() {
            case UInt8(ascii: "?"): result = (0, 1)
            case UInt8(ascii: "*"): result = (0, -1)
            case UInt8(ascii: "+"): result = (1, -1)
            case UInt8(ascii: "{"):
                var j = i + 1
                func number() -> Int? {
                    var n = 0
                    let start = j
                    while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39, j - start < 6 {
                        n = n * 10 + Int(bytes[j] - 0x30)
                        j += 1
                    }
                    return j > start ? n : nil
                }
                guard let low = number() else { return nil }
                var high = low
                if j < bytes.count, bytes[j] == UInt8(ascii: ",") {
                    j += 1
                    high = number() ?? -1
                }
                guard j < bytes.count, bytes[j] == UInt8(ascii: "}") else { return nil }
                i = j
                result = (low, high)
            default:
                return (1, 1)
            }
            i += 1
            if peek() == UInt8(ascii: "?") || peek() == UInt8(ascii: "+") { i += 1 }
            return result
        }

        /// One character, class, escape, anchor or group.
        mutating func atom() -> Node? {
            guard let b = peek() else { return nil }
            i += 1
            switch b {
            case UInt8(ascii: "("):
                if peek() == UInt8(ascii: "?") {
                    // Only non-capturing, named and atomic groups are understood; lookarounds match no text.
                    let kind = peek(1)
                    if kind == UInt8(ascii: ":") || kind == UInt8(ascii: ">") {
                        i += 2
                    } else if kind == UInt8(ascii: "<"), let next = peek(2), next != UInt8(ascii: "="),
                        next != UInt8(ascii: "!")
                    {
                        while let c = peek(), c != UInt8(ascii: ">") { i += 1 }
                        i += 1
                    } else if kind == UInt8(ascii: "=") || kind == UInt8(ascii: "!")
                        || (kind == UInt8(ascii: "<") && (peek(2) == UInt8(ascii: "=") || peek(2) == UInt8(ascii: "!")))
                    {
                        i += kind == UInt8(ascii: "<") ? 3 : 2
                        guard alternation() != nil, peek() == UInt8(ascii: ")") else { return nil }
                        i += 1
                        return Node()
                    } else {
                        return nil  // inline flags and anything else
                    }
                }
                guard let inner = alternation(), peek() == UInt8(ascii: ")") else { return nil }
                i += 1
                return inner
            case UInt8(ascii: "["):
                return characterClass() ? Node(minLength: 1) : nil
            case UInt8(ascii: "."):
                return Node(minLength: 1)
            case UInt8(ascii: "^"), UInt8(ascii: "$"):
                return Node()
            case UInt8(ascii: "\\"):
                guard let e = peek() else { return nil }
                i += 1
                switch e {
                case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "z"), UInt8(ascii: "Z"),
                    UInt8(ascii: "G"):
                    return Node()
                case UInt8(ascii: "d"), UInt8(ascii: "D"), UInt8(ascii: "w"), UInt8(ascii: "W"), UInt8(ascii: "s"),
                    UInt8(ascii: "S"), UInt8(ascii: "h"), UInt8(ascii: "H"), UInt8(ascii: "v"), UInt8(ascii: "V"),
                    UInt8(ascii: "t"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "f"), UInt8(ascii: "e"),
                    UInt8(ascii: "a"), UInt8(ascii: "R"), UInt8(ascii: "X"):
                    return Node(minLength: 1)
                case UInt8(ascii: "p"), UInt8(ascii: "P"):
                    guard peek() == UInt8(ascii: "{") else { return nil }
                    while let c = peek(), c != UInt8(ascii: "}") { i += 1 }
                    i += 1
                    return Node(minLength: 1)
                default:
                    // Escaped ASCII punctuation is itself; letters, digits (back references, octal, hex,
                    // \Q…\E, \N{…}) and anything else are not understood.
                    guard e < 0x80, !RegexFacts.isAlphanumeric(e) else { return nil }
                    return RegexFacts.literal(e)
                }
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"), UInt8(ascii: "]"),
                UInt8(ascii: "}"):
                return nil
            default:
                // A non-ASCII character is one character of several bytes: length only.
                if b >= 0x80 {
                    while let c = peek(), c & 0xC0 == 0x80 { i += 1 }
                    return Node(minLength: 1)
                }
                return RegexFacts.literal(b)
            }
        }

        /// Skips a `[…]` class (nested classes and escapes included); false when it does not close.
        mutating func characterClass() -> Bool {
            var depth = 1
            if peek() == UInt8(ascii: "^") { i += 1 }
            if peek() == UInt8(ascii: "]") { i += 1 }
            while let c = peek() {
                i += 1
                if c == UInt8(ascii: "\\") {
                    i += 1
                } else if c == UInt8(ascii: "[") {
                    depth += 1
                } else if c == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return true }
                }
            }
            return false
        }
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
    }

    static func literal(_ b: UInt8) -> Node {
        Node(minLength: 1, candidates: [], exact: [[SigmaPattern.lower(b)]])
    }
}
