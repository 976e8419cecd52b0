import Glibc

/// Who a process is, read from `/proc/PID`: executable, name, real and effective user, login user.
public struct ProcessIdentity: Sendable, Hashable {
    public var pid: Int32
    public var parentPID: Int32?
    /// The executable (`/proc/PID/exe`); nil when the process has exited or is a kernel thread.
    public var executable: BytePath?
    /// `/proc/PID/comm`.
    public var name: String?
    public var uid: UInt32?
    public var effectiveUID: UInt32?
    /// The audit login uid (`/proc/PID/loginuid`); nil when unset (4294967295).
    public var loginUID: UInt32?

    public init(pid: Int32) { self.pid = pid }

    /// Reads what `/proc` still holds for `pid`. A process that has already exited gives only its pid.
    public static func read(pid: Int32) -> ProcessIdentity {
        var identity = ProcessIdentity(pid: pid)
        let base = "/proc/\(pid)/"
        if case .target(let bytes) = ProcessLinks.read(base + "exe", pid: pid) {
            identity.executable = BytePath(bytes: bytes)
        }
        if let comm = readSmall(base + "comm") {
            identity.name = String(decoding: comm.prefix { $0 != 0x0A }, as: UTF8.self)
        }
        if let status = readSmall(base + "status") {
            for line in String(decoding: status, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
                if line.hasPrefix("Uid:"), fields.count >= 3 {
                    identity.uid = UInt32(fields[1])
                    identity.effectiveUID = UInt32(fields[2])
                } else if line.hasPrefix("PPid:"), fields.count >= 2 {
                    identity.parentPID = Int32(fields[1])
                }
            }
        }
        if let login = readSmall(base + "loginuid").flatMap({ UInt32(String(decoding: $0, as: UTF8.self)) }),
            login != UInt32.max
        {
            identity.loginUID = login
        }
        return identity
    }

    /// The user name for a uid from the passwd database (`getpwuid_r`), or nil.
    public static func userName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return nil }
        return String(cString: name)
    }

    static func readLink(_ path: String) -> BytePath? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { raw in
            readlink(path, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard count > 0 else { return nil }
        return BytePath(bytes: Array(buffer[..<count]))
    }

    static func readSmall(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        let file = FileDescriptor(adopting: fd)
        return try? file.read(upTo: 8192)
    }
}
