import Foundation
import Testing
import VigilCore
import VigilFIM
import VigilStore
import VigilSystem
import VigilTestSupport

@Suite struct BaselineStoreTests {
    func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func recordsRoundTripExactly() throws {
        let tree = try TestTree()
        try tree.write("plain", "x")
        try tree.write(tree.root.appending([0x6E, 0x0A, 0xFF]), Array("odd".utf8))
        try ExtendedAttributes.set("user.k", [0, 1, 2], path: tree.path("plain"))
        try ExtendedAttributes.set("system.posix_acl_access", sampleACL, path: tree.path("plain"))
        try tree.symlink("plain", "link")
        let scan = tree.scan()
        let store = try BaselineStore(path: tree.path("db.sqlite").description, create: true)
        let info = BaselineInfo(created: 42, configYAML: FIMConfig.watching([tree.root]).yaml, writer: "test")
        try store.replace(with: scan.records, info: info)
        let back = try store.records()
        #expect(back == scan.records)
        #expect(try store.info() == info)
        let plain = try #require(back.first { $0.path == tree.path("plain") })
        #expect(plain.xattrs == [ExtendedAttributes.Attribute(name: "user.k", value: [0, 1, 2])])
        #expect(plain.acl?.count == 1)
        #expect(try FIMConfig.load(yaml: info.configYAML) == FIMConfig.watching([tree.root]))
    }

    @Test func configRendersBackToTheSameValue() throws {
        var config = FIMConfig.linuxDefault
        config.rules.append(
            FIMRule(path: BytePath(bytes: Array("/it's\n".utf8) + [0xFF]), checks: AttributeGroup.log, groupName: "log")
        )
        #expect(try FIMConfig.load(yaml: config.yaml) == config)
    }

    @Test func aNewerFormatIsRefusedAndLeftUntouched() throws {
        let tree = try TestTree()
        let path = tree.path("newer.sqlite").description
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("CREATE TABLE future (x); PRAGMA user_version = 99")
        }
        let before = bytes(path)
        #expect(throws: FIMError.self) { try BaselineStore(path: path, create: true) }
        do {
            _ = try BaselineStore(path: path, create: false)
        } catch let error as FIMError {
            #expect(error.code == "baseline.newer-format")
            #expect(error.message.contains("99"))
        }
        #expect(bytes(path) == before)
    }

    @Test(arguments: ["garbage", "other-sqlite", "missing", "empty-dir"])
    func unreadableBaselinesAreClearErrors(_ kind: String) throws {
        let tree = try TestTree()
        let path = tree.path("db").description
        switch kind {
        case "garbage": try tree.write("db", String(repeating: "not a database\n", count: 100))
        case "other-sqlite": try SQLiteDatabase(path: path).execute("CREATE TABLE mine (x)")
        case "empty-dir": try tree.mkdir("db")
        default: break
        }
        let before = bytes(path)
        do {
            _ = try BaselineStore(path: path, create: kind != "missing")
            Issue.record("\(kind) was accepted")
        } catch let error as FIMError {
            #expect(error.code == "baseline.unreadable", "\(error)")
            #expect(error.location?.file == path)
        }
        #expect(bytes(path) == before)
    }

    @Test func sessionInitCheckUpdate() throws {
        let tree = try TestTree()
        try tree.mkdir("w")
        try tree.write("w/a", "a")
        try tree.write("w/b", "b")
        let clock = FakeClock()
        let dbPath = tree.path("fim.sqlite").description
        let session = FIMSession(store: try BaselineStore(path: dbPath, create: true), clock: clock, threads: 2)
        let first = try session.initialize(config: .watching([tree.path("w")]))
        #expect(first.records.count == 3)
        #expect(throws: FIMError.self) { try session.initialize(config: .watching([tree.path("w")])) }

        for mode in [FIMSession.Mode.full, .fast] { #expect(try session.check(mode: mode).report.exitCode == 0) }
        try tree.write("w/c", "c")
        try tree.unlink("w/b")
        try tree.write("w/a", "changed")
        let outcome = try session.check(mode: .fast)
        #expect(outcome.report.exitCode == 7)
        #expect(outcome.scan.hashedFiles == 2)  // a and c; nothing else read

        clock.advance(by: 1000)
        let (updated, event) = try session.update(mode: .full, hostname: "h")
        #expect(updated.report.exitCode == 7)
        #expect(event.message?.contains("1 added, 1 removed, 1 changed") == true)
        #expect(event.time == clock.nowMilliseconds())
        #expect(try session.check(mode: .full).report.exitCode == 0)
        #expect(try session.store.historyCount() == 7)
        // A reopened store reads the same baseline.
        let reopened = FIMSession(store: try BaselineStore(path: dbPath, create: false), clock: clock, threads: 1)
        #expect(try reopened.check(mode: .fast).report.changes.isEmpty)
    }

    @Test func checkWithoutABaselineSaysRunInit() throws {
        let tree = try TestTree()
        let session = FIMSession(
            store: try BaselineStore(path: tree.path("x.sqlite").description, create: true), clock: FakeClock())
        #expect {
            try session.check(mode: .full)
        } throws: { ($0 as? FIMError)?.code == "baseline.missing" }
    }
}
