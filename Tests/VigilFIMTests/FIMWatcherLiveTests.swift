import Foundation
import Glibc
import Testing
import VigilCore
import VigilFIM
import VigilSystem

/// Live kernel test: needs root and fanotify. Skips with a printed reason elsewhere; removes its marks.
@Suite(.serialized) struct FIMWatcherLiveTests {
    /// Collects events until `match` finds one or 15 seconds pass.
    func waitFor(_ watcher: FIMWatcher, _ match: (LiveEvent) -> Bool) -> (LiveEvent?, [LiveEvent]) {
        var seen: [LiveEvent] = []
        for _ in 0..<30 {
            let batch = watcher.next(timeout: 500)
            seen += batch
            if let found = batch.first(where: match) { return (found, seen) }
        }
        return (nil, seen)
    }

    func fanotifyDescriptors() -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.count {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)"))?.contains("fanotify")
                == true
        }
    }

    @Test func aChildsWriteAndASensitiveReadAreAttributed() throws {
        guard geteuid() == 0 else {
            print("SKIPPED: the live fanotify test needs root (euid \(geteuid()))")
            return
        }
        // A filesystem mark sees every change on its file system: use the quiet tmpfs where there is one.
        let tree = try TestTree(base: access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp")
        try tree.write("secret", "4111111111111111\n")
        var config = FIMConfig.watching([tree.root])
        config.sensitive = [tree.path("secret")]
        let before = fanotifyDescriptors()
        let watcher = try FIMWatcher(config: config, clock: SystemClock(), coalesceWindow: 50)
        guard watcher.backend == .fanotify else {
            print("SKIPPED: fanotify unavailable here (\(watcher.warnings.joined(separator: "; ")))")
            return
        }
        #expect(watcher.warnings.isEmpty, "\(watcher.warnings)")
        watcher.start()
        defer { watcher.stop() }

        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "echo hello > '\(tree.path("new").description)'; sleep 2"]
        try writer.run()
        let shell = try #require(ProcessIdentity.read(pid: writer.processIdentifier).executable)
        let (write, seen) = waitFor(watcher) {
            $0.path == tree.path("new") && ($0.kind == .modified || $0.kind == .created)
                && $0.process?.pid == writer.processIdentifier
        }
        writer.waitUntilExit()
        let found = try #require(write, "no write event by pid \(writer.processIdentifier) in \(seen)")
        #expect(found.process?.executable == shell)
        #expect(found.process?.uid == 0)
        #expect(!found.sensitive)

        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/tail")
        reader.arguments = ["-f", tree.path("secret").description]
        reader.standardOutput = FileHandle.nullDevice
        try reader.run()
        let (read, seenReads) = waitFor(watcher) {
            $0.path == tree.path("secret") && ($0.kind == .read || $0.kind == .opened)
                && $0.process?.pid == reader.processIdentifier
        }
        // SIGKILL: the test process may block SIGTERM, and a child inherits the mask.
        kill(reader.processIdentifier, SIGKILL)
        reader.waitUntilExit()
        let readEvent = try #require(read, "no read event by pid \(reader.processIdentifier) in \(seenReads)")
        #expect(readEvent.sensitive)
        #expect(readEvent.process?.executable == BytePath("/usr/bin/tail"))
        let event = readEvent.event(hostname: "test", sequence: 1, attribution: watcher.attribution)
        #expect(event.actor?.process?.pid == Int(reader.processIdentifier))
        #expect(event.classUID == .fileSystemActivity)

        watcher.stop()
        #expect(fanotifyDescriptors() == before, "the fanotify group (and its marks) must be gone after stop()")
    }

    @Test func inotifyFallbackSaysAttributionIsMissing() throws {
        let tree = try TestTree()
        let watcher = try FIMWatcher(config: .watching([tree.root]), clock: SystemClock(), preferInotify: true)
        #expect(watcher.backend == .inotify)
        #expect(watcher.attribution == "missing")
        watcher.start()
        defer { watcher.stop() }
        try tree.write("f", "x")
        let (found, seen) = waitFor(watcher) { $0.path == tree.path("f") && $0.kind == .created }
        #expect(found != nil, "\(seen)")
        #expect(found?.process == nil)
    }
}
