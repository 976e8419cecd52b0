import Foundation
import VigilCore
import VigilHTTP
import VigilServer
import VigilStore

extension Commands {
    static var server: CommandSpec {
        CommandSpec(
            name: "server",
            summary: "Run the Vigil server: receive agents' events, store them, serve the dashboard.",
            usage: "server [--store URL] [--listen ADDR:PORT] [--token-file FILE] | server user …",
            discussion: """
                Agents authenticate with the token in FILE (created, mode 0600, if missing; default \
                ./.vigil/agent.token). People sign in with a password and an authenticator code; create the \
                first admin with 'vigil server user add NAME --role admin --password-stdin'. Runs until Ctrl-C \
                or SIGTERM.
                """,
            examples: [
                "vigil server", "vigil server --store sqlite:/var/lib/vigil/vigil.db --listen 127.0.0.1:8470",
                "vigil server --store postgres://vigil@db:5432/vigil --notify-syslog tcp://siem:6514 --notify-file /var/log/vigil/alerts.jsonl",
            ],
            exitCodes: [(1, "the server could not start (port in use, store unreadable)")],
            options: [
                StoreOption.spec,
                ServiceOptions.listen,
                OptionSpec(
                    "token-file", .value(placeholder: "FILE"), help: "The agent token (default ./.vigil/agent.token)."),
            ] + NotifyOptions.specs,
            subcommands: [serverUser],
            run: { arguments in
                let (host, port) = try ServiceOptions.parseListen(arguments.value("listen"), path: arguments.path)
                let store = try StoreOption.open(arguments.value("store"), path: arguments.path)
                let tokenFile = arguments.value("token-file") ?? ".vigil/agent.token"
                let token = try ServiceOptions.agentToken(at: tokenFile, create: true)
                let server = Server(
                    configuration: .init(
                        http: .init(host: host, port: port), agentToken: token,
                        notifiers: try NotifyOptions.notifiers(arguments)),
                    store: store)
                try server.start()
                Output.out(
                    "vigil server listening on http://\(host.contains(":") ? "[\(host)]" : host):\(server.port)/ (agent token in \(tokenFile))"
                )
                if try server.authenticator.userCount() == 0 {
                    Output.err(
                        "vigil server: no users yet; create an admin with 'vigil server user add NAME --role admin --store … --password-stdin'"
                    )
                }
                _ = await Signals.waitForTermination()
                server.stop()
                return 0
            })
    }
}
