import VigilCore

/// One Sigma field and where its value is in a Vigil `Event`.
public struct FieldSpec: Sendable {
    /// The Sigma field name as rules write it.
    public let name: String
    /// The log-source keys (category or service) that define the field; empty means every source.
    public let sources: [String]
    /// Where the value comes from, in OCSF terms (for `vigil rules list` and the docs).
    public let path: String
    /// Reads the value from an event; nil when the event does not have it.
    public let extract: @Sendable (Event) -> String?

    public init(_ name: String, _ sources: [String], _ path: String, _ extract: @escaping @Sendable (Event) -> String?)
    {
        self.name = name
        self.sources = sources
        self.path = path
        self.extract = extract
    }
}

/// The one table that maps Sigma's Linux log sources and field names onto Vigil's events.
///
/// A field not in the table is read from `event.unmapped` under its own name (and the loader warns
/// about it). Keyword rules (values without a field) read `keywordText`: the raw line, else the message.
public enum FieldMapping {
    static let process = ["process_creation", "process_termination"]
    static let file = ["file_event", "file_change", "file_create", "file_delete", "file_rename", "file_access"]
    static let network = ["network_connection"]
    static let audit = ["auditd"]
    static let auth = ["auth", "sshd", "sudo", "su", "syslog", "cron", "useradd", "groupadd", "passwd", "pam"]

    /// Every mapped field. Audit fields fall back to the normalized objects when the raw field is absent.
    public static let all: [FieldSpec] = [
        // Process activity.
        FieldSpec("Image", process + file + network, "process.file.path | actor.process.file.path") {
            $0.process?.file?.path ?? $0.actor?.process?.file?.path
        },
        FieldSpec("CommandLine", process, "process.cmd_line") { $0.process?.cmdLine },
        FieldSpec("ParentImage", process + network, "process.parent_process.file.path") {
            $0.process?.parentProcess?.file?.path ?? $0.actor?.process?.parentProcess?.file?.path
        },
        FieldSpec("ParentCommandLine", process, "process.parent_process.cmd_line") {
            $0.process?.parentProcess?.cmdLine
        },
        FieldSpec("User", process + file + network, "process.user.name | actor.user.name") {
            $0.process?.user?.name ?? $0.actor?.user?.name ?? $0.actor?.process?.user?.name
        },
        FieldSpec("ParentUser", process, "process.parent_process.user.name") { $0.process?.parentProcess?.user?.name },
        FieldSpec("CurrentDirectory", process, "process.cwd") { $0.process?.cwd },
        FieldSpec("ProcessId", process + file + network, "process.pid | actor.process.pid") {
            ($0.process?.pid ?? $0.actor?.process?.pid).map(String.init)
        },
        FieldSpec("ParentProcessId", process, "process.parent_process.pid") {
            $0.process?.parentProcess?.pid.map(String.init)
        },
        FieldSpec("LogonId", process, "process.session.uid") { $0.process?.session?.uid ?? $0.actor?.session?.uid },
        FieldSpec("TerminalSessionId", process, "process.tty") { $0.process?.tty },
        FieldSpec("Hashes", process, "process.file.hashes") {
            $0.process?.file?.hashes?.map { "\($0.algorithm.uppercased())=\($0.value)" }.joined(separator: ",")
        },
        // File activity.
        FieldSpec("TargetFilename", file, "file.path") { $0.file?.path },
        FieldSpec("CreationUtcTime", file, "file.modified_time") { $0.file?.modifiedTime.map(String.init) },
        // Network activity.
        FieldSpec("DestinationIp", network, "dst_endpoint.ip") { $0.dstEndpoint?.ip },
        FieldSpec("DestinationPort", network, "dst_endpoint.port") { $0.dstEndpoint?.port.map(String.init) },
        FieldSpec("DestinationHostname", network, "dst_endpoint.hostname") { $0.dstEndpoint?.hostname },
        FieldSpec("SourceIp", network + auth, "src_endpoint.ip") { $0.srcEndpoint?.ip },
        FieldSpec("SourcePort", network + auth, "src_endpoint.port") { $0.srcEndpoint?.port.map(String.init) },
        FieldSpec("SourceHostname", network, "src_endpoint.hostname") { $0.srcEndpoint?.hostname },
        FieldSpec("Initiated", network, "activity_id (1 open: true, 7 listen: false)") {
            unmapped($0, "initiated") ?? ($0.activityID == Activity.Network.listen ? "false" : "true")
        },
        FieldSpec("Protocol", network, "unmapped.protocol") { unmapped($0, "protocol") },
        // Raw audit fields: as the kernel wrote them, else from the normalized objects.
        FieldSpec("type", audit, "unmapped.type") { unmapped($0, "type") },
        FieldSpec("SYSCALL", audit, "unmapped.syscall") { unmapped($0, "SYSCALL") ?? unmapped($0, "syscall") },
        FieldSpec("exe", audit, "unmapped.exe | process.file.path") {
            unmapped($0, "exe") ?? $0.process?.file?.path ?? $0.actor?.process?.file?.path
        },
        FieldSpec("comm", audit, "unmapped.comm | process.name") {
            unmapped($0, "comm") ?? $0.process?.name ?? $0.actor?.process?.name
        },
        FieldSpec("key", audit, "unmapped.key") { unmapped($0, "key") },
        FieldSpec("name", audit, "unmapped.name | file.path") { unmapped($0, "name") ?? $0.file?.path },
        FieldSpec("nametype", audit, "unmapped.nametype") { unmapped($0, "nametype") },
        FieldSpec("unit", audit, "unmapped.unit") { unmapped($0, "unit") },
        FieldSpec("uid", audit, "unmapped.uid | actor.user.uid") { unmapped($0, "uid") ?? $0.actor?.user?.uid },
        FieldSpec("euid", audit, "unmapped.euid") { unmapped($0, "euid") },
        FieldSpec("auid", audit, "unmapped.auid") { unmapped($0, "auid") },
        FieldSpec("success", audit, "unmapped.success") { unmapped($0, "success") },
        FieldSpec("a0", audit, "unmapped.a0") { unmapped($0, "a0") },
        FieldSpec("a1", audit, "unmapped.a1") { unmapped($0, "a1") },
        FieldSpec("a2", audit, "unmapped.a2") { unmapped($0, "a2") },
        FieldSpec("a3", audit, "unmapped.a3") { unmapped($0, "a3") },
        FieldSpec("a4", audit, "unmapped.a4") { unmapped($0, "a4") },
        FieldSpec("a5", audit, "unmapped.a5") { unmapped($0, "a5") },
        FieldSpec("a6", audit, "unmapped.a6") { unmapped($0, "a6") },
        FieldSpec("a7", audit, "unmapped.a7") { unmapped($0, "a7") },
        FieldSpec("a8", audit, "unmapped.a8") { unmapped($0, "a8") },
        FieldSpec("a9", audit, "unmapped.a9") { unmapped($0, "a9") },
        // Auth and syslog lines (see SyslogParser).
        FieldSpec("USER", auth, "user.name | actor.user.name") { $0.user?.name ?? $0.actor?.user?.name },
        FieldSpec("TargetUser", auth, "user.name") { $0.user?.name },
        FieldSpec("program", auth, "unmapped.program") { unmapped($0, "program") },
        FieldSpec("pid", auth, "actor.process.pid") { $0.actor?.process?.pid.map(String.init) },
        FieldSpec("host", auth, "device.hostname") { $0.device?.hostname },
        FieldSpec("method", auth, "unmapped.method") { unmapped($0, "method") },
        FieldSpec("result", auth, "unmapped.result") { unmapped($0, "result") },
        FieldSpec("action", auth, "unmapped.action") { unmapped($0, "action") },
        FieldSpec("tty", auth, "unmapped.tty") { unmapped($0, "tty") },
        FieldSpec("pwd", auth, "unmapped.pwd") { unmapped($0, "pwd") },
        FieldSpec("command", auth, "unmapped.command") { unmapped($0, "command") },
        FieldSpec("group", auth, "unmapped.group") { unmapped($0, "group") },
        FieldSpec("message", auth, "message") { $0.message },
    ]

    static let byName: [String: [Int]] = Dictionary(grouping: all.indices, by: { all[$0].name })
    static let byLowerName: [String: [Int]] = Dictionary(grouping: all.indices, by: { all[$0].name.lowercased() })

    /// The spec for `field` in a log source, matching names exactly first, then ignoring case.
    public static func spec(_ field: String, indexKey: String) -> FieldSpec? {
        specIndex(field, indexKey: indexKey).map { all[$0] }
    }

    /// The index in `all` of the spec for `field` in a log source.
    static func specIndex(_ field: String, indexKey: String) -> Int? {
        let candidates = byName[field] ?? byLowerName[field.lowercased()] ?? []
        return candidates.first { all[$0].sources.isEmpty || all[$0].sources.contains(indexKey) }
            ?? (indexKey == "*" ? candidates.first : nil)
    }

    /// Whether the table maps `field` for the rule's log source.
    public static func isKnown(_ field: String, in logSource: LogSource) -> Bool {
        spec(field, indexKey: logSource.indexKey) != nil
    }

    /// How to read `field` from events of a log source: the table's extractor, else `unmapped[field]`.
    public static func extractor(_ field: String, indexKey: String) -> @Sendable (Event) -> String? {
        if let spec = spec(field, indexKey: indexKey) {
            let extract = spec.extract
            return { event in extract(event) ?? unmapped(event, field) }
        }
        return { unmapped($0, field) }
    }

    /// `event.unmapped?[key]`, by a linear scan when there are few entries: comparing a few short strings
    /// costs less than hashing the key, and this runs for many fields of every event.
    @inline(__always)
    static func unmapped(_ event: Event, _ key: String) -> String? {
        guard let fields = event.unmapped, !fields.isEmpty else { return nil }
        if fields.count > 8 { return fields[key] }
        for (name, value) in fields where name == key { return value }
        return nil
    }

    /// Whether table entry `spec` reads nothing but `unmapped[field]` (its path says exactly that; a test holds
    /// every such entry to it), so the matcher may read that entry straight from `unmapped`.
    static func readsOnlyUnmapped(_ spec: Int, _ field: String) -> Bool {
        all[spec].path == "unmapped." + field
    }

    /// One table entry's extractor, wrapped so an array of them keeps each closure as written: an array of bare
    /// closures holds them in their most general form, and every call would copy the whole `Event` to convert.
    struct Extractor: Sendable {
        let read: @Sendable (Event) -> String?
    }

    /// The table's extractors alone, for the matcher's loop (no table row to copy per read).
    static let extractors: [Extractor] = all.map { Extractor(read: $0.extract) }

    /// The text keyword rules search: the raw record, else the message.
    public static func keywordText(_ event: Event) -> String? { event.rawData ?? event.message }

    /// The log-source keys an event belongs to (its category and services, plus `*`).
    public static func logSourceKeys(of event: Event) -> [String] {
        var keys: [String] = []
        switch event.classUID {
        case .processActivity:
            if event.activityID == Activity.Process.launch { keys.append("process_creation") }
            if event.activityID == Activity.Process.terminate { keys.append("process_termination") }
        case .fileSystemActivity:
            keys.append("file_event")
            switch event.activityID {
            case Activity.File.create: keys.append("file_create")
            case Activity.File.delete: keys.append("file_delete")
            case Activity.File.rename: keys.append("file_rename")
            case Activity.File.update, Activity.File.setAttributes, Activity.File.setSecurity:
                keys.append("file_change")
            case Activity.File.read, Activity.File.open: keys.append("file_access")
            default: break
            }
        case .networkActivity:
            keys.append("network_connection")
        default:
            break
        }
        let log = event.metadata.logName ?? ""
        if log == "audit" { keys.append("auditd") }
        if log == "auth-log" || log == "syslog" {
            keys.append("syslog")
            if let program = event.unmapped?["program"]?.lowercased() {
                switch program {
                case "sshd": keys += ["sshd", "auth"]
                case "sudo": keys += ["sudo", "auth"]
                case "su": keys += ["su", "auth"]
                case "cron", "crond": keys.append("cron")
                case "useradd", "userdel", "usermod", "groupadd", "groupdel", "groupmod", "passwd", "chpasswd",
                    "chage", "gpasswd", "login", "systemd-logind", "unix_chkpwd", "polkitd", "pkexec":
                    keys.append("auth")
                default: break
                }
            }
        }
        keys.append("*")
        return keys
    }
}
