import Testing
import VigilSystem

/// Netlink framing, without a socket.
@Suite struct NetlinkMessageTests {
    @Test func roundTripAndPadding() {
        let message = NetlinkMessage(type: 1000, flags: 5, sequence: 7, portID: 0, payload: [1, 2, 3])
        let bytes = message.encoded()
        #expect(bytes.count == 20)
        let decoded = bytes.withUnsafeBytes { NetlinkMessage.decode($0) }
        #expect(decoded.count == 1)
        #expect(decoded.first?.type == 1000 && decoded.first?.sequence == 7)
        #expect(decoded.first?.payload.prefix(3) == [1, 2, 3])
    }

    @Test func auditRecordWithPayloadOnlyLengthIsOneMessage() {
        // The kernel sets nlmsg_len of audit records to the payload length alone.
        let text = Array("audit(1700000000.123:45): pid=1 uid=0 msg='op=x'".utf8)
        var bytes = NetlinkMessage(type: 1112, payload: text).encoded()
        let length = UInt32(text.count)
        withUnsafeBytes(of: length.littleEndian) { raw in for i in 0..<4 { bytes[i] = raw[i] } }
        let decoded = bytes.withUnsafeBytes { NetlinkMessage.decode($0) }
        #expect(decoded.count == 1)
        #expect(decoded.first.map { Array($0.payload.prefix(text.count)) } == text)
    }

    @Test func errorMessageCarriesErrno() {
        var payload: [UInt8] = []
        withUnsafeBytes(of: Int32(-1).littleEndian) { payload += $0 }
        payload += [UInt8](repeating: 0, count: 16)
        let message = NetlinkMessage(type: NetlinkMessage.error, payload: payload)
        #expect(message.errorCode == 1)
        #expect(NetlinkMessage(type: NetlinkMessage.error, payload: [0, 0, 0, 0]).errorCode == 0)
        #expect(NetlinkMessage(type: 1000, payload: []).errorCode == nil)
    }

    @Test(arguments: [0, 1, 15, 17])
    func garbageDatagramsDoNotCrash(_ size: Int) {
        let bytes = [UInt8](repeating: 0xFF, count: size)
        let decoded = bytes.withUnsafeBytes { NetlinkMessage.decode($0) }
        #expect(decoded.count == (size >= 16 ? 1 : 0))
    }
}
