/// One way an archive fails verification, with the place it was found.
public struct ArchiveFailure: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of tampering or damage this is.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// An entry's bytes differ from what was recorded.
        case modified
        /// An entry recorded in the tree is gone from the entries.
        case missing
        /// Entries are present but in another order.
        case reordered
        /// Entries (or bytes) that no signed checkpoint covers.
        case extra
        /// The archive ends before its latest checkpoint's size.
        case truncated
        /// A validly signed checkpoint that is inconsistent with a later one (a fork).
        case forkedHistory = "forked-history"
        /// A known key's signature does not verify.
        case badSignature = "bad-signature"
        /// A checkpoint no trusted key signed.
        case unknownKey = "unknown-key"
        /// A file that is not in the archive format at all.
        case malformed
    }

    public var kind: Kind
    /// The first entry index concerned, if the failure is about entries.
    public var entry: UInt64?
    /// The size of the checkpoint concerned, if the failure is about a checkpoint.
    public var checkpoint: UInt64?
    /// The file, relative to the archive directory.
    public var file: String?
    /// The byte offset in `file`, where known.
    public var offset: UInt64?
    /// What was found, in one sentence.
    public var message: String

    public init(
        _ kind: Kind, entry: UInt64? = nil, checkpoint: UInt64? = nil, file: String? = nil, offset: UInt64? = nil,
        _ message: String
    ) {
        self.kind = kind
        self.entry = entry
        self.checkpoint = checkpoint
        self.file = file
        self.offset = offset
        self.message = message
    }

    public var description: String {
        var place: [String] = []
        if let entry { place.append("entry \(entry)") }
        if let checkpoint { place.append("checkpoint \(checkpoint)") }
        if let file { place.append(offset.map { "\(file) offset \($0)" } ?? file) }
        return "\(kind.rawValue): \(place.joined(separator: ", ")): \(message)"
    }
}

/// What `ArchiveVerifier` found.
public struct ArchiveReport: Sendable, Codable {
    /// One checkpoint that verified, with the keys that signed it.
    public struct VerifiedCheckpoint: Sendable, Codable, Hashable {
        public var size: UInt64
        public var root: String
        public var origin: String
        public var signers: [String]
    }

    public var intact: Bool { failures.isEmpty }
    public var entries: UInt64 = 0
    public var checkpoints: [VerifiedCheckpoint] = []
    public var failures: [ArchiveFailure] = []

    enum CodingKeys: String, CodingKey { case intact, entries, checkpoints, failures }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        entries = try container.decode(UInt64.self, forKey: .entries)
        checkpoints = try container.decode([VerifiedCheckpoint].self, forKey: .checkpoints)
        failures = try container.decode([ArchiveFailure].self, forKey: .failures)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(intact, forKey: .intact)
        try container.encode(entries, forKey: .entries)
        try container.encode(checkpoints, forKey: .checkpoints)
        try container.encode(failures, forKey: .failures)
    }
}
