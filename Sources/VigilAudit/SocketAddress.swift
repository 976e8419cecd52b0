/// A decoded `saddr` (a `struct sockaddr` the kernel logged in hex).
public struct SocketAddress: Sendable, Hashable {
    /// `ipv4`, `ipv6`, `unix`, `netlink`, or the family number.
    public var family: String
    public var ip: String?
    public var port: Int?
    /// Unix socket path (abstract names start with `@`).
    public var path: String?

    public init(family: String, ip: String? = nil, port: Int? = nil, path: String? = nil) {
        self.family = family
        self.ip = ip
        self.port = port
        self.path = path
    }

    /// Decodes the hex bytes of a sockaddr; nil when it is not hex or too short to hold a family.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count >= 2 else { return nil }
        let family = Int(bytes[0]) | Int(bytes[1]) << 8
        switch family {
        case 2 where bytes.count >= 8:
            self.init(
                family: "ipv4", ip: bytes[4..<8].map { String($0) }.joined(separator: "."),
                port: Int(bytes[2]) << 8 | Int(bytes[3]))
        case 10 where bytes.count >= 24:
            self.init(
                family: "ipv6", ip: SocketAddress.ipv6(Array(bytes[8..<24])), port: Int(bytes[2]) << 8 | Int(bytes[3]))
        case 1:
            var name = Array(bytes.dropFirst(2))
            var abstract = false
            if name.first == 0 {
                abstract = true
                name.removeFirst()
            }
            if let nul = name.firstIndex(of: 0) { name = Array(name[..<nul]) }
            self.init(family: "unix", path: (abstract ? "@" : "") + String(decoding: name, as: UTF8.self))
        case 16:
            self.init(family: "netlink")
        default:
            self.init(family: String(family))
        }
    }

    /// RFC 5952 text form: lower case, longest run of zero groups as `::`.
    static func ipv6(_ bytes: [UInt8]) -> String {
        let groups = (0..<8).map { Int(bytes[$0 * 2]) << 8 | Int(bytes[$0 * 2 + 1]) }
        if groups[0...4].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
            return "::ffff:" + bytes[12..<16].map { String($0) }.joined(separator: ".")
        }
        var bestStart = -1
        var bestLength = 0
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength && j - i > 1 {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        if bestStart < 0 { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
