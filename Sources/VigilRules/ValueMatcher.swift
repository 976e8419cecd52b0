import Foundation

/// One compiled value of a field test: a string pattern, a regular expression, a network, a number
/// comparison, a null/exists test or a reference to another field.
public enum ValueMatcher: @unchecked Sendable {
    /// A string with Sigma wildcards.
    case pattern(SigmaPattern)
    /// `|re`, compiled once (NSRegularExpression is immutable and safe to share).
    case regex(NSRegularExpression, source: String)
    /// `|cidr`.
    case cidr(CIDR)
    /// `|gt`, `|gte`, `|lt`, `|lte`.
    case compare(Comparison, Double)
    /// `field: null`: the field is absent.
    case null
    /// `|exists: true/false`.
    case exists(Bool)
    /// `|fieldref`: equal to another field's value (combined with contains/startswith/endswith).
    case fieldRef(String, FieldRefKind, cased: Bool)

    /// A numeric comparison operator.
    public enum Comparison: String, Sendable {
        case gt, gte, lt, lte
    }

    /// How a `|fieldref` compares.
    public enum FieldRefKind: Sendable {
        case equals, contains, startsWith, endsWith
    }

    /// The literal every matching value contains (lower-cased), or nil when the matcher cannot promise one.
    var requiredLiteral: [UInt8]? {
        switch self {
        case .pattern(let p):
            let literal = p.requiredLiteral
            return literal.isEmpty ? nil : literal
        default: return nil
        }
    }
}

/// An IPv4 or IPv6 network for `|cidr`.
public struct CIDR: Sendable, Hashable {
    public let address: [UInt8]
    public let prefixLength: Int

    /// Parses `a.b.c.d/n` or `x:…/n`; nil when it is not a network.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = CIDR.parseAddress(String(parts[0])) else { return nil }
        let maxBits = address.count * 8
        let length: Int
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 0, n <= maxBits else { return nil }
            length = n
        } else {
            length = maxBits
        }
        self.address = address
        self.prefixLength = length
    }

    /// Whether `text` is an address inside the network.
    public func contains(_ text: String) -> Bool {
        guard let other = CIDR.parseAddress(text), other.count == address.count else { return false }
        var bits = prefixLength
        var i = 0
        while bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if other[i] & mask != address[i] & mask { return false }
            bits -= 8
            i += 1
        }
        return true
    }

    /// The bytes of an IPv4 or IPv6 address, with inet_pton.
    static func parseAddress(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var storage = in6_addr()
            guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
            return withUnsafeBytes(of: storage) { Array($0) }
        }
        var storage = in_addr()
        guard inet_pton(AF_INET, text, &storage) == 1 else { return nil }
        return withUnsafeBytes(of: storage) { Array($0) }
    }
}
