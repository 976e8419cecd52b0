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
            usage: "server [--store sqlite:PATH] [--listen ADDR:PORT] [--token-file FILE]",
            discussion: """
                Agents authenticate with the token in FILE (created, mode 0600, if missing; default \
                ./.vigil/agent.token). Runs until Ctrl-C or SIGTERM.
                """,
            examples: ["vigil server", "vigil server --store sqlite:/var/lib/vigil/vigil.db --listen 127.0.0.1:8470"],
            exitCodes: [(1, "the server could not start (port in use, store unreadable)")],
            options: [
                OptionSpec(
                    "store", .value(placeholder: "URL"), help: "sqlite:PATH (default sqlite:./.vigil/vigil.db)."),
                ServiceOptions.listen,
                OptionSpec(
                    "token-file", .value(placeholder: "FILE"), help: "The agent token (default ./.vigil/agent.token)."),
            ],
            run: { arguments in
                let (host, port) = try ServiceOptions.parseListen(arguments.value("listen"), path: arguments.path)
                let storeURL = arguments.value("store") ?? "sqlite:.vigil/vigil.db"
                guard storeURL.hasPrefix("sqlite:") else {
                    throw UsageError(
                        "--store takes sqlite:PATH (PostgreSQL arrives with the server issue)", path: arguments.path)
                }
                let path = String(storeURL.dropFirst("sqlite:".count))
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty {
                    try FileManager.default.createDirectory(
                        atPath: directory, withIntermediateDirectories: true,
                        attributes: [.posixPermissions: 0o700])
                }
                let tokenFile = arguments.value("token-file") ?? ".vigil/agent.token"
                let token = try ServiceOptions.agentToken(at: tokenFile, create: true)
                let server = Server(
                    configuration: .init(http: .init(host: host, port: port), agentToken: token),
                    store: try SQLiteEventStore(path: path))
                try server.start()
                Output.out(
                    "vigil server listening on http://\(host.contains(":") ? "[\(host)]" : host):\(server.port)/ (agent token in \(tokenFile))"
                )
                _ = await Signals.waitForTermination()
                server.stop()
                return 0
            })
    }
}
