import Foundation

/// A lock that lets exactly one server node run the background jobs (outbox drain, checkpoints, retention).
///
/// `acquire` is tried again and again by every node; the holder checks `isHeld` before each round of jobs.
/// When the holder dies, the lock is freed (the PostgreSQL session ends, or the process's file lock is
/// dropped by the kernel) and another node's next `acquire` succeeds.
public protocol JobLock: AnyObject {
    /// Tries to take the lock without waiting; true when this node holds it (now or already).
    func acquire() -> Bool
    /// Whether this node still holds it (false once its connection is gone).
    var isHeld: Bool { get }
    /// Gives it up.
    func release()
}

/// A session-level PostgreSQL advisory lock on its own connection.
public final class PostgresJobLock: JobLock {
    public static let defaultKey: Int64 = 0x5649_4749_4c00_0200
    let conninfo: String
    let key: Int64
    private var connection: PostgresConnection?
    private var held = false

    public init(conninfo: String, key: Int64 = PostgresJobLock.defaultKey) {
        self.conninfo = conninfo
        self.key = key
    }

    public func acquire() -> Bool {
        if isHeld { return true }
        held = false
        do {
            if connection == nil || connection?.isHealthy == false { connection = try PostgresConnection(conninfo) }
            held = try connection?.query("SELECT pg_try_advisory_lock($1)", [String(key)]).first?.first == "t"
        } catch {
            connection = nil
        }
        return held
    }

    public var isHeld: Bool {
        guard held, let connection else { return false }
        // A round trip: a lost session (server restart, network) means the lock is gone too.
        guard (try? connection.query("SELECT 1")) != nil, connection.isHealthy else {
            held = false
            self.connection = nil
            return false
        }
        return true
    }

    public func release() {
        if held { _ = try? connection?.query("SELECT pg_advisory_unlock($1)", [String(key)]) }
        held = false
        connection = nil
    }
}

/// An exclusive `flock` on a file beside an SQLite store: one process runs the jobs.
public final class FileJobLock: JobLock {
    let path: String
    private var descriptor: Int32 = -1

    public init(path: String) { self.path = path }

    public func acquire() -> Bool {
        if descriptor >= 0 { return true }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return false
        }
        descriptor = fd
        return true
    }

    public var isHeld: Bool { descriptor >= 0 }

    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
