/// Interpretation tables: architectures, syscall names, errno names, signals, capabilities.
public enum AuditTables {
    /// A CPU architecture as the audit `arch` field encodes it (`AUDIT_ARCH_*`).
    public enum Arch: String, Sendable, CaseIterable {
        case x86_64, i386, aarch64, arm

        /// The `AUDIT_ARCH_*` value (EM_* machine plus the 64-bit and little-endian flags).
        public var auditValue: UInt32 {
            switch self {
            case .x86_64: 0xC000_003E
            case .i386: 0x4000_0003
            case .aarch64: 0xC000_00B7
            case .arm: 0x4000_0028
            }
        }

        /// From the hex `arch=` field.
        public init?(auditHex: String) {
            guard let value = UInt32(auditHex, radix: 16),
                let arch = Arch.allCases.first(where: { $0.auditValue == value })
            else { return nil }
            self = arch
        }

        /// From the names auditctl accepts for `-F arch=`.
        public init?(ruleName: String) {
            switch ruleName {
            case "b64", "x86_64": self = .x86_64
            case "b32", "i386", "i686": self = .i386
            case "aarch64", "arm64": self = .aarch64
            case "arm", "armeb", "armv7l": self = .arm
            default: return nil
            }
        }
    }

    private static func parsePairs(_ table: String) -> [Int: String] {
        var map: [Int: String] = [:]
        for pair in table.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            guard let colon = pair.firstIndex(of: ":"), let number = Int(pair[..<colon]) else { continue }
            map[number] = String(pair[pair.index(after: colon)...])
        }
        return map
    }

    private static func invert(_ map: [Int: String]) -> [String: Int] {
        var out: [String: Int] = [:]
        for (k, v) in map { out[v] = k }
        return out
    }

    private static let x86_64 = parsePairs(SyscallNames.x86_64)
    private static let i386 = parsePairs(SyscallNames.i386)
    private static let aarch64 = parsePairs(SyscallNames.aarch64)
    private static let x86_64ByName = invert(x86_64)
    private static let i386ByName = invert(i386)
    private static let aarch64ByName = invert(aarch64)
    private static let errnos = parsePairs(ErrnoNames.table)

    /// The syscall's name on this architecture, or nil.
    public static func syscallName(_ number: Int, arch: Arch) -> String? {
        switch arch {
        case .x86_64: x86_64[number]
        case .i386, .arm: i386[number]
        case .aarch64: aarch64[number]
        }
    }

    /// The syscall's number on this architecture, or nil.
    public static func syscallNumber(_ name: String, arch: Arch) -> Int? {
        switch arch {
        case .x86_64: x86_64ByName[name]
        case .i386, .arm: i386ByName[name]
        case .aarch64: aarch64ByName[name]
        }
    }

    /// `EACCES` for 13.
    public static func errnoName(_ number: Int) -> String? { errnos[number] }

    /// Signal names, 1…31.
    static let signals = [
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
        "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
        "SIGIO", "SIGPWR", "SIGSYS",
    ]

    /// `SIGSYS` for 31.
    public static func signalName(_ number: Int) -> String? {
        (1...signals.count).contains(number) ? signals[number - 1] : nil
    }

    /// Capability names (`linux/capability.h`), by bit.
    static let capabilities = [
        "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
        "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
        "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
        "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
        "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
        "checkpoint_restore",
    ]

    /// `sys_admin` for 21.
    public static func capabilityName(_ number: Int) -> String? {
        capabilities.indices.contains(number) ? capabilities[number] : nil
    }

    /// The capability names in a hex capability set (`cap_fp=0000000000200000` → `["sys_admin"]`).
    public static func capabilitySet(hex: String) -> [String]? {
        guard let mask = UInt64(hex, radix: 16) else { return nil }
        return capabilities.indices.filter { mask & (1 << UInt64($0)) != 0 }.map { capabilities[$0] }
    }
}
