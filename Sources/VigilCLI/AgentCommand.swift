import Foundation
import VigilAgent
import VigilCore

extension Commands {
    static var agent: CommandSpec {
        CommandSpec(
            name: "agent",
            summary: "Run the Vigil agent: report this host's activity to a server.",
            usage: "agent --server URL --token-file FILE",
            discussion: """
                Today the agent reports every new process (from /proc), with command lines redacted (card \
                numbers masked to first six and last four digits, passwords and tokens masked) before anything \
                leaves the host. Runs until Ctrl-C or SIGTERM, then sends what is queued.
                """,
            examples: ["vigil agent --server http://127.0.0.1:8470/ --token-file .vigil/agent.token"],
            exitCodes: [(1, "the token file cannot be read")],
            options: [
                OptionSpec("server", .value(placeholder: "URL"), help: "The server's base URL."),
                OptionSpec("token-file", .value(placeholder: "FILE"), help: "The server's agent token file."),
            ],
            run: { arguments in
                let serverText = try arguments.required("server")
                guard let server = URL(string: serverText), server.scheme == "http" || server.scheme == "https",
                    server.host != nil
                else {
                    throw UsageError(
                        "--server takes a URL such as http://127.0.0.1:8470/, not '\(serverText)'",
                        path: arguments.path)
                }
                let token = try ServiceOptions.agentToken(at: try arguments.required("token-file"), create: false)
                let agent = Agent(configuration: .init(server: server, token: token))
                let task = Task { await agent.run() }
                Output.out("vigil agent on \(agent.host.hostname) reporting to \(server.absoluteString)")
                _ = await Signals.waitForTermination()
                task.cancel()
                await task.value
                let stats = agent.shipper.statistics
                Output.err("vigil agent: sent \(stats.sent), still queued \(stats.queued), dropped \(stats.dropped)")
                return 0
            })
    }
}
