internal import CLinux
import Glibc

/// The agent's kernel-enforced "no command and control": applied once after start-up (sensors opened) and before
/// the first network byte, from a process that is still single-threaded, so every thread started afterwards
/// inherits it (capabilities and Landlock are per thread; seccomp is synchronised onto every thread with
/// `SECCOMP_FILTER_FLAG_TSYNC` anyway).
///
/// 1. Capabilities: the bounding, ambient, inheritable, permitted and effective sets are reduced to `keep` (see
///    `Capability` for why each one the agent keeps is needed). Nothing can gain a capability back.
/// 2. `PR_SET_NO_NEW_PRIVS`: no set-uid/set-gid/file-capability gain, ever.
/// 3. seccomp: `execve`, `execveat`, `ptrace`, `process_vm_writev`, `init_module`, `finit_module`, `kexec_load` and
///    `kexec_file_load` fail with `EPERM`; a system call from another architecture's entry point (or the x32 ABI)
///    kills the process, since the filter's numbers would not mean the same calls there.
/// 4. Landlock (when the kernel has it): files can be created, written, truncated, renamed or removed only
///    beneath the state directory; nothing can be executed; reading stays allowed everywhere.
public enum Hardening {
    /// The capabilities the agent may keep.
    public enum Capability: Int, Sendable, CaseIterable {
        /// Read files and directories whatever their mode: log files (`/var/log/auth.log` is 0640 root:adm on
        /// Debian), `/proc/<pid>/*` of every process, package databases, FIM targets. Read only: writing is not
        /// granted by it.
        case dacReadSearch = 2
        /// `/proc/<pid>/fd`, `exe` and `cwd` of processes of other users (procfs checks ptrace read access): the
        /// owning process of a socket and a process's executable. The `ptrace` system call itself is refused by
        /// seccomp, so only these read-only checks use it.
        case sysPtrace = 19
        /// fanotify (FIM real-time with FAN_REPORT_FID on whole mounts) requires it; kept only when the FIM
        /// sensor uses fanotify.
        case sysAdmin = 21
        /// Load and restore the audit rules (AUDIT_ADD_RULE, AUDIT_SET on the audit netlink socket).
        case auditControl = 30
        /// Read audit events from the netlink multicast group.
        case auditRead = 37
    }

    /// What was applied, for the start-up log and `--self-test`.
    public struct Report: Sendable, Equatable {
        public var threadsAtStart: Int
        public var capabilitiesKept: [Capability]
        public var noNewPrivileges: Bool
        public var seccomp: Bool
        /// The Landlock ABI version applied, or nil when the kernel has none (with the reason).
        public var landlockABI: Int?
        public var landlockUnavailable: String?
    }

    /// The number of instructions of the seccomp program (for the start-up log).
    public static var filterLength: Int { filterProgram().count }

    /// The system calls the filter refuses with EPERM, by name.
    public static var refusedSystemCalls: [(String, Int)] {
        [
            ("execve", Int(VIGIL_NR_EXECVE.rawValue)), ("execveat", Int(VIGIL_NR_EXECVEAT.rawValue)),
            ("ptrace", Int(VIGIL_NR_PTRACE.rawValue)),
            ("process_vm_writev", Int(VIGIL_NR_PROCESS_VM_WRITEV.rawValue)),
            ("init_module", Int(VIGIL_NR_INIT_MODULE.rawValue)),
            ("finit_module", Int(VIGIL_NR_FINIT_MODULE.rawValue)),
            ("kexec_load", Int(VIGIL_NR_KEXEC_LOAD.rawValue)),
            ("kexec_file_load", Int(VIGIL_NR_KEXEC_FILE_LOAD.rawValue)),
        ]
    }

    /// Applies everything. Throws on any step that fails (the agent must not run half-hardened), except a kernel
    /// without Landlock, which is reported.
    public static func apply(keep: Set<Capability>, writableDirectory: String) throws -> Report {
        let threads = threadCount()
        try reduceCapabilities(to: keep)
        guard vigil_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 else {
            throw SystemError(call: "prctl", errno: errno, context: "PR_SET_NO_NEW_PRIVS")
        }
        var report = Report(
            threadsAtStart: threads, capabilitiesKept: keep.sorted { $0.rawValue < $1.rawValue },
            noNewPrivileges: true, seccomp: false)
        switch try restrictWrites(to: writableDirectory) {
        case .success(let abi): report.landlockABI = abi
        case .failure(let reason): report.landlockUnavailable = reason.message
        }
        try installSeccompFilter()
        report.seccomp = true
        return report
    }

    /// Number of threads in this process now (`/proc/self/task`).
    public static func threadCount() -> Int {
        guard let dir = opendir("/proc/self/task") else { return -1 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let first = withUnsafeBytes(of: entry.pointee.d_name) { $0.first ?? 0 }
            if first != UInt8(ascii: ".") { count += 1 }
        }
        return count
    }

    // MARK: - Capabilities

    static func reduceCapabilities(to keep: Set<Capability>) throws {
        let lastCap = Int(readFile("/proc/sys/kernel/cap_last_cap").flatMap { Int32($0) } ?? 40)
        let keptBits = Set(keep.map(\.rawValue))
        // The bounding set first (needs CAP_SETPCAP, which is then dropped with the rest).
        for cap in 0...lastCap where !keptBits.contains(cap) {
            if vigil_prctl(PR_CAPBSET_DROP, UInt(cap), 0, 0, 0) != 0 && errno != EINVAL {
                throw SystemError(call: "prctl", errno: errno, context: "PR_CAPBSET_DROP \(cap)")
            }
        }
        _ = vigil_prctl(PR_CAP_AMBIENT, UInt(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
        var current: (effective: [UInt32], permitted: [UInt32], inheritable: [UInt32]) = ([0, 0], [0, 0], [0, 0])
        guard vigil_capget(&current.effective, &current.permitted, &current.inheritable) == 0 else {
            throw SystemError(call: "capget", errno: errno)
        }
        var words: [UInt32] = [0, 0]
        for cap in keptBits where current.permitted[cap / 32] & (1 << UInt32(cap % 32)) != 0 {
            words[cap / 32] |= 1 << UInt32(cap % 32)
        }
        let none: [UInt32] = [0, 0]
        guard vigil_capset(words, words, none) == 0 else {
            throw SystemError(call: "capset", errno: errno, context: "reducing to \(keep.map(\.rawValue).sorted())")
        }
    }

    /// The effective capability set of this thread (64 bits).
    public static func effectiveCapabilities() -> UInt64 {
        var e: [UInt32] = [0, 0]
        var p: [UInt32] = [0, 0]
        var i: [UInt32] = [0, 0]
        guard vigil_capget(&e, &p, &i) == 0 else { return 0 }
        return UInt64(e[0]) | UInt64(e[1]) << 32
    }

    /// The bit mask of a set of capabilities (as `/proc/<pid>/status` `CapEff` shows it, in hex).
    public static func mask(_ capabilities: some Sequence<Capability>) -> UInt64 {
        capabilities.reduce(0) { $0 | (1 << UInt64($1.rawValue)) }
    }

    // MARK: - seccomp

    /// The BPF program: check the architecture, then refuse the listed calls with EPERM, allow the rest.
    static func filterProgram() -> [sock_filter] {
        let loadWord: UInt16 = UInt16(BPF_LD | BPF_W | BPF_ABS)
        let jumpEqual: UInt16 = UInt16(BPF_JMP | BPF_JEQ | BPF_K)
        let jumpGreaterEqual: UInt16 = UInt16(BPF_JMP | BPF_JGE | BPF_K)
        let ret: UInt16 = UInt16(BPF_RET | BPF_K)
        let archOffset: UInt32 = 4  // offsetof(struct seccomp_data, arch)
        let nrOffset: UInt32 = 0  // offsetof(struct seccomp_data, nr)
        let allow = UInt32(SECCOMP_RET_ALLOW)
        let deny = UInt32(SECCOMP_RET_ERRNO) | UInt32(EPERM)
        let kill = UInt32(SECCOMP_RET_KILL_PROCESS)
        let calls = refusedSystemCalls.map { UInt32($0.1) }
        var program: [sock_filter] = []
        program.append(sock_filter(code: loadWord, jt: 0, jf: 0, k: archOffset))
        program.append(sock_filter(code: jumpEqual, jt: 1, jf: 0, k: vigil_audit_arch()))
        program.append(sock_filter(code: ret, jt: 0, jf: 0, k: kill))
        program.append(sock_filter(code: loadWord, jt: 0, jf: 0, k: nrOffset))
        let x32 = vigil_x32_syscall_bit()
        if x32 != 0 {
            program.append(sock_filter(code: jumpGreaterEqual, jt: 0, jf: 1, k: x32))
            program.append(sock_filter(code: ret, jt: 0, jf: 0, k: kill))
        }
        // One comparison per call: equal → jump to the deny return after the remaining comparisons and the allow.
        for (index, call) in calls.enumerated() {
            let remaining = UInt8(calls.count - index - 1)
            program.append(sock_filter(code: jumpEqual, jt: remaining + 1, jf: 0, k: call))
        }
        program.append(sock_filter(code: ret, jt: 0, jf: 0, k: allow))
        program.append(sock_filter(code: ret, jt: 0, jf: 0, k: deny))
        return program
    }

    static func installSeccompFilter() throws {
        var program = filterProgram()
        let result = program.withUnsafeMutableBufferPointer {
            vigil_seccomp_install($0.baseAddress, UInt16($0.count))
        }
        if result < 0 { throw SystemError(call: "seccomp", errno: errno, context: "SECCOMP_SET_MODE_FILTER TSYNC") }
        if result > 0 {
            throw SystemError(call: "seccomp", errno: EAGAIN, context: "thread \(result) could not be synchronised")
        }
    }

    // MARK: - Landlock

    public struct LandlockUnavailable: Error, Sendable {
        public var message: String
    }

    static let executeRight: UInt64 = 1 << 0
    /// WRITE_FILE, REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK,
    /// MAKE_SYM (ABI 1).
    static let writeRightsV1: UInt64 = (1 << 1) | (0x1FF << 4)
    static let referRight: UInt64 = 1 << 13  // ABI 2
    static let truncateRight: UInt64 = 1 << 14  // ABI 3

    /// The Landlock ABI version, or why there is none.
    public static func landlockABI() -> Result<Int, LandlockUnavailable> {
        let abi = vigil_landlock_abi()
        if abi > 0 { return .success(Int(abi)) }
        let reason =
            errno == EOPNOTSUPP
            ? "Landlock is built but disabled (add landlock to the lsm= boot parameter)"
            : "this kernel has no Landlock (\(String(cString: strerror(errno))))"
        return .failure(LandlockUnavailable(message: reason))
    }

    static func restrictWrites(to directory: String) throws -> Result<Int, LandlockUnavailable> {
        let abi: Int
        switch landlockABI() {
        case .success(let version): abi = version
        case .failure(let reason): return .failure(reason)
        }
        var writeRights = writeRightsV1
        if abi >= 2 { writeRights |= referRight }
        if abi >= 3 { writeRights |= truncateRight }
        let ruleset = vigil_landlock_create(writeRights | executeRight)
        guard ruleset >= 0 else { throw SystemError(call: "landlock_create_ruleset", errno: errno) }
        defer { close(ruleset) }
        let dirFD = open(directory, vigil_o_path() | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw SystemError(call: "open", errno: errno, context: directory) }
        defer { close(dirFD) }
        guard vigil_landlock_allow_beneath(ruleset, dirFD, writeRights) == 0 else {
            throw SystemError(call: "landlock_add_rule", errno: errno, context: directory)
        }
        guard vigil_landlock_restrict_self(ruleset) == 0 else {
            throw SystemError(call: "landlock_restrict_self", errno: errno)
        }
        return .success(abi)
    }

    // MARK: - Self-test

    /// One guarantee tried from inside the hardened process.
    public struct Probe: Sendable, Equatable {
        public var what: String
        /// The errno the kernel answered, or 0 if the attempt succeeded (a failure of the guarantee).
        public var errno: Int32
        public var refused: Bool { errno != 0 }
    }

    /// Tries each forbidden thing once and returns the kernel's answers. Call only after `apply`.
    public static func probes(stateDirectory: String, outsidePath: String) -> [Probe] {
        var probes: [Probe] = []
        func attempt(_ what: String, _ body: () -> Int) {
            errno = 0
            let result = body()
            probes.append(Probe(what: what, errno: result < 0 ? errno : 0))
        }
        let binTrue = "/bin/true"
        attempt("execve(\(binTrue))") {
            binTrue.withCString { path in
                var argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
                defer { free(argv[0]) }
                var envp: [UnsafeMutablePointer<CChar>?] = [nil]
                return Int(execve(path, &argv, &envp))
            }
        }
        attempt("execveat(AT_FDCWD, \(binTrue))") {
            binTrue.withCString { path in
                let empty: [UnsafeMutablePointer<CChar>?] = [nil]
                return empty.withUnsafeBufferPointer { list in
                    vigil_syscall6(
                        Int(VIGIL_NR_EXECVEAT.rawValue), Int(AT_FDCWD), Int(bitPattern: path),
                        Int(bitPattern: list.baseAddress), Int(bitPattern: list.baseAddress), 0, 0)
                }
            }
        }
        attempt("ptrace(PTRACE_ATTACH, parent \(getppid()))") {
            vigil_syscall6(Int(VIGIL_NR_PTRACE.rawValue), 16, Int(getppid()), 0, 0, 0, 0)
        }
        attempt("process_vm_writev(parent)") {
            vigil_syscall6(Int(VIGIL_NR_PROCESS_VM_WRITEV.rawValue), Int(getppid()), 0, 0, 0, 0, 0)
        }
        attempt("init_module") {
            "".withCString { vigil_syscall6(Int(VIGIL_NR_INIT_MODULE.rawValue), 0, 0, Int(bitPattern: $0), 0, 0, 0) }
        }
        attempt("finit_module") {
            "".withCString { vigil_syscall6(Int(VIGIL_NR_FINIT_MODULE.rawValue), -1, Int(bitPattern: $0), 0, 0, 0, 0) }
        }
        attempt("kexec_load") { vigil_syscall6(Int(VIGIL_NR_KEXEC_LOAD.rawValue), 0, 0, 0, 0, 0, 0) }
        attempt("open(\(outsidePath), O_CREAT|O_WRONLY)") {
            let fd = open(outsidePath, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            if fd >= 0 {
                close(fd)
                unlink(outsidePath)
            }
            return Int(fd)
        }
        return probes
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}

extension Set where Element == Character {
    fileprivate static var whitespacesAndNewlines: Set<Character> { [" ", "\n", "\t", "\r"] }
}
