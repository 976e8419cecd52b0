import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilRules

/// The syslog header parser and the auth-message interpreter.
@Suite struct SyslogParserTests {
    @Test func rfc3164() throws {
        let r = try #require(
            SyslogParser.parse("<38>Jun  9 06:06:20 combo sshd(pam_unix)[19939]: check pass", year: 2005))
        #expect(r.facility == 4)
        #expect(r.severity == 6)
        #expect(r.hostname == "combo")
        #expect(r.program == "sshd")
        #expect(r.module == "pam_unix")
        #expect(r.pid == 19939)
        #expect(r.message == "check pass")
        // 2005-06-09T06:06:20Z
        #expect(r.time == 1_118_297_180_000)
    }

    @Test func rfc5424() throws {
        let line: Substring =
            #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 42 ID47 [exampleSDID@32473 iut="3" eventSource="App\]"] An application event"#
        let r = try #require(SyslogParser.parse(line, year: 1999))
        #expect(r.facility == 20)
        #expect(r.severity == 5)
        #expect(r.time == 1_065_910_455_003)
        #expect(r.hostname == "mymachine.example.com")
        #expect(r.program == "evntslog")
        #expect(r.pid == 42)
        #expect(r.message == "An application event")
        let nil5424 = try #require(SyslogParser.parse("<34>1 - - - - - -", year: 2000))
        #expect(nil5424.time == nil && nil5424.hostname == nil && nil5424.message == "")
    }

    @Test func isoTimestampFormat() throws {
        let r = try #require(
            SyslogParser.parse("2024-01-02T03:04:05.250+01:00 web1 sudo: pam_unix(sudo:session): x", year: 1999))
        let expected: Int64? = 1_704_161_045_250  // 2024-01-02T02:04:05.250Z
        #expect(r.time == expected)
        #expect(r.program == "sudo")
    }

    @Test(arguments: [
        ("", false), ("Foo 12 10:00:00 h p: m", false), ("Jan 32 10:00:00 h p: m", false),
        ("Jan 1 25:00:00 h p: m", false), ("<999>Jan 1 10:00:00 h p: m", false), ("2024-13-01T00:00:00Z h p: m", false),
        ("<13>1 2024-01-01T00:00:00Z h a p m [unclosed", false), ("Jan  1 10:00:00 h", true),
    ])
    func malformedHeaders(line: String, parses: Bool) {
        #expect((SyslogParser.parse(Substring(line), year: 2024) != nil) == parses)
    }

    @Test func garbageNeverCrashes() throws {
        var random = SeededRandom(seed: 7)
        for length in [1, 5, 17, 200, 5000] {
            for _ in 0..<50 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                let line = String(decoding: bytes, as: UTF8.self)
                _ = try EventDecoder.decode(line.replacingOccurrences(of: "{", with: "("), number: 1, year: 2024)
            }
        }
        let huge = "Jan  1 10:00:00 host sshd[1]: " + String(repeating: "A", count: 1 << 20)
        let record = try #require(SyslogParser.parse(Substring(huge), year: 2024))
        #expect(record.message.utf8.count < SyslogParser.maxLineBytes)
        let valid = "Dec 10 06:55:48 host sshd[24200]: Failed password for root from 1.2.3.4 port 3 ssh2"
        for cut in 0...valid.count {
            _ = try EventDecoder.decode(String(valid.prefix(cut)), number: 1, year: 2024)
        }
    }

    @Test(arguments: [
        (
            "Dec 10 06:55:48 h sshd[1]: Failed password for invalid user admin from 5.6.7.8 port 4242 ssh2",
            "invalid_user", "admin", "5.6.7.8", 4242
        ),
        ("Dec 10 06:55:48 h sshd[1]: Failed publickey for bob from ::1 port 22 ssh2", "failure", "bob", "::1", 22),
        (
            "Dec 10 06:55:48 h sshd[1]: Accepted publickey for bob from 10.0.0.1 port 50000 ssh2", "success", "bob",
            "10.0.0.1", 50000
        ),
        ("Dec 10 06:55:48 h sshd[1]: Invalid user test from 9.9.9.9 port 1", "invalid_user", "test", "9.9.9.9", 1),
        (
            "Dec 10 06:55:48 h sshd[1]: error: maximum authentication attempts exceeded for root from 1.1.1.1 port 5 ssh2 [preauth]",
            "failure", "root", "1.1.1.1", 5
        ),
    ])
    func sshdMessages(line: String, result: String, user: String, ip: String, port: Int) throws {
        let event = try #require(try EventDecoder.decode(line, number: 1, year: 2024)?.1)
        #expect(event.classUID == .authentication)
        #expect(event.unmapped?["result"] == result)
        #expect(event.user?.name == user)
        #expect(event.srcEndpoint?.ip == ip)
        #expect(event.srcEndpoint?.port == port)
        #expect(event.statusID == (result == "success" ? 1 : 2))
        #expect(event.metadata.logName == "auth-log")
        #expect(event.rawData == line)
    }

    @Test func sudoSuAndAccounts() throws {
        func decode(_ line: String) throws -> Event {
            guard let decoded = try EventDecoder.decode(line, number: 1, year: 2024) else {
                throw RulesError(code: "test.empty", message: "no event from \(line)")
            }
            return decoded.1
        }
        let sudo = try decode(
            "Mar  1 10:00:00 h sudo:  alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -la")
        #expect(sudo.actor?.user?.name == "alice")
        #expect(sudo.user?.name == "root")
        #expect(sudo.unmapped?["command"] == "/bin/ls -la")
        #expect(sudo.unmapped?["pwd"] == "/home/alice")
        let su = try decode("Mar  1 10:00:00 h su[2]: FAILED SU (to root) alice on pts/0")
        #expect(su.unmapped?["result"] == "failure")
        #expect(su.user?.name == "root")
        #expect(su.actor?.user?.name == "alice")
        let add = try decode("Mar  1 10:00:00 h useradd[3]: new user: name=eve, UID=1001, GID=1001, home=/home/eve")
        #expect(add.classUID == .accountChange)
        #expect(add.activityID == Activity.AccountChange.create)
        #expect(add.user?.name == "eve")
        let pw = try decode("Mar  1 10:00:00 h passwd[4]: pam_unix(passwd:chauthtok): password changed for eve")
        #expect(pw.activityID == Activity.AccountChange.passwordChange)
        let cron = try decode("Mar  1 10:00:01 h CRON[5]: (root) CMD (/usr/local/bin/backup.sh)")
        #expect(cron.classUID == .scheduledJobActivity)
        #expect(cron.unmapped?["command"] == "/usr/local/bin/backup.sh")
        let group = try decode("Mar  1 10:00:00 h usermod[6]: add 'eve' to group 'sudo'")
        #expect(group.unmapped?["group"] == "sudo")
        #expect(group.user?.name == "eve")
    }

    @Test func auditLines() throws {
        let line =
            #"type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no comm="touch" exe="/bin/touch" key="x y""#
        let (kind, event) = try #require(try EventDecoder.decode(line, number: 1, year: 2024))
        #expect(kind == .audit)
        #expect(event.time == 1_364_481_363_243)
        #expect(event.unmapped?["exe"] == "/bin/touch")
        #expect(event.unmapped?["key"] == "x y")
        #expect(event.unmapped?["success"] == "no")
        #expect(throws: RulesError.self) { try EventDecoder.decode("{\"not\": 1}", number: 3, year: 2024) }
    }

    /// loghub's 2,000-line Linux and OpenSSH samples: every line parses, and the auth lines get their fields.
    @Test(arguments: ["auth/loghub/Linux/Linux_2k.log", "auth/loghub/OpenSSH/OpenSSH_2k.log"])
    func loghubCorpus(path: String) throws {
        guard let root = Corpora.directory("auth/loghub") else {
            print(Corpora.skipMessage("auth/loghub"))
            return
        }
        let url = root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(path)
        let text = try String(contentsOf: url, encoding: .utf8)
        var parsed = 0
        var lines = 0
        var results: [String: Int] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            lines += 1
            if SyslogParser.parse(line, year: 2005) != nil { parsed += 1 }
            if let event = try EventDecoder.decode(String(line), number: lines, year: 2005)?.1,
                let result = event.unmapped?["result"]
            {
                results[result, default: 0] += 1
            }
        }
        #expect(lines == 2000)
        #expect(parsed == lines, "every loghub line has a syslog header")
        #expect((results["failure"] ?? 0) + (results["invalid_user"] ?? 0) > 300, "\(results)")
    }
}
