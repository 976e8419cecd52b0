import Foundation
import VigilCore

extension EventRow {
    /// Describes a stored event for a table: who, which program, what happened, in words.
    init(rowID: Int64, hostID: Int64, hostname: String, event: Event) {
        let process = event.process ?? event.actor?.process
        self.init(
            rowID: rowID, hostID: hostID, hostname: hostname, time: event.time, classUID: event.classUID,
            severity: event.severityID, activity: Self.activity(event), kind: Self.kind(event),
            user: Self.user(event), process: process?.file?.path ?? process?.name ?? "", pid: process?.pid,
            detail: Self.detail(event), json: Self.prettyJSON(event), uid: event.id, hostUID: event.device?.uid ?? "")
    }

    static func kind(_ event: Event) -> TimelineKind {
        switch event.classUID {
        case .authentication:
            let action = event.unmapped?["action"] ?? ""
            return action == "sudo" || action == "su" ? .sudo : .login
        case .processActivity:
            let name = event.process?.file?.path?.split(separator: "/").last.map(String.init) ?? event.process?.name
            return name == "sudo" || name == "su" ? .sudo : .process
        case .networkActivity: return .connection
        case .fileSystemActivity: return .file
        case .accountChange: return .account
        default: return .other
        }
    }

    static func activity(_ event: Event) -> String {
        let failed = event.statusID == 2
        let id = event.activityID
        switch event.classUID {
        case .processActivity:
            switch id {
            case Activity.Process.launch: return "process started"
            case Activity.Process.terminate: return "process exited"
            case Activity.Process.setUserID: return "user id changed"
            case Activity.Process.inject: return "process injected"
            default: return "process activity"
            }
        case .authentication:
            let action = event.unmapped?["action"] ?? ""
            if action == "sudo" || action == "su" { return failed ? "\(action) refused" : action }
            switch id {
            case Activity.Authentication.logon: return failed ? "login failed" : "login"
            case Activity.Authentication.logoff: return "logout"
            default: return failed ? "authentication failed" : "authentication"
            }
        case .networkActivity:
            switch id {
            case Activity.Network.open: return "connection opened"
            case Activity.Network.close: return "connection closed"
            case Activity.Network.listen: return "listening"
            case Activity.Network.fail, Activity.Network.refuse: return "connection failed"
            default: return "network activity"
            }
        case .fileSystemActivity:
            switch id {
            case Activity.File.create: return "file created"
            case Activity.File.read: return "file read"
            case Activity.File.update: return "file changed"
            case Activity.File.delete: return "file deleted"
            case Activity.File.rename: return "file renamed"
            case Activity.File.setAttributes: return "attributes changed"
            case Activity.File.setSecurity: return "permissions changed"
            case Activity.File.open: return "file opened"
            default: return "file activity"
            }
        case .accountChange:
            switch id {
            case Activity.AccountChange.create: return "account created"
            case Activity.AccountChange.delete: return "account deleted"
            case Activity.AccountChange.passwordChange: return "password changed"
            case Activity.AccountChange.lock: return "account locked"
            default: return "account changed"
            }
        default:
            return event.classUID.name.lowercased()
        }
    }

    static func user(_ event: Event) -> String {
        let process = event.process ?? event.actor?.process
        let name: String?
        switch event.classUID {
        case .authentication, .accountChange:
            name = event.actor?.user?.name ?? event.user?.name ?? process?.user?.name
        default:
            name = process?.user?.name ?? event.actor?.user?.name ?? process?.user?.uid ?? event.user?.name
        }
        let login = process?.loginUser?.name
        guard let name else { return login ?? "" }
        if let login, login != name { return "\(name) (login \(login))" }
        return name
    }

    static func detail(_ event: Event) -> String {
        func endpoint(_ e: Endpoint?) -> String? {
            guard let e else { return nil }
            let host = e.hostname ?? e.ip ?? e.path
            guard let host else { return nil }
            return e.port.map { "\(host):\($0)" } ?? host
        }
        switch event.classUID {
        case .processActivity:
            return event.process?.cmdLine ?? event.process?.file?.path ?? event.message ?? ""
        case .fileSystemActivity:
            return event.file?.path ?? event.message ?? ""
        case .networkActivity:
            let source = endpoint(event.srcEndpoint)
            let destination = endpoint(event.dstEndpoint)
            switch (source, destination) {
            case (let s?, let d?): return "\(s) → \(d)"
            case (nil, let d?): return "→ \(d)"
            case (let s?, nil): return s
            default: return event.message ?? ""
            }
        case .authentication:
            var parts: [String] = []
            if let target = event.user?.name { parts.append("as \(target)") }
            if let source = endpoint(event.srcEndpoint) { parts.append("from \(source)") }
            if let command = event.unmapped?["command"] { parts.append(command) }
            if parts.isEmpty, let message = event.message { parts.append(message) }
            return parts.joined(separator: " ")
        case .accountChange:
            return [event.user?.name, event.message].compactMap { $0 }.joined(separator: ": ")
        default:
            return event.message ?? event.rawData ?? ""
        }
    }

    static func prettyJSON(_ event: Event) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(event) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
