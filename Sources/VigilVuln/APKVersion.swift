/// Alpine package versions (`1.2.3_rc1-r0`), ordered as apk-tools 2.14 orders them.
///
/// The grammar is Gentoo's: digits separated by dots, an optional letter, any number of `_suffix[N]`
/// (pre-release `alpha`, `beta`, `pre`, `rc` sort before the bare version; `cvs`, `svn`, `git`, `hg`,
/// `p` after), and an optional `-rN` revision. apk walks both strings token by token and orders even
/// strings that break the grammar; `problem(_:)` says whether apk would accept a version at all.
public enum APKVersion {
    /// Why apk-tools rejects `version`, or nil when it accepts it.
    public static func problem(_ version: String) -> String? {
        var reader = Reader(version.utf8[...])
        var token = Token.digit
        while token != .end && token != .invalid { _ = reader.next(&token) }
        if token == .end { return nil }
        return "expected digits separated by '.', one letter, _alpha/_beta/_pre/_rc/_cvs/_svn/_git/_hg/_p suffixes"
            + " and -rN"
    }

    /// Compares two versions as `apk version -t` does; never `.invalid` (see `problem(_:)`).
    public static func compare(_ a: String, _ b: String) -> VersionComparison {
        VersionComparison(sign: compareSign(a, b))
    }

    /// The sign of the comparison: -1, 0 or 1.
    public static func compareSign(_ a: String, _ b: String) -> Int {
        var left = Reader(a.utf8[...])
        var right = Reader(b.utf8[...])
        var leftToken = Token.digit
        var rightToken = Token.digit
        var leftValue = 0
        var rightValue = 0
        while leftToken == rightToken && leftToken != .end && leftToken != .invalid && leftValue == rightValue {
            leftValue = left.next(&leftToken)
            rightValue = right.next(&rightToken)
        }
        if leftValue < rightValue { return -1 }
        if leftValue > rightValue { return 1 }
        if leftToken == rightToken { return 0 }
        // Equal so far: the longer version is newer unless what follows is a pre-release suffix.
        var probe = leftToken
        if leftToken == .suffix && left.next(&probe) < 0 { return -1 }
        probe = rightToken
        if rightToken == .suffix && right.next(&probe) < 0 { return 1 }
        if leftToken.rawValue > rightToken.rawValue { return -1 }
        if rightToken.rawValue > leftToken.rawValue { return 1 }
        return 0
    }

    /// What the next part of a version is expected to be, in grammar order.
    enum Token: Int {
        case invalid = -1
        case digitOrZero = 0
        case digit = 1
        case letter = 2
        case suffix = 3
        case suffixNumber = 4
        case revisionNumber = 5
        case end = 6
    }

    /// Walks a version one token at a time.
    struct Reader {
        var bytes: Substring.UTF8View.SubSequence

        init(_ bytes: Substring.UTF8View.SubSequence) { self.bytes = bytes }

        static let preReleaseSuffixes: [[UInt8]] = ["alpha", "beta", "pre", "rc"].map { Array($0.utf8) }
        static let postReleaseSuffixes: [[UInt8]] = ["cvs", "svn", "git", "hg", "p"].map { Array($0.utf8) }

        /// Reads the token `token` announces, returns its value and sets `token` to what comes next.
        mutating func next(_ token: inout Token) -> Int {
            guard let first = bytes.first else {
                token = .end
                return 0
            }
            var value = 0
            var consumed = 0
            var following: Token?
            switch token {
            case .digitOrZero where first == UInt8(ascii: "0"):
                // Leading zeros after a dot sort a component before any without them.
                for byte in bytes {
                    guard byte == UInt8(ascii: "0") else { break }
                    consumed += 1
                }
                value = -consumed
                // apk 2.14: only a zero run followed by more digits continues as a number.
                if consumed < bytes.count && isDigit(bytes[bytes.index(bytes.startIndex, offsetBy: consumed)]) {
                    following = .digit
                }
            case .digitOrZero, .digit, .suffixNumber, .revisionNumber:
                for byte in bytes {
                    guard isDigit(byte) else { break }
                    value = value &* 10 &+ Int(byte - 0x30)
                    consumed += 1
                }
            case .letter:
                value = Int(first)
                consumed = 1
            case .suffix:
                if let index = Reader.preReleaseSuffixes.firstIndex(where: { bytes.starts(with: $0) }) {
                    value = index - Reader.preReleaseSuffixes.count
                    consumed = Reader.preReleaseSuffixes[index].count
                } else if let index = Reader.postReleaseSuffixes.firstIndex(where: { bytes.starts(with: $0) }) {
                    value = index
                    consumed = Reader.postReleaseSuffixes[index].count
                } else {
                    token = .invalid
                    return -1
                }
            case .invalid, .end:
                token = .invalid
                return -1
            }
            bytes = bytes.dropFirst(consumed)
            if bytes.isEmpty {
                token = .end
            } else if let following {
                token = following
            } else {
                advance(&token)
            }
            return value
        }

        /// Decides the next token from the separator or character at the front, consuming separators.
        private mutating func advance(_ token: inout Token) {
            var next = Token.invalid
            let byte = bytes.first ?? 0
            if bytes.isEmpty || byte == 0 {
                next = .end
            } else if (token == .digit || token == .digitOrZero) && isLower(byte) {
                next = .letter
            } else if token == .letter && isDigit(byte) {
                next = .digit
            } else if token == .suffix && isDigit(byte) {
                next = .suffixNumber
            } else {
                switch byte {
                case UInt8(ascii: "."): next = .digitOrZero
                case UInt8(ascii: "_"): next = .suffix
                case UInt8(ascii: "-"):
                    if bytes.count > 1 && bytes.dropFirst().first == UInt8(ascii: "r") {
                        next = .revisionNumber
                        bytes = bytes.dropFirst()
                    }
                default: break
                }
                bytes = bytes.dropFirst()
            }
            if next.rawValue < token.rawValue {
                let allowed =
                    (next == .digitOrZero && token == .digit) || (next == .suffix && token == .suffixNumber)
                    || (next == .digit && token == .letter)
                if !allowed { next = .invalid }
            }
            token = next
        }
    }
}
