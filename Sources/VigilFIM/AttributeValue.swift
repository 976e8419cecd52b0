import VigilCrypto

/// An attribute's value as compared and stored: an integer, bytes, or a digest.
public enum AttributeValue: Sendable, Hashable {
    case integer(Int64)
    case bytes([UInt8])
    case digest(SHA256Digest)
}
