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
                "\(binaries)/initdb", ["-D", "\(directory)/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
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

    func run(_ executable: String, _ arguments: [String]) throws {
        let process = Foundation.Process()
        if runAsPostgres {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "postgres", "--", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        // Output goes to a file, not a pipe: the server that `pg_ctl start` leaves running would hold a
        // pipe's write end open and reading it to the end would never finish.
        let logPath = "\(directory)/commands.log"
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil, attributes: [.posixPermissions: 0o666])
        }
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw ClusterError(description: "cannot write \(logPath)")
        }
        defer { try? log.close() }
        let start = (try? log.seekToEnd()) ?? 0
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.utf8.dropFirst(Int(start))) ?? $0 } ?? ""
            throw ClusterError(description: "\(executable) exited \(process.terminationStatus): \(text)")
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
