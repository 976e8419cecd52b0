/// The body of `POST /api/v1/events`.
public struct EventBatch: Codable, Sendable {
    public var host: Device
    public var events: [Event]

    public init(host: Device, events: [Event]) {
        self.host = host
        self.events = events
    }
}

/// The server's answer to a batch.
public struct BatchAcknowledgement: Codable, Sendable, Equatable {
    public var accepted: Int
    public var duplicates: Int

    public init(accepted: Int, duplicates: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
    }
}

/// `POST /api/v1/agents/enroll`: a one-time enrollment token and the host the agent runs on.
public struct EnrollmentRequest: Codable, Sendable, Equatable {
    public var token: String
    public var host: Device

    public init(token: String, host: Device) {
        self.token = token
        self.host = host
    }
}

/// The enrollment answer: the agent's id and secret (sent once; the server keeps only its hash) and the
/// base64 raw Ed25519 public key that signs the server's policies.
public struct EnrollmentReply: Codable, Sendable, Equatable {
    public var agentID: String
    public var secret: String
    public var policyKey: String

    public init(agentID: String, secret: String, policyKey: String) {
        self.agentID = agentID
        self.secret = secret
        self.policyKey = policyKey
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id"
        case secret
        case policyKey = "policy_key"
    }

    /// `agent_id.secret`, as the agent presents it in `Authorization: Bearer …`.
    public var credential: String { "\(agentID).\(secret)" }
}
