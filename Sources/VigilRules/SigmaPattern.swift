/// A Sigma string value compiled for matching bytes (a class, so rules share it without copying): `*` any run of characters, `?` one character,
/// `\*`, `\?` and `\\` literal. Case-insensitive (ASCII, as SQLite's LIKE) unless `cased`.
///
/// Patterns with one literal run and leading/trailing stars become exact, prefix, suffix or substring
/// searches; anything else is matched by a small glob matcher with backtracking on the last star.
public final class SigmaPattern: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case exact, prefix, suffix, contains, glob
    }

    enum Token: Sendable, Hashable {
        case byte(UInt8)
        case any  // ?
        case star  // *
    }

    let kind: Kind
    /// The literal for exact/prefix/suffix/contains (lower-cased unless cased).
    let literal: [UInt8]
    let tokens: [Token]
    public let cased: Bool
    /// The value as written, for messages.
    public let source: String

    public static func == (a: SigmaPattern, b: SigmaPattern) -> Bool { a.source == b.source && a.cased == b.cased }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(cased)
    }

    /// Compiles a Sigma value (with its wildcards) into a pattern.
    public init(_ value: String, cased: Bool) {
        source = value
        self.cased = cased
        var tokens: [Token] = []
        var bytes = Array(value.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "\\"), let next = bytes.first,
                next == UInt8(ascii: "*") || next == UInt8(ascii: "?") || next == UInt8(ascii: "\\")
            {
                bytes.removeFirst()
                tokens.append(.byte(next))
            } else if b == UInt8(ascii: "*") {
                if tokens.last != .star { tokens.append(.star) }
            } else if b == UInt8(ascii: "?") {
                tokens.append(.any)
            } else {
                tokens.append(.byte(cased ? b : SigmaPattern.lower(b)))
            }
        }
        self.tokens = tokens
        var inner = tokens[...]
        while inner.first == .star { inner.removeFirst() }
        while inner.last == .star { inner.removeLast() }
        var lit: [UInt8] = []
        var literalOnly = true
        for token in inner {
            if case .byte(let b) = token { lit.append(b) } else { literalOnly = false }
        }
        let leading = tokens.first == .star
        let trailing = tokens.count > 1 && tokens.last == .star
        literal = literalOnly ? lit : []
        if !literalOnly {
            kind = .glob
        } else if tokens == [.star] {
            kind = .prefix  // `*` alone: empty prefix, matches anything present
        } else if leading && trailing {
            kind = .contains
        } else if leading {
            kind = .suffix
        } else if trailing {
            kind = .prefix
        } else {
            kind = .exact
        }
    }

    /// A pattern with wildcards added around the literal text (for contains/startswith/endswith).
    static func escaped(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "*" || c == "?" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { b &- 65 < 26 ? b | 0x20 : b }

    /// The longest run of literal bytes every match must contain (lower-cased), for the prefilter.
    var requiredLiteral: [UInt8] {
        if kind != .glob { return literal.map(SigmaPattern.lower) }
        var best: [UInt8] = []
        var current: [UInt8] = []
        for token in tokens {
            if case .byte(let b) = token {
                current.append(SigmaPattern.lower(b))
            } else {
                if current.count > best.count { best = current }
                current = []
            }
        }
        return current.count > best.count ? current : best
    }

    /// Whether `value` matches; `value` is lower-cased already unless the pattern is cased.
    public func matches(_ value: [UInt8]) -> Bool {
        switch kind {
        case .exact: return value == literal
        case .prefix: return value.count >= literal.count && value.starts(with: literal)
        case .suffix:
            guard value.count >= literal.count else { return false }
            return value.withUnsafeBufferPointer { v in
                literal.withUnsafeBufferPointer { l in
                    memEqual(v.baseAddress! + (v.count - l.count), l.baseAddress, l.count)
                }
            }
        case .contains: return SigmaPattern.contains(value, literal)
        case .glob: return globMatch(value)
        }
    }

    /// Substring search: first-byte scan, then compare.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        let n = needle.count
        if n == 0 { return true }
        let h = haystack.count
        if n > h { return false }
        return haystack.withUnsafeBufferPointer { hp in
            needle.withUnsafeBufferPointer { np in
                let first = np[0]
                var i = 0
                let last = h - n
                while i <= last {
                    if hp[i] == first && memEqual(hp.baseAddress! + i, np.baseAddress, n) { return true }
                    i += 1
                }
                return false
            }
        }
    }

    /// Glob match with `*` and `?` (one UTF-8 character), backtracking to the last star.
    func globMatch(_ value: [UInt8]) -> Bool {
        var v = 0
        var p = 0
        var starP = -1
        var starV = 0
        let count = value.count
        while v < count {
            if p < tokens.count {
                switch tokens[p] {
                case .byte(let b) where b == value[v]:
                    v += 1
                    p += 1
                    continue
                case .any:
                    v += 1
                    while v < count && value[v] & 0xC0 == 0x80 { v += 1 }
                    p += 1
                    continue
                case .star:
                    starP = p
                    starV = v
                    p += 1
                    continue
                default:
                    break
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starV += 1
            v = starV
        }
        while p < tokens.count && tokens[p] == .star { p += 1 }
        return p == tokens.count
    }
}

@inline(__always)
func memEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
    guard let b else { return count == 0 }
    var i = 0
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
