import VigilCore

/// What is wrong with a zip archive or a DEFLATE stream, where, and how to fix it.
///
/// `location.file` is the archive, `location.field` the entry (its name with control characters escaped),
/// `location.offset` the byte offset in the archive (or in the DEFLATE stream when there is no archive).
public struct ZipError: VigilError, Hashable {
    public var code: String
    public var message: String
    public var location: ErrorLocation?

    public init(code: String, message: String, location: ErrorLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    /// The same error placed in an archive: the file, the entry, and the stream offset moved to the archive's.
    func placed(archive: String, entry: String?, dataOffset: Int) -> ZipError {
        var error = self
        error.location = ErrorLocation(
            file: archive, field: entry, offset: (location?.offset).map { $0 + dataOffset } ?? dataOffset)
        return error
    }
}
