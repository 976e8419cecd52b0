import VigilCore

/// A YAML document that could not be read, with file:line:column.
public struct YAMLError: VigilError, Equatable {
    public var code: String
    public var message: String
    public var file: String?
    public var mark: YAMLMark?

    public init(code: String, message: String, file: String? = nil, mark: YAMLMark? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.mark = mark
    }

    public var location: ErrorLocation? {
        ErrorLocation(file: file ?? "<input>", line: mark?.line, column: mark?.column)
    }
}
