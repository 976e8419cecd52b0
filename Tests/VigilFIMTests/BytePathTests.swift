import Glibc
import Testing
import VigilCrypto
import VigilFIM
import VigilSystem

@Suite struct BytePathTests {
    static let hostile: [[UInt8]] = [
        Array("plain".utf8), Array("new\nline".utf8), [0x66, 0xFF, 0xFE, 0x80], Array("back\\slash".utf8),
        Array("tab\there".utf8), Array("caf\u{e9} \u{1F600}".utf8), [0xC3], [0xE2, 0x82], Array("\\x41".utf8),
        Array("\u{7}bell\u{1b}[0m".utf8), Array(" spaced ".utf8), Array("-dash".utf8),
    ]

    @Test(arguments: hostile)
    func escapedFormRoundTrips(_ name: [UInt8]) throws {
        let path = BytePath(bytes: [0x2F] + name)
        let text = path.description
        #expect(!text.contains("\n") && !text.contains("\u{7}"))
        #expect(BytePath(escaped: text) == path)
    }

    @Test(arguments: ["\\", "\\q", "\\x4", "\\xZZ", "\\x00"])
    func malformedEscapesAreRejected(_ text: String) {
        #expect(BytePath(escaped: text) == nil)
    }

    @Test func containmentIsPerComponent() {
        #expect(BytePath("/etc").contains(BytePath("/etc/passwd")))
        #expect(BytePath("/etc").contains(BytePath("/etc")))
        #expect(!BytePath("/etc").contains(BytePath("/etcx")))
        #expect(BytePath("/").contains(BytePath("/etc")))
        #expect(BytePath("/a/b").parent == BytePath("/a"))
        #expect(BytePath("/a").parent == BytePath("/"))
    }

    /// Hostile names and a path of more than 4,000 bytes (beyond PATH_MAX) are scanned, hashed and
    /// reported with their exact bytes.
    @Test func hostileNamesAndDeepPathsRoundTripThroughAScan() throws {
        let tree = try TestTree()
        for name in Self.hostile { try tree.write(tree.root.appending(name), name) }
        // 22 levels of 200-byte names: about 4,400 bytes, created relative to directory descriptors.
        var directory = try FileDescriptor(
            adopting: Errno.retrying("open") {
                open(tree.root.description, O_RDONLY | O_DIRECTORY)
            })
        var deep = tree.root
        let component = [UInt8](repeating: UInt8(ascii: "d"), count: 199) + [0xFF]
        for _ in 0..<22 {
            let fd = try component.withCName { name in
                _ = try Errno.retrying("mkdirat") { mkdirat(directory.rawValue, name, 0o755) }
                return try Errno.retrying("openat") { openat(directory.rawValue, name, O_RDONLY | O_DIRECTORY) }
            }
            directory = FileDescriptor(adopting: fd)
            deep = deep.appending(component)
        }
        let leafName = Array("leaf\nfile".utf8)
        let leafFD = try leafName.withCName { name in
            try Errno.retrying("openat") { openat(directory.rawValue, name, O_WRONLY | O_CREAT, 0o644) }
        }
        try FileDescriptor(adopting: leafFD).writeAll(Array("deep".utf8))
        let leaf = deep.appending(leafName)
        #expect(leaf.bytes.count > 4_096)

        let baseline = tree.scan()
        #expect(baseline.problems.isEmpty, "\(baseline.problems)")
        for name in Self.hostile {
            let record = baseline.records.first { $0.path == tree.root.appending(name) }
            #expect(record?.sha256 == SHA256.hash(name), "\(BytePath.escape(name))")
        }
        let leafRecord = try #require(baseline.records.first { $0.path == leaf })
        #expect(leafRecord.sha256 == SHA256.hash(Array("deep".utf8)))
        #expect(BytePath(escaped: leaf.description) == leaf)

        // Change the deep file through its descriptor; the check names it exactly.
        let again = try leafName.withCName { name in
            try Errno.retrying("openat") { openat(directory.rawValue, name, O_WRONLY | O_APPEND) }
        }
        try FileDescriptor(adopting: again).writeAll(Array("er".utf8))
        let report = FIMDiff.compare(baseline: baseline.records, current: tree.scan().records)
        #expect(report.changes.map(\.path) == [leaf])
        #expect(report.changes.first?.attributes.map(\.attribute).contains(.sha256) == true)
        // Clean-up with rm -rf copes with long paths; nothing else to do.
    }
}

extension Array where Element == UInt8 {
    func withCName<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var terminated = self
        terminated.append(0)
        return try terminated.withUnsafeBufferPointer {
            try $0.baseAddress!.withMemoryRebound(to: CChar.self, capacity: $0.count) { try body($0) }
        }
    }
}
