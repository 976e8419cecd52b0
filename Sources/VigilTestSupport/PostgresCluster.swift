import Foundation

/// A private PostgreSQL cluster for tests: `initdb` into a temporary directory, `pg_ctl start` on a free
/// loopback port with trust authentication, and `pg_ctl stop` plus removal when stopped or released.
///
/// As root the server runs as the `postgres` user (PostgreSQL refuses to run as root). Where the
/// PostgreSQL server binaries are not installed, `start()` returns nil and `unavailableReason` says why.
public final class PostgresCluster: @unchecked Sendable {
    public let conninfo: String
    public let port: Int
    let directory: String
    let binaries: String
    let runAsPostgres: Bool
    private var stopped = false
    private let lock = NSLock()

    /// Why `start()` returned nil, for the skip message.
    nonisolated(unsafe) public static var unavailableReason = ""

    init(conninfo: String, port: Int, directory: String, binaries: String, runAsPostgres: Bool) {
        self.conninfo = conninfo
        self.port = port
        self.directory = directory
        self.binaries = binaries
        self.runAsPostgres = runAsPostgres
    }

    /// Starts a new cluster, or returns nil (with `unavailableReason`) when PostgreSQL is not installed.
    /// - Throws: when the binaries exist but the cluster fails to start (with its log).
    public static func start() throws -> PostgresCluster? {
        let fm = FileManager.default
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted {
            (Int($0) ?? 0) > (Int($1) ?? 0)
        }
        guard let version = versions.first(where: { fm.fileExists(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") })
        else {
            unavailableReason =
                "SKIPPED: PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql; `make test` does)"
            return nil
        }
        let binaries = "/usr/lib/postgresql/\(version)/bin"
        let runAsPostgres = getuid() == 0
        let directory = NSTemporaryDirectory() + "vigil-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if runAsPostgres {
            guard fm.fileExists(atPath: "/usr/sbin/runuser"), getpwnam("postgres") != nil else {
                unavailableReason = "SKIPPED: running as root without a 'postgres' user or runuser to start PostgreSQL"
                try? fm.removeItem(atPath: directory)
                return nil
            }
            try fm.setAttributes([.ownerAccountName: "postgres", .posixPermissions: 0o700], ofItemAtPath: directory)
        }
        let port = freePort()
        let cluster = PostgresCluster(
            conninfo: "host=127.0.0.1 port=\(port) user=postgres dbname=postgres connect_timeout=10", port: port,
            directory: directory, binaries: binaries, runAsPostgres: runAsPostgres)
        do {
            try cluster.run(
                "\(binaries)/initdb",
                ["-D", "\(directory)/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            try cluster.run(
                "\(binaries)/pg_ctl",
                [
                    "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "60", "-o",
                    "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
                    "start",
                ])
        } catch {
            let log = (try? String(contentsOfFile: "\(directory)/log", encoding: .utf8)) ?? ""
            cluster.stop()
            throw ClusterError(description: "\(error)\n\(log)")
        }
        return cluster
    }

    /// Stops the server and removes its files (idempotent).
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        if FileManager.default.fileExists(atPath: "\(directory)/data/postmaster.pid") {
            try? run("\(binaries)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    struct ClusterError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs a command to completion with `posix_spawn` and `waitpid` on its own pid, output appended to a
    /// log file. (Foundation's `Process.waitUntilExit` was seen to miss a child's exit when tests run in
    /// parallel, leaving the child a zombie and the test hung.)
    func run(_ executable: String, _ arguments: [String]) throws {
        let argv =
            runAsPostgres
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        let logPath = "\(directory)/commands.log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o666)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else {
            throw ClusterError(description: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw ClusterError(description: "waitpid failed for \(argv[0])") }
        }
        // WIFEXITED/WEXITSTATUS are macros: exited normally when the low 7 bits are zero.
        let exitedNormally = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exitedNormally, code == 0 else {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw ClusterError(description: "\(executable) failed (status \(status)): \(text.suffix(2000))")
        }
    }

    /// A loopback TCP port that was free a moment ago.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Bool in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : Int.random(in: 20_000...60_000)
    }
}
