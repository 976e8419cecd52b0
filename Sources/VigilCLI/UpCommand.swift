import Foundation
import VigilAgent
import VigilCore
import VigilHTTP
import VigilServer
import VigilStore

extension Commands {
    static var up: CommandSpec {
        CommandSpec(
            name: "up",
            summary: "Run a server and an agent on this host (what `make run` starts).",
            usage: "up [--listen ADDR:PORT] [--data DIR]",
            discussion: """
                Starts the server with its SQLite store under DIR (default ./.vigil), and an agent that reports \
                every new process on this host to it. Prints the dashboard URL, then runs until Ctrl-C or SIGTERM.
                """,
            examples: ["vigil up", "vigil up --listen 127.0.0.1:9000 --data /var/lib/vigil"],
            exitCodes: [(1, "the server could not start (port in use, store unreadable)")],
            options: [
                ServiceOptions.listen,
                OptionSpec(
                    "data", .value(placeholder: "DIR"), help: "Where the store and tokens live (default ./.vigil)."),
            ],
            run: { arguments in
                let (host, port) = try ServiceOptions.parseListen(arguments.value("listen"), path: arguments.path)
                let data = arguments.value("data") ?? ".vigil"
                try FileManager.default.createDirectory(
                    atPath: data, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
                let token = try ServiceOptions.agentToken(at: "\(data)/agent.token", create: true)
                let store = try SQLiteEventStore(path: "\(data)/vigil.db")
                let server = Server(
                    configuration: .init(http: .init(host: host, port: port), agentToken: token), store: store)
                try server.start()
                let urlHost = host.contains(":") ? "[\(host)]" : host
                let url = "http://\(urlHost):\(server.port)/"
                let agent = LegacyAgent(configuration: .init(server: URL(string: url)!, token: token))
                let agentTask = Task { await agent.run() }
                Output.out(
                    """
                    Vigil \(VigilVersion.current) is running.
                      Dashboard:  \(url)
                      Store:      \(data)/vigil.db (SQLite)
                      Agent:      watching new processes on \(agent.host.hostname)
                    Press Ctrl-C to stop.
                    """)
                let signal = await Signals.waitForTermination()
                Output.err("vigil: received signal \(signal), stopping")
                agentTask.cancel()
                await agentTask.value
                server.stop()
                return 0
            })
    }
}
