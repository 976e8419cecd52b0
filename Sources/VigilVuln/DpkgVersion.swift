/// Debian package versions, `[epoch:]upstream[-revision]`, ordered exactly as `dpkg --compare-versions`.
///
/// Validity follows dpkg's parser: what dpkg rejects (empty, embedded spaces, bad or huge epoch, empty
/// upstream or revision) is invalid; what dpkg only warns about (a version not starting with a digit,
/// unusual characters) still compares, as dpkg does.
public enum DpkgVersion {
    /// A version split into its three parts.
    public struct Parts: Sendable {
        public var epoch: Int
        public var upstream: Substring.UTF8View
        public var revision: Substring.UTF8View
    }

    /// Why dpkg rejects `version`, or nil when it accepts it (perhaps with a warning).
    public static func problem(_ version: String) -> String? {
        if case .failure(let problem) = parse(version) { return problem.text }
        return nil
    }

    /// Compares two versions; `.invalid` when dpkg would refuse either.
    public static func compare(_ a: String, _ b: String) -> VersionComparison {
        let left: Parts
        let right: Parts
        switch parse(a) {
        case .success(let parts): left = parts
        case .failure(let problem): return .invalid(problem: "'\(a)': \(problem.text)")
        }
        switch parse(b) {
        case .success(let parts): right = parts
        case .failure(let problem): return .invalid(problem: "'\(b)': \(problem.text)")
        }
        return VersionComparison(sign: compare(left, right))
    }

    /// Compares two parsed versions: epoch, then upstream, then revision.
    public static func compare(_ a: Parts, _ b: Parts) -> Int {
        if a.epoch != b.epoch { return a.epoch < b.epoch ? -1 : 1 }
        let upstream = compareFragment(a.upstream, b.upstream)
        if upstream != 0 { return upstream }
        return compareFragment(a.revision, b.revision)
    }

    struct Problem: Error {
        var text: String
    }

    /// Splits a version as dpkg's `parseversion` does.
    static func parse(_ version: String) -> Result<Parts, Problem> {
        var text = Substring(version)
        while let first = text.utf8.first, isSpace(first) { text = text.dropFirst() }
        while let last = text.utf8.last, isSpace(last) { text = text.dropLast() }
        if text.isEmpty { return .failure(Problem(text: "version string is empty")) }
        if text.utf8.contains(where: isSpace) { return .failure(Problem(text: "version string has embedded spaces")) }
        var epoch = 0
        var rest = text
        if let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) {
            let digits = text[text.startIndex..<colon]
            switch parseEpoch(digits) {
            case .success(let value): epoch = value
            case .failure(let problem): return .failure(problem)
            }
            rest = text[text.index(after: colon)...]
            if rest.isEmpty { return .failure(Problem(text: "nothing after colon in version number")) }
        }
        var upstream = rest
        var revision = Substring("")
        if let hyphen = rest.utf8.lastIndex(of: UInt8(ascii: "-")) {
            upstream = rest[rest.startIndex..<hyphen]
            revision = rest[rest.index(after: hyphen)...]
            if revision.isEmpty { return .failure(Problem(text: "revision number is empty")) }
        }
        if upstream.isEmpty { return .failure(Problem(text: "version number is empty")) }
        return .success(Parts(epoch: epoch, upstream: upstream.utf8, revision: revision.utf8))
    }

    /// The epoch as C's `strtol` reads it, with dpkg's checks.
    private static func parseEpoch(_ text: Substring) -> Result<Int, Problem> {
        var bytes = text.utf8[...]
        if bytes.isEmpty { return .failure(Problem(text: "epoch in version is empty")) }
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        guard let first = bytes.first, isDigit(first) else {
            return .failure(Problem(text: "epoch in version is empty"))
        }
        var value = 0
        var tooBig = false
        for byte in bytes {
            guard isDigit(byte) else { return .failure(Problem(text: "epoch in version is not number")) }
            if !tooBig {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (plus, overflow2) = times.addingReportingOverflow(Int(byte - 0x30))
                if overflow1 || overflow2 { tooBig = true } else { value = plus }
            }
        }
        if negative && value != 0 { return .failure(Problem(text: "epoch in version is negative")) }
        if tooBig || value > Int(Int32.max) { return .failure(Problem(text: "epoch in version is too big")) }
        return .success(value)
    }

    /// dpkg's `verrevcmp`: non-digit runs compared by `order`, digit runs numerically.
    static func compareFragment(_ a: Substring.UTF8View, _ b: Substring.UTF8View) -> Int {
        var i = a.startIndex
        var j = b.startIndex
        while i != a.endIndex || j != b.endIndex {
            while (i != a.endIndex && !isDigit(a[i])) || (j != b.endIndex && !isDigit(b[j])) {
                let left = i != a.endIndex ? order(a[i]) : 0
                let right = j != b.endIndex ? order(b[j]) : 0
                if left != right { return left - right }
                a.formIndex(after: &i)
                b.formIndex(after: &j)
            }
            while i != a.endIndex && a[i] == UInt8(ascii: "0") { a.formIndex(after: &i) }
            while j != b.endIndex && b[j] == UInt8(ascii: "0") { b.formIndex(after: &j) }
            var firstDifference = 0
            while i != a.endIndex && j != b.endIndex && isDigit(a[i]) && isDigit(b[j]) {
                if firstDifference == 0 { firstDifference = Int(a[i]) - Int(b[j]) }
                a.formIndex(after: &i)
                b.formIndex(after: &j)
            }
            if i != a.endIndex && isDigit(a[i]) { return 1 }
            if j != b.endIndex && isDigit(b[j]) { return -1 }
            if firstDifference != 0 { return firstDifference }
        }
        return 0
    }

    /// dpkg's character weight: `~` sorts before the end, letters before other characters.
    private static func order(_ byte: UInt8) -> Int {
        if isDigit(byte) { return 0 }
        if isAlpha(byte) { return Int(byte) }
        if byte == UInt8(ascii: "~") { return -1 }
        // dpkg reads `char`, which is signed on the platforms it is built for.
        return Int(Int8(bitPattern: byte)) + 256
    }
}
