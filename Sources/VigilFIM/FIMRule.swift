import VigilSystem

/// One watched path of a configuration: what to check there and how deep.
public struct FIMRule: Sendable, Hashable {
    public var path: BytePath
    /// The attributes checked for every entry under `path`.
    public var checks: AttributeSet
    /// The group's text as configured (`all`, `permissions+sha256`), for display.
    public var groupName: String
    /// How many directory levels below `path` are recorded (0: only the path itself); nil for no limit.
    public var depth: Int?
    /// Glob patterns (`fnmatch`): with a `/` matched against the whole path, otherwise against the name.
    public var exclude: [String]
    /// Reads of anything under this path are reported in real time (`vigil fim watch`).
    public var sensitive: Bool

    public init(
        path: BytePath, checks: AttributeSet, groupName: String, depth: Int? = nil, exclude: [String] = [],
        sensitive: Bool = false
    ) {
        self.path = path
        self.checks = checks
        self.groupName = groupName
        self.depth = depth
        self.exclude = exclude
        self.sensitive = sensitive
    }
}
