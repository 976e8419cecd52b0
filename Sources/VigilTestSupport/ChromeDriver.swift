import Foundation

/// A private `chromedriver` for browser tests: started with `posix_spawn` on a free loopback port in its own
/// process group, and stopped (the driver and the browsers it started) by that group's id.
///
/// Where Debian's `chromium` or `chromium-driver` is missing, `start()` returns nil and `unavailableReason`
/// says why, so a test can print it and skip.
public final class ChromeDriver: @unchecked Sendable {
    public let port: UInt16
    /// The browser binary sessions use.
    public let browser: String
    let pid: pid_t
    let logPath: String
    private var stopped = false
    private let lock = NSLock()

    public static let driverCandidates = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
    public static let browserCandidates = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]

    /// Why `start()` returned nil, for the skip message.
    nonisolated(unsafe) public static var unavailableReason = ""

    init(port: UInt16, browser: String, pid: pid_t, logPath: String) {
        self.port = port
        self.browser = browser
        self.pid = pid
        self.logPath = logPath
    }

    /// The driver and browser binaries, or nil with the reason.
    public static func locate(
        driverCandidates: [String] = driverCandidates, browserCandidates: [String] = browserCandidates
    ) -> (driver: String, browser: String)? {
        let fm = FileManager.default
        guard let driver = driverCandidates.first(where: { fm.isExecutableFile(atPath: $0) }) else {
            unavailableReason =
                "SKIPPED: chromedriver not found (\(driverCandidates.joined(separator: ", "))); apt-get install chromium chromium-driver (`scripts/install-deps test` does)"
            return nil
        }
        guard let browser = browserCandidates.first(where: { fm.isExecutableFile(atPath: $0) }) else {
            unavailableReason =
                "SKIPPED: chromium not found (\(browserCandidates.joined(separator: ", "))); apt-get install chromium (`scripts/install-deps test` does)"
            return nil
        }
        return (driver, browser)
    }

    /// Starts chromedriver and waits until it answers `/status` ready, or returns nil when not installed.
    /// - Throws: when it is installed but does not become ready within `timeoutSeconds` (with its log).
    public static func start(timeoutSeconds: Double = 20) throws -> ChromeDriver? {
        guard let (driverPath, browser) = locate() else { return nil }
        let port = UInt16(PostgresCluster.freePort())
        let logPath = NSTemporaryDirectory() + "vigil-chromedriver-\(getpid())-\(port).log"
        let argv = [driverPath, "--port=\(port)", "--allowed-ips=127.0.0.1", "--log-path=\(logPath)"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (pgid = its pid), so stop() ends the driver and every browser it started.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, driverPath, &actions, &attributes, &cArguments, environ)
        guard spawned == 0 else {
            throw WebDriverError(
                command: "start chromedriver", code: "spawn", message: String(cString: strerror(spawned)))
        }
        let driver = ChromeDriver(port: port, browser: browser, pid: pid, logPath: logPath)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let status = try? RawHTTPClient.request(
                port: port, path: "/status", timeoutSeconds: 5, untilComplete: true),
                status.status == 200, status.text.contains("\"ready\":true")
            {
                return driver
            }
            usleep(50_000)
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        driver.stop()
        throw WebDriverError(
            command: "start chromedriver", code: "timeout",
            message: "chromedriver on port \(port) was not ready within \(timeoutSeconds) s\n\(log.suffix(2000))")
    }

    /// Ends the driver's process group (SIGTERM, then SIGKILL for whatever is left after two seconds) and
    /// reaps the driver. The driver is reaped last, so its pid (the group id) cannot be reused meanwhile.
    /// Idempotent.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        kill(-pid, SIGTERM)
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline && !Self.hasExited(pid) { usleep(20_000) }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// Whether a child has exited (a zombie waiting to be reaped) or is gone, from `/proc/<pid>/stat`.
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    deinit { stop() }
}
