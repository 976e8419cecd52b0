import VigilCore

/// Everything that goes wrong in file integrity monitoring: configuration, baseline storage, scans.
public struct FIMError: VigilError, Equatable {
    /// A short stable identifier: `config.unknown-key`, `baseline.newer-format`…
    public var code: String
    public var message: String
    public var location: ErrorLocation?

    public init(code: String, message: String, location: ErrorLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    static func config(
        _ code: String, _ message: String, file: String?, line: Int?, column: Int?, key: String
    )
        -> FIMError
    {
        FIMError(
            code: "config.\(code)", message: message,
            location: ErrorLocation(file: file ?? "<config>", line: line, column: column, field: key))
    }
}
