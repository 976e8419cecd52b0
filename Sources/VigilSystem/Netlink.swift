internal import CLinux
import Glibc

/// One netlink message: header fields and payload bytes.
public struct NetlinkMessage: Sendable, Hashable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    public var payload: [UInt8]

    public init(type: UInt16, flags: UInt16 = 0, sequence: UInt32 = 0, portID: UInt32 = 0, payload: [UInt8] = []) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    /// `NLMSG_ERROR`: payload starts with a negative errno (0 is an acknowledgement).
    public static let error: UInt16 = 2
    /// `NLMSG_DONE`: the end of a multi-part reply.
    public static let done: UInt16 = 3
    public static let flagRequest: UInt16 = 0x1
    public static let flagAck: UInt16 = 0x4
    public static let flagDump: UInt16 = 0x300

    /// For `NLMSG_ERROR`: the errno (positive), 0 for an acknowledgement; nil for other types.
    public var errorCode: Int32? {
        guard type == NetlinkMessage.error, payload.count >= 4 else { return nil }
        let raw = Int32(
            bitPattern: UInt32(payload[0]) | UInt32(payload[1]) << 8 | UInt32(payload[2]) << 16 | UInt32(payload[3])
                << 24)
        return -raw
    }

    /// The sequence number of the request an `NLMSG_ERROR` answers.
    public var erroredSequence: UInt32? {
        guard type == NetlinkMessage.error, payload.count >= 16 else { return nil }
        return UInt32(payload[12]) | UInt32(payload[13]) << 8 | UInt32(payload[14]) << 16 | UInt32(payload[15]) << 24
    }

    /// Header plus payload, padded to 4 bytes, as `sendto` takes it.
    public func encoded() -> [UInt8] {
        let length = UInt32(16 + payload.count)
        var out: [UInt8] = []
        out.reserveCapacity(Int(vigil_nlmsg_align(length)))
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func put16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        put32(length)
        put16(type)
        put16(flags)
        put32(sequence)
        put32(portID)
        out += payload
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    /// Splits a datagram into messages (several may share one datagram).
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> [NetlinkMessage] {
        var out: [NetlinkMessage] = []
        var offset = 0
        while bytes.count - offset >= 16 {
            func u32(_ at: Int) -> UInt32 { bytes.loadUnaligned(fromByteOffset: offset + at, as: UInt32.self) }
            func u16(_ at: Int) -> UInt16 { bytes.loadUnaligned(fromByteOffset: offset + at, as: UInt16.self) }
            var length = Int(u32(0))
            // The kernel sends each audit record (type >= 1100) alone in a datagram with nlmsg_len counting
            // the payload only; for those, and for any impossible length, the datagram's end is the truth.
            if length < 16 || length > bytes.count - offset || u16(4) >= 1100 { length = bytes.count - offset }
            out.append(
                NetlinkMessage(
                    type: u16(4), flags: u16(6), sequence: u32(8), portID: u32(12),
                    payload: Array(bytes[(offset + 16)..<(offset + length)])))
            offset += Int(vigil_nlmsg_align(UInt32(length)))
        }
        return out
    }
}

/// An `AF_NETLINK` socket (raw datagrams), bound to the kernel-assigned port.
public final class NetlinkSocket {
    public let descriptor: FileDescriptor
    public private(set) var portID: UInt32 = 0
    private var nextSequence: UInt32 = 1
    private var buffer: [UInt8]

    /// Opens and binds a netlink socket of `family` (e.g. `NETLINK_AUDIT`), joining `groups` (a bit mask).
    /// Throws `SystemError` (EPROTONOSUPPORT where the kernel lacks the family, EPERM without privilege).
    public init(family: Int32, groups: UInt32 = 0, receiveBufferSize: Int32? = nil) throws {
        let fd = try Errno.retrying("socket", context: "AF_NETLINK") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), family)
        }
        descriptor = FileDescriptor(adopting: fd)
        buffer = [UInt8](repeating: 0, count: 64 * 1024)
        if var size = receiveBufferSize {
            // SO_RCVBUFFORCE needs CAP_NET_ADMIN; fall back to SO_RCVBUF.
            if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(4)) != 0 {
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(4))
            }
        }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_groups = groups
        _ = try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try Errno.retrying("bind", context: "AF_NETLINK") {
                    bind(fd, raw, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
        }
        var bound = sockaddr_nl()
        var length = socklen_t(MemoryLayout<sockaddr_nl>.size)
        _ = try withUnsafeMutablePointer(to: &bound) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try Errno.retrying("getsockname") { getsockname(fd, raw, &length) }
            }
        }
        portID = bound.nl_pid
    }

    /// Joins a multicast group by number (`NETLINK_ADD_MEMBERSHIP`).
    public func join(group: UInt32) throws {
        var value = group
        try Errno.retrying("setsockopt", context: "NETLINK_ADD_MEMBERSHIP") {
            setsockopt(descriptor.rawValue, Int32(SOL_NETLINK), Int32(NETLINK_ADD_MEMBERSHIP), &value, socklen_t(4))
        }
    }

    /// Sends one message to the kernel; returns its sequence number.
    @discardableResult
    public func send(type: UInt16, flags: UInt16, payload: [UInt8]) throws -> UInt32 {
        let sequence = nextSequence
        nextSequence &+= 1
        let bytes = NetlinkMessage(type: type, flags: flags, sequence: sequence, portID: 0, payload: payload).encoded()
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let fd = descriptor.rawValue
        _ = try bytes.withUnsafeBytes { raw in
            try withUnsafePointer(to: &kernel) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    try Errno.retrying("sendto", context: "netlink type \(type)") {
                        sendto(fd, raw.baseAddress, raw.count, 0, address, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        }
        return sequence
    }

    /// Waits up to `timeout` milliseconds for a datagram; returns its messages, or [] on timeout.
    /// Throws `SystemError` with `ENOBUFS` when the kernel dropped messages because the buffer was full.
    public func receive(timeout: Int32) throws -> [NetlinkMessage] {
        var poller = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        let ready = try Errno.retrying("poll") { poll(&poller, 1, timeout) }
        if ready == 0 { return [] }
        let fd = descriptor.rawValue
        let count = try buffer.withUnsafeMutableBytes { raw in
            try Errno.retrying("recv", context: "netlink") { recv(fd, raw.baseAddress, raw.count, 0) }
        }
        return buffer.withUnsafeBytes { NetlinkMessage.decode(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}
