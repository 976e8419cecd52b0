/// What a baseline says about itself: when it was taken, by which check, of which configuration.
public struct BaselineInfo: Sendable, Hashable {
    /// Milliseconds since the epoch.
    public var created: Int64
    /// The configuration it was taken with, as YAML (paths given on the command line are written as a
    /// configuration too), so `check` compares against the same scope.
    public var configYAML: String
    /// The Vigil version that wrote it.
    public var writer: String

    public init(created: Int64, configYAML: String, writer: String) {
        self.created = created
        self.configYAML = configYAML
        self.writer = writer
    }
}
