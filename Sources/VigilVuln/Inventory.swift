/// The packages installed on one host or image, with what could not be read.
public struct Inventory: Sendable, Hashable {
    public var os: OSRelease?
    public var packages: [InstalledPackage]
    /// Records that were skipped, each naming its file and record.
    public var problems: [VulnError]

    public init(os: OSRelease? = nil, packages: [InstalledPackage] = [], problems: [VulnError] = []) {
        self.os = os
        self.packages = packages
        self.problems = problems
    }
}
