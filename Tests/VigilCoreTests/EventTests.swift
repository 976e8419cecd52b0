import Foundation
import Testing
import VigilCore
import VigilTestSupport

@Suite struct EventTests {
    /// One process launch with every object filled in.
    static let full = Event(
        id: "a1b2c3d4-0001", classUID: .processActivity, activityID: Activity.Process.launch,
        time: 1_700_000_000_123, severityID: .medium, statusID: 1, message: "sudo launched by alice",
        metadata: EventMetadata(
            product: Product(name: "Vigil", vendorName: "Vigil", version: "0.1.0"), version: "1.1.0", sequence: 42,
            logName: "audit"),
        device: Device(hostname: "web-01", uid: "4c4c4544-0042", os: "Debian 12", ip: "10.0.0.5"),
        actor: Actor(
            user: User(uid: "1000", name: "alice"),
            process: Process(pid: 4242, name: "bash", cmdLine: "-bash", file: FileObject(path: "/usr/bin/bash")),
            session: Session(uid: "7", terminal: "pts/0")),
        process: Process(
            pid: 4300, name: "sudo", cmdLine: "sudo cat /etc/shadow",
            file: FileObject(
                path: "/usr/bin/sudo", type: "Regular File", size: 232_416, mode: "4755",
                owner: User(uid: "0", name: "root"), modifiedTime: 1_690_000_000_000,
                hashes: [FileHash(algorithm: "SHA-256", value: String(repeating: "ab", count: 32))]),
            cwd: "/home/alice", user: User(uid: "1000", name: "alice"), effectiveUser: User(uid: "0", name: "root"),
            loginUser: User(uid: "1000", name: "alice"), session: Session(uid: "7", terminal: "pts/0"),
            tty: "pts/0",
            parentProcess: ParentProcess(
                pid: 4242, name: "bash", cmdLine: "-bash", file: FileObject(path: "/usr/bin/bash"),
                user: User(uid: "1000", name: "alice")),
            lineage: ["/usr/bin/bash", "/usr/sbin/sshd", "/usr/lib/systemd/systemd"], createdTime: 1_700_000_000_100),
        file: FileObject(path: "/etc/shadow"),
        srcEndpoint: Endpoint(ip: "192.0.2.10", port: 52_144, hostname: "laptop"),
        dstEndpoint: Endpoint(ip: "10.0.0.5", port: 22),
        user: User(uid: "0", name: "root"),
        unmapped: ["key": "privileged", "a0": "7ffd", "exe": "/usr/bin/sudo"],
        rawData: "type=SYSCALL msg=audit(1700000000.123:99): syscall=59 success=yes")

    @Test func goldenFullEvent() throws {
        let encoded = String(decoding: try JSON.encoder(pretty: true).encode(Self.full), as: UTF8.self) + "\n"
        let url = Fixtures.url("event-full.json")
        if ProcessInfo.processInfo.environment["VIGIL_RECORD"] == "1" {
            try Data(encoded.utf8).write(to: url)
            Issue.record("VIGIL_RECORD=1: rewrote \(url.path); run again without it to test")
            return
        }
        let golden = try Fixtures.string("event-full.json")
        #expect(encoded == golden)
        #expect(try JSON.decoder().decode(Event.self, from: Data(golden.utf8)) == Self.full)
    }

    @Test func roundTripCompactLine() throws {
        let line = try JSON.line(Self.full)
        #expect(!line.contains("\n"))
        #expect(!line.contains("\\/"))
        #expect(try JSON.decoder().decode(Event.self, from: Data(line.utf8)) == Self.full)
        // Sorted keys: the same event always encodes to the same bytes.
        #expect(try JSON.line(Self.full) == line)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let order = try topLevelKeyOrder(line)
        #expect(order == order.sorted())
        #expect(Set(order) == Set(object.keys))
    }

    @Test(
        "OCSF key names",
        arguments: [
            "class_uid", "activity_id", "type_uid", "time", "severity_id", "status_id", "message", "metadata.uid",
            "metadata.log_name", "metadata.sequence", "metadata.version", "metadata.product.vendor_name",
            "metadata.product.name", "device.hostname", "device.uid", "actor.user.name", "actor.session.terminal",
            "actor.process.cmd_line", "process.cmd_line", "process.pid", "process.parent_process.pid",
            "process.parent_process.cmd_line", "process.effective_user.uid", "process.login_user.name",
            "process.created_time", "process.lineage", "process.file.path", "process.file.modified_time",
            "process.file.hashes", "file.path", "file.name", "src_endpoint.ip", "dst_endpoint.port", "user.name",
            "unmapped.key", "raw_data",
        ])
    func ocsfKey(path: String) throws {
        let object = try JSONSerialization.jsonObject(with: JSON.encoder().encode(Self.full))
        var current: Any? = object
        for component in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(component)]
        }
        #expect(current != nil, "\(path) missing from the JSON")
    }

    @Test func derivedAndNumericValues() throws {
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSON.encoder().encode(Self.full)) as? [String: Any])
        #expect(object["class_uid"] as? Int == 1007)
        #expect(object["activity_id"] as? Int == 1)
        #expect(object["type_uid"] as? Int == 100_701)
        #expect(object["severity_id"] as? Int == 3)
        #expect(object["time"] as? Int64 == 1_700_000_000_123)
        #expect((object["metadata"] as? [String: Any])?["uid"] as? String == "a1b2c3d4-0001")
        #expect((object["file"] as? [String: Any])?["name"] as? String == "shadow")
        #expect(Self.full.typeUID == 100_701)
    }

    @Test func noCamelCaseOrSwiftNamesLeak() throws {
        let line = try JSON.line(Self.full)
        for swiftName in [
            "classUID", "activityID", "typeUID", "severityID", "statusID", "cmdLine", "parentProcess", "logName",
            "srcEndpoint", "dstEndpoint", "rawData", "effectiveUser", "loginUser", "createdTime", "modifiedTime",
            "vendorName", "\"id\"",
        ] {
            #expect(!line.contains(swiftName), "\(swiftName) in \(line)")
        }
    }

    @Test func absentOptionalsAreOmitted() throws {
        let minimal = Event(
            id: "e1", classUID: .fileSystemActivity, activityID: Activity.File.update, time: 5,
            metadata: EventMetadata())
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSON.encoder().encode(minimal)) as? [String: Any])
        #expect(Set(object.keys) == ["class_uid", "activity_id", "type_uid", "time", "severity_id", "metadata"])
        #expect(object["severity_id"] as? Int == 1)
        #expect(try JSON.decoder().decode(Event.self, from: JSON.encoder().encode(minimal)) == minimal)
    }

    @Test(
        "decoding is tolerant of missing optionals and unknown keys",
        arguments: [
            #"{"metadata":{"uid":"e1","product":{"name":"x","vendor_name":"y","version":"1"},"version":"1.1.0"},"class_uid":1007,"activity_id":1,"time":7}"#,
            #"{"uid":"e1","metadata":{"product":{"name":"x","vendor_name":"y","version":"1"},"version":"1.1.0"},"class_uid":1007,"activity_id":1,"time":7}"#,
            #"{"metadata":{"uid":"e1","product":{"name":"x","vendor_name":"y","version":"1"},"version":"1.1.0","future":1},"class_uid":1007,"activity_id":1,"time":7,"type_uid":100701,"observables":[],"process":{}}"#,
        ])
    func tolerantDecoding(json: String) throws {
        let event = try JSON.decoder().decode(Event.self, from: Data(json.utf8))
        #expect(event.id == "e1")
        #expect(event.classUID == .processActivity)
        #expect(event.severityID == .informational)
        #expect(event.time == 7)
        #expect(event.device == nil && event.actor == nil && event.user == nil && event.unmapped == nil)
    }

    @Test(
        "decoding rejects events missing what they cannot do without",
        arguments: [
            #"{"class_uid":1007,"activity_id":1,"time":7,"metadata":{"product":{"name":"x","vendor_name":"y","version":"1"},"version":"1"}}"#,
            #"{"metadata":{"uid":"e1","product":{"name":"x","vendor_name":"y","version":"1"},"version":"1"},"activity_id":1,"time":7}"#,
            #"{"metadata":{"uid":"e1","product":{"name":"x","vendor_name":"y","version":"1"},"version":"1"},"class_uid":1007,"activity_id":1,"time":"soon"}"#,
            #"{"uid":"e1","class_uid":1007,"activity_id":1,"time":7}"#,
            "[]", "", "{",
        ])
    func rejectedDecoding(json: String) {
        #expect(throws: (any Error).self) { try JSON.decoder().decode(Event.self, from: Data(json.utf8)) }
    }

    @Test func fileObjectNameComesFromThePath() {
        #expect(FileObject(path: "/usr/bin/sudo").name == "sudo")
        #expect(FileObject(path: "/etc/").name == "etc")
        #expect(FileObject(path: "/etc/x", name: "given").name == "given")
        #expect(FileObject().name == nil)
    }

    /// The top-level keys of a compact JSON object, in the order they appear.
    private func topLevelKeyOrder(_ json: String) throws -> [String] {
        var keys: [String] = []
        var depth = 0
        var inString = false
        var escaped = false
        var current = ""
        var expectingKey = false
        for character in json {
            if inString {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                    if expectingKey { keys.append(current) }
                    expectingKey = false
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case "\"":
                inString = true
                current = ""
            case "{", "[":
                depth += 1
                if depth == 1 { expectingKey = true }
            case "}", "]": depth -= 1
            case ",": if depth == 1 { expectingKey = true }
            case ":": expectingKey = false
            default: break
            }
        }
        return keys
    }
}
