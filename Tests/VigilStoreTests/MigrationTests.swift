import Foundation
import Testing
import VigilStore

@Suite struct MigrationTests {
    static let three: [Migration] = [
        Migration(version: 1, name: "create", sql: "CREATE TABLE log (step INTEGER, note TEXT)"),
        Migration(
            version: 2, name: "add column",
            sql: "ALTER TABLE log ADD COLUMN extra TEXT; INSERT INTO log VALUES (2, 'two', NULL)"),
        Migration(version: 3, name: "third", sql: "INSERT INTO log (step, note) VALUES (3, 'three')"),
    ]

    @Test func appliesMigrationsInOrderAndRecordsTheVersion() throws {
        let db = try SQLiteDatabase.inMemory()
        try db.migrate(Self.three)
        #expect(try db.userVersion == 3)
        #expect(
            try db.query("SELECT step, note FROM log ORDER BY rowid") == [
                [.integer(2), .text("two")], [.integer(3), .text("three")],
            ])
        // Running again applies nothing.
        try db.migrate(Self.three)
        #expect(try db.scalar("SELECT count(*) FROM log")?.int64 == 2)
    }

    @Test func appliesOnlyTheNewMigrationsOnReopen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.db")
        do {
            let db = try SQLiteDatabase(path: path)
            try db.migrate(Array(Self.three.prefix(1)))
            #expect(try db.userVersion == 1)
            try db.run("INSERT INTO log (step, note) VALUES (1, 'one')")
        }
        let db = try SQLiteDatabase(path: path)
        try db.migrate(Self.three)
        #expect(try db.userVersion == 3)
        #expect(try db.query("SELECT step FROM log ORDER BY rowid") == [[.integer(1)], [.integer(2)], [.integer(3)]])
    }

    @Test func aDatabaseFromANewerSchemaIsRefusedAndLeftByteIdentical() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("newer.db")
        do {
            let db = try SQLiteDatabase(path: path)
            try db.migrate(Self.three)
            try db.execute("PRAGMA user_version = 9")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted()
        do {
            let db = try SQLiteDatabase(path: path)
            let error = #expect(throws: StoreError.self) { try db.migrate(Self.three, what: "test store") }
            #expect(error?.code == "store.newer-schema")
            #expect(error?.message.contains(path) == true)
            #expect(error?.message.contains("9") == true)
            #expect(try db.userVersion == 9)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == files)
    }

    @Test func theEventStoreRefusesANewerSchemaToo() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("events.db")
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("PRAGMA user_version = \(SQLiteEventStore.migrations.count + 1)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try SQLiteEventStore(path: path) }
        #expect(error?.code == "store.newer-schema")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aFailingMigrationIsRolledBackAndNamed() throws {
        let db = try SQLiteDatabase.inMemory()
        let broken = [
            Self.three[0],
            Migration(
                version: 2, name: "half done",
                sql: "CREATE TABLE half (v); INSERT INTO half VALUES (1); INSERT INTO no_such_table VALUES (1)"),
        ]
        let error = #expect(throws: StoreError.self) { try db.migrate(broken) }
        #expect(error?.message.contains("migration 2 (half done)") == true)
        #expect(error?.code == "sqlite.error")
        #expect(try db.userVersion == 1)
        #expect(try db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'half'")?.int64 == 0)
        #expect(try db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'log'")?.int64 == 1)
        // A fixed migration 2 then applies.
        try db.migrate(Self.three)
        #expect(try db.userVersion == 3)
    }
}
