/// One numbered schema change. Migrations run in order at open, each in its own transaction, and the
/// database's `user_version` records the last one applied.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

extension SQLiteDatabase {
    /// Applies the migrations newer than the database's `user_version`.
    /// - Throws: `StoreError` `store.newer-schema` when the database was written by a newer Vigil
    ///   (nothing is changed), or the failing migration's error (that migration is rolled back).
    public func migrate(_ migrations: [Migration], what: String = "database") throws {
        precondition(migrations.map(\.version) == Array(1...migrations.count), "migrations must be numbered 1…n")
        let current = try userVersion
        guard current <= migrations.count else {
            throw StoreError(code: "store.newer-schema",
                             message: "the \(what) \(path) has schema version \(current), newer than this vigil knows (\(migrations.count)); upgrade vigil — the file was left untouched")
        }
        for migration in migrations where migration.version > current {
            try transaction {
                do {
                    try execute(migration.sql)
                } catch let error as StoreError {
                    throw StoreError(code: error.code,
                                     message: "migration \(migration.version) (\(migration.name)): \(error.message)",
                                     resultCode: error.resultCode)
                }
                try execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}
