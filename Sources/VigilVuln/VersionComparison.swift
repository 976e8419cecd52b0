/// The verdict of comparing two package versions under one scheme.
public enum VersionComparison: Sendable, Hashable {
    case less
    case equal
    case greater
    /// One side is not a version the scheme accepts; `problem` says which and why.
    case invalid(problem: String)

    /// The verdict as the corpora and `vigil vuln compare` print it: `<`, `=`, `>` or `!`.
    public var symbol: String {
        switch self {
        case .less: "<"
        case .equal: "="
        case .greater: ">"
        case .invalid: "!"
        }
    }

    init(sign: Int) {
        self = sign < 0 ? .less : (sign > 0 ? .greater : .equal)
    }
}
