import VigilCore

/// Turns assembled audit events into Vigil's OCSF-aligned `Event`s.
///
/// Process starts (execve), network connect/accept/bind/listen, operations on watched files, kernel
/// module loads, authentication and session records, account and group changes, audit configuration
/// and daemon records each get their OCSF class; anything else becomes a base event. Every event keeps
/// every record's fields in `unmapped` (interpreted values; collisions as `TYPE[i].field`). The process
/// table supplies parent executables and lineage and is updated from each event.
public struct AuditNormalizer: Sendable {
    public var hostname: String?
    public var processes: ProcessTable
    /// Keep the raw record text in `raw_data` (costly; off by default).
    public var keepRawText = false

    public init(hostname: String? = nil, processes: ProcessTable = ProcessTable()) {
        self.hostname = hostname
        self.processes = processes
    }

    /// The normalized event; the process table is updated after the event is built (so an exec's parent
    /// is what was known before it).
    public mutating func normalize(_ event: AuditEvent) -> Event {
        normalize(event, unmapped: true)
    }

    /// As `normalize(_:)`; without `unmapped`, the event's `unmapped` is left nil (the JSON path writes it
    /// from the records).
    mutating func normalize(_ event: AuditEvent, unmapped: Bool) -> Event {
        let built = build(event, unmapped: unmapped)
        processes.update(from: event)
        return built
    }

    /// An event reporting lost audit records (PCI DSS 10.7: failure of a security control).
    public func lossEvent(_ loss: AuditLoss) -> Event {
        Event(
            id: "audit-lost-\(loss.firstSerial)-\(loss.lastSerial)", classUID: .baseEvent, activityID: Activity.other,
            time: loss.time, severityID: .high, statusID: 2,
            message: "\(loss.count) audit event(s) lost: serials \(loss.firstSerial)–\(loss.lastSerial) never arrived",
            metadata: EventMetadata(logName: "audit"), device: hostname.map { Device(hostname: $0) },
            unmapped: [
                "audit.lost": String(loss.count), "audit.first_serial": String(loss.firstSerial),
                "audit.last_serial": String(loss.lastSerial),
            ])
    }

    // MARK: - Building

    private func build(_ event: AuditEvent, unmapped: Bool) -> Event {
        let primary = event.primary ?? AuditRecord(type: 0, time: event.time, serial: event.serial)
        let syscall = event.record(AuditRecordType.syscall)
        let name = syscall?.syscallName
        var out = Event(
            id: "audit-\(primary.node.map { "\($0)-" } ?? "")\(event.time)-\(event.serial)", classUID: .baseEvent,
            activityID: Activity.other, time: event.time,
            metadata: EventMetadata(sequence: UInt64(event.serial), logName: "audit"),
            device: hostname.map { Device(hostname: $0) })
        out.statusID = primary.succeeded.map { $0 ? 1 : 2 }
        out.actor = actor(of: event, primary: primary)
        if unmapped { out.unmapped = AuditNormalizer.unmapped(event) }
        if keepRawText { out.rawData = event.records.map(\.description).joined(separator: "\n") }

        let kind = event.kind ?? primary
        let type = kind.type
        if let name, let syscall, type == AuditRecordType.syscall {
            if name == "execve" || name == "execveat", event.index(of: AuditRecordType.execve) != nil {
                out.classUID = .processActivity
                out.activityID = Activity.Process.launch
                out.process = launchedProcess(event, syscall: syscall)
                out.message = "process started: \(out.process?.cmdLine ?? "?")"
                return out
            }
            if let activity = AuditNormalizer.networkActivity[name],
                let sockaddr = event.record(AuditRecordType.sockaddr),
                let address = sockaddr[.saddr].flatMap(SocketAddress.init(hex:)), address.family != "netlink"
            {
                out.classUID = .networkActivity
                let endpoint = Endpoint(ip: address.ip, port: address.port, path: address.path)
                if name == "connect" || name == "sendto" || name == "sendmsg" {
                    out.dstEndpoint = endpoint
                } else {
                    out.srcEndpoint = endpoint
                }
                out.activityID = out.statusID == 2 ? Activity.Network.fail : activity
                out.message =
                    "\(name) \(address.ip ?? address.path ?? address.family)\(address.port.map { ":\($0)" } ?? "")"
                return out
            }
            if let activity = AuditNormalizer.moduleActivity[name] {
                out.classUID = .kernelExtensionActivity
                out.activityID = activity
                let module = event.value(.name, in: AuditRecordType.kernModule)
                out.file = module.map { FileObject(path: nil, name: $0) }
                out.message = "kernel module \(activity == 1 ? "load" : "unload")\(module.map { ": \($0)" } ?? "")"
                return out
            }
            if let file = fileTarget(event) {
                out.classUID = .fileSystemActivity
                out.activityID = AuditNormalizer.fileActivity[name] ?? Activity.other
                out.file = file
                out.message = "\(name) \(file.path ?? "?")"
                return out
            }
        }
        let typeName = AuditRecordType.name(of: type)
        if type == AuditRecordType.kernModule {
            out.classUID = .kernelExtensionActivity
            out.activityID = Activity.KernelExtension.load
            out.file = kind[.name].map { FileObject(name: $0) }
            out.message = "kernel module load: \(kind[.name] ?? "?")"
        } else if let activity = AuditNormalizer.authentication[typeName] {
            out.classUID = .authentication
            out.activityID = activity
            out.user = targetUser(kind)
            out.srcEndpoint = remote(kind)
            if type == 1123 {  // USER_CMD (sudo)
                out.process = Process(pid: kind[.pid].flatMap(Int.init), cmdLine: kind[.cmd], cwd: kind[.cwd])
            }
            out.message = "\(typeName) \(kind[.op] ?? "")".trimmingSpaces()
        } else if let activity = AuditNormalizer.accountChange[typeName] {
            out.classUID = .accountChange
            out.activityID = activity
            out.user = targetUser(kind)
            out.severityID = .low
            out.message = "\(typeName) \(kind[.op] ?? "")".trimmingSpaces()
        } else if typeName == "CONFIG_CHANGE" || typeName.hasPrefix("DAEMON_") || typeName == "FEATURE_CHANGE"
            || typeName == "USYS_CONFIG" || typeName == "MAC_CONFIG_CHANGE"
        {
            out.classUID = .configStateChange
            out.activityID = Activity.other
            out.severityID = .low
            out.message = "audit \(typeName): \(kind[.op] ?? kind.fields.first.map { "\($0.name)=\($0.value)" } ?? "")"
        } else {
            out.message = typeName
        }
        return out
    }

    private func actor(of event: AuditEvent, primary: AuditRecord) -> Actor {
        let pid = primary[.pid].flatMap(Int.init)
        var process = Process(
            pid: pid, name: primary[.comm],
            file: primary[.exe].map { FileObject(path: $0, name: AuditNormalizer.baseName($0)) },
            cwd: event.value(.cwd, in: AuditRecordType.cwd))
        if let ppid = primary[.ppid].flatMap(Int.init) { process.parentProcess = parent(ppid) }
        let session = AuditNormalizer.session(primary)
        process.session = session
        process.tty = primary[.tty].flatMap { $0 == "(none)" ? nil : $0 }
        process.user = primary[.uid].map { User(uid: $0, name: primary[.upperUID]) }
        if let auid = primary[.auid], auid != "4294967295" {
            process.loginUser = User(uid: auid, name: primary[.upperAUID])
        }
        let user = process.loginUser ?? process.user
        return Actor(user: user, process: process, session: session)
    }

    private func parent(_ ppid: Int) -> ParentProcess {
        var parent = ParentProcess(pid: ppid)
        if let known = processes[ppid] {
            parent.file = known.executable.map { FileObject(path: $0, name: AuditNormalizer.baseName($0)) }
            parent.name = parent.file?.name
            parent.cmdLine = known.commandLine
            parent.user = known.uid.map { User(uid: $0) }
        }
        return parent
    }

    private func launchedProcess(_ event: AuditEvent, syscall: AuditRecord) -> Process {
        let argv = event.record(AuditRecordType.execve).map(AuditNormalizer.arguments(of:)) ?? []
        let pid = syscall[.pid].flatMap(Int.init)
        var process = Process(
            pid: pid, name: syscall[.comm], cmdLine: AuditNormalizer.commandLine(argv),
            file: syscall[.exe].map { FileObject(path: $0, name: AuditNormalizer.baseName($0)) },
            cwd: event.value(.cwd, in: AuditRecordType.cwd))
        process.user = syscall[.uid].map { User(uid: $0, name: syscall[.upperUID]) }
        if let euid = syscall[.euid], euid != syscall[.uid] {
            process.effectiveUser = User(uid: euid, name: syscall[.upperEUID])
        }
        if let auid = syscall[.auid], auid != "4294967295" {
            process.loginUser = User(uid: auid, name: syscall[.upperAUID])
        }
        process.session = AuditNormalizer.session(syscall)
        process.tty = syscall[.tty].flatMap { $0 == "(none)" ? nil : $0 }
        process.createdTime = event.time
        if let ppid = syscall[.ppid].flatMap(Int.init) {
            process.parentProcess = parent(ppid)
            var lineage = processes[ppid]?.executable.map { [$0] } ?? []
            lineage += processes.lineage(of: ppid)
            if !lineage.isEmpty { process.lineage = lineage }
        }
        return process
    }

    /// The file a syscall acted on: the last PATH item that is not the parent directory, made absolute with CWD.
    private func fileTarget(_ event: AuditEvent) -> FileObject? {
        // Indices into event.records (no copies of the records looked at).
        let records = event.records
        var paths: [Int] = []
        for i in records.indices where records[i].type == AuditRecordType.path { paths.append(i) }
        guard !paths.isEmpty,
            !event.keys.isEmpty || paths.contains(where: { records[$0].index(of: .nametype) != nil })
        else {
            return nil
        }
        let chosen =
            paths.last(where: {
                !records[$0].value(.nametype, equals: "PARENT") && !records[$0].value(.objtype, equals: "PARENT")
                    && records[$0].index(of: .name) != nil
            }) ?? paths.last(where: { records[$0].index(of: .name) != nil })
        guard let index = chosen, let field = records[index].index(of: .name),
            records[index].spans[field].encoding != .null
        else { return nil }
        let item = records[index]
        let name = item.value(at: field)
        var path = name
        if !name.hasPrefix("/"), let cwd = event.value(.cwd, in: AuditRecordType.cwd) {
            path = cwd.hasSuffix("/") ? cwd + name : cwd + "/" + name
        }
        return FileObject(
            path: path, name: AuditNormalizer.baseName(path), mode: item[.mode],
            owner: item[.ouid].map { User(uid: $0) })
    }

    private func targetUser(_ record: AuditRecord) -> User? {
        let name = record[.acct]
        let uid = record[.id] ?? record[.uid]
        if name == nil && uid == nil { return nil }
        return User(uid: record[.acct] == nil ? uid : record[.id], name: name)
    }

    private func remote(_ record: AuditRecord) -> Endpoint? {
        let addr = record[.addr].flatMap { $0 == "?" ? nil : $0 }
        let host = record[.hostname].flatMap { $0 == "?" ? nil : $0 }
        if addr == nil && host == nil { return nil }
        return Endpoint(ip: addr, hostname: host)
    }

    // MARK: - Tables and helpers

    static let networkActivity: [String: Int] = [
        "connect": Activity.Network.open, "accept": Activity.Network.open, "accept4": Activity.Network.open,
        "bind": Activity.Network.listen, "listen": Activity.Network.listen, "sendto": Activity.Network.traffic,
        "sendmsg": Activity.Network.traffic, "recvfrom": Activity.Network.traffic,
        "getpeername": Activity.Network.traffic, "getsockname": Activity.Network.traffic,
    ]

    static let moduleActivity: [String: Int] = [
        "init_module": Activity.KernelExtension.load, "finit_module": Activity.KernelExtension.load,
        "delete_module": Activity.KernelExtension.unload,
    ]

    static let fileActivity: [String: Int] = {
        var map: [String: Int] = [:]
        for name in ["open", "openat", "openat2", "open_by_handle_at"] { map[name] = Activity.File.open }
        for name in ["creat", "mkdir", "mkdirat", "mknod", "mknodat", "link", "linkat", "symlink", "symlinkat"] {
            map[name] = Activity.File.create
        }
        for name in ["unlink", "unlinkat", "rmdir"] { map[name] = Activity.File.delete }
        for name in ["rename", "renameat", "renameat2"] { map[name] = Activity.File.rename }
        for name in ["truncate", "ftruncate", "write", "writev", "pwrite64"] { map[name] = Activity.File.update }
        for name in [
            "chmod", "fchmod", "fchmodat", "chown", "fchown", "fchownat", "lchown", "utime", "utimes", "utimensat",
            "futimesat",
        ] { map[name] = Activity.File.setAttributes }
        for name in ["setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr"] {
            map[name] = Activity.File.setSecurity
        }
        for name in ["mount"] { map[name] = Activity.File.mount }
        for name in ["umount", "umount2"] { map[name] = Activity.File.unmount }
        return map
    }()

    static let authentication: [String: Int] = [
        "USER_AUTH": Activity.Authentication.logon, "USER_LOGIN": Activity.Authentication.logon,
        "USER_START": Activity.Authentication.logon, "CRED_ACQ": Activity.Authentication.logon,
        "LOGIN": Activity.Authentication.logon, "USER_LOGOUT": Activity.Authentication.logoff,
        "USER_END": Activity.Authentication.logoff, "CRED_DISP": Activity.Authentication.logoff,
        "CRED_REFR": Activity.Authentication.other, "USER_ACCT": Activity.Authentication.other,
        "USER_CMD": Activity.Authentication.other, "USER_ERR": Activity.Authentication.other,
        "GRP_AUTH": Activity.Authentication.other, "USER_ROLE_CHANGE": Activity.Authentication.other,
    ]

    static let accountChange: [String: Int] = [
        "ADD_USER": Activity.AccountChange.create, "DEL_USER": Activity.AccountChange.delete,
        "ADD_GROUP": Activity.AccountChange.create, "DEL_GROUP": Activity.AccountChange.delete,
        "USER_CHAUTHTOK": Activity.AccountChange.passwordChange, "GRP_CHAUTHTOK": Activity.AccountChange.passwordChange,
        "USER_MGMT": Activity.AccountChange.other, "GRP_MGMT": Activity.AccountChange.other,
        "ACCT_LOCK": Activity.AccountChange.lock, "ACCT_UNLOCK": Activity.AccountChange.enable,
        "CHUSER_ID": Activity.AccountChange.other, "CHGRP_ID": Activity.AccountChange.other,
    ]

    static func session(_ record: AuditRecord) -> Session? {
        let ses = record[.ses].flatMap { $0 == "4294967295" ? nil : $0 }
        let terminal = record[.terminal] ?? record[.tty].flatMap { $0 == "(none)" ? nil : $0 }
        if ses == nil && terminal == nil { return nil }
        return Session(uid: ses, terminal: terminal == "?" ? nil : terminal)
    }

    /// The argument vector of an EXECVE record: `a0…a(argc-1)`, reassembling `aN[i]` pieces of long arguments.
    public static func arguments(of record: AuditRecord) -> [String] {
        var single: [Int: String] = [:]
        var pieces: [Int: [Int: String]] = [:]
        var highest = -1
        record.storage.withUnsafeBufferPointer { bytes in
            for (index, span) in record.spans.enumerated() {
                let name = UnsafeBufferPointer(rebasing: bytes[span.nameRange])
                guard AuditRecordParser.isArgumentName(name) else { continue }
                // a<n> or a<n>[<i>]
                var i = 1
                var n = 0
                while i < name.count, name[i] >= 0x30, name[i] <= 0x39, n < 1 << 24 {
                    n = n * 10 + Int(name[i] - 0x30)
                    i += 1
                }
                // Indices past what execve allows (about a million arguments) are garbage, not argv slots.
                if n >= AuditNormalizer.maxArguments { continue }
                if i == name.count {
                    single[n] = record.value(at: index)
                    highest = max(highest, n)
                    continue
                }
                i += 1
                var piece = 0
                let digitsStart = i
                while i < name.count, name[i] >= 0x30, name[i] <= 0x39, piece < 1 << 24 {
                    piece = piece * 10 + Int(name[i] - 0x30)
                    i += 1
                }
                guard i > digitsStart, i == name.count - 1, name[i] == UInt8(ascii: "]") else { continue }
                pieces[n, default: [:]][piece] = record.value(at: index)
                highest = max(highest, n)
            }
        }
        let count = record[.argc].flatMap(Int.init) ?? highest + 1
        guard count > 0 else { return [] }
        return (0..<min(count, highest + 1)).map { n in
            if let value = single[n] { return value }
            if let parts = pieces[n] { return parts.keys.sorted().map { parts[$0] ?? "" }.joined() }
            return ""
        }
    }

    /// The last non-empty component of a path ("" for "/"), as `FileObject(path:)` names it, without
    /// splitting the whole path.
    static func baseName(_ path: String) -> String {
        let utf8 = path.utf8
        var end = utf8.endIndex
        while end > utf8.startIndex, utf8[utf8.index(before: end)] == UInt8(ascii: "/") {
            end = utf8.index(before: end)
        }
        var start = end
        while start > utf8.startIndex, utf8[utf8.index(before: start)] != UInt8(ascii: "/") {
            start = utf8.index(before: start)
        }
        return String(path[start..<end])
    }

    /// The highest argument index taken from EXECVE records (the kernel's ARG_MAX allows about 2^20).
    static let maxArguments = 1 << 20

    /// argv as one line: arguments with spaces or quotes are double-quoted.
    public static func commandLine(_ argv: [String]) -> String {
        argv.map { arg in
            if arg.isEmpty { return "\"\"" }
            if arg.contains(where: { $0 == " " || $0 == "\"" || $0 == "\t" || $0 == "\n" }) {
                return "\"" + arg.replacingAll("\"", with: "\\\"") + "\""
            }
            return arg
        }.joined(separator: " ")
    }

    /// Every field of every record, interpreted; the first occurrence under its name, later different values as
    /// `TYPE[i].field` (i counts records of that type).
    static func unmapped(_ event: AuditEvent) -> [String: String] {
        var out: [String: String] = [:]
        out.reserveCapacity(event.records.reduce(2) { $0 + $1.fields.count + 2 })
        if let kind = event.kind { out["type"] = kind.typeName }
        let keys = event.keys
        if !keys.isEmpty { out["key"] = keys.joined(separator: ",") }
        var typeCounts: [UInt16: Int] = [:]
        for record in event.records {
            let index = typeCounts[record.type, default: 0]
            typeCounts[record.type] = index + 1
            record.forEachInterpretedField { name, value in
                // One hash lookup for the usual new name; a different earlier value is put back.
                if let existing = out.updateValue(value, forKey: name), existing != value {
                    out[name] = existing
                    out["\(record.typeName)[\(index)].\(name)"] = value
                }
            }
        }
        return out
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }

    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

extension AuditRecord: CustomStringConvertible {
    /// The record written back as auditd would: `type=NAME msg=audit(SEC.MS:SERIAL): key=value …`.
    public var description: String {
        let ms = time % 1000
        let pad = ms < 10 ? "00" : ms < 100 ? "0" : ""
        var out = "\(node.map { "node=\($0) " } ?? "")type=\(typeName) msg=audit(\(time / 1000).\(pad)\(ms):\(serial)):"
        for field in fields {
            switch field.encoding {
            case .quoted: out += " \(field.name)=\"\(field.value)\""
            default: out += " \(field.name)=\(field.value)"
            }
        }
        return out
    }
}
