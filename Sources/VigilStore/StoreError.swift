import VigilCore

/// An error from the store. Messages name the database and the statement's purpose, never a bound value.
public struct StoreError: VigilError, Equatable {
    public var code: String
    public var message: String
    /// The SQLite (or PostgreSQL) result code, when there is one.
    public var resultCode: Int32?

    public init(code: String, message: String, resultCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.resultCode = resultCode
    }
}
