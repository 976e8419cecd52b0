import Foundation
import Testing
import VigilStore

@Suite struct SQLiteDatabaseTests {
    @Test func createsTheFileInWALModeWithForeignKeys() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("new.db")
        #expect(!FileManager.default.fileExists(atPath: path))
        let db = try SQLiteDatabase(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(db.path == path)
        #expect(try db.scalar("PRAGMA journal_mode")?.string == "wal")
        #expect(try db.scalar("PRAGMA foreign_keys")?.int64 == 1)
        #expect(try db.userVersion == 0)
    }

    @Test func createFalseRefusesAMissingFileNamingThePath() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("absent.db")
        let error = #expect(throws: StoreError.self) { try SQLiteDatabase(path: path, create: false) }
        #expect(error?.code == "sqlite.open")
        #expect(error?.message.contains(path) == true)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aDirectoryThatDoesNotExistIsAClearError() throws {
        let path = "/nonexistent-vigil-dir/sub/x.db"
        let error = #expect(throws: StoreError.self) { try SQLiteDatabase(path: path) }
        #expect(error?.code == "sqlite.open")
        #expect(error?.message.contains(path) == true)
    }

    /// Files that are not databases: garbage of several sizes, text, a truncated real header.
    static let notDatabases: [String: [UInt8]] = [
        "garbage-4k": (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) },
        "garbage-100": (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) },
        "text": Array(String(repeating: "hello, this is not a database\n", count: 40).utf8),
        "header-then-noise": Array("SQLite format 3\0".utf8) + [UInt8](repeating: 0xFF, count: 1000),
    ]

    @Test(arguments: notDatabases.keys.sorted())
    func aFileThatIsNotADatabaseIsRefusedNamingThePathAndLeftAlone(name: String) throws {
        let bytes = try #require(Self.notDatabases[name])
        let dir = try TemporaryDirectory()
        let path = dir.path("\(name).db")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try SQLiteDatabase(path: path) }
        #expect(error?.code == "sqlite.not-a-database")
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("not a Vigil database") == true)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
    }

    /// Every kind of value, bound and read back unchanged.
    static let values: [SQLiteValue] = [
        .null,
        .integer(0), .integer(-1), .integer(Int64.max), .integer(Int64.min),
        .real(0.5), .real(-1.25e300), .real(Double.leastNonzeroMagnitude), .real(Double.infinity),
        .text(""), .text("plain"), .text("a\u{0}b\u{0}"), .text("héllo wörld — 日本語 🛡️"),
        .text("'; DROP TABLE t; --"), .text("Robert'); DROP TABLE Students;--"), .text("\" OR 1=1 --"),
        .text("?1 ?2 :name @x $y"), .text(String(repeating: "x", count: 5000)),
        .blob([]), .blob([0]), .blob([0, 1, 2, 255, 0]), .blob((0..<256).map { UInt8($0) }),
    ]

    static func kind(_ value: SQLiteValue) -> String {
        switch value {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
    }

    @Test(arguments: values)
    func bindsAndReadsBackEveryValueKind(value: SQLiteValue) throws {
        let db = try SQLiteDatabase.inMemory()
        try db.execute("CREATE TABLE t (v)")
        #expect(try db.run("INSERT INTO t (v) VALUES (?)", [value]) == 1)
        let rows = try db.query("SELECT v, typeof(v) FROM t")
        #expect(rows.count == 1)
        #expect(rows.first?[0] == value)
        // The stored type is the bound one: an empty blob or text is not NULL.
        #expect(rows.first?[1] == .text(Self.kind(value)))
        // And the value compares equal inside SQLite too (a parameter and the stored value).
        #expect(try db.scalar("SELECT count(*) FROM t WHERE v IS ?", [value])?.int64 == 1)
    }

    @Test func swiftTypesBindAsTheirSQLiteKinds() throws {
        let db = try SQLiteDatabase.inMemory()
        let optionalNil: String? = nil
        let bindings: [any SQLiteBindable] = [
            42, Int64(-7), Int32(9), UInt32.max, true, false, 2.5, "text", [UInt8]([1, 2]), optionalNil,
            Optional("x"),
        ]
        let placeholders = Array(repeating: "?", count: bindings.count).joined(separator: ", ")
        let row = try db.query("SELECT \(placeholders)", bindings).first
        #expect(
            row == [
                .integer(42), .integer(-7), .integer(9), .integer(4_294_967_295), .integer(1), .integer(0), .real(2.5),
                .text("text"), .blob([1, 2]), .null, .text("x"),
            ])
    }

    @Test func sqlLookingStringsAreStoredVerbatimAndRunNothing() throws {
        let db = try SQLiteDatabase.inMemory()
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        let attacks = [
            "'; DROP TABLE t; --", "x'); DELETE FROM t; --", "1 OR 1=1", "\"; ATTACH DATABASE '/tmp/x' AS y; --",
        ]
        for attack in attacks { try db.run("INSERT INTO t (v) VALUES (?)", [attack]) }
        let stored = try db.query("SELECT v FROM t ORDER BY id").map { $0[0].string }
        #expect(stored == attacks)
        #expect(try db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 't'")?.int64 == 1)
    }

    @Test func transactionCommitsAndReturnsTheResult() throws {
        let db = try SQLiteDatabase.inMemory()
        try db.execute("CREATE TABLE t (v INTEGER)")
        let result = try db.transaction { () -> Int in
            try db.run("INSERT INTO t VALUES (1)")
            try db.run("INSERT INTO t VALUES (2)")
            return 7
        }
        #expect(result == 7)
        #expect(try db.scalar("SELECT sum(v) FROM t")?.int64 == 3)
    }

    struct Boom: Error, Equatable {}

    @Test func transactionRollsBackWhenTheBodyThrows() throws {
        let db = try SQLiteDatabase.inMemory()
        try db.execute("CREATE TABLE t (v INTEGER)")
        try db.run("INSERT INTO t VALUES (1)")
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                try db.run("DELETE FROM t WHERE v = 1")
                throw Boom()
            }
        }
        #expect(try db.query("SELECT v FROM t") == [[.integer(1)]])
        // The connection is usable for another transaction afterwards.
        _ = try db.transaction { try db.run("INSERT INTO t VALUES (3)") }
        #expect(try db.scalar("SELECT count(*) FROM t")?.int64 == 2)
    }

    @Test func transactionRollsBackWhenAStatementFails() throws {
        let db = try SQLiteDatabase.inMemory()
        try db.execute("CREATE TABLE t (v INTEGER UNIQUE)")
        let error = #expect(throws: StoreError.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                try db.run("INSERT INTO t VALUES (1)")
            }
        }
        #expect(error?.code == "sqlite.constraint")
        #expect(try db.scalar("SELECT count(*) FROM t")?.int64 == 0)
    }

    @Test func errorsNameTheStatementButNeverABoundValue() throws {
        let db = try SQLiteDatabase.inMemory()
        try db.execute("CREATE TABLE t (v TEXT UNIQUE)")
        try db.run("INSERT INTO t VALUES (?)", ["s3cr3t-value"])
        let error = #expect(throws: StoreError.self) { try db.run("INSERT INTO t VALUES (?)", ["s3cr3t-value"]) }
        #expect(error?.message.contains("INSERT INTO t") == true)
        #expect(error?.message.contains("s3cr3t") == false)
        let syntax = #expect(throws: StoreError.self) { try db.execute("SELEC nonsense") }
        #expect(syntax?.code == "sqlite.error")
    }

    @Test func preparedStatementsAreReusable() throws {
        let db = try SQLiteDatabase.inMemory()
        try db.execute("CREATE TABLE t (a INTEGER, b TEXT)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?)", persistent: true)
        for i in 0..<100 { try insert.run([i, "row \(i)"]) }
        #expect(try db.scalar("SELECT count(*) FROM t")?.int64 == 100)
        #expect(try db.scalar("SELECT b FROM t WHERE a = 42")?.string == "row 42")
        let select = try db.prepare("SELECT a, b FROM t WHERE a < ? ORDER BY a")
        try select.bind([3])
        var rows: [[SQLiteValue]] = []
        while try select.step() { rows.append(select.row()) }
        #expect(
            rows == [[.integer(0), .text("row 0")], [.integer(1), .text("row 1")], [.integer(2), .text("row 2")]])
        #expect(select.columnCount == 2)
        #expect(db.lastInsertRowID == 100)
    }

    @Test func aReadOnlyConnectionCannotWrite() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("ro.db")
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("CREATE TABLE t (v)")
        }
        let ro = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try ro.scalar("SELECT count(*) FROM t")?.int64 == 0)
        let error = #expect(throws: StoreError.self) { try ro.execute("INSERT INTO t VALUES (1)") }
        #expect(error?.code == "sqlite.readonly")
    }
}
