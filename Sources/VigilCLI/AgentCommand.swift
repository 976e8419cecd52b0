import Foundation
import VigilAgent
import VigilCore
import VigilSystem

extension Commands {
    static var agent: CommandSpec {
        CommandSpec(
            name: "agent",
            summary:
                "Run the Vigil agent: report this host's activity to a server, hardened against command and control.",
            usage:
                "agent --server URL --enroll TOKEN [--pin sha256:HEX] --state DIR | agent --config FILE | agent --self-test --state DIR",
            discussion: """
                Enroll once: 'vigil agent --server URL --enroll TOKEN --pin sha256:… --state DIR' trades the one-time \
                token for this agent's credential, saves the server certificate whose SHA-256 matches the pin (the \
                server prints it at start) and writes DIR/agent.conf (mode 0600). From then on run \
                'vigil agent --config DIR/agent.conf'. The agent trusts only that certificate; plain http is allowed \
                to loopback addresses only.

                Every event (program executions from the kernel's audit stream, or new processes from /proc where \
                audit is unavailable, listening sockets and connections, logins, logouts and failed logins \
                from wtmp/btmp, file changes and reads of sensitive files with the process (fanotify) and scheduled \
                checks against a baseline in DIR/fim, package inventories (at start, daily and when the package \
                database changes), authentication events from /var/log/auth.log or /var/log/secure, clock \
                synchronisation and steps, heartbeats with host facts and sensor health) is redacted (card numbers masked to first six and last \
                four digits, passwords, tokens, keys and URL credentials masked), written to a crash-safe spool \
                under DIR/spool (fsync per batch, bounded by spool_max_bytes; a drop is itself reported) and sent \
                as zstd-compressed JSON lines. Events leave the spool only once the server acknowledged them.

                Before the first network byte the agent drops every capability but the few its sensors need, sets \
                no_new_privs, installs a seccomp filter (execve, execveat, ptrace, process_vm_writev, init_module, \
                finit_module, kexec_load, kexec_file_load fail with EPERM) and, where the kernel has Landlock, \
                limits writes to DIR. A server reply can carry only an acknowledgement and a policy signed with the \
                server's Ed25519 key (FIM paths, audit rules, inventory schedule); anything else in a policy — an \
                unknown field, a command, a version not newer, a bad signature — is rejected and logged, and the \
                previous policy stays. '--self-test' applies the same hardening and prints the kernel's refusal of \
                each forbidden action. Runs until SIGTERM or Ctrl-C.
                """,
            examples: [
                "vigil agent --server https://vigil.example:8470/ --enroll 3kq… --pin sha256:9f2c… --state /var/lib/vigil-agent",
                "vigil agent --config /var/lib/vigil-agent/agent.conf",
                "vigil agent --self-test --state /var/lib/vigil-agent",
            ],
            exitCodes: [
                (
                    1,
                    "enrollment refused, configuration unreadable, hardening failed, or a self-test guarantee not held"
                ),
                (2, "wrong options"),
            ],
            options: [
                OptionSpec("server", .value(placeholder: "URL"), help: "The server's base URL (enrollment only)."),
                OptionSpec("enroll", .value(placeholder: "TOKEN"), help: "Enroll with this one-time token and exit."),
                OptionSpec(
                    "pin", .value(placeholder: "sha256:HEX"),
                    help: "SHA-256 of the server's DER certificate, as the server prints it (required for https)."),
                OptionSpec(
                    "state", .value(placeholder: "DIR"),
                    help: "The agent's state directory (configuration, spool, server certificate, policy)."),
                OptionSpec("config", .value(placeholder: "FILE"), help: "Run with this configuration (from --enroll)."),
                OptionSpec(
                    "sensors", .value(placeholder: "LIST"),
                    help:
                        "Comma-separated sensors: audit, proc, timesync, sockets, logins, fim, inventory, authlog (default all but proc, which replaces audit where the kernel's audit is unavailable; the heartbeat always runs)."
                ),
                OptionSpec(
                    "heartbeat", .value(placeholder: "SECONDS"),
                    help: "Seconds between heartbeats (overrides heartbeat_seconds of the configuration)."),
                OptionSpec(
                    "self-test",
                    help: "Apply the hardening and show each forbidden action refused by the kernel, then exit."),
            ],
            run: { arguments in AgentMain.run(arguments) })
    }
}

/// `vigil agent`, synchronous: `main` calls it before any other thread exists, so the hardening applied on this
/// thread is inherited by every thread the agent starts afterwards.
public enum AgentMain {
    /// Handles `vigil agent …` entirely (parsing, help); returns the exit code.
    public static func main(_ arguments: [String]) -> Int32 {
        do {
            switch try ArgumentParser.parse(arguments, root: Commands.root) {
            case .help(let text):
                Output.out(text)
                return 0
            case .version:
                Output.out("vigil \(VigilVersion.current)")
                return 0
            case .run(let command, let parsed):
                guard command.name == "agent" else { return 2 }
                return run(parsed)
            }
        } catch let error as UsageError {
            Output.err(error.description)
            return 2
        } catch {
            Output.err("vigil: \(error)")
            return 1
        }
    }

    static func run(_ arguments: ParsedArguments) -> Int32 {
        do {
            if let token = arguments.value("enroll") {
                return try enroll(arguments, token: token)
            }
            if arguments.flag("self-test") { return try selfTest(arguments) }
            return try runAgent(arguments)
        } catch let error as UsageError {
            Output.err(error.description)
            return 2
        } catch {
            Output.err("vigil agent: \(error)")
            return 1
        }
    }

    static func enroll(_ arguments: ParsedArguments, token: String) throws -> Int32 {
        let serverText = try arguments.required("server")
        guard let server = URL(string: serverText), server.host != nil else {
            throw UsageError(
                "--server takes a URL such as https://vigil.example:8470/, not '\(serverText)'", path: arguments.path)
        }
        let state = try arguments.required("state")
        let path = try Enrollment.enroll(
            server: server, token: token, pin: arguments.value("pin"), stateDirectory: absolute(state),
            host: HostFacts.read().device)
        Output.out("vigil agent: enrolled; configuration written to \(path)")
        Output.out("run: vigil agent --config \(path)")
        return 0
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The capabilities the running sensors need (see `Hardening.Capability`).
    static func capabilities(for sensors: [String]) -> Set<Hardening.Capability> {
        var keep: Set<Hardening.Capability> = [.dacReadSearch]
        // FIM attributes each event to a process: /proc/<pid>/exe of another user's process needs ptrace read access.
        if sensors.contains("proc") || sensors.contains("sockets") || sensors.contains("fim") {
            keep.insert(.sysPtrace)
        }
        if sensors.contains("fim") { keep.insert(.sysAdmin) }
        if sensors.contains("audit") {
            keep.insert(.auditControl)
            keep.insert(.auditRead)
        }
        return keep
    }

    static func runAgent(_ arguments: ParsedArguments) throws -> Int32 {
        var config = try AgentConfig.load(path: try arguments.required("config"))
        if let text = arguments.value("heartbeat") {
            guard let seconds = Double(text), seconds > 0 else {
                throw UsageError("--heartbeat takes a positive number of seconds, not '\(text)'", path: arguments.path)
            }
            config.heartbeatSeconds = seconds
        }
        let names = try sensorNames(arguments)
        // Terminating signals are blocked here, on the only thread, so every later thread inherits the mask and
        // only sigwait below receives them.
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            // An ignored signal (inherited across exec from a parent that ignores it) would never reach sigwait.
            Foundation.signal(signal, SIG_DFL)
            sigaddset(&set, signal)
        }
        pthread_sigmask(SIG_BLOCK, &set, nil)

        let host = HostFacts.read()
        var sensors: [any Sensor] = []
        var running = names
        if names.contains("audit") {
            do {
                sensors.append(try KernelAuditSensor(host: host))
                running.removeAll { $0 == "proc" }
            } catch {
                AgentLog.log(
                    "vigil agent: audit sensor unavailable (\(error)); watching processes through /proc instead")
                running.removeAll { $0 == "audit" }
                if !running.contains("proc") { running.append("proc") }
            }
        }
        if running.contains("proc") {
            sensors.append(ProcessSensor(host: host, interval: Double(config.processScanMilliseconds) / 1000))
        }
        if names.contains("timesync") { sensors.append(TimeSyncSensor(host: host)) }
        if names.contains("sockets") { sensors.append(SocketSensor(host: host)) }
        if names.contains("logins") { sensors.append(LoginRecordSensor(host: host)) }
        var fanotify = false
        if names.contains("fim") {
            // fanotify_init and the marks happen here, before hardening; the reader thread starts after it.
            var settings = FIMSettings.defaults(agentBinary: ownExecutable())
            if let watch = config.fimWatch { settings.watch = watch }
            if let sensitive = config.fimSensitive { settings.sensitive = sensitive }
            settings.scanIntervalSeconds = config.fimScanIntervalSeconds
            do {
                let realtime = try FIMRealtimeSensor(host: host, settings: settings)
                sensors.append(realtime)
                for warning in realtime.warnings { AgentLog.log("vigil agent: fim: \(warning)") }
                fanotify = realtime.backend == .fanotify
            } catch {
                AgentLog.log("vigil agent: fim real-time sensor unavailable: \(error)")
            }
            sensors.append(
                try FIMScanSensor(host: host, settings: settings, stateDirectory: config.stateDirectory))
        }
        if names.contains("inventory") {
            sensors.append(
                InventorySensor(
                    host: host, stateDirectory: config.stateDirectory,
                    intervalSeconds: config.inventoryIntervalSeconds))
        }
        if names.contains("authlog") {
            sensors.append(AuthLogSensor(host: host, stateDirectory: config.stateDirectory, paths: config.authLogs))
        }
        let agent = try Agent(config: config, host: host, sensors: sensors)
        let report: Hardening.Report
        do {
            // CAP_SYS_ADMIN only while FIM really uses fanotify (a policy change rebuilds its watcher).
            var keep = capabilities(for: running)
            if !fanotify { keep.remove(.sysAdmin) }
            report = try Hardening.apply(keep: keep, writableDirectory: config.stateDirectory)
        } catch {
            for sensor in sensors { sensor.shutdown() }
            throw error
        }
        AgentLog.log(describe(report))
        agent.start()
        Output.out(
            "vigil agent on \(host.hostname) reporting to \(config.server.absoluteString) (sensors: \((running + ["heartbeat"]).joined(separator: ", ")))"
        )
        var received: Int32 = 0
        sigwait(&set, &received)
        agent.stop()
        let stats = agent.shipper.statistics
        AgentLog.log(
            "vigil agent: stopping on signal \(received): sent \(stats.sent), still spooled \(agent.spool.pendingCount), "
                + "dropped \(agent.spool.statistics.dropped)")
        return 0
    }

    /// The running binary (`/proc/self/exe`), watched by FIM by default.
    static func ownExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func sensorNames(_ arguments: ParsedArguments) throws -> [String] {
        let all = ["audit", "proc", "timesync", "sockets", "logins", "fim", "inventory", "authlog"]
        // By default the audit sensor replaces /proc polling (which it falls back to where audit is unavailable).
        guard let list = arguments.value("sensors") else { return all.filter { $0 != "proc" } }
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for name in names where !all.contains(name) && name != "heartbeat" {
            throw UsageError(
                "--sensors: unknown sensor '\(name)'; known: \(all.joined(separator: ", "))", path: arguments.path)
        }
        return names.filter { $0 != "heartbeat" }
    }

    static func describe(_ report: Hardening.Report) -> String {
        let caps = report.capabilitiesKept.map { "\($0)" }.joined(separator: ",")
        let landlock =
            report.landlockABI.map { "Landlock ABI \($0) (writes only under the state directory)" }
            ?? "no Landlock: \(report.landlockUnavailable ?? "unavailable")"
        return
            "vigil agent: hardened with \(report.threadsAtStart) thread(s): capabilities kept [\(caps)], no_new_privs, "
            + "seccomp (\(Hardening.refusedSystemCalls.map(\.0).joined(separator: ", ")) → EPERM), \(landlock)"
    }

    static func selfTest(_ arguments: ParsedArguments) throws -> Int32 {
        let state: String
        if let config = arguments.value("config") {
            state = try AgentConfig.load(path: config).stateDirectory
        } else {
            state = absolute(try arguments.required("state"))
        }
        try FileManager.default.createDirectory(
            atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let report = try Hardening.apply(
            keep: capabilities(for: ["audit", "proc", "timesync", "sockets", "logins", "fim", "inventory", "authlog"]),
            writableDirectory: state)
        Output.out(describe(report))
        for line in statusLines() { Output.out("  /proc/self/status \(line)") }
        let outside = "/var/tmp/vigil-self-test-\(getpid())"
        var held = true
        for probe in Hardening.probes(stateDirectory: state, outsidePath: outside) {
            let answer =
                probe.refused
                ? "refused: \(String(cString: strerror(probe.errno))) [\(errnoName(probe.errno))]" : "ALLOWED"
            Output.out("\(probe.refused ? "ok  " : "FAIL") \(probe.what): \(answer)")
            if !probe.refused {
                // A write outside the state directory where the kernel has no Landlock is reported, not failed.
                let landlockMissing = report.landlockABI == nil && probe.what.hasPrefix("open(")
                if !landlockMissing { held = false }
            }
        }
        // Writing inside the state directory must still work.
        let inside = "\(state)/.self-test-\(getpid())"
        let fd = open(inside, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
            unlink(inside)
            Output.out("ok   open(\(inside), O_CREAT|O_WRONLY): allowed (the state directory stays writable)")
        } else {
            Output.out("FAIL open(\(inside)): \(String(cString: strerror(errno)))")
            held = false
        }
        Output.out(held ? "self-test: every guarantee held" : "self-test: a guarantee did NOT hold")
        return held ? 0 : 1
    }

    static func statusLines() -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter {
            $0.hasPrefix("Cap") || $0.hasPrefix("NoNewPrivs") || $0.hasPrefix("Seccomp")
        }.map(String.init)
    }

    static func errnoName(_ value: Int32) -> String {
        switch value {
        case EPERM: "EPERM"
        case EACCES: "EACCES"
        case ENOSYS: "ENOSYS"
        case EINVAL: "EINVAL"
        default: String(value)
        }
    }
}
