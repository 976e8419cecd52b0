/// One piece of host activity, in a JSON shape aligned with OCSF 1.x so that a SIEM takes it as it is.
///
/// Every sensor produces `Event`s; the server stores them, runs detection over them and appends them to
/// the archive. Optional objects are omitted from JSON when absent.
public struct Event: Sendable, Codable, Hashable {
    /// The OCSF schema version this shape follows.
    public static let schemaVersion = "1.1.0"

    /// Stable event id (`metadata.uid`), unique per agent; the server discards duplicates by it.
    public var id: String
    public var classUID: EventClass
    /// Activity within the class (see `Activity`).
    public var activityID: Int
    /// Event time, milliseconds since the Unix epoch.
    public var time: Int64
    public var severityID: Severity
    /// 1 success, 2 failure, 0 unknown.
    public var statusID: Int?
    public var message: String?
    public var metadata: EventMetadata
    public var device: Device?
    public var actor: Actor?
    public var process: Process?
    public var file: FileObject?
    public var srcEndpoint: Endpoint?
    public var dstEndpoint: Endpoint?
    /// The user acted upon (account changes, authentication).
    public var user: User?
    /// Source fields that have no OCSF place, kept as they were (raw audit fields, syslog fields).
    public var unmapped: [String: String]?
    /// The original record text, when the sensor keeps it (after redaction).
    public var rawData: String?

    public init(
        id: String, classUID: EventClass, activityID: Int, time: Int64, severityID: Severity = .informational,
        statusID: Int? = nil, message: String? = nil, metadata: EventMetadata, device: Device? = nil,
        actor: Actor? = nil, process: Process? = nil, file: FileObject? = nil, srcEndpoint: Endpoint? = nil,
        dstEndpoint: Endpoint? = nil, user: User? = nil, unmapped: [String: String]? = nil, rawData: String? = nil
    ) {
        self.id = id
        self.classUID = classUID
        self.activityID = activityID
        self.time = time
        self.severityID = severityID
        self.statusID = statusID
        self.message = message
        self.metadata = metadata
        self.device = device
        self.actor = actor
        self.process = process
        self.file = file
        self.srcEndpoint = srcEndpoint
        self.dstEndpoint = dstEndpoint
        self.user = user
        self.unmapped = unmapped
        self.rawData = rawData
    }

    /// OCSF `type_uid`: class × 100 + activity.
    public var typeUID: Int { classUID.rawValue * 100 + activityID }

    enum CodingKeys: String, CodingKey {
        case id = "uid"
        case classUID = "class_uid"
        case activityID = "activity_id"
        case typeUID = "type_uid"
        case time
        case severityID = "severity_id"
        case statusID = "status_id"
        case message
        case metadata
        case device
        case actor
        case process
        case file
        case srcEndpoint = "src_endpoint"
        case dstEndpoint = "dst_endpoint"
        case user
        case unmapped
        case rawData = "raw_data"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        classUID = try c.decode(EventClass.self, forKey: .classUID)
        activityID = try c.decode(Int.self, forKey: .activityID)
        time = try c.decode(Int64.self, forKey: .time)
        severityID = try c.decodeIfPresent(Severity.self, forKey: .severityID) ?? .informational
        statusID = try c.decodeIfPresent(Int.self, forKey: .statusID)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        let wire = try c.decode(MetadataWire.self, forKey: .metadata)
        metadata = wire.metadata
        // OCSF puts the id in `metadata.uid`; a top-level `uid` (older Vigil JSON) is accepted too.
        guard let uid = try wire.uid ?? c.decodeIfPresent(String.self, forKey: .id) else {
            throw DecodingError.keyNotFound(
                MetadataWire.Keys.uid,
                DecodingError.Context(codingPath: [CodingKeys.metadata], debugDescription: "metadata.uid is missing"))
        }
        id = uid
        device = try c.decodeIfPresent(Device.self, forKey: .device)
        actor = try c.decodeIfPresent(Actor.self, forKey: .actor)
        process = try c.decodeIfPresent(Process.self, forKey: .process)
        file = try c.decodeIfPresent(FileObject.self, forKey: .file)
        srcEndpoint = try c.decodeIfPresent(Endpoint.self, forKey: .srcEndpoint)
        dstEndpoint = try c.decodeIfPresent(Endpoint.self, forKey: .dstEndpoint)
        user = try c.decodeIfPresent(User.self, forKey: .user)
        unmapped = try c.decodeIfPresent([String: String].self, forKey: .unmapped)
        rawData = try c.decodeIfPresent(String.self, forKey: .rawData)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(classUID, forKey: .classUID)
        try c.encode(activityID, forKey: .activityID)
        try c.encode(typeUID, forKey: .typeUID)
        try c.encode(time, forKey: .time)
        try c.encode(severityID, forKey: .severityID)
        try c.encodeIfPresent(statusID, forKey: .statusID)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encode(MetadataWire(metadata: metadata, uid: id), forKey: .metadata)
        try c.encodeIfPresent(device, forKey: .device)
        try c.encodeIfPresent(actor, forKey: .actor)
        try c.encodeIfPresent(process, forKey: .process)
        try c.encodeIfPresent(file, forKey: .file)
        try c.encodeIfPresent(srcEndpoint, forKey: .srcEndpoint)
        try c.encodeIfPresent(dstEndpoint, forKey: .dstEndpoint)
        try c.encodeIfPresent(user, forKey: .user)
        try c.encodeIfPresent(unmapped, forKey: .unmapped)
        try c.encodeIfPresent(rawData, forKey: .rawData)
    }
}

/// `metadata` as written: `EventMetadata`'s fields plus the event id as `metadata.uid`.
private struct MetadataWire: Codable {
    var metadata: EventMetadata
    var uid: String?

    enum Keys: String, CodingKey { case uid }

    init(metadata: EventMetadata, uid: String?) {
        self.metadata = metadata
        self.uid = uid
    }

    init(from decoder: any Decoder) throws {
        metadata = try EventMetadata(from: decoder)
        uid = try decoder.container(keyedBy: Keys.self).decodeIfPresent(String.self, forKey: .uid)
    }

    func encode(to encoder: any Encoder) throws {
        try metadata.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(uid, forKey: .uid)
    }
}

/// Activity ids per class, as OCSF numbers them.
public enum Activity {
    public enum Process { public static let launch = 1, terminate = 2, open = 3, inject = 4, setUserID = 5 }
    public enum File {
        public static let create = 1, read = 2, update = 3, delete = 4, rename = 5, setAttributes = 6
        public static let setSecurity = 7, getAttributes = 8, getSecurity = 9, encrypt = 10, decrypt = 11
        public static let mount = 12, unmount = 13, open = 14
    }
    public enum Authentication { public static let logon = 1, logoff = 2, authenticationTicket = 3, other = 99 }
    public enum AccountChange {
        public static let create = 1, enable = 2, passwordChange = 3, passwordReset = 4, disable = 5
        public static let delete = 6, attachPolicy = 7, detachPolicy = 8, lock = 9, other = 99
    }
    public enum Network {
        public static let open = 1, close = 2, reset = 3, fail = 4, refuse = 5, traffic = 6, listen = 7
    }
    public enum KernelExtension { public static let load = 1, unload = 2 }
    public static let other = 99
}

/// `metadata`: who produced the event and its place in the producer's sequence.
public struct EventMetadata: Sendable, Codable, Hashable {
    public var product: Product
    public var version: String
    /// Monotonic sequence number per agent, for gap and duplicate accounting.
    public var sequence: UInt64?
    /// The sensor that produced it: `audit`, `proc`, `fim`, `auth-log`, `inventory`…
    public var logName: String?

    public init(
        product: Product = .vigil, version: String = Event.schemaVersion, sequence: UInt64? = nil,
        logName: String? = nil
    ) {
        self.product = product
        self.version = version
        self.sequence = sequence
        self.logName = logName
    }

    enum CodingKeys: String, CodingKey {
        case product, version, sequence
        case logName = "log_name"
    }
}

/// `metadata.product`.
public struct Product: Sendable, Codable, Hashable {
    public var name: String
    public var vendorName: String
    public var version: String

    public init(name: String, vendorName: String, version: String) {
        self.name = name
        self.vendorName = vendorName
        self.version = version
    }

    public static let vigil = Product(name: "Vigil", vendorName: "Vigil", version: VigilVersion.current)

    enum CodingKeys: String, CodingKey {
        case name, version
        case vendorName = "vendor_name"
    }
}

/// `device`: the host the event happened on.
public struct Device: Sendable, Codable, Hashable {
    public var hostname: String
    /// Stable host id (the machine id).
    public var uid: String?
    public var os: String?
    public var ip: String?

    public init(hostname: String, uid: String? = nil, os: String? = nil, ip: String? = nil) {
        self.hostname = hostname
        self.uid = uid
        self.os = os
        self.ip = ip
    }
}

/// `actor`: who did it — the user, the process and its session.
public struct Actor: Sendable, Codable, Hashable {
    public var user: User?
    public var process: Process?
    public var session: Session?

    public init(user: User? = nil, process: Process? = nil, session: Session? = nil) {
        self.user = user
        self.process = process
        self.session = session
    }
}

/// `user`: an account, by id and name.
public struct User: Sendable, Codable, Hashable {
    public var uid: String?
    public var name: String?

    public init(uid: String? = nil, name: String? = nil) {
        self.uid = uid
        self.name = name
    }
}

/// `session`: a login session (the audit session id, the terminal).
public struct Session: Sendable, Codable, Hashable {
    public var uid: String?
    public var terminal: String?

    public init(uid: String? = nil, terminal: String? = nil) {
        self.uid = uid
        self.terminal = terminal
    }
}

/// `process`: a running program.
public struct Process: Sendable, Codable, Hashable {
    public var pid: Int?
    public var name: String?
    public var cmdLine: String?
    /// The executable.
    public var file: FileObject?
    /// The working directory.
    public var cwd: String?
    /// Real user.
    public var user: User?
    /// Effective user, when it differs from the real one.
    public var effectiveUser: User?
    /// Login (audit) user: who logged in, whatever they became since.
    public var loginUser: User?
    public var session: Session?
    public var tty: String?
    public var parentProcess: ParentProcess?
    /// Executable paths of the ancestors, nearest first.
    public var lineage: [String]?
    /// Launch time, milliseconds since the Unix epoch.
    public var createdTime: Int64?

    public init(
        pid: Int? = nil, name: String? = nil, cmdLine: String? = nil, file: FileObject? = nil, cwd: String? = nil,
        user: User? = nil, effectiveUser: User? = nil, loginUser: User? = nil, session: Session? = nil,
        tty: String? = nil, parentProcess: ParentProcess? = nil, lineage: [String]? = nil, createdTime: Int64? = nil
    ) {
        self.pid = pid
        self.name = name
        self.cmdLine = cmdLine
        self.file = file
        self.cwd = cwd
        self.user = user
        self.effectiveUser = effectiveUser
        self.loginUser = loginUser
        self.session = session
        self.tty = tty
        self.parentProcess = parentProcess
        self.lineage = lineage
        self.createdTime = createdTime
    }

    enum CodingKeys: String, CodingKey {
        case pid, name, file, cwd, user, session, tty, lineage
        case cmdLine = "cmd_line"
        case effectiveUser = "effective_user"
        case loginUser = "login_user"
        case parentProcess = "parent_process"
        case createdTime = "created_time"
    }
}

/// `process.parent_process`: the parent, one level deep (the full chain is in `lineage`).
public struct ParentProcess: Sendable, Codable, Hashable {
    public var pid: Int?
    public var name: String?
    public var cmdLine: String?
    public var file: FileObject?
    public var user: User?

    public init(
        pid: Int? = nil, name: String? = nil, cmdLine: String? = nil, file: FileObject? = nil,
        user: User? = nil
    ) {
        self.pid = pid
        self.name = name
        self.cmdLine = cmdLine
        self.file = file
        self.user = user
    }

    enum CodingKeys: String, CodingKey {
        case pid, name, file, user
        case cmdLine = "cmd_line"
    }
}

/// `file`: a file or directory.
public struct FileObject: Sendable, Codable, Hashable {
    public var path: String?
    public var name: String?
    /// `Regular File`, `Folder`, `Symbolic Link`, …
    public var type: String?
    public var size: Int64?
    public var mode: String?
    public var owner: User?
    public var modifiedTime: Int64?
    public var hashes: [FileHash]?

    public init(
        path: String? = nil, name: String? = nil, type: String? = nil, size: Int64? = nil,
        mode: String? = nil, owner: User? = nil, modifiedTime: Int64? = nil, hashes: [FileHash]? = nil
    ) {
        self.path = path
        self.name =
            name ?? path.map { p in String(p.split(separator: "/", omittingEmptySubsequences: true).last ?? "") }
        self.type = type
        self.size = size
        self.mode = mode
        self.owner = owner
        self.modifiedTime = modifiedTime
        self.hashes = hashes
    }

    enum CodingKeys: String, CodingKey {
        case path, name, type, size, mode, owner, hashes
        case modifiedTime = "modified_time"
    }
}

/// `fingerprint`: a content hash.
public struct FileHash: Sendable, Codable, Hashable {
    public var algorithm: String
    public var value: String

    public init(algorithm: String, value: String) {
        self.algorithm = algorithm
        self.value = value
    }
}

/// `src_endpoint` / `dst_endpoint`: one side of a connection.
public struct Endpoint: Sendable, Codable, Hashable {
    public var ip: String?
    public var port: Int?
    public var hostname: String?
    /// A unix socket path.
    public var path: String?

    public init(ip: String? = nil, port: Int? = nil, hostname: String? = nil, path: String? = nil) {
        self.ip = ip
        self.port = port
        self.hostname = hostname
        self.path = path
    }
}
