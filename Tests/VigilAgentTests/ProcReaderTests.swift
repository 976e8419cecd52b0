import Foundation
import Testing
import VigilAgent
import VigilTestSupport

@Suite struct ProcReaderTests {
    struct StatCase: Decodable, Sendable, CustomTestStringConvertible {
        var line: String
        var name: String
        var ppid: Int
        var start: UInt64
        var testDescription: String { "(\(name))" }
    }

    static let statCases: [StatCase] = {
        (try? JSONDecoder().decode([StatCase].self, from: Fixtures.data("stat-lines.json"))) ?? []
    }()

    @Test func theFixtureLoads() { #expect(Self.statCases.count == 6) }

    @Test(arguments: statCases)
    func parseStatCountsFieldsFromTheLastParenthesis(_ c: StatCase) throws {
        let parsed = try #require(ProcReader.parseStat(c.line))
        #expect(parsed.name == c.name)
        #expect(parsed.ppid == c.ppid)
        #expect(parsed.startTicks == c.start)
        // A trailing newline, as read from the file, changes nothing.
        #expect(ProcReader.parseStat(c.line + "\n")?.startTicks == c.start)
    }

    @Test(arguments: [
        "", "garbage", "1 (x", "1 x) S 1", ") (", "1 (x) S", "1 (x) S notanumber 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
        "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 1",
        "\u{0}\u{1}\u{2}(\u{3})\u{4}",
    ])
    func parseStatRefusesMalformedLines(line: String) {
        #expect(ProcReader.parseStat(line) == nil)
    }

    @Test(arguments: [
        ("Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n", 1000, 1000),
        ("Name:\tsudo\nUid:\t1000\t0\t0\t0\n", 1000, 0),
        ("Uid: 0 0 0 0", 0, 0),
        ("Name:\tx\n", -1, -1),
        ("", -1, -1),
        ("Uid:\tabc\tdef\n", -1, -1),
        ("Uid:\t5\n", -1, -1),
    ])
    func parseStatusIDs(text: String, uid: Int, euid: Int) {
        let ids = ProcReader.parseStatusIDs(text)
        #expect(ids.uid == uid)
        #expect(ids.euid == euid)
    }

    @Test(arguments: [
        ([UInt8](), [String]()),
        ([0], []),
        ([0, 0, 0], []),
        (Array("ls\0-la\0/tmp\0".utf8), ["ls", "-la", "/tmp"]),
        (Array("ls\0-la\0/tmp".utf8), ["ls", "-la", "/tmp"]),
        (Array("sh\0\0-c\0\0\0".utf8), ["sh", "", "-c"]),
        (Array("nginx: worker process".utf8) + [0, 0, 0, 0], ["nginx: worker process"]),
        ([0x63, 0x61, 0x74, 0, 0xFF, 0xFE, 0x41, 0], ["cat", "\u{FFFD}\u{FFFD}A"]),
        ([0x65, 0x63, 0x68, 0x6F, 0, 0xC3, 0], ["echo", "\u{FFFD}"]),
        (Array("héllo\0wörld\0".utf8), ["héllo", "wörld"]),
    ])
    func parseCmdline(bytes: [UInt8], expected: [String]) {
        #expect(ProcReader.parseCmdline(bytes) == expected)
    }

    @Test func readsThisProcessFromTheRealProc() throws {
        let reader = ProcReader()
        let pid = Int(getpid())
        #expect(reader.pids().contains(pid))
        let entry = try #require(reader.entry(pid: pid))
        #expect(entry.pid == pid)
        #expect(entry.ppid == Int(getppid()))
        #expect(entry.uid == Int(getuid()))
        #expect(entry.executable?.isEmpty == false)
        #expect(!entry.arguments.isEmpty)
        #expect(reader.bootTime() ?? 0 > 1_000_000_000)
        #expect(reader.entry(pid: Int(Int32.max)) == nil)
    }

    @Test func aMissingProcRootHasNoProcesses() {
        let reader = ProcReader(root: "/nonexistent-vigil-proc")
        #expect(reader.pids().isEmpty)
        #expect(reader.entry(pid: 1) == nil)
        #expect(reader.bootTime() == nil)
    }

    @Test func userDirectoryParsesPasswd() throws {
        let users = UserDirectory(passwd: try Fixtures.string("passwd"))
        #expect(users.name(0) == "root")
        #expect(users.name(33) == "www-data")
        #expect(users.name(1000) == "alice")
        #expect(users.name(1001) == "bob")
        #expect(users.name(65534) == "nobody")
        #expect(users.name(4242) == nil)
        #expect(users.user(1000).uid == "1000")
        #expect(users.user(1000).name == "alice")
        #expect(users.user(4242).uid == "4242")
        #expect(users.user(4242).name == nil)
    }

    @Test(arguments: ["", "\n\n", "garbage", "::::::", "\u{0}:\u{0}:\u{0}", String(repeating: "x:", count: 10_000)])
    func userDirectorySurvivesGarbage(text: String) {
        let users = UserDirectory(passwd: text)
        #expect(users.name(0) == nil)
    }

    @Test func userDirectoryLoadOfAMissingFileIsEmpty() {
        #expect(UserDirectory.load(path: "/nonexistent-vigil/passwd").name(0) == nil)
    }

    @Test func hostFactsFromAFixtureRoot() throws {
        let root = Fixtures.url("hostroot").path
        let facts = HostFacts.read(root: root)
        #expect(facts.machineID == "0123456789abcdef0123456789abcdef")
        #expect(facts.os == "Debian GNU/Linux 12 (bookworm)")
        #expect(facts.bootID == "6a1f3c2e-9d4b-4e8f-a7c1-2b3d4e5f6a7b")
        #expect(!facts.hostname.isEmpty)
        #expect(facts.device.hostname == facts.hostname)
        #expect(facts.device.uid == facts.machineID)
        #expect(facts.device.os == facts.os)
    }

    @Test func hostFactsWithNothingToReadFallBack() {
        let facts = HostFacts.read(root: "/nonexistent-vigil-root")
        #expect(facts.os == "Linux")
        #expect(facts.bootID == "unknown")
        #expect(facts.machineID == facts.hostname)
    }
}
