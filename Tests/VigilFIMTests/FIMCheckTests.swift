import Glibc
import Testing
import VigilFIM
import VigilSystem

/// One kind of change, made on a fresh generated tree, and exactly what a check must report.
struct ChangeCase: Sendable, CustomStringConvertible {
    var name: String
    var mutate: @Sendable (TestTree) throws -> Void
    /// (kind, path, attributes that must be reported, attributes that may also be reported)
    var expected: [(FIMChange.Kind, String, Set<Attribute>, Set<Attribute>)]
    var exitCode: Int32
    var description: String { name }
}

/// The ACL `u::rw-,u:1234:r--,g::r--,m::r--,o::r--` in the kernel's xattr format.
let sampleACL: [UInt8] = {
    var bytes: [UInt8] = [2, 0, 0, 0]
    for (tag, perm, id) in [
        (1, 6, UInt32.max), (2, 4, 1234), (4, 4, UInt32.max), (0x10, 4, UInt32.max), (0x20, 4, UInt32.max),
    ] {
        bytes += [UInt8(tag & 0xFF), UInt8(tag >> 8), UInt8(perm), 0]
        bytes += withUnsafeBytes(of: UInt32(id).littleEndian) { Array($0) }
    }
    return bytes
}()

let changeCases: [ChangeCase] = [
    ChangeCase(
        name: "content grows", mutate: { try $0.write("a", "hello, world") },
        expected: [(.changed, "a", [.size, .sha256, .mtime], [])], exitCode: 4),
    ChangeCase(
        name: "content rewritten at the same size with mtime restored",
        mutate: {
            try $0.write("a", "HELLO")
            try $0.age("a")
        }, expected: [(.changed, "a", [.sha256], [])], exitCode: 4),
    ChangeCase(
        name: "mode", mutate: { try $0.chmod("a", 0o4755) }, expected: [(.changed, "a", [.mode], [])], exitCode: 4),
    ChangeCase(
        name: "owner", mutate: { try $0.chown("a", 1234, 4321) },
        expected: [(.changed, "a", [.uid, .gid], [])], exitCode: 4),
    ChangeCase(
        name: "xattr",
        mutate: {
            try ExtendedAttributes.set("user.vigil", Array("x".utf8), path: $0.path("a"))
        }, expected: [(.changed, "a", [.xattrs], [])], exitCode: 4),
    ChangeCase(
        name: "ACL",
        mutate: {
            try ExtendedAttributes.set("system.posix_acl_access", sampleACL, path: $0.path("a"))
        }, expected: [(.changed, "a", [.acl], [])], exitCode: 4),
    ChangeCase(
        name: "rename", mutate: { try $0.rename("a", "d/a2") },
        expected: [(.moved, "d/a2", [], [])], exitCode: 3),
    ChangeCase(
        name: "hard link", mutate: { try $0.link("a", "h") },
        expected: [(.changed, "a", [.nlink], []), (.added, "h", [], [])], exitCode: 5),
    ChangeCase(
        name: "symlink retarget",
        mutate: {
            try $0.unlink("l")
            try $0.symlink("b", "l")
        }, expected: [(.changed, "l", [.linkTarget], [.inode, .mtime])], exitCode: 4),
    ChangeCase(
        name: "type change",
        mutate: {
            try $0.unlink("b")
            try $0.mkdir("b")
        }, expected: [(.changed, "b", [.type], [])], exitCode: 4),
    ChangeCase(
        name: "log grows", mutate: { try $0.write("logs/app.log", "more\n", append: true) },
        expected: [], exitCode: 0),
    ChangeCase(
        name: "log truncated", mutate: { try $0.truncate("logs/app.log", 0) },
        expected: [(.changed, "logs/app.log", [.size], [])], exitCode: 4),
    ChangeCase(
        name: "added", mutate: { try $0.write("d/new", "n") }, expected: [(.added, "d/new", [], [])], exitCode: 1),
    ChangeCase(name: "removed", mutate: { try $0.unlink("d/c") }, expected: [(.removed, "d/c", [], [])], exitCode: 2),
    ChangeCase(
        name: "added, removed and changed",
        mutate: {
            try $0.write("d/new", "n")
            try $0.unlink("d/c")
            try $0.chmod("b", 0o600)
        }, expected: [(.changed, "b", [.mode], []), (.added, "d/new", [], []), (.removed, "d/c", [], [])], exitCode: 7),
]

@Suite struct FIMCheckTests {
    /// a, b, d/c, symlink l → a, logs/app.log (log group); every entry aged.
    static func makeTree() throws -> (TestTree, FIMConfig) {
        let tree = try TestTree()
        try tree.write("a", "hello")
        try tree.write("b", "world")
        try tree.mkdir("d")
        try tree.write("d/c", "inner")
        try tree.symlink("a", "l")
        try tree.mkdir("logs")
        try tree.write("logs/app.log", "line 1\n")
        for entry in ["a", "b", "d/c", "d", "l", "logs/app.log", "logs"] { try tree.age(entry) }
        let config = FIMConfig(rules: [
            FIMRule(path: tree.root, checks: AttributeGroup.all, groupName: "all"),
            FIMRule(path: tree.path("logs"), checks: AttributeGroup.log, groupName: "log"),
        ])
        return (tree, config)
    }

    @Test(arguments: changeCases)
    func eachChangeIsReportedExactlyOnce(_ change: ChangeCase) throws {
        let (tree, config) = try Self.makeTree()
        let baseline = tree.scan(config)
        #expect(baseline.problems.isEmpty, "\(baseline.problems)")
        #expect(baseline.records.count == 8)
        try change.mutate(tree)
        for mode in ["full", "fast"] {
            let now = tree.scan(config, previous: mode == "fast" ? baseline.records : nil)
            let report = FIMDiff.compare(baseline: baseline.records, current: now.records)
            #expect(report.changes.count == change.expected.count, "\(mode): \(report.changes)")
            for (kind, relative, required, optional) in change.expected {
                let matches = report.changes.filter { $0.path == tree.path(relative) }
                #expect(matches.count == 1, "\(mode): \(relative) in \(report.changes)")
                guard let found = matches.first else { continue }
                #expect(found.kind == kind)
                let reported = Set(found.attributes.map(\.attribute))
                #expect(required.isSubset(of: reported), "\(mode): \(found.attributes)")
                #expect(reported.isSubset(of: required.union(optional)), "\(mode): \(found.attributes)")
                for attribute in found.attributes { #expect(attribute.old != attribute.new) }
            }
            #expect(report.exitCode == change.exitCode, "\(mode)")
        }
    }

    @Test func nothingChangedReportsNothingAndFastCheckHashesNothing() throws {
        let (tree, config) = try Self.makeTree()
        let baseline = tree.scan(config)
        #expect(baseline.hashedFiles == 3)
        let fast = tree.scan(config, previous: baseline.records)
        #expect(fast.hashedFiles == 0)
        #expect(fast.reusedHashes == 3)
        #expect(FIMDiff.compare(baseline: baseline.records, current: fast.records).changes.isEmpty)
        #expect(FIMDiff.compare(baseline: baseline.records, current: tree.scan(config).records).exitCode == 0)
    }

    @Test func oldAndNewValuesAreRendered() throws {
        let (tree, config) = try Self.makeTree()
        let baseline = tree.scan(config)
        try tree.chmod("a", 0o600)
        let report = FIMDiff.compare(baseline: baseline.records, current: tree.scan(config).records)
        #expect(report.changes.first?.attributes == [AttributeChange(attribute: .mode, old: "0644", new: "0600")])
    }

    @Test func fifosAndDevicesAreRecordedButNeverOpened() throws {
        let tree = try TestTree()
        try tree.mkfifo("pipe")
        var devicePath = tree.path("null").bytes
        devicePath.append(0)
        let made = devicePath.withUnsafeBufferPointer {
            $0.baseAddress!.withMemoryRebound(to: CChar.self, capacity: $0.count) {
                mknod($0, S_IFCHR | 0o600, dev_t(1 << 8 | 3))  // makedev(1, 3): /dev/null
            }
        }
        let result = tree.scan()
        #expect(result.problems.isEmpty)
        #expect(result.records.first { $0.path == tree.path("pipe") }?.type == .fifo)
        #expect(result.records.first { $0.path == tree.path("pipe") }?.sha256 == nil)
        if made == 0 {
            #expect(result.records.first { $0.path == tree.path("null") }?.type == .charDevice)
        } else {
            print("SKIPPED device part: mknod needs CAP_MKNOD (errno \(errno))")
        }
        #expect(result.hashedFiles == 0)
    }

    @Test func symlinkLoopsAndSymlinksOutOfScopeAreNotFollowed() throws {
        let tree = try TestTree()
        try tree.mkdir("d")
        try tree.symlink(".", "d/self")
        try tree.symlink("/", "d/root")
        try tree.symlink("loop2", "loop1")
        try tree.symlink("loop1", "loop2")
        let result = tree.scan()
        #expect(result.problems.isEmpty)
        #expect(result.records.count == 6)
        #expect(result.records.first { $0.path == tree.path("d/root") }?.linkTarget == Array("/".utf8))
    }

    @Test func excludesAndDepthLimitTheScan() throws {
        let tree = try TestTree()
        try tree.mkdir("x")
        try tree.mkdir("x/y")
        try tree.write("x/y/deep", "d")
        try tree.write("x/skip.swp", "s")
        try tree.write("x/keep", "k")
        let rule = FIMRule(
            path: tree.root, checks: AttributeGroup.content, groupName: "content", depth: 2, exclude: ["*.swp"])
        let result = tree.scan(FIMConfig(rules: [rule]))
        let paths = Set(result.records.map(\.path))
        #expect(paths == [tree.root, tree.path("x"), tree.path("x/y"), tree.path("x/keep")])
    }

    @Test func aMissingRootIsAProblemNotACrash() throws {
        let tree = try TestTree()
        let result = tree.scan(.watching([tree.path("absent")]))
        #expect(result.records.isEmpty)
        #expect(result.problems.map(\.code) == ["vanished"])
    }
}
