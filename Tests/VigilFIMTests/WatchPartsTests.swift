import Testing
import VigilFIM
import VigilSystem

@Suite struct WatchPartsTests {
    /// One fanotify event with a DFID_NAME record, laid out as the kernel writes it.
    static func fanotifyEvent(mask: UInt64, pid: Int32, name: String) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let handle: [UInt8] = le(UInt32(8)) + le(Int32(1)) + [1, 2, 3, 4, 5, 6, 7, 8]
        var info: [UInt8] = [2, 0, 0, 0] + le(UInt64(0xABCD)) + handle + Array(name.utf8) + [0]
        while info.count % 4 != 0 { info.append(0) }
        info[2] = UInt8(info.count & 0xFF)
        info[3] = UInt8(info.count >> 8)
        let length = 24 + info.count
        return le(UInt32(length)) + [3, 0] + le(UInt16(24)) + le(mask) + le(Int32(-1)) + le(pid) + info
    }

    @Test func fanotifyEventsDecode() {
        let bytes =
            Self.fanotifyEvent(mask: 0x102, pid: 42, name: "new\nfile")
            + Self.fanotifyEvent(mask: 0x20, pid: 7, name: "secret")
        let (records, bad) = FanotifyParser.parse(bytes)
        #expect(bad == 0)
        #expect(records.count == 2)
        #expect(records[0].mask == 0x102 && records[0].pid == 42 && records[0].fd == -1)
        #expect(records[0].fileIDs.first?.name == Array("new\nfile".utf8))
        #expect(records[0].fileIDs.first?.fsid == 0xABCD)
        #expect(records[0].fileIDs.first?.handle.count == 16)
        #expect(records[1].fileIDs.first?.name == Array("secret".utf8))
    }

    @Test(arguments: [1, 5, 23, 24, 30, 47])
    func truncatedEventsAreCountedNotTrusted(_ cut: Int) {
        let event = Self.fanotifyEvent(mask: 0x2, pid: 1, name: "x")
        let (records, bad) = FanotifyParser.parse(Array(event.prefix(event.count - cut)))
        #expect(records.isEmpty)
        #expect(bad == event.count - cut)
    }

    @Test(arguments: 0..<20)
    func randomNoiseNeverCrashes(_ seed: Int) {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        let noise = (0..<(seed * 97 % 700)).map { _ -> UInt8 in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        var bytes = noise
        if seed % 2 == 0 { bytes = Self.fanotifyEvent(mask: 1, pid: 1, name: "a") + noise }
        let (records, bad) = FanotifyParser.parse(bytes)
        #expect(records.count <= bytes.count / 24)
        #expect(bad <= bytes.count)
        _ = Inotify.parse(bytes)
    }

    @Test func inotifyEventsDecode() {
        func le(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let one = le(3) + le(0x100) + le(0) + le(8) + Array("abc".utf8) + [0, 0, 0, 0, 0]
        let two = le(4) + le(0x2) + le(0) + le(0)
        let records = Inotify.parse(one + two + [1, 2, 3])
        #expect(records.count == 2)
        #expect(records[0].name == Array("abc".utf8) && records[0].mask == 0x100 && records[0].watch == 3)
        #expect(records[1].name.isEmpty)
        #expect(Inotify.parse(le(1) + le(2) + le(3) + le(1000)).isEmpty)
    }

    @Test func burstsFoldIntoOneEventWithACount() {
        var coalescer = BurstCoalescer(window: 200)
        let writer = ProcessIdentity(pid: 10)
        for offset in 0..<100 {
            #expect(
                coalescer.add(
                    LiveEvent(kind: .modified, path: BytePath("/f"), time: 1_000 + Int64(offset), process: writer)
                )
                .isEmpty)
        }
        #expect(coalescer.add(LiveEvent(kind: .modified, path: BytePath("/g"), time: 1_050, process: writer)).isEmpty)
        #expect(coalescer.flush(now: 1_100, all: false).isEmpty)
        let first = coalescer.flush(now: 1_200, all: false)
        #expect(first.map(\.path) == [BytePath("/f")])
        #expect(first.first?.count == 100)
        #expect(coalescer.flush(now: 1_260, all: false).map(\.path) == [BytePath("/g")])
        // A lost event is never held back, and keeps its place after what came before it.
        _ = coalescer.add(LiveEvent(kind: .created, path: BytePath("/h"), time: 2_000, process: nil))
        let out = coalescer.add(LiveEvent(kind: .lost, path: BytePath("/"), time: 2_001, process: nil, count: 5))
        #expect(out.map(\.kind) == [.created, .lost])
        #expect(coalescer.pendingCount == 0)
    }

    @Test func theBoundedQueueDropsAndCounts() {
        let queue = BoundedQueue<Int>(capacity: 3)
        #expect(queue.push([1, 2]) == 0)
        #expect(queue.push([3, 4, 5]) == 2)
        let (items, dropped) = queue.drain()
        #expect(items == [1, 2, 3] && dropped == 2)
        #expect(queue.drain().dropped == 0)
    }

    @Test func liveEventsBecomeOCSFFileActivity() {
        var process = ProcessIdentity(pid: 99)
        process.executable = BytePath("/usr/bin/tail")
        process.uid = 0
        let live = LiveEvent(kind: .read, path: BytePath("/etc/shadow"), time: 5, process: process, sensitive: true)
        let event = live.event(hostname: "h", sequence: 3, attribution: "fanotify")
        #expect(event.classUID == .fileSystemActivity)
        #expect(event.file?.path == "/etc/shadow")
        #expect(event.actor?.process?.pid == 99)
        #expect(event.actor?.process?.file?.path == "/usr/bin/tail")
        #expect(event.unmapped?["fim.sensitive"] == "true")
        #expect(event.severityID == .medium)
    }
}
