import VigilCore

/// What went wrong reading an inventory or advisory data, where, and how to fix it.
public struct VulnError: VigilError, Hashable {
    public var code: String
    public var message: String
    public var location: ErrorLocation?

    public init(code: String, message: String, location: ErrorLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    /// A record that could not be read, named by its file and record (package, advisory id or line).
    static func record(
        _ code: String, _ message: String, file: String, line: Int? = nil, field: String? = nil
    )
        -> VulnError
    {
        VulnError(code: code, message: message, location: ErrorLocation(file: file, line: line, field: field))
    }
}
