import Foundation
import VigilCore
import VigilServer
import VigilStore

extension Commands {
    /// `vigil server user`: people who sign in to the dashboard and API.
    static var serverUser: CommandSpec {
        CommandSpec(
            name: "user",
            summary: "Add, list, disable and enable the people who sign in (password + authenticator code).",
            usage: "server user <command> [options]",
            discussion: """
                Roles: admin (everything, including users and tokens), analyst (reads everything, works alerts), \
                auditor (reads everything including the access log, may verify the archive, changes nothing). \
                Passwords need 12 characters with letters and digits (PCI DSS 8.3.6).
                """,
            examples: [
                "printf '%s\\n' \"$PASSWORD\" | vigil server user add alice --role admin --store sqlite:/var/lib/vigil/vigil.db --password-stdin",
                "vigil server user list --store sqlite:/var/lib/vigil/vigil.db",
                "vigil server user disable alice --store sqlite:/var/lib/vigil/vigil.db",
            ],
            subcommands: [userAdd, userList, userSetDisabled(true), userSetDisabled(false)])
    }

    static var userAdd: CommandSpec {
        CommandSpec(
            name: "add",
            summary: "Create a user; prints the TOTP secret as an otpauth:// URI for an authenticator app.",
            usage: "server user add NAME --role admin|analyst|auditor [--store URL] --password-stdin",
            discussion: """
                The password is read from the first line of standard input (never from the command line, where \
                other users could see it). The otpauth:// URI is shown once: scan it or type its secret into the \
                authenticator app now.
                """,
            examples: [
                "vigil server user add alice --role admin --store sqlite:.vigil/vigil.db --password-stdin < pw.txt"
            ],
            exitCodes: [(1, "the name is taken or invalid, the password too weak, or the store unusable")],
            options: [
                OptionSpec("role", .value(placeholder: "ROLE"), help: "admin, analyst or auditor."),
                StoreOption.spec,
                OptionSpec("password-stdin", help: "Read the password from standard input (required)."),
            ],
            arguments: ["NAME"],
            run: { arguments in
                let roleText = try arguments.required("role")
                guard let role = Role(name: roleText) else {
                    throw UsageError("--role takes admin, analyst or auditor, not '\(roleText)'", path: arguments.path)
                }
                guard arguments.flag("password-stdin") else {
                    throw UsageError(
                        "give the password on standard input with --password-stdin (never as an argument)",
                        path: arguments.path)
                }
                let input = FileHandle.standardInput.readDataToEndOfFile()
                let password = String(
                    String(decoding: input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                        .first ?? ""
                ).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                let store = try StoreOption.open(arguments.value("store"), path: arguments.path)
                let authenticator = Authenticator(store: store, clock: SystemClock())
                let created: NewUser
                do {
                    created = try authenticator.addUser(name: arguments.positionals[0], role: role, password: password)
                } catch let error as PeopleError {
                    throw CLIError(error.message)
                }
                Output.out(
                    """
                    created \(created.user.role.rawValue) '\(created.user.name)'
                    TOTP (add to an authenticator app now; it is not shown again):
                    \(created.otpauthURI)
                    """)
                return 0
            })
    }

    static var userList: CommandSpec {
        CommandSpec(
            name: "list",
            summary: "List users: name, role, and whether disabled or locked out.",
            usage: "server user list [--store URL]",
            examples: ["vigil server user list --store sqlite:.vigil/vigil.db"],
            exitCodes: [(1, "the store is unusable")],
            options: [StoreOption.spec],
            run: { arguments in
                let store = try StoreOption.open(arguments.value("store"), path: arguments.path)
                let users = try Authenticator(store: store, clock: SystemClock()).listUsers()
                let now = SystemClock().nowMilliseconds()
                if users.isEmpty { Output.out("no users; add one with 'vigil server user add NAME --role admin …'") }
                for user in users {
                    var state = user.disabled ? "disabled" : "active"
                    if user.lockedUntil > now { state += ", locked out" }
                    Output.out("\(user.name)\t\(user.role.rawValue)\t\(state)")
                }
                return 0
            })
    }

    static func userSetDisabled(_ disabled: Bool) -> CommandSpec {
        let name = disabled ? "disable" : "enable"
        return CommandSpec(
            name: name,
            summary: disabled
                ? "Disable a user and end their sessions." : "Enable a user again (also clears a lockout).",
            usage: "server user \(name) NAME [--store URL]",
            examples: ["vigil server user \(name) alice --store sqlite:.vigil/vigil.db"],
            exitCodes: [(1, "there is no such user, or the store is unusable")],
            options: [StoreOption.spec],
            arguments: ["NAME"],
            run: { arguments in
                let store = try StoreOption.open(arguments.value("store"), path: arguments.path)
                let user = arguments.positionals[0]
                guard try Authenticator(store: store, clock: SystemClock()).setDisabled(name: user, disabled) else {
                    throw CLIError("there is no user '\(user)'; see 'vigil server user list'")
                }
                Output.out("\(name)d '\(user)'")
                return 0
            })
    }
}
