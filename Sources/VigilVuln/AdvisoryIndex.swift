/// Advisories indexed by release and package, ready to match inventories against.
public struct AdvisoryIndex: Sendable {
    private var byPackage: [String: [Advisory]] = [:]
    public private(set) var count = 0

    public init(_ advisories: [Advisory] = []) {
        for advisory in advisories { insert(advisory) }
    }

    public mutating func insert(_ advisory: Advisory) {
        byPackage["\(advisory.distribution)\u{0}\(advisory.package)", default: []].append(advisory)
        count += 1
    }

    /// The advisories for `package` in `distribution`.
    public func advisories(distribution: String, package: String) -> [Advisory] {
        byPackage["\(distribution)\u{0}\(package)"] ?? []
    }
}
