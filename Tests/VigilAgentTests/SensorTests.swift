import Foundation
import Testing
import VigilCore
import VigilSystem
import VigilTestSupport

@testable import VigilAgent

@Suite struct SensorTests {
    static let host = HostFacts(hostname: "h", machineID: "m", os: "Linux", bootID: "b")

    /// A glibc `struct utmp` built field by field.
    static func utmp(
        type: Int16, pid: Int32 = 4242, line: String = "pts/0", user: String = "alice", host: String = "203.0.113.9",
        seconds: UInt32 = 1_764_787_800, ipv4: [UInt8] = [203, 0, 113, 9]
    ) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: LoginRecord.size)
        func put(_ value: UInt32, _ at: Int) { for i in 0..<4 { b[at + i] = UInt8(value >> (8 * UInt32(i)) & 0xFF) } }
        b[0] = UInt8(UInt16(bitPattern: type) & 0xFF)
        put(UInt32(bitPattern: pid), 4)
        for (i, c) in line.utf8.prefix(32).enumerated() { b[8 + i] = c }
        for (i, c) in user.utf8.prefix(32).enumerated() { b[44 + i] = c }
        for (i, c) in host.utf8.prefix(256).enumerated() { b[76 + i] = c }
        put(seconds, 340)
        put(123_000, 344)
        for (i, c) in ipv4.enumerated() { b[348 + i] = c }
        return b
    }

    @Test func utmpRecordsAreParsed() {
        let bytes = Self.utmp(type: 7) + Self.utmp(type: 8, user: "") + Array(Self.utmp(type: 7).prefix(100))
        let parsed = LoginRecord.parse(bytes)
        #expect(parsed.consumed == 2 * LoginRecord.size)
        #expect(parsed.records.count == 2)
        #expect(parsed.records[0].kind == .userProcess)
        #expect(parsed.records[0].user == "alice")
        #expect(parsed.records[0].line == "pts/0")
        #expect(parsed.records[0].address == "203.0.113.9")
        #expect(parsed.records[0].time == 1_764_787_800_123)
        #expect(parsed.records[1].kind == .deadProcess)
    }

    @Test func garbageUtmpNeverCrashesAndIsCounted() {
        var random = SeededRandom(seed: 10)
        var total = 0
        for _ in 0..<50 {
            let bytes = (0..<(LoginRecord.size * 3 + 17)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let parsed = LoginRecord.parse(bytes)
            #expect(parsed.consumed == LoginRecord.size * 3)
            #expect(parsed.records.count + parsed.malformed == 3)
            total += parsed.malformed
        }
        #expect(total > 100)  // random bytes are almost never a plausible record
        // A forged record cannot inject a line break into messages.
        let forged = LoginRecord.parse(Self.utmp(type: 7, user: "eve\nroot login"))
        #expect(forged.records.first?.user == "eve?root login")
    }

    @Test func wtmpAndBtmpAreFollowedAcrossRotation() throws {
        let dir = NSTemporaryDirectory() + "vigil-utmp-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wtmp = dir + "/wtmp"
        let btmp = dir + "/btmp"
        try Data(Self.utmp(type: 7, user: "old")).write(to: URL(fileURLWithPath: wtmp))
        let sensor = LoginRecordSensor(host: Self.host, wtmp: wtmp, btmp: btmp)
        #expect(try sensor.poll().isEmpty)  // history before start is not reported
        let handle = try #require(FileHandle(forWritingAtPath: wtmp))
        handle.seekToEndOfFile()
        handle.write(Data(Self.utmp(type: 7, user: "bob")))
        handle.closeFile()
        try Data(Self.utmp(type: 6, user: "root", host: "198.51.100.7")).write(to: URL(fileURLWithPath: btmp))
        let events = try sensor.poll()
        #expect(events.count == 2)
        #expect(events.contains { $0.user?.name == "bob" && $0.statusID == 1 && $0.classUID == .authentication })
        #expect(
            events.contains { $0.user?.name == "root" && $0.statusID == 2 && $0.message?.contains("failed") == true })
        // Rotation: the file is replaced by a shorter one.
        try Data(Self.utmp(type: 8)).write(to: URL(fileURLWithPath: wtmp))
        let after = try sensor.poll()
        #expect(after.map(\.activityID) == [Activity.Authentication.logoff])
    }

    @Test func procNetTablesAreParsedWithGarbageSkipped() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0 100 0 0 10 0
               1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 12346 1 0 100 0 0 10 0
               2: garbage
               3: ZZZZZZZZ:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
            """
        let parsed = SocketEntry.parse(text, proto: "tcp")
        #expect(parsed.entries.count == 2)
        #expect(parsed.malformed == 2)
        #expect(parsed.entries[0].localAddress == "127.0.0.1")
        #expect(parsed.entries[0].localPort == 8080)
        #expect(parsed.entries[0].listening)
        #expect(parsed.entries[1].established)
        #expect(parsed.entries[1].remotePort == 50000)
        #expect(parsed.entries[1].uid == 1000)
        let v6 = SocketEntry.parse(
            "h\n 0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 77 1",
            proto: "tcp6")
        #expect(v6.entries.first?.localAddress == "0:0:0:0:0:0:0:1")
        var random = SeededRandom(seed: 11)
        for _ in 0..<200 {
            let bytes = (0..<Int(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next() % 96 + 32) }
            _ = SocketEntry.parse("header\n" + String(decoding: bytes, as: UTF8.self), proto: "udp")
        }
    }

    @Test func clockStepsAndLostSynchronisationAreReported() throws {
        final class Box: @unchecked Sendable {
            var delta: Int64 = 1000
            var synchronised = true
        }
        let box = Box()
        let sensor = TimeSyncSensor(
            host: Self.host, clock: FakeClock(milliseconds: 1_764_787_800_000),
            read: {
                ClockState(
                    synchronised: box.synchronised, offsetMicroseconds: 12, maxErrorMicroseconds: 100,
                    estimatedErrorMicroseconds: 5, status: 0)
            }, delta: { box.delta })
        #expect(try sensor.poll().map(\.message) == ["clock synchronised (offset 12 µs)"])
        #expect(try sensor.poll().isEmpty)
        box.delta += 5000
        let stepped = try sensor.poll()
        #expect(stepped.count == 1)
        #expect(stepped.first?.unmapped?["clock.step_ms"] == "5000")
        box.synchronised = false
        #expect(try sensor.poll().first?.message?.contains("NOT synchronised") == true)
        // The real kernel call works without privilege.
        #expect(ClockState.read() != nil)
    }

    @Test func everyTextFieldOfAnEventIsRedacted() {
        let redactor = Redactor()
        var event = Event(
            id: "x", classUID: .processActivity, activityID: 1, time: 1, message: "card 4111 1111 1111 1111",
            metadata: EventMetadata(), rawData: "curl -u bob:hunter2 https://x",
        )
        event.process = VigilCore.Process(
            name: "mysql", cmdLine: "mysql -phunter2", file: FileObject(path: "/tmp/4111111111111111"),
            parentProcess: ParentProcess(cmdLine: "sshpass -p hunter2 ssh x"))
        event.unmapped = ["env": "DB_PASSWORD=hunter2"]
        event.dstEndpoint = Endpoint(hostname: "https://u:hunter2@x", path: "/p")
        let redacted = redactor.redact(event: event)
        let json = String(decoding: (try? JSON.encoder().encode(redacted)) ?? Data(), as: UTF8.self)
        #expect(!json.contains("hunter2"))
        #expect(!json.contains("4111111111111111"))
        #expect(!json.contains("4111 1111 1111 1111"))
        #expect(json.contains("411111******1111"))
    }
}
