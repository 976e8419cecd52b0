import Foundation
import VigilCore

/// Turns syslog records of authentication programs (sshd, sudo, su, pam_unix, useradd, userdel, groupadd,
/// usermod, passwd, chpasswd, cron) into events with structured fields: the user, the acting user, the
/// source address and port, the method and the result. Other records become base events that keep the line,
/// so keyword rules still read them.
public enum AuthLogInterpreter {
    /// What a message means.
    enum Meaning {
        case loginSuccess, loginFailure, invalidUser, logoff, sessionOpened, sessionClosed
        case sudoCommand, sudoNotInSudoers, sudoFailure, suSuccess, suFailure
        case userAdded, userDeleted, groupAdded, groupDeleted, userModified, passwordChanged, cronCommand
    }

    /// One message shape: the programs it applies to (empty for any), a pattern with named groups
    /// `user`, `actor`, `ip`, `port`, `method`, `tty`, `pwd`, `command`, `group`, `target`, and its meaning.
    struct Shape {
        let programs: Set<String>
        let regex: NSRegularExpression?
        let meaning: Meaning

        init(_ programs: Set<String>, _ pattern: String, _ meaning: Meaning) {
            self.programs = programs
            self.regex = try? NSRegularExpression(pattern: pattern)
            precondition(regex != nil, "auth-log pattern does not compile: \(pattern)")
            self.meaning = meaning
        }
    }

    static let ip = #"(?<ip>[0-9A-Fa-f:.]+)"#
    static let shapes: [Shape] = [
        Shape(
            ["sshd"], #"^Accepted (?<method>\S+) for (?<user>\S+) from \#(ip) port (?<port>\d+)"#, .loginSuccess),
        Shape(
            ["sshd"], #"^Failed (?<method>\S+) for invalid user (?<user>\S*) from \#(ip) port (?<port>\d+)"#,
            .invalidUser),
        Shape(["sshd"], #"^Failed (?<method>\S+) for (?<user>\S+) from \#(ip) port (?<port>\d+)"#, .loginFailure),
        Shape(["sshd"], #"^Invalid user (?<user>\S*) from \#(ip)(?: port (?<port>\d+))?"#, .invalidUser),
        Shape(
            ["sshd"],
            #"^error: maximum authentication attempts exceeded for (?:invalid user )?(?<user>\S+) from \#(ip) port (?<port>\d+)"#,
            .loginFailure),
        Shape(
            ["sshd"], #"^Disconnected from (?:user )?(?<user>\S+) \#(ip) port (?<port>\d+)$"#, .logoff),
        Shape(
            [], #"^pam_unix\((?<method>[^:]+):session\): session opened for user (?<user>[^\s(]+)"#, .sessionOpened),
        Shape(
            [], #"^pam_unix\((?<method>[^:]+):session\): session closed for user (?<user>\S+)"#, .sessionClosed),
        Shape(
            [],
            #"^pam_unix\((?<method>[^:]+):auth\): authentication failure;.*?logname=(?<actor>\S*).*?rhost=(?<ip>\S*)(?:\s+user=(?<user>\S+))?"#,
            .loginFailure),
        Shape(
            [], #"authentication failure;.*?logname=(?<actor>\S*).*?rhost=(?<ip>\S*)(?:\s+user=(?<user>\S+))?"#,
            .loginFailure),
        Shape(
            ["sudo"],
            #"^\s*(?<actor>\S+) : user NOT in sudoers ; TTY=(?<tty>\S+) ; PWD=(?<pwd>.*?) ; USER=(?<user>\S+) ; COMMAND=(?<command>.*)$"#,
            .sudoNotInSudoers),
        Shape(
            ["sudo"],
            #"^\s*(?<actor>\S+) : \d+ incorrect password attempts? ; TTY=(?<tty>\S+) ; PWD=(?<pwd>.*?) ; USER=(?<user>\S+) ; COMMAND=(?<command>.*)$"#,
            .sudoFailure),
        Shape(
            ["sudo"],
            #"^\s*(?<actor>\S+) : (?:TTY=(?<tty>\S+) ; )?PWD=(?<pwd>.*?) ; USER=(?<user>\S+) ; (?:.*?; )?COMMAND=(?<command>.*)$"#,
            .sudoCommand),
        Shape(
            ["su"],
            #"^(?:FAILED su|FAILED SU) (?:for (?<user>\S+) by (?<actor>\S+)|\(to (?<target>\S+)\) (?<actor2>\S+) on (?<tty>\S+))"#,
            .suFailure),
        Shape(
            ["su"],
            #"^(?:Successful su for (?<user>\S+) by (?<actor>\S+)|\(to (?<target>\S+)\) (?<actor2>\S+) on (?<tty>\S+))"#,
            .suSuccess),
        Shape(["useradd"], #"^new user: name=(?<user>[^,]+), UID=(?<uid>\d+)"#, .userAdded),
        Shape(
            ["useradd", "groupadd"], #"^(?:new group: name=|group added to /etc/group: name=)(?<group>[^,]+)"#,
            .groupAdded),
        Shape(["userdel"], #"^delete user '(?<user>[^']+)'"#, .userDeleted),
        Shape(
            ["userdel", "groupdel"], #"^(?:removed group '(?<group2>[^']+)'|group '(?<group>[^']+)' removed)"#,
            .groupDeleted),
        Shape(
            ["usermod"],
            #"^(?:add '(?<user>[^']+)' to (?:shadow )?group '(?<group>[^']+)'|change user '(?<user2>[^']+)'.*)"#,
            .userModified),
        Shape([], #"^pam_unix\((?<method>[^:]+):chauthtok\): password changed for (?<user>\S+)"#, .passwordChanged),
        Shape(["passwd", "chpasswd"], #"^password for '(?<user>[^']+)' changed"#, .passwordChanged),
        Shape(["cron", "crond"], #"^\((?<user>[^)]+)\) CMD \((?<command>.*)\)$"#, .cronCommand),
    ]

    /// Interprets a record as an event. `id` becomes `metadata.uid`; `line` is kept as `raw_data`.
    public static func event(_ record: SyslogRecord, line: String, id: String) -> Event {
        let program = record.program ?? ""
        var event = Event(
            id: id, classUID: .baseEvent, activityID: Activity.other, time: record.time ?? 0, message: record.message,
            metadata: EventMetadata(logName: "auth-log"), device: record.hostname.map { Device(hostname: $0) },
            actor: Actor(process: VigilCore.Process(pid: record.pid, name: program)), rawData: line)
        var unmapped: [String: String] = ["program": program]
        if let module = record.module { unmapped["module"] = module }
        let text = record.message
        let range = NSRange(text.startIndex..., in: text)
        let lowerProgram = program.lowercased()
        for shape in shapes where shape.programs.isEmpty || shape.programs.contains(lowerProgram) {
            guard let regex = shape.regex, let match = regex.firstMatch(in: text, range: range) else { continue }
            func group(_ name: String) -> String? {
                let r = match.range(withName: name)
                guard r.location != NSNotFound, let swiftRange = Range(r, in: text) else { return nil }
                let value = String(text[swiftRange])
                return value.isEmpty ? nil : value
            }
            let user = group("user") ?? group("user2") ?? group("target")
            let actor = group("actor") ?? group("actor2")
            if let user { event.user = User(name: user) }
            if let actor { event.actor?.user = User(name: actor) }
            if let ip = group("ip") { event.srcEndpoint = Endpoint(ip: ip, port: group("port").flatMap { Int($0) }) }
            for name in ["method", "tty", "pwd", "command"] { if let v = group(name) { unmapped[name] = v } }
            if let g = group("group") ?? group("group2") { unmapped["group"] = g }
            apply(shape.meaning, to: &event, unmapped: &unmapped)
            break
        }
        event.unmapped = unmapped
        return event
    }

    static func apply(_ meaning: Meaning, to event: inout Event, unmapped: inout [String: String]) {
        func set(_ cls: EventClass, _ activity: Int, _ status: Int?, _ result: String, _ action: String) {
            event.classUID = cls
            event.activityID = activity
            event.statusID = status
            unmapped["result"] = result
            unmapped["action"] = action
        }
        switch meaning {
        case .loginSuccess: set(.authentication, Activity.Authentication.logon, 1, "success", "login")
        case .loginFailure: set(.authentication, Activity.Authentication.logon, 2, "failure", "login")
        case .invalidUser: set(.authentication, Activity.Authentication.logon, 2, "invalid_user", "login")
        case .logoff: set(.authentication, Activity.Authentication.logoff, 1, "success", "logoff")
        case .sessionOpened: set(.authentication, Activity.Authentication.logon, 1, "success", "session_open")
        case .sessionClosed: set(.authentication, Activity.Authentication.logoff, 1, "success", "session_close")
        case .sudoCommand: set(.authentication, Activity.Authentication.other, 1, "success", "sudo")
        case .sudoNotInSudoers: set(.authentication, Activity.Authentication.other, 2, "not_in_sudoers", "sudo")
        case .sudoFailure: set(.authentication, Activity.Authentication.other, 2, "failure", "sudo")
        case .suSuccess: set(.authentication, Activity.Authentication.other, 1, "success", "su")
        case .suFailure: set(.authentication, Activity.Authentication.other, 2, "failure", "su")
        case .userAdded: set(.accountChange, Activity.AccountChange.create, 1, "success", "user_add")
        case .userDeleted: set(.accountChange, Activity.AccountChange.delete, 1, "success", "user_delete")
        case .groupAdded: set(.accountChange, Activity.AccountChange.create, 1, "success", "group_add")
        case .groupDeleted: set(.accountChange, Activity.AccountChange.delete, 1, "success", "group_delete")
        case .userModified: set(.accountChange, Activity.AccountChange.other, 1, "success", "user_modify")
        case .passwordChanged:
            set(.accountChange, Activity.AccountChange.passwordChange, 1, "success", "password_change")
        case .cronCommand: set(.scheduledJobActivity, Activity.other, 1, "success", "cron_command")
        }
    }
}
