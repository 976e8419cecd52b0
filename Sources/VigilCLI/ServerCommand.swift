import Foundation
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilLedger
import VigilRules
import VigilServer
import VigilStore

extension Commands {
    static let storeOption = OptionSpec(
        "store", .value(placeholder: "URL"),
        help: "sqlite:PATH or postgres://USER@HOST/DB (default sqlite:./.vigil/vigil.db).")

    static var server: CommandSpec {
        CommandSpec(
            name: "server",
            summary: "Run the Vigil server: enroll agents, take their events, detect, archive, serve the dashboard.",
            usage: "server [--store URL] [--listen ADDR:PORT] [--data DIR] [--tls-cert FILE --tls-key FILE] [--tls]",
            discussion: """
                Plain HTTP is served on loopback only; on any other address the server uses TLS, with the \
                certificate and key given, or a self-signed one made on first start and kept in DIR (default \
                ./.vigil). The certificate's fingerprint is printed for agents to pin. Several servers may share one \
                PostgreSQL store; the background jobs (archive, checkpoints, retention) run on one of them at a time. \
                People sign in with a password and an authenticator code; create the first admin with \
                'vigil server user add NAME --role admin --password-stdin'. Runs until Ctrl-C or SIGTERM.
                """,
            examples: [
                "vigil server",
                "vigil server --store postgres://vigil@db/vigil --listen 0.0.0.0:8470 --data /var/lib/vigil",
                "vigil server token create --uses 10 --expires 24h",
                "vigil server --notify-syslog tcp://siem:6514 --notify-file /var/log/vigil/alerts.jsonl",
            ],
            exitCodes: [(1, "the server could not start (port in use, store unreadable, bad certificate)")],
            options: [
                storeOption,
                OptionSpec(
                    "listen", .value(placeholder: "ADDR:PORT"),
                    help: "Address to serve on (default 127.0.0.1:8470; TLS required off loopback)."),
                OptionSpec(
                    "data", .value(placeholder: "DIR"), help: "Where the TLS certificate is kept (default ./.vigil)."),
                OptionSpec("tls-cert", .value(placeholder: "FILE"), help: "The TLS certificate (PEM)."),
                OptionSpec("tls-key", .value(placeholder: "FILE"), help: "The TLS private key (PEM)."),
                OptionSpec(
                    "tls-name", .repeated(placeholder: "NAME"),
                    help: "Another DNS name or IP for the self-signed certificate."),
                OptionSpec("tls", help: "Serve HTTPS on loopback too."),
                OptionSpec(
                    "rules", .value(placeholder: "DIR"), help: "Detection rules (default: the built-in ruleset)."),
            ],
            subcommands: [serverUser, serverToken, serverAgents, serverArchive, serverPolicy],
            run: { arguments in
                let (host, port) = try parseServerListen(arguments.value("listen"), path: arguments.path)
                let data = arguments.value("data") ?? ".vigil"
                try makeDirectory(data)
                let loopback = ["127.0.0.1", "::1"].contains(host)
                var tls: TLSIdentity?
                if let certFile = arguments.value("tls-cert") {
                    let keyFile = try arguments.required("tls-key")
                    tls = TLSIdentity(
                        certificatePEM: try String(contentsOfFile: certFile, encoding: .utf8),
                        privateKeyPEM: try String(contentsOfFile: keyFile, encoding: .utf8))
                } else if !loopback || arguments.flag("tls") {
                    tls = try selfSignedIdentity(data: data, extraNames: arguments.all("tls-name"))
                }
                let (store, lock) = try openServerStore(arguments.value("store"), data: data)
                let rules = try loadServerRules(arguments.value("rules"))
                let server = try Server(
                    configuration: .init(
                        http: .init(
                            host: host, port: port, tls: tls.map { ($0.certificatePEM, $0.privateKeyPEM) },
                            threadPerConnection: true),
                        certificatePEM: tls?.certificatePEM, secureCookies: tls != nil,
                        notifiers: try NotifyOptions.notifiers(arguments)),
                    store: store, rules: rules, jobLock: lock)
                try server.start()
                let scheme = tls == nil ? "http" : "https"
                Output.out(
                    "vigil server listening on \(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(server.port)/")
                if let tls { Output.out("TLS certificate fingerprint (give agents --pin): \(try tls.fingerprint)") }
                Output.out("archive verifier key: \(server.archivist.verifierKey)")
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

    static var serverToken: CommandSpec {
        CommandSpec(
            name: "token", summary: "Enrollment tokens.", usage: "server token create [--uses N] [--expires DUR]",
            examples: ["vigil server token create --uses 10 --expires 24h"],
            subcommands: [
                CommandSpec(
                    name: "create",
                    summary: "Make an enrollment token: an agent exchanges it for its own identity.",
                    usage: "server token create [--uses N] [--expires DUR] [--store URL]",
                    discussion: "Prints the token once; only its SHA-256 is stored. DUR: 90s, 30m, 24h, 7d.",
                    examples: [
                        "vigil server token create --uses 50 --expires 24h --store sqlite:/var/lib/vigil/vigil.db"
                    ],
                    options: [
                        storeOption,
                        OptionSpec("uses", .value(placeholder: "N"), help: "How many agents may use it (default 1)."),
                        OptionSpec(
                            "expires", .value(placeholder: "DUR"), help: "How long it is good for (default 24h)."),
                    ],
                    run: { arguments in
                        let uses = try arguments.integer("uses", default: 1)
                        guard uses >= 1 else { throw UsageError("--uses must be at least 1", path: arguments.path) }
                        let duration = try parseDuration(arguments.value("expires") ?? "24h", path: arguments.path)
                        let (store, _) = try openServerStore(arguments.value("store"), data: nil)
                        let directory = AgentDirectory(store: store, clock: SystemClock())
                        let token = try directory.createToken(
                            uses: uses, expiresAt: SystemClock().nowMilliseconds() + duration)
                        Output.out(token)
                        return 0
                    })
            ])
    }

    static var serverAgents: CommandSpec {
        CommandSpec(
            name: "agents", summary: "Enrolled agents.", usage: "server agents list|revoke",
            examples: ["vigil server agents list", "vigil server agents revoke ag_0123456789abcdef01234567"],
            subcommands: [
                CommandSpec(
                    name: "list", summary: "List enrolled agents.", usage: "server agents list [--store URL] [--json]",
                    examples: ["vigil server agents list --store postgres://vigil@db/vigil --json"],
                    options: [storeOption, OptionSpec("json", help: "One JSON object per line.")],
                    run: { arguments in
                        let (store, _) = try openServerStore(arguments.value("store"), data: nil)
                        for agent in try store.agents() {
                            if arguments.flag("json") {
                                struct Row: Encodable {
                                    var id, host_uid, hostname: String
                                    var enrolled_at: Int64
                                    var revoked_at: Int64?
                                }
                                Output.out(
                                    try JSON.line(
                                        Row(
                                            id: agent.id, host_uid: agent.hostUID, hostname: agent.hostname,
                                            enrolled_at: agent.enrolledAt, revoked_at: agent.revokedAt)))
                            } else {
                                Output.out(
                                    "\(agent.id)\t\(agent.hostname)\t\(agent.hostUID)\t"
                                        + (agent.revokedAt == nil ? "active" : "revoked"))
                            }
                        }
                        return 0
                    }),
                CommandSpec(
                    name: "revoke", summary: "Revoke an agent: its credential stops working at once.",
                    usage: "server agents revoke ID [--store URL]",
                    examples: ["vigil server agents revoke ag_0123456789abcdef01234567"],
                    exitCodes: [(1, "no such agent")],
                    options: [storeOption], arguments: ["ID"],
                    run: { arguments in
                        let (store, _) = try openServerStore(arguments.value("store"), data: nil)
                        let id = arguments.positionals[0]
                        guard try store.revokeAgent(id: id, at: SystemClock().nowMilliseconds()) else {
                            throw CLIError("no agent \(id); see 'vigil server agents list'")
                        }
                        Output.out("revoked \(id)")
                        return 0
                    }),
            ])
    }

    static var serverPolicy: CommandSpec {
        CommandSpec(
            name: "policy", summary: "The signed policy every agent receives.", usage: "server policy set|show",
            examples: ["vigil server policy set /etc/vigil/policy.yaml", "vigil server policy show --json"],
            subcommands: [
                CommandSpec(
                    name: "set",
                    summary: "Store FILE (YAML or JSON) as the next policy version, signed with the policy key.",
                    usage: "server policy set FILE [--store URL]",
                    discussion: """
                        FILE holds any of: fim.watch and fim.sensitive (absolute paths), fim.scan_interval_seconds \
                        (60-604800), audit.rules (auditctl -a/-A/-w rules), inventory.interval_seconds \
                        (300-2592000); absent fields take the agents' defaults. Anything else is refused with the \
                        file, line and field. Agents running an older version receive the new one, signed with \
                        the Ed25519 key whose public half they got at enrollment, in their next batch reply.
                        """,
                    examples: ["vigil server policy set policy.yaml --store sqlite:/var/lib/vigil/vigil.db"],
                    exitCodes: [(1, "the file cannot be read or is not a valid policy (nothing is stored)")],
                    options: [storeOption], arguments: ["FILE"],
                    run: { arguments in
                        let file = arguments.positionals[0]
                        guard let data = FileManager.default.contents(atPath: file),
                            let text = String(data: data, encoding: .utf8)
                        else { throw CLIError("cannot read \(file) as UTF-8 text") }
                        let document = try PolicyDocument.parse(text, file: file)
                        let (store, _) = try openServerStore(arguments.value("store"), data: nil)
                        let who = "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown")
                        let stored = try PolicyStore(store: store, clock: SystemClock()).set(document, by: who)
                        Output.out("agent policy version \(stored.version) set")
                        return 0
                    }),
                CommandSpec(
                    name: "show", summary: "Print the policy in force: version, who set it, and its payload.",
                    usage: "server policy show [--store URL] [--json]",
                    examples: ["vigil server policy show --store postgres://vigil@db/vigil"],
                    exitCodes: [(1, "no policy has been set")],
                    options: [storeOption, OptionSpec("json", help: "The signed policy as agents receive it.")],
                    run: { arguments in
                        let (store, _) = try openServerStore(arguments.value("store"), data: nil)
                        guard let stored = try PolicyStore(store: store, clock: SystemClock()).current() else {
                            throw CLIError(
                                "no agent policy is set; agents run their defaults (vigil server policy set)")
                        }
                        if arguments.flag("json") {
                            Output.out(try JSON.line(stored.envelope))
                        } else {
                            Output.out("version \(stored.version), set by \(stored.setBy) at \(stored.issuedAt) ms")
                            Output.out(stored.payload)
                        }
                        return 0
                    }),
            ])
    }

    static var serverArchive: CommandSpec {
        CommandSpec(
            name: "archive", summary: "The server's archive.", usage: "server archive export DIR [--store URL]",
            examples: ["vigil server archive export /tmp/vigil-archive"],
            subcommands: [
                CommandSpec(
                    name: "export",
                    summary:
                        "Write the archive (every event and alert, checkpoints) to a directory for 'vigil archive'.",
                    usage: "server archive export DIR [--store URL]",
                    discussion: "DIR must be new. Prints the verifier key to give 'vigil archive verify DIR --vkey'.",
                    examples: ["vigil server archive export /tmp/a && vigil archive verify /tmp/a --vkey KEY"],
                    options: [storeOption], arguments: ["DIR"],
                    run: { arguments in
                        let (store, _) = try openServerStore(arguments.value("store"), data: nil)
                        let archivist = try Archivist(store: store)
                        try archivist.export(to: arguments.positionals[0])
                        Output.out(archivist.verifierKey)
                        return 0
                    })
            ])
    }

    /// Opens `sqlite:PATH` or a PostgreSQL URL/conninfo, with the matching job lock.
    static func openServerStore(_ url: String?, data: String?) throws -> (any ServerStore, any JobLock) {
        let url = url ?? "sqlite:\(data ?? ".vigil")/vigil.db"
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") || url.hasPrefix("host=") {
            let store = try PostgresEventStore(conninfo: url)
            return (store, PostgresJobLock(conninfo: url))
        }
        guard url.hasPrefix("sqlite:") else {
            throw CLIError("--store takes sqlite:PATH or postgres://USER@HOST/DB, not '\(url)'")
        }
        let path = String(url.dropFirst("sqlite:".count))
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try makeDirectory(directory) }
        return (try SQLiteEventStore(path: path), FileJobLock(path: path + ".jobs.lock"))
    }

    static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// The self-signed identity in DATA/tls.crt and DATA/tls.key, made on first start.
    static func selfSignedIdentity(data: String, extraNames: [String]) throws -> TLSIdentity {
        let certPath = "\(data)/tls.crt"
        let keyPath = "\(data)/tls.key"
        if let cert = try? String(contentsOfFile: certPath, encoding: .utf8),
            let key = try? String(contentsOfFile: keyPath, encoding: .utf8)
        {
            return TLSIdentity(certificatePEM: cert, privateKeyPEM: key)
        }
        let hostname = ProcessInfo.processInfo.hostName
        let ips = extraNames.filter { $0.contains(":") || $0.allSatisfy { $0.isNumber || $0 == "." } }
        let dns = Array(Set(["localhost", hostname] + extraNames.filter { !ips.contains($0) })).sorted()
        let identity = try TLSIdentity.selfSigned(dnsNames: dns, ipAddresses: ["127.0.0.1", "::1"] + ips)
        guard
            FileManager.default.createFile(
                atPath: keyPath, contents: Data(identity.privateKeyPEM.utf8), attributes: [.posixPermissions: 0o600]),
            FileManager.default.createFile(
                atPath: certPath, contents: Data(identity.certificatePEM.utf8), attributes: [.posixPermissions: 0o644])
        else { throw CLIError("cannot write the TLS certificate to \(data); check the directory's permissions") }
        return identity
    }

    /// The server's rules: DIR, or the built-in ruleset. Any rule error stops the start.
    static func loadServerRules(_ directory: String?) throws -> RuleSet {
        let path = try directory ?? builtinRulesDirectory()
        var files: [(text: String, file: String)] = []
        for file in try ruleFiles(path) { files.append((try readText(file), file)) }
        let result = SigmaLoader.load(files)
        if let error = result.errors.first {
            throw CLIError("the rules in \(path) do not load: \(error); fix them or give --rules")
        }
        return RuleSet(rules: result.rules, correlations: result.correlations)
    }

    /// `ADDR:PORT`; any address (TLS is used off loopback).
    static func parseServerListen(_ text: String?, path: [String]) throws -> (host: String, port: UInt16) {
        guard let text else { return ("127.0.0.1", 8470) }
        if text.hasPrefix("127.0.0.1:") || text.hasPrefix("[::1]:") || text.hasPrefix("localhost:") {
            return try ServiceOptions.parseListen(text, path: path)
        }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw UsageError("--listen takes ADDR:PORT, e.g. 0.0.0.0:8470", path: path)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// `90s`, `30m`, `24h`, `7d` → milliseconds.
    static func parseDuration(_ text: String, path: [String]) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard let unit = text.last.flatMap({ units[$0] }), let value = Int64(text.dropLast()), value > 0,
            value < Int64.max / unit
        else { throw UsageError("'\(text)' is not a duration; write 90s, 30m, 24h or 7d", path: path) }
        return value * unit
    }
}
