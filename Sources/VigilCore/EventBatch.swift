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
