import Foundation
import Testing
import VigilCore
import VigilTestSupport

@Suite struct SeverityTests {
    @Test(
        "names and numbers",
        arguments: [
            (Severity.unknown, "unknown", 0), (.informational, "informational", 1), (.low, "low", 2),
            (.medium, "medium", 3), (.high, "high", 4), (.critical, "critical", 5), (.fatal, "fatal", 6),
        ])
    func names(severity: Severity, name: String, number: Int) {
        #expect(severity.name == name)
        #expect(severity.rawValue == number)
        #expect(Severity(name: name) == severity)
        #expect(Severity(name: name.uppercased()) == severity)
    }

    @Test("unknown names", arguments: ["", "info", "severe", "hi", " high"])
    func unknownName(_ name: String) {
        #expect(Severity(name: name) == nil)
    }

    @Test func ordered() {
        #expect(Severity.allCases == Severity.allCases.sorted())
        #expect(Severity.low < .high)
        #expect(!(Severity.critical < .medium))
    }
}

@Suite struct EventClassTests {
    @Test(
        "OCSF class ids",
        arguments: [
            (EventClass.processActivity, 1007, "Process Activity"),
            (.fileSystemActivity, 1001, "File System Activity"), (.authentication, 3002, "Authentication"),
            (.accountChange, 3001, "Account Change"), (.networkActivity, 4001, "Network Activity"),
            (.detectionFinding, 2004, "Detection Finding"), (.vulnerabilityFinding, 2002, "Vulnerability Finding"),
        ])
    func ids(eventClass: EventClass, uid: Int, name: String) {
        #expect(eventClass.rawValue == uid)
        #expect(eventClass.name == name)
    }

    @Test func idsAndNamesAreUnique() {
        #expect(Set(EventClass.allCases.map(\.rawValue)).count == EventClass.allCases.count)
        #expect(Set(EventClass.allCases.map(\.name)).count == EventClass.allCases.count)
    }
}

@Suite struct ErrorLocationTests {
    @Test(
        "formatting",
        arguments: [
            (ErrorLocation(file: "rules/a.yml", line: 3, column: 14), "rules/a.yml:3:14"),
            (ErrorLocation(file: "rules/a.yml", line: 3), "rules/a.yml:3"),
            (ErrorLocation(file: "rules/a.yml"), "rules/a.yml"),
            (ErrorLocation(file: "a.yml", column: 4), "a.yml"),
            (ErrorLocation(line: 3, column: 4), "line 3, column 4"),
            (ErrorLocation(line: 3), "line 3"),
            (ErrorLocation(field: "process.pid"), "field 'process.pid'"),
            (ErrorLocation(offset: 4096), "offset 4096"),
            (ErrorLocation(file: "batch.json", field: "events[3].time"), "batch.json, field 'events[3].time'"),
            (ErrorLocation(file: "seg.zst", offset: 12), "seg.zst, offset 12"),
            (ErrorLocation(), ""),
        ])
    func description(location: ErrorLocation, text: String) {
        #expect(location.description == text)
    }

    struct SampleError: VigilError {
        var code = "sample.bad"
        var message = "the value is wrong; fix it"
        var location: ErrorLocation?
    }

    @Test func vigilErrorDescription() {
        #expect(
            SampleError(location: ErrorLocation(file: "x.yml", line: 2, column: 5)).description
                == "x.yml:2:5: the value is wrong; fix it")
        #expect(SampleError(location: nil).description == "the value is wrong; fix it")
        #expect(SampleError(location: ErrorLocation()).description == "the value is wrong; fix it")
    }

    struct NoLocationError: VigilError {
        var code: String { "plain" }
        var message: String { "plain message" }
    }

    @Test func defaultLocationIsNil() {
        #expect(NoLocationError().location == nil)
        #expect(NoLocationError().description == "plain message")
    }
}

@Suite struct ClockTests {
    @Test func fakeClockDrivesNow() {
        let clock = FakeClock(milliseconds: 1_500)
        #expect(clock.now() == Date(timeIntervalSince1970: 1.5))
        clock.advance(by: 500)
        #expect(clock.nowMilliseconds() == 2_000)
        clock.set(-1_000)
        #expect(clock.now() == Date(timeIntervalSince1970: -1))
    }

    @Test func systemClockIsWallTime() {
        let before = Int64(Date().timeIntervalSince1970 * 1000) - 1
        let now = SystemClock().nowMilliseconds()
        let after = Int64(Date().timeIntervalSince1970 * 1000) + 1
        #expect(now >= before && now <= after)
    }

    @Test func jsonDoesNotEscapeSlashes() throws {
        #expect(try JSON.line(["path": "/etc/shadow"]) == #"{"path":"/etc/shadow"}"#)
        #expect(try JSON.line(["b": 1, "a": 2, "c": 3]) == #"{"a":2,"b":1,"c":3}"#)
    }
}
