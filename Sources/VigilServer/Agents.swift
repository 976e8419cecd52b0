import Foundation
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilLedger
import VigilStore

/// Enrollment tokens, enrollment, and agent authentication (wire contract v1).
///
/// Tokens, agent secrets and the policy key are random; the store keeps only the SHA-256 of tokens and
/// secrets, and comparisons of secrets are constant-time.
public struct AgentDirectory: Sendable {
    public let store: any ServerStore
    public let clock: any Clock

    public init(store: any ServerStore, clock: any Clock) {
        self.store = store
        self.clock = clock
    }

    /// Creates an enrollment token good for `uses` enrollments until `expiresAt` (nil: no expiry).
    /// - Returns: the token text, shown once; only its hash is stored.
    public func createToken(uses: Int, expiresAt: Int64?) throws -> String {
        precondition(uses > 0, "a token is good for at least one enrollment")
        let token = "vet_" + Base64URL.encode(try SecureRandom.bytes(32))
        let id = Hex.encode(try SecureRandom.bytes(8))
        try store.addEnrollmentToken(
            id: id, sha256: SHA256.hash(token).bytes, uses: uses, expiresAt: expiresAt,
            createdAt: clock.nowMilliseconds())
        return token
    }

    /// The Ed25519 key that signs policies; agents receive its public half at enrollment.
    public func policyKey() throws -> Ed25519PrivateKey {
        let text = try store.serverSecret("policy-signing-seed") { Hex.encode(try SecureRandom.bytes(32)) }
        guard let seed = Hex.decode(text) else {
            throw StoreError(code: "store.secret", message: "the stored policy key is not hex; the store is damaged")
        }
        return try Ed25519PrivateKey(seed: seed)
    }

    /// `POST /api/v1/agents/enroll`.
    func enroll(_ request: HTTPRequest, log: SecurityLog) throws -> HTTPResponse {
        let body = try request.decodeJSON(EnrollmentRequest.self)
        guard let hostUID = body.host.uid, !hostUID.isEmpty, hostUID.utf8.count <= 256,
            !body.host.hostname.isEmpty, body.host.hostname.utf8.count <= 256
        else {
            throw HTTPError(
                status: 400, code: "invalid-host",
                message: "host.uid (the machine id) and host.hostname are required, each at most 256 bytes")
        }
        let agentID = "ag_" + Hex.encode(try SecureRandom.bytes(12))
        let secret = Base64URL.encode(try SecureRandom.bytes(32))
        let now = clock.nowMilliseconds()
        let refusal = try store.enroll(
            tokenSHA256: SHA256.hash(body.token).bytes,
            agent: AgentRecord(
                id: agentID, hostUID: hostUID, hostname: body.host.hostname, secretSHA256: SHA256.hash(secret).bytes,
                enrolledAt: now), now: now)
        if let refusal {
            log.record(
                "enroll.\(refusal.rawValue)", request: request,
                detail: "enrollment refused for host \(hostUID): token \(refusal.rawValue)")
            throw HTTPError(
                status: 401, code: "enrollment-refused",
                message: "the enrollment token is unknown, used up or expired; ask the administrator for a new one "
                    + "(vigil server token create)")
        }
        log.record(
            "enroll.accepted", request: request, agentID: agentID,
            detail: "agent enrolled for host \(hostUID) (\(body.host.hostname))")
        return .json(
            EnrollmentReply(
                agentID: agentID, secret: secret,
                policyKey: Data(try policyKey().publicKey.rawRepresentation).base64EncodedString()),
            status: 201)
    }

    /// Why a bearer credential names no usable agent: the security-log kind, a detail, the agent id when known.
    struct CredentialRefusal: Error {
        var kind: String
        var detail: String
        var agentID: String?
    }

    /// The enrolled, unrevoked agent a bearer credential `<agent_id>.<secret>` names.
    /// - Throws: `CredentialRefusal` saying why not.
    func agent(credential: Substring) throws -> AgentRecord {
        guard let dot = credential.firstIndex(of: "."), credential.utf8.count <= 512 else {
            throw CredentialRefusal(kind: "auth.malformed", detail: "the credential is not agent_id.secret")
        }
        let agentID = String(credential[..<dot])
        let secret = String(credential[credential.index(after: dot)...])
        guard let agent = try store.agent(id: agentID) else {
            throw CredentialRefusal(kind: "auth.unknown-agent", detail: "no agent with this id")
        }
        guard ConstantTime.equals(SHA256.hash(secret).bytes, agent.secretSHA256) else {
            throw CredentialRefusal(kind: "auth.bad-secret", detail: "wrong secret", agentID: agentID)
        }
        guard agent.revokedAt == nil else {
            throw CredentialRefusal(kind: "auth.revoked", detail: "the agent is revoked", agentID: agentID)
        }
        return agent
    }

    /// The agent id a bearer credential names, when it is valid and not revoked (nil otherwise). The gate calls
    /// this to tell agents from people: a credential not shaped `agent_id.secret` is simply not an agent's; other
    /// refusals go to the security log (the access log has the request).
    func agentID(credential: String, log: SecurityLog) throws -> String? {
        do {
            return try agent(credential: Substring(credential)).id
        } catch let refusal as CredentialRefusal {
            if refusal.kind != "auth.malformed" {
                log.record(refusal.kind, remote: nil, agentID: refusal.agentID, detail: refusal.detail)
            }
            return nil
        }
    }

    /// The agent a request's `Authorization: Bearer <agent_id>.<secret>` names, when it is valid and not revoked.
    /// - Throws: `HTTPError` 401 (logged) otherwise.
    func authenticate(_ request: HTTPRequest, log: SecurityLog) throws -> AgentRecord {
        func refuse(_ kind: String, _ detail: String, agentID: String? = nil) -> HTTPError {
            log.record(kind, request: request, agentID: agentID, detail: detail)
            return HTTPError(
                status: 401, code: "unauthorized",
                message: "missing, unknown or revoked agent credential (Authorization: Bearer <agent_id>.<secret>); "
                    + "re-enroll the agent if it was revoked")
        }
        guard let header = request.header("authorization"), header.lowercased().hasPrefix("bearer ") else {
            throw refuse("auth.missing", "no bearer credential")
        }
        do {
            return try agent(credential: header.dropFirst(7))
        } catch let refusal as CredentialRefusal {
            throw refuse(refusal.kind, refusal.detail, agentID: refusal.agentID)
        }
    }
}

/// Records refused and notable requests in the store's security log (and on standard error if that fails).
public struct SecurityLog: Sendable {
    let store: any ServerStore
    let clock: any Clock

    func record(_ kind: String, request: HTTPRequest, agentID: String? = nil, detail: String) {
        record(kind, remote: request.remoteAddress, agentID: agentID, detail: detail)
    }

    func record(_ kind: String, remote: String?, agentID: String? = nil, detail: String) {
        let record = SecurityRecord(
            time: clock.nowMilliseconds(), kind: kind, agentID: agentID, remote: remote,
            detail: String(detail.prefix(1000)))
        do {
            try store.logSecurity(record)
        } catch {
            FileHandle.standardError.write(Data("vigil server: security log write failed (\(kind): \(detail))\n".utf8))
        }
    }
}

/// base64url without padding (RFC 4648 §5), for tokens and secrets.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
