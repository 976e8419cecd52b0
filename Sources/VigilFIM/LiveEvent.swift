import VigilCore
import VigilSystem

/// One real-time file event: what happened to which path, and the process that did it.
public struct LiveEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case created, deleted, modified, attributes, movedFrom = "moved-from", movedTo = "moved-to"
        case opened, read, executed
        /// Events the kernel or Vigil's queue dropped; `count` says how many (or 0 when the kernel
        /// only says "some").
        case lost

        /// OCSF File System Activity `activity_id`.
        var activityID: Int {
            switch self {
            case .created: Activity.File.create
            case .deleted: Activity.File.delete
            case .modified: Activity.File.update
            case .attributes: Activity.File.setAttributes
            case .movedFrom, .movedTo: Activity.File.rename
            case .opened: Activity.File.open
            case .read, .executed: Activity.File.read
            case .lost: Activity.other
            }
        }
    }

    public var kind: Kind
    public var path: BytePath
    /// Milliseconds since the epoch, of the first event of a burst.
    public var time: Int64
    /// The process that acted; nil where attribution is missing (inotify) or the process had exited.
    public var process: ProcessIdentity?
    /// Whether the path is marked sensitive.
    public var sensitive: Bool
    /// How many kernel events this one stands for (a burst of writes is one event).
    public var count: Int

    public init(
        kind: Kind, path: BytePath, time: Int64, process: ProcessIdentity?, sensitive: Bool = false, count: Int = 1
    ) {
        self.kind = kind
        self.path = path
        self.time = time
        self.process = process
        self.sensitive = sensitive
        self.count = count
    }

    /// The event in Vigil's OCSF shape (class 1001, File System Activity).
    public func event(hostname: String, sequence: UInt64, attribution: String) -> Event {
        var actor: Actor?
        if let process {
            let user = process.uid.map { User(uid: String($0), name: ProcessIdentity.userName($0)) }
            var ocsf = VigilCore.Process(pid: Int(process.pid), name: process.name)
            ocsf.file = process.executable.map { FileObject(path: $0.description) }
            ocsf.user = user
            ocsf.effectiveUser = process.effectiveUID.map { User(uid: String($0), name: ProcessIdentity.userName($0)) }
            ocsf.loginUser = process.loginUID.map { User(uid: String($0), name: ProcessIdentity.userName($0)) }
            actor = Actor(user: user, process: ocsf)
        }
        let severity: Severity = kind == .lost ? .high : (sensitive ? .medium : .low)
        var unmapped = ["fim.kind": kind.rawValue, "fim.count": String(count), "fim.attribution": attribution]
        if sensitive { unmapped["fim.sensitive"] = "true" }
        let message =
            kind == .lost
            ? "FIM lost \(count == 0 ? "some" : String(count)) events (queue overflow)"
            : "\(kind.rawValue) \(path)"
                + (process.map { " by pid \($0.pid) \($0.executable?.description ?? "?")" } ?? "")
        return Event(
            id: "fim-\(time)-\(sequence)", classUID: .fileSystemActivity, activityID: kind.activityID, time: time,
            severityID: severity, message: message, metadata: EventMetadata(sequence: sequence, logName: "fim"),
            device: Device(hostname: hostname), actor: actor,
            file: kind == .lost ? nil : FileObject(path: path.description), unmapped: unmapped)
    }
}
