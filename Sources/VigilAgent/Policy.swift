import Foundation
import VigilCrypto

/// The only thing a server reply can change on the agent: which paths FIM watches and treats as sensitive, which
/// audit rules are loaded, and how often inventory runs. Everything is declarative data; nothing names a program.
public struct AgentPolicy: Sendable, Equatable, Codable {
    public var version: Int
    public var issuedAt: Int64
    public var fimWatch: [String]
    public var fimSensitive: [String]
    public var fimScanIntervalSeconds: Int
    public var auditRules: [String]
    public var inventoryIntervalSeconds: Int

    public init(
        version: Int = 0, issuedAt: Int64 = 0, fimWatch: [String] = [], fimSensitive: [String] = [],
        fimScanIntervalSeconds: Int = 43_200, auditRules: [String] = [], inventoryIntervalSeconds: Int = 86_400
    ) {
        self.version = version
        self.issuedAt = issuedAt
        self.fimWatch = fimWatch
        self.fimSensitive = fimSensitive
        self.fimScanIntervalSeconds = fimScanIntervalSeconds
        self.auditRules = auditRules
        self.inventoryIntervalSeconds = inventoryIntervalSeconds
    }
}

/// `{"payload": "<base64 JSON>", "signature": "<base64 Ed25519>"}` as the server sends it.
public struct SignedPolicy: Sendable, Codable, Equatable {
    public var payload: String
    public var signature: String

    public init(payload: String, signature: String) {
        self.payload = payload
        self.signature = signature
    }
}

/// Why a policy was refused (the agent keeps its previous one and logs this).
public struct PolicyRejection: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { "policy rejected: \(reason)" }
}

/// Verifies and decodes signed policies.
///
/// Checks, in order: both fields are base64; the Ed25519 signature over exactly the payload bytes verifies with
/// the key received at enrollment; the payload is a JSON object with only the known fields at every level (an
/// unknown field is refused, not ignored: a newer server's instruction this agent does not understand must not
/// be half-applied); no key or value names a program or command; the version is newer than the current one;
/// every path is absolute and plain; every audit rule is a watch or syscall rule (no `-e`, `-D`, `-b`, `-f`, which
/// would disable, lock or flush the host's audit configuration).
public struct PolicyVerifier: Sendable {
    public let key: Ed25519PublicKey

    public init(key: Ed25519PublicKey) { self.key = key }

    static let topFields: Set<String> = ["version", "issued_at", "fim", "audit", "inventory"]
    static let fimFields: Set<String> = ["watch", "sensitive", "scan_interval_seconds"]
    static let auditFields: Set<String> = ["rules"]
    static let inventoryFields: Set<String> = ["interval_seconds"]
    /// Words that name something to run. Matched against keys, and against values as a whole word followed by
    /// `:`/`=`, or as a path to an interpreter.
    static let commandWords = ["command", "cmd", "exec", "execute", "run", "script", "shell", "program", "hook"]

    public func verify(_ signed: SignedPolicy, currentVersion: Int) throws -> AgentPolicy {
        guard let payload = Data(base64Encoded: signed.payload).map({ Array($0) }), !payload.isEmpty else {
            throw PolicyRejection(reason: "payload is not base64")
        }
        guard let signature = Data(base64Encoded: signed.signature).map({ Array($0) }), signature.count == 64 else {
            throw PolicyRejection(reason: "signature is not a base64 64-byte Ed25519 signature")
        }
        guard key.isValidSignature(signature, for: payload) else {
            throw PolicyRejection(reason: "bad signature (not signed by the server's policy key from enrollment)")
        }
        guard let value = try? JSONDecoder().decode(StrictJSON.self, from: Data(payload)),
            let object = value.native as? [String: Any]
        else {
            throw PolicyRejection(reason: "payload is not a JSON object")
        }
        try Self.rejectCommands(object, path: "policy")
        try Self.onlyKnown(object, Self.topFields, path: "policy")
        guard let version = Self.integer(object["version"]) else {
            throw PolicyRejection(reason: "policy.version must be an integer")
        }
        guard version > currentVersion else {
            throw PolicyRejection(reason: "version \(version) is not newer than the running version \(currentVersion)")
        }
        var policy = AgentPolicy(version: version, issuedAt: Int64(Self.integer(object["issued_at"]) ?? 0))
        if let fim = object["fim"] {
            guard let fim = fim as? [String: Any] else { throw PolicyRejection(reason: "policy.fim must be an object") }
            try Self.onlyKnown(fim, Self.fimFields, path: "policy.fim")
            policy.fimWatch = try Self.paths(fim["watch"], path: "policy.fim.watch")
            policy.fimSensitive = try Self.paths(fim["sensitive"], path: "policy.fim.sensitive")
            if let interval = fim["scan_interval_seconds"] {
                guard let seconds = Self.integer(interval), (60...604_800).contains(seconds) else {
                    throw PolicyRejection(reason: "policy.fim.scan_interval_seconds must be 60…604800")
                }
                policy.fimScanIntervalSeconds = seconds
            }
        }
        if let audit = object["audit"] {
            guard let audit = audit as? [String: Any] else {
                throw PolicyRejection(reason: "policy.audit must be an object")
            }
            try Self.onlyKnown(audit, Self.auditFields, path: "policy.audit")
            policy.auditRules = try Self.strings(audit["rules"], path: "policy.audit.rules")
            for (index, rule) in policy.auditRules.enumerated() {
                let first = rule.split(separator: " ").first.map(String.init) ?? ""
                guard ["-a", "-w", "-A"].contains(first), !rule.contains("\n"), !rule.contains("\0") else {
                    throw PolicyRejection(
                        reason:
                            "policy.audit.rules[\(index)] must be a -a/-A syscall rule or a -w watch, not '\(first)'")
                }
            }
        }
        if let inventory = object["inventory"] {
            guard let inventory = inventory as? [String: Any] else {
                throw PolicyRejection(reason: "policy.inventory must be an object")
            }
            try Self.onlyKnown(inventory, Self.inventoryFields, path: "policy.inventory")
            if let interval = inventory["interval_seconds"] {
                guard let seconds = Self.integer(interval), (300...2_592_000).contains(seconds) else {
                    throw PolicyRejection(reason: "policy.inventory.interval_seconds must be 300…2592000")
                }
                policy.inventoryIntervalSeconds = seconds
            }
        }
        return policy
    }

    static func onlyKnown(_ object: [String: Any], _ known: Set<String>, path: String) throws {
        for key in object.keys.sorted() where !known.contains(key) {
            throw PolicyRejection(reason: "unknown field \(path).\(key)")
        }
    }

    static func integer(_ value: Any?) -> Int? { value as? Int }

    static func strings(_ value: Any?, path: String) throws -> [String] {
        guard let value else { return [] }
        guard let array = value as? [Any], array.count <= 10_000 else {
            throw PolicyRejection(reason: "\(path) must be a list of strings")
        }
        return try array.enumerated().map { index, item in
            guard let text = item as? String, text.utf8.count <= 4096 else {
                throw PolicyRejection(reason: "\(path)[\(index)] must be a string of at most 4096 bytes")
            }
            return text
        }
    }

    static func paths(_ value: Any?, path: String) throws -> [String] {
        let list = try strings(value, path: path)
        for (index, item) in list.enumerated() {
            let parts = item.split(separator: "/")
            guard item.hasPrefix("/"), !parts.contains(".."), !item.contains("\0"), !item.contains("\n") else {
                throw PolicyRejection(reason: "\(path)[\(index)] must be an absolute path without '..'")
            }
        }
        return list
    }

    /// Refuses a key naming a command anywhere, and a string value that looks like an instruction to run
    /// something (`command: …`, `exec=…`, `sh -c …`, `$(` or backticks).
    static func rejectCommands(_ value: Any, path: String) throws {
        if let object = value as? [String: Any] {
            for (key, item) in object {
                let lowered = key.lowercased()
                if commandWords.contains(where: { lowered.contains($0) }) {
                    throw PolicyRejection(reason: "\(path).\(key) names a command; a policy can only hold data")
                }
                try rejectCommands(item, path: "\(path).\(key)")
            }
        } else if let array = value as? [Any] {
            for (index, item) in array.enumerated() { try rejectCommands(item, path: "\(path)[\(index)]") }
        } else if let text = value as? String {
            let lowered = text.lowercased()
            let named = commandWords.contains { word in
                lowered.hasPrefix(word + ":") || lowered.hasPrefix(word + "=") || lowered.contains(" \(word)=")
                    || lowered.contains(" \(word):")
            }
            if named || lowered.contains("$(") || lowered.contains("`") || lowered.contains("sh -c ") {
                throw PolicyRejection(reason: "\(path) names a command to run; a policy can only hold data")
            }
        }
    }
}

/// JSON decoded into native Swift values (`Bool`, `Int` for integral numbers, `Double`, `String`, arrays,
/// dictionaries), so a boolean is never taken for the number 1 as an `NSNumber` from `JSONSerialization` can be.
enum StrictJSON: Decodable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([StrictJSON]), object([String: StrictJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([StrictJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: StrictJSON].self))
        }
    }

    var native: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .int(let value): value
        case .double(let value): value
        case .string(let value): value
        case .array(let values): values.map(\.native)
        case .object(let values): values.mapValues(\.native)
        }
    }
}
