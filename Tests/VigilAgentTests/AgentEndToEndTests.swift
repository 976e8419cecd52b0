import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilSystem

@testable import VigilAgent

/// The built `vigil agent` against a real server on loopback (`V1TestServer`: VigilHTTP + SQLite store).
@Suite(.serialized) struct AgentEndToEndTests {
    static func tempDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "vigil-\(name)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func enrolled(_ server: V1TestServer, state: String) throws -> String {
        try Enrollment.enroll(
            server: server.url, token: server.issueToken(), pin: nil, stateDirectory: state,
            host: HostFacts.read().device)
    }

    static func status(_ pid: pid_t) -> [String: String] {
        var fields: [String: String] = [:]
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    static func logText(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    @Test func enrollmentIsOneTimeAndWritesAPrivateConfig() throws {
        let server = try V1TestServer()
        let state = Self.tempDirectory("enroll")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let token = server.issueToken()
        let path = try Enrollment.enroll(
            server: server.url, token: token, pin: nil, stateDirectory: state, host: HostFacts.read().device)
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        let config = try AgentConfig.load(path: path)
        #expect(config.server == server.url)
        #expect(throws: (any Error).self) {
            try Enrollment.enroll(
                server: server.url, token: token, pin: nil, stateDirectory: state + "/again",
                host: HostFacts.read().device)
        }
    }

    @Test func aCardNumberAndPasswordAreMaskedEndToEndAndNeverWrittenRaw() throws {
        guard getuid() == 0 else {
            print("skipped: the agent's hardening needs root (CAP_SETPCAP to drop the bounding set)")
            return
        }
        guard VigilBinary.path != nil else {
            print("skipped: the vigil executable is not built beside the tests (swift build --build-tests)")
            return
        }
        let server = try V1TestServer()
        let state = Self.tempDirectory("agent-state")
        let logs = Self.tempDirectory("agent-logs")
        defer {
            try? FileManager.default.removeItem(atPath: state)
            try? FileManager.default.removeItem(atPath: logs)
        }
        let config = try Self.enrolled(server, state: state)
        let log = logs + "/agent.log"
        let pid = try VigilBinary.spawn(
            ["agent", "--config", config, "--sensors", "proc", "--heartbeat", "30"], log: log)
        defer {
            kill(pid, SIGKILL)
            _ = VigilBinary.wait(pid, seconds: 5)
        }
        #expect(eventually(20) { Self.logText(log).contains("reporting to") })

        // The running agent is hardened on every thread.
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        #expect(!tasks.isEmpty)
        let expectedCaps = String(format: "%016llx", Hardening.mask([.dacReadSearch, .sysPtrace]))
        for task in tasks {
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)) ?? ""
            #expect(text.contains("Seccomp:\t2"), "thread \(task)")
            #expect(text.contains("NoNewPrivs:\t1"), "thread \(task)")
            #expect(text.contains("CapEff:\t\(expectedCaps)"), "thread \(task)")
            #expect(text.contains("CapBnd:\t\(expectedCaps)"), "thread \(task)")
        }

        let child = Foundation.Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "sleep 2", "4111 1111 1111 1111", "--password=hunter2"]
        try child.run()
        child.waitUntilExit()

        var stored: Event?
        #expect(
            try eventually(20) {
                stored = try server.store.recentEvents(classUID: .processActivity, limit: 500).map(\.event).first {
                    $0.process?.cmdLine?.contains("411111******1111") == true
                }
                return stored != nil
            })
        let commandLine = stored?.process?.cmdLine ?? ""
        #expect(commandLine.contains("--password=\(Redactor.mask)"))
        #expect(!commandLine.contains("hunter2"))
        #expect(stored?.metadata.sequence != nil)

        kill(pid, SIGTERM)
        #expect(VigilBinary.wait(pid, seconds: 10) != nil)
        for needle in ["4111 1111 1111 1111", "4111111111111111", "hunter2"] {
            #expect(filesContaining(needle, under: state).isEmpty, "\(needle) in the agent's state")
            #expect(filesContaining(needle, under: server.directory).isEmpty, "\(needle) in the server's database")
            #expect(filesContaining(needle, under: logs).isEmpty, "\(needle) in the agent's log")
        }
    }

    @Test func sigkillAtRandomMomentsAndAServerOutageLoseNoSequenceNumber() throws {
        guard getuid() == 0, VigilBinary.path != nil else {
            print("skipped: needs root and the built vigil executable")
            return
        }
        let server = try V1TestServer()
        let state = Self.tempDirectory("kill-state")
        let logs = Self.tempDirectory("kill-logs")
        defer {
            try? FileManager.default.removeItem(atPath: state)
            try? FileManager.default.removeItem(atPath: logs)
        }
        let config = try Self.enrolled(server, state: state)
        var random = SystemRandomNumberGenerator()
        let start = Date()
        var kills = 0
        var serverDown = false
        while Date().timeIntervalSince(start) < 20 {
            let pid = try VigilBinary.spawn(
                ["agent", "--config", config, "--sensors", "heartbeat", "--heartbeat", "0.003"],
                log: logs + "/agent.log")
            usleep(UInt32.random(in: 300_000...1_500_000, using: &random))
            kill(pid, SIGKILL)
            _ = VigilBinary.wait(pid, seconds: 5)
            kills += 1
            let elapsed = Date().timeIntervalSince(start)
            if !serverDown && elapsed > 6 && elapsed < 12 {
                server.stop()
                serverDown = true
            } else if serverDown && elapsed >= 12 {
                try server.start()
                serverDown = false
            }
        }
        if serverDown { try server.start() }
        // Drain what the last agent left in the spool, with the same shipper code, in this process.
        let agentConfig = try AgentConfig.load(path: config)
        let spool = try Spool(directory: agentConfig.spoolDirectory)
        let last = spool.nextSequence - 1
        let shipper = SpoolShipper(
            spool: spool, client: try agentConfig.client(), authorization: agentConfig.bearer,
            verifier: try agentConfig.policyVerifier(), log: { _ in })
        #expect(shipper.flush() == .drained)
        let received = server.state.withLock { $0.sequences }
        let missing = (1...max(1, last)).filter { received[$0] == nil }
        print("kill test: \(kills) SIGKILLs, \(last) events, \(received.values.filter { $0 > 1 }.count) resent")
        #expect(last > 200)
        #expect(kills >= 8)
        #expect(missing.isEmpty, "lost sequence numbers: \(missing.prefix(20))")
        #expect(try server.store.eventCount() == Int(last))
        #expect(Self.logText(logs + "/agent.log").contains("will retry"))
    }

    @Test func aTamperedPolicyInAReplyIsRejectedAndTheGoodOneKept() throws {
        let server = try V1TestServer()
        let state = Self.tempDirectory("policy")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let config = try AgentConfig.load(path: try Self.enrolled(server, state: state))
        let spool = try Spool(directory: config.spoolDirectory)
        let logged = LockedLines()
        let shipper = SpoolShipper(
            spool: spool, client: try config.client(), authorization: config.bearer,
            verifier: try config.policyVerifier(), policyPath: config.policyPath, log: logged.append)
        let event = Event(
            id: "e1", classUID: .baseEvent, activityID: 0, time: 1_764_787_800_000,
            metadata: EventMetadata(logName: "test"), device: HostFacts.read().device)
        server.state.withLock {
            $0.policy = try? server.sign(#"{"version": 1, "fim": {"watch": ["/etc"]}}"#)
        }
        try spool.append([event])
        #expect(shipper.flush() == .drained)
        #expect(shipper.policy.version == 1, "\(logged.lines)")
        #expect(logged.lines.contains("vigil agent: applied policy version 1"))
        var tampered = try server.sign(#"{"version": 2, "fim": {"watch": ["/etc"]}}"#)
        tampered.payload = Data(#"{"version": 2, "fim": {"watch": ["/"]}}"#.utf8).base64EncodedString()
        server.state.withLock { $0.policy = tampered }
        var second = event
        second.id = "e2"
        try spool.append([second])
        #expect(shipper.flush() == .drained)
        #expect(shipper.policy.version == 1)
        #expect(shipper.policy.fimWatch == ["/etc"])
        #expect(logged.lines.contains { $0.contains("policy rejected: bad signature") })
        #expect(server.state.withLock { $0.policyVersionsSeen } == [0, 1])
    }

    @Test func theSelfTestShowsEveryRefusalFromTheKernel() throws {
        guard getuid() == 0, VigilBinary.path != nil else {
            print("skipped: needs root and the built vigil executable")
            return
        }
        let state = Self.tempDirectory("selftest")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let log = state + ".log"
        defer { unlink(log) }
        let pid = try VigilBinary.spawn(["agent", "--self-test", "--state", state], log: log)
        let status = VigilBinary.wait(pid, seconds: 30)
        let output = Self.logText(log)
        #expect(status == 0, "\(output)")
        for call in ["execve", "execveat", "ptrace", "process_vm_writev", "init_module", "finit_module", "kexec_load"] {
            #expect(output.contains("ok   \(call)"), "\(call)")
        }
        #expect(output.contains("Seccomp:\t2"))
        #expect(output.contains("NoNewPrivs:\t1"))
        if case .success = Hardening.landlockABI() {
            #expect(output.contains("ok   open(/var/tmp/vigil-self-test-"))
            #expect(output.contains("[EACCES]"))
        }
        #expect(output.contains("self-test: every guarantee held"))
    }

    @Test func tlsIsPinnedToTheEnrolledCertificate() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            print("skipped: no /usr/bin/openssl to run a TLS test server")
            return
        }
        let dir = Self.tempDirectory("tls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func makeCertificate(_ name: String) throws -> [UInt8] {
            let make = Foundation.Process()
            make.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            make.arguments = [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).pem",
            ]
            make.standardError = FileHandle.nullDevice
            try make.run()
            make.waitUntilExit()
            let pem = try String(contentsOfFile: "\(dir)/\(name).pem", encoding: .utf8)
            return try #require(TLSClientSession.derFromPEM(pem))
        }
        let serverDER = try makeCertificate("server")
        let otherDER = try makeCertificate("other")
        let port = Int.random(in: 20_000...40_000)
        let tls = Foundation.Process()
        tls.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        tls.arguments = [
            "s_server", "-accept", "127.0.0.1:\(port)", "-cert", "\(dir)/server.pem", "-key", "\(dir)/server.key",
            "-www", "-quiet",
        ]
        tls.standardOutput = FileHandle.nullDevice
        tls.standardError = FileHandle.nullDevice
        try tls.run()
        defer {
            // SIGKILL: a test runner may leave SIGTERM ignored, and an ignored signal stays ignored across exec.
            kill(tls.processIdentifier, SIGKILL)
            tls.waitUntilExit()
        }
        let url = URL(string: "https://127.0.0.1:\(port)/")!
        let pinned = try AgentHTTPClient(server: url, trust: .certificate(serverDER))
        #expect(eventually(10) { (try? pinned.request(method: "GET", path: "/"))?.status == 200 })
        let byDigest = try AgentHTTPClient(server: url, trust: .sha256(SHA256.hash(serverDER).bytes))
        #expect(try byDigest.peerCertificate() == serverDER)
        for trust in [TLSClientSession.Trust.certificate(otherDER), .sha256(SHA256.hash(otherDER).bytes)] {
            let wrong = try AgentHTTPClient(server: url, trust: trust)
            do {
                _ = try wrong.request(method: "GET", path: "/")
                Issue.record("a server with another certificate was trusted")
            } catch {
                #expect("\(error)".contains("not the pinned one"))
            }
        }
        // Enrollment with a wrong pin stops at the handshake: no token is sent, nothing is written.
        let state = dir + "/state"
        #expect(throws: (any Error).self) {
            try Enrollment.enroll(
                server: url, token: "t", pin: "sha256:" + SHA256.hash(otherDER).hex, stateDirectory: state,
                host: HostFacts.read().device)
        }
        #expect(!FileManager.default.fileExists(atPath: state + "/server.pem"))
        #expect(!FileManager.default.fileExists(atPath: state + "/agent.conf"))
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.withLock { storage } }
    @Sendable func append(_ line: String) { lock.withLock { storage.append(line) } }
}
