/// RPM versions, `[epoch:]version[-release]`, ordered as rpm 4.18's `rpmverCmp` orders EVR strings.
///
/// The epoch is the leading digits before a `:` (missing means 0); the release is what follows the
/// last `-`. A missing release sorts before any release, even an empty one, as in rpm. The only string
/// rpm refuses to parse is the empty one.
public enum RPMVersion {
    /// An EVR split into its parts; `release` is nil when there is no `-`.
    public struct EVR: Sendable, Hashable {
        public var epoch: Substring?
        public var version: Substring
        public var release: Substring?

        /// Builds an EVR from separate header fields (an rpm header stores them apart).
        public init(epoch: Substring?, version: Substring, release: Substring?) {
            self.epoch = epoch
            self.version = version
            self.release = release
        }
    }

    /// Why rpm refuses `version`, or nil.
    public static func problem(_ version: String) -> String? {
        version.isEmpty ? "version string is empty" : nil
    }

    /// Compares two EVR strings.
    public static func compare(_ a: String, _ b: String) -> VersionComparison {
        if a.isEmpty || b.isEmpty { return .invalid(problem: "version string is empty") }
        return VersionComparison(sign: compare(parse(a), parse(b)))
    }

    /// Compares two EVRs: epoch, version, then release.
    public static func compare(_ a: EVR, _ b: EVR) -> Int {
        let epoch = compareSegments(a.epoch ?? "0", b.epoch ?? "0")
        if epoch != 0 { return epoch }
        let version = compareSegments(a.version, b.version)
        if version != 0 { return version }
        switch (a.release, b.release) {
        case (nil, nil): return 0
        case (.some, nil): return 1
        case (nil, .some): return -1
        case (.some(let left), .some(let right)): return compareSegments(left, right)
        }
    }

    /// Splits an EVR string the way rpm does.
    public static func parse(_ text: String) -> EVR {
        let whole = Substring(text)
        let utf8 = whole.utf8
        var index = utf8.startIndex
        while index != utf8.endIndex && isDigit(utf8[index]) { utf8.formIndex(after: &index) }
        let afterDigits = whole[index...]
        let lastHyphen = afterDigits.utf8.lastIndex(of: UInt8(ascii: "-"))
        var epoch: Substring?
        var versionStart = whole.startIndex
        if index != utf8.endIndex && utf8[index] == UInt8(ascii: ":") {
            let digits = whole[whole.startIndex..<index]
            epoch = digits.isEmpty ? "0" : digits
            versionStart = whole.index(after: index)
        }
        if let lastHyphen {
            return EVR(
                epoch: epoch, version: whole[versionStart..<lastHyphen],
                release: whole[whole.index(after: lastHyphen)...])
        }
        return EVR(epoch: epoch, version: whole[versionStart...], release: nil)
    }

    /// rpm's `rpmvercmp` on one field: alternating numeric and alphabetic segments, `~` sorting
    /// before everything and `^` after the end but before anything else.
    public static func compareSegments(_ a: Substring, _ b: Substring) -> Int {
        if a.utf8.elementsEqual(b.utf8) { return 0 }
        let one = a.utf8
        let two = b.utf8
        var i = one.startIndex
        var j = two.startIndex
        let tilde = UInt8(ascii: "~")
        let caret = UInt8(ascii: "^")
        func isSeparator(_ byte: UInt8) -> Bool {
            !isDigit(byte) && !isAlpha(byte) && byte != tilde && byte != caret
        }
        while i != one.endIndex || j != two.endIndex {
            while i != one.endIndex && isSeparator(one[i]) { one.formIndex(after: &i) }
            while j != two.endIndex && isSeparator(two[j]) { two.formIndex(after: &j) }
            let x: UInt8? = i != one.endIndex ? one[i] : nil
            let y: UInt8? = j != two.endIndex ? two[j] : nil
            if x == tilde || y == tilde {
                if x != tilde { return 1 }
                if y != tilde { return -1 }
                one.formIndex(after: &i)
                two.formIndex(after: &j)
                continue
            }
            if x == caret || y == caret {
                if x == nil { return -1 }
                if y == nil { return 1 }
                if x != caret { return 1 }
                if y != caret { return -1 }
                one.formIndex(after: &i)
                two.formIndex(after: &j)
                continue
            }
            guard let first = x, y != nil else { break }
            let numeric = isDigit(first)
            let belongs: (UInt8) -> Bool = { numeric ? isDigit($0) : isAlpha($0) }
            var end1 = i
            while end1 != one.endIndex && belongs(one[end1]) { one.formIndex(after: &end1) }
            var end2 = j
            while end2 != two.endIndex && belongs(two[end2]) { two.formIndex(after: &end2) }
            if end2 == j { return numeric ? 1 : -1 }
            var segment1 = one[i..<end1]
            var segment2 = two[j..<end2]
            if numeric {
                while let lead = segment1.first, lead == UInt8(ascii: "0") { segment1 = segment1.dropFirst() }
                while let lead = segment2.first, lead == UInt8(ascii: "0") { segment2 = segment2.dropFirst() }
                if segment1.count != segment2.count { return segment1.count > segment2.count ? 1 : -1 }
            }
            for (p, q) in zip(segment1, segment2) where p != q { return p < q ? -1 : 1 }
            if segment1.count != segment2.count { return segment1.count < segment2.count ? -1 : 1 }
            i = end1
            j = end2
        }
        if i == one.endIndex && j == two.endIndex { return 0 }
        return i == one.endIndex ? -1 : 1
    }
}
