import Foundation
import VigilAgent
import VigilCore
import VigilHTTP
import VigilServer
import VigilStore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
                let (store, lock) = try openServerStore("sqlite:\(data)/vigil.db", data: data)
                let server = try Server(
                    configuration: .init(http: .init(host: host, port: port)),
                    store: store, rules: try loadServerRules(nil), jobLock: lock)
                try server.start()
                let firstAdmin = try server.authenticator.createFirstAdminIfNone()
                let urlHost = host.contains(":") ? "[\(host)]" : host
                let url = "http://\(urlHost):\(server.port)/"
                // The in-process agent enrolls over loopback like any other, with a one-use token.
                let facts = HostFacts.read()
                let credential = try await enrollLocalAgent(
                    server: server, url: URL(string: url)!, host: facts.device)
                let agent = LegacyAgent(configuration: .init(server: URL(string: url)!, token: credential), host: facts)
                let agentTask = Task { await agent.run() }
                Output.out(
                    """
                    Vigil \(VigilVersion.current) is running.
                      Dashboard:  \(url)
                      Store:      \(data)/vigil.db (SQLite)
                      Agent:      watching new processes on \(agent.host.hostname)
                    Press Ctrl-C to stop.
                    """)
                if let firstAdmin {
                    Output.out(
                        """

                        First start: created the user '\(firstAdmin.user.name)' (admin). Shown once — keep them safe:
                          Password:   \(firstAdmin.password)
                          TOTP:       \(firstAdmin.otpauthURI)
                        Add the TOTP URI to an authenticator app, then sign in at \(url)login
                        """)
                }
                let signal = await Signals.waitForTermination()
                Output.err("vigil: received signal \(signal), stopping")
                agentTask.cancel()
                await agentTask.value
                server.stop()
                return 0
            })
    }

    /// Creates a one-use enrollment token and enrolls `host` with it; returns `agent_id.secret`.
    static func enrollLocalAgent(server: Server, url: URL, host: Device) async throws -> String {
        guard host.uid != nil else {
            throw CLIError("this host has no /etc/machine-id; the agent cannot enroll (run systemd-machine-id-setup)")
        }
        let token = try server.agents.createToken(uses: 1, expiresAt: SystemClock().nowMilliseconds() + 60_000)
        var request = URLRequest(url: url.appendingPathComponent("api/v1/agents/enroll"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSON.encoder().encode(EnrollmentRequest(token: token, host: host))
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 201 else {
            throw CLIError("the local agent could not enroll: \(String(decoding: data, as: UTF8.self))")
        }
        return try JSONDecoder().decode(EnrollmentReply.self, from: data).credential
    }
}
