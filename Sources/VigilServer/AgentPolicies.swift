import Dispatch
import Foundation
import Synchronization
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilStore
import VigilYAML

/// What an administrator tells every agent (wire contract v1): which paths FIM watches and treats as
/// sensitive, how often it scans, which audit rules are loaded, how often inventory runs. Data only.
///
/// Read from YAML or JSON (JSON is read as YAML, so both report line and column):
/// ```yaml
/// fim:
///   watch: [/etc, /usr/bin]
///   sensitive: [/etc/shadow]
///   scan_interval_seconds: 43200
/// audit:
///   rules: ["-w /etc/passwd -p wa -k identity"]
/// inventory:
///   interval_seconds: 86400
/// ```
/// Every section and field is optional; an absent one takes the agent's default (nothing watched, no rules,
/// 12 h scans, daily inventory), and the signed payload always states every field. The checks are the
/// agent's (`VigilAgent.PolicyVerifier`), so the server never signs a policy its agents would refuse.
public struct PolicyDocument: Sendable, Equatable {
    public var fimWatch: [String] = []
    public var fimSensitive: [String] = []
    public var fimScanIntervalSeconds = 43_200
    public var auditRules: [String] = []
    public var inventoryIntervalSeconds = 86_400

    public init() {}

    static let scanRange = 60...604_800
    static let inventoryRange = 300...2_592_000
    static let maxItems = 10_000
    static let maxItemBytes = 4096
    /// The agent refuses values that read as an instruction to run something; so does the server, first.
    static let commandWords = ["command", "cmd", "exec", "execute", "run", "script", "shell", "program", "hook"]

    /// Parses and validates a policy file.
    /// - Throws: `PolicyError` naming the file, line, column and field, and what is allowed.
    public static func parse(_ text: String, file: String) throws -> PolicyDocument {
        let documents: [YAMLNode]
        do {
            documents = try YAMLParser.parse(text, file: file, limits: .init(maxNodes: 100_000, maxDepth: 16))
        } catch let error as YAMLError {
            throw PolicyError(
                code: "policy.syntax", message: "not valid YAML or JSON: \(error.message)", file: file,
                line: error.mark?.line, column: error.mark?.column)
        }
        guard documents.count == 1, let root = documents.first, let pairs = root.mapping else {
            throw PolicyError(
                code: "policy.shape",
                message: "a policy file is one mapping with the sections fim, audit and inventory",
                file: file, line: documents.first?.mark.line, column: documents.first?.mark.column)
        }
        var document = PolicyDocument()
        let reader = Reader(file: file)
        for pair in try reader.section(pairs, path: "", known: ["fim", "audit", "inventory"]) {
            let name = pair.key.scalar ?? ""
            guard let fields = pair.value.mapping else {
                throw reader.error(pair.value, field: name, "must be a mapping (e.g. '\(name):' then indented fields)")
            }
            switch name {
            case "fim":
                for field in try reader.section(
                    fields, path: "fim", known: ["watch", "sensitive", "scan_interval_seconds"])
                {
                    switch field.key.scalar {
                    case "watch": document.fimWatch = try reader.paths(field.value, field: "fim.watch")
                    case "sensitive": document.fimSensitive = try reader.paths(field.value, field: "fim.sensitive")
                    default:
                        document.fimScanIntervalSeconds = try reader.integer(
                            field.value, field: "fim.scan_interval_seconds", range: scanRange)
                    }
                }
            case "audit":
                for field in try reader.section(fields, path: "audit", known: ["rules"]) {
                    document.auditRules = try reader.auditRules(field.value, field: "audit.rules")
                }
            default:
                for field in try reader.section(fields, path: "inventory", known: ["interval_seconds"]) {
                    document.inventoryIntervalSeconds = try reader.integer(
                        field.value, field: "inventory.interval_seconds", range: inventoryRange)
                }
            }
        }
        return document
    }

    /// The JSON an agent receives (keys sorted, so the same policy is always the same bytes).
    func payload(version: Int, issuedAt: Int64) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(
            decoding: try encoder.encode(Wire(document: self, version: version, issuedAt: issuedAt)), as: UTF8.self)
    }

    /// The payload's shape (wire contract v1); without `version`/`issued_at` it is also the file format.
    struct Wire: Codable {
        struct FIM: Codable {
            var watch: [String]
            var sensitive: [String]
            var scanIntervalSeconds: Int
            enum CodingKeys: String, CodingKey {
                case watch, sensitive
                case scanIntervalSeconds = "scan_interval_seconds"
            }
        }
        struct Audit: Codable { var rules: [String] }
        struct Inventory: Codable {
            var intervalSeconds: Int
            enum CodingKeys: String, CodingKey { case intervalSeconds = "interval_seconds" }
        }
        var version: Int?
        var issuedAt: Int64?
        var fim: FIM
        var audit: Audit
        var inventory: Inventory

        enum CodingKeys: String, CodingKey {
            case version
            case issuedAt = "issued_at"
            case fim, audit, inventory
        }

        init(document: PolicyDocument, version: Int?, issuedAt: Int64?) {
            self.version = version
            self.issuedAt = issuedAt
            fim = FIM(
                watch: document.fimWatch, sensitive: document.fimSensitive,
                scanIntervalSeconds: document.fimScanIntervalSeconds)
            audit = Audit(rules: document.auditRules)
            inventory = Inventory(intervalSeconds: document.inventoryIntervalSeconds)
        }

        var document: PolicyDocument {
            var document = PolicyDocument()
            document.fimWatch = fim.watch
            document.fimSensitive = fim.sensitive
            document.fimScanIntervalSeconds = fim.scanIntervalSeconds
            document.auditRules = audit.rules
            document.inventoryIntervalSeconds = inventory.intervalSeconds
            return document
        }
    }

    /// Reads fields with their positions for errors.
    struct Reader {
        let file: String

        func error(_ node: YAMLNode, field: String, _ what: String) -> PolicyError {
            PolicyError(
                code: "policy.invalid", message: "\(field) \(what)", file: file, line: node.mark.line,
                column: node.mark.column, field: field)
        }

        /// The pairs of a mapping, refusing unknown and repeated keys (agents refuse unknown fields too).
        func section(_ pairs: [YAMLNode.Pair], path: String, known: [String]) throws -> [YAMLNode.Pair] {
            var seen: Set<String> = []
            for pair in pairs {
                let key = pair.key.scalar ?? ""
                let field = path.isEmpty ? key : "\(path).\(key)"
                guard known.contains(key) else {
                    throw PolicyError(
                        code: "policy.unknown-field",
                        message: "unknown field '\(field.prefix(100))'; "
                            + "\(path.isEmpty ? "a policy" : path) takes only \(known.joined(separator: ", "))",
                        file: file, line: pair.key.mark.line, column: pair.key.mark.column, field: field)
                }
                guard seen.insert(key).inserted else {
                    throw error(pair.key, field: field, "is given twice; keep one")
                }
            }
            return pairs
        }

        func integer(_ node: YAMLNode, field: String, range: ClosedRange<Int>) throws -> Int {
            guard let value = node.int, range.contains(value) else {
                throw error(
                    node, field: field,
                    "must be a whole number of seconds from \(range.lowerBound) to \(range.upperBound), "
                        + "not '\((node.scalar ?? node.kindName).prefix(40))'")
            }
            return value
        }

        func strings(_ node: YAMLNode, field: String) throws -> [String] {
            if node.isNull { return [] }
            guard let items = node.sequence else {
                throw error(node, field: field, "must be a list (e.g. [\"/etc\"] or one '- item' per line)")
            }
            guard items.count <= PolicyDocument.maxItems else {
                throw error(node, field: field, "has \(items.count) items; at most \(PolicyDocument.maxItems)")
            }
            return try items.enumerated().map { index, item in
                let name = "\(field)[\(index)]"
                guard let text = item.scalar, !item.isNull else {
                    throw error(item, field: name, "must be a string, not a \(item.kindName)")
                }
                guard text.utf8.count <= PolicyDocument.maxItemBytes, !text.contains("\n"), !text.contains("\0") else {
                    throw error(item, field: name, "must be one line of at most \(PolicyDocument.maxItemBytes) bytes")
                }
                try refuseCommand(text, item, field: name)
                return text
            }
        }

        func paths(_ node: YAMLNode, field: String) throws -> [String] {
            let list = try strings(node, field: field)
            for (index, path) in list.enumerated() {
                guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                    throw error(
                        node.sequence?[index] ?? node, field: "\(field)[\(index)]",
                        "must be an absolute path without '..' (e.g. /etc/ssh), not '\(path.prefix(100))'")
                }
            }
            return list
        }

        func auditRules(_ node: YAMLNode, field: String) throws -> [String] {
            let rules = try strings(node, field: field)
            for (index, rule) in rules.enumerated() {
                let first = rule.split(separator: " ").first.map(String.init) ?? ""
                guard ["-a", "-A", "-w"].contains(first) else {
                    throw error(
                        node.sequence?[index] ?? node, field: "\(field)[\(index)]",
                        "must be an auditctl syscall rule (-a/-A …) or a watch (-w PATH …), not '\(first.prefix(20))': "
                            + "-e, -D, -b and -f would disable, flush or lock the host's audit configuration")
                }
            }
            return rules
        }

        /// The agent's test for "names a command": `command:`/`exec=`… as a word, `$(`, backticks, `sh -c`.
        func refuseCommand(_ text: String, _ node: YAMLNode, field: String) throws {
            let lowered = text.lowercased()
            let named = PolicyDocument.commandWords.contains { word in
                lowered.hasPrefix(word + ":") || lowered.hasPrefix(word + "=") || lowered.contains(" \(word)=")
                    || lowered.contains(" \(word):")
            }
            if named || lowered.contains("$(") || lowered.contains("`") || lowered.contains("sh -c ") {
                throw error(
                    node, field: field, "reads as a command to run; a policy holds only paths, rules and intervals")
            }
        }
    }
}

/// A policy file or request that cannot be used, with where and why.
public struct PolicyError: VigilError, Equatable {
    public var code: String
    public var message: String
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var field: String?

    public init(
        code: String, message: String, file: String? = nil, line: Int? = nil, column: Int? = nil, field: String? = nil
    ) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.field = field
    }

    public var location: ErrorLocation? {
        ErrorLocation(file: file, line: line, column: column, field: field)
    }
}

/// `{"payload": "<base64 JSON>", "signature": "<base64 Ed25519>"}` (wire contract v1).
public struct SignedPolicyEnvelope: Sendable, Codable, Equatable {
    public var payload: String
    public var signature: String
}

/// One stored policy version.
public struct StoredPolicy: Sendable, Equatable {
    public var version: Int
    public var issuedAt: Int64
    /// The exact JSON text the signature covers.
    public var payload: String
    /// Base64 Ed25519 signature of `payload`'s UTF-8 bytes.
    public var signature: String
    /// Who set it (`user:alice`, `token:3:ci`, `cli:root`).
    public var setBy: String

    public var envelope: SignedPolicyEnvelope {
        SignedPolicyEnvelope(payload: Data(payload.utf8).base64EncodedString(), signature: signature)
    }

    /// The settings it carries.
    public func document() throws -> PolicyDocument {
        try JSONDecoder().decode(PolicyDocument.Wire.self, from: Data(payload.utf8)).document
    }
}

/// The `agent_policies` table (migration 5): set a new version (signed once, with the key behind the
/// `policy_key` agents received at enrollment) and read the one in force. Versions only grow.
public final class PolicyStore: Sendable {
    let store: any ServerStore
    let clock: any Clock
    /// The latest policy as last read, and when (monotonic nanoseconds), so a batch reply costs no query.
    private let cache = Mutex<(at: UInt64, policy: StoredPolicy?)?>(nil)
    /// How long another node's (or the CLI's) new version may go unseen by this node.
    let cacheNanoseconds: UInt64

    public init(store: any ServerStore, clock: any Clock, cacheSeconds: Double = 5) {
        self.store = store
        self.clock = clock
        cacheNanoseconds = UInt64(cacheSeconds * 1e9)
    }

    /// The policy in force (highest version), read from the store; nil before the first is set.
    public func current() throws -> StoredPolicy? {
        let rows = try store.withSQL { sql in
            try sql.query(
                "SELECT version, issued_at, payload, signature, set_by FROM agent_policies ORDER BY version DESC LIMIT 1"
            )
        }
        guard let row = rows.first else { return nil }
        guard let version = Int(row[0] ?? ""), let issuedAt = Int64(row[1] ?? ""), let payload = row[2],
            let signature = row[3]
        else {
            throw StoreError(code: "store.policy", message: "the stored agent policy row is damaged")
        }
        return StoredPolicy(
            version: version, issuedAt: issuedAt, payload: payload, signature: signature, setBy: row[4] ?? "")
    }

    /// Stores `document` as the next version, signed.
    /// - Throws: `StoreError` (two nodes setting a policy at the same instant: one fails; set it again).
    @discardableResult
    public func set(_ document: PolicyDocument, by who: String) throws -> StoredPolicy {
        let key = try AgentDirectory(store: store, clock: clock).policyKey()
        let issuedAt = clock.nowMilliseconds()
        let stored = try store.withSQL { sql in
            try sql.transaction { () throws -> StoredPolicy in
                let last = Int(try sql.scalar("SELECT MAX(version) FROM agent_policies") ?? "0") ?? 0
                let version = last + 1
                let payload = try document.payload(version: version, issuedAt: issuedAt)
                let signature = Data(try key.signature(for: Array(payload.utf8))).base64EncodedString()
                try sql.run(
                    "INSERT INTO agent_policies (version, issued_at, payload, signature, set_by) VALUES (?, ?, ?, ?, ?)",
                    [.integer(Int64(version)), .integer(issuedAt), .text(payload), .text(signature), .text(who)])
                // The change joins the tamper-evident archive in the same transaction (who set what, when).
                try sql.run(
                    "INSERT INTO ledger_outbox (kind, ref, entry) VALUES ('policy', ?, ?)",
                    [
                        .text("policy/\(version)"),
                        .text(try Self.ledgerEntry(version, issuedAt, payload, signature, who)),
                    ])
                return StoredPolicy(
                    version: version, issuedAt: issuedAt, payload: payload, signature: signature, setBy: who)
            }
        }
        cache.withLock { $0 = (DispatchTime.now().uptimeNanoseconds, stored) }
        return stored
    }

    /// The archive entry for a policy version: one JSON line.
    static func ledgerEntry(
        _ version: Int, _ issuedAt: Int64, _ payload: String, _ signature: String, _ who: String
    ) throws -> String {
        struct Entry: Encodable {
            var kind = "policy"
            var version: Int
            var issued_at: Int64
            var set_by: String
            var payload: String
            var signature: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(
            decoding: try encoder.encode(
                Entry(version: version, issued_at: issuedAt, set_by: who, payload: payload, signature: signature)),
            as: UTF8.self)
    }

    /// The signed policy for an agent that runs `runningVersion`, when a newer one is in force.
    public func newer(than runningVersion: Int) throws -> StoredPolicy? {
        let now = DispatchTime.now().uptimeNanoseconds
        let cached = cache.withLock { entry -> StoredPolicy?? in
            guard let entry, now &- entry.at < cacheNanoseconds else { return nil }
            return .some(entry.policy)
        }
        let policy: StoredPolicy?
        if let cached {
            policy = cached
        } else {
            policy = try current()
            cache.withLock { $0 = (now, policy) }
        }
        guard let policy, policy.version > runningVersion else { return nil }
        return policy
    }
}

/// `GET`/`PUT /api/v1/policy` (admins only: `Permission.managePolicy`).
struct PolicyRoutes: Sendable {
    let policies: PolicyStore

    struct Reply: Encodable {
        var version: Int
        var issuedAt: Int64
        var setBy: String
        var policy: PolicyDocument.Wire
        var signed: SignedPolicyEnvelope

        enum CodingKeys: String, CodingKey {
            case version
            case issuedAt = "issued_at"
            case setBy = "set_by"
            case policy, signed
        }

        init(_ stored: StoredPolicy) throws {
            version = stored.version
            issuedAt = stored.issuedAt
            setBy = stored.setBy
            policy = PolicyDocument.Wire(document: try stored.document(), version: nil, issuedAt: nil)
            signed = stored.envelope
        }
    }

    func addRoutes(to router: inout SecureRouter) {
        let policies = policies
        router.add("GET", "/api/v1/policy", .managePolicy) { context in
            context.read = "agent policy"
            guard let stored = try policies.current() else {
                throw HTTPError(
                    status: 404, code: "no-policy",
                    message: "no agent policy is set; agents run their defaults (PUT /api/v1/policy sets one)")
            }
            return .json(try Reply(stored))
        }
        router.add("PUT", "/api/v1/policy", .managePolicy) { context in
            let request = context.request
            if let type = request.header("content-type"), !type.lowercased().contains("json") {
                throw HTTPError(
                    status: 415, code: "unsupported-media-type",
                    message: "the policy must be JSON (Content-Type: application/json), not \(type.prefix(60))")
            }
            guard let text = String(validating: request.body, as: UTF8.self) else {
                throw HTTPError(status: 400, code: "invalid-policy", message: "the body is not UTF-8 text")
            }
            let document: PolicyDocument
            do {
                document = try PolicyDocument.parse(text, file: "request body")
            } catch let error as PolicyError {
                context.outcome = "policy refused: \(error.description.prefix(200))"
                throw HTTPError(status: 400, code: "invalid-policy", message: error.description)
            }
            let stored = try policies.set(document, by: context.principal.logName)
            context.outcome = "agent policy version \(stored.version) set"
            return .json(try Reply(stored))
        }
    }
}
