import Dispatch
import Foundation
import Synchronization
import VigilCore
import VigilSystem

/// Real-time file integrity: changes under the configured paths and reads of sensitive paths, each
/// with the process that did it.
///
/// fanotify (kernel ≥ 5.9, `CAP_SYS_ADMIN`) puts a filesystem mark for changes on each watched
/// path's file system and inode marks for open/access/exec on each sensitive path; events are
/// resolved to paths with `open_by_handle_at` and attributed from `/proc/PID`. Where fanotify is
/// unavailable, inotify watches every directory instead and events carry no process (`attribution`
/// says `missing`). A reader thread moves kernel events into a bounded queue; overflow of either
/// queue becomes a `lost` event with its count.
public final class FIMWatcher: @unchecked Sendable {
    public enum Backend: String, Sendable {
        case fanotify, inotify
    }

    public let backend: Backend
    /// Why fanotify was not used, marks that could not be placed, and similar notes for the operator.
    public private(set) var warnings: [String] = []
    public let config: FIMConfig
    private let clock: any Clock
    private let queue: BoundedQueue<LiveEvent>
    private var coalescer: BurstCoalescer
    private let fanotify: Fanotify?
    private let inotify: Inotify?
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let ownPID = getpid()
    /// Handle bytes → directory path (nil: nothing watched in or below it), cleared whenever a
    /// directory moves or is deleted. Most events on a busy file system are rejected by this lookup.
    private var directoryCache: [[UInt8]: BytePath?] = [:]
    /// Rule and sensitive paths, for the relevance test.
    private let interesting: [BytePath]

    /// Sets up marks or watches for `config`.
    /// - Parameters:
    ///   - queueCapacity: events held between the kernel reader and the consumer before dropping.
    ///   - coalesceWindow: milliseconds within which repeats of one event are folded into one.
    ///   - preferInotify: skip fanotify (tests of the fallback).
    /// - Throws: `FIMError` `watch.unavailable` when neither fanotify nor inotify can be set up.
    public init(
        config: FIMConfig, clock: any Clock, queueCapacity: Int = 65_536, coalesceWindow: Int64 = 200,
        preferInotify: Bool = false
    ) throws {
        self.config = config
        self.clock = clock
        self.queue = BoundedQueue(capacity: queueCapacity)
        self.coalescer = BurstCoalescer(window: coalesceWindow)
        self.interesting = config.rules.map(\.path) + config.sensitivePaths
        var notes: [String] = []
        var chosen: Fanotify?
        if !preferInotify {
            do {
                chosen = try Fanotify()
            } catch let error as SystemError {
                notes.append(
                    "fanotify is unavailable (\(error.message)); using inotify: events carry no process attribution")
            }
        } else {
            notes.append("inotify chosen: events carry no process attribution")
        }
        if let chosen {
            fanotify = chosen
            inotify = nil
            backend = .fanotify
            warnings = notes
            placeFanotifyMarks(chosen)
        } else {
            do {
                inotify = try Inotify()
            } catch let error as SystemError {
                throw FIMError(
                    code: "watch.unavailable",
                    message: "neither fanotify nor inotify can be used: \(error.message); run as root on Linux")
            }
            fanotify = nil
            backend = .inotify
            warnings = notes
            placeInotifyWatches()
        }
    }

    /// What goes into the `fim.attribution` field of each event.
    public var attribution: String { backend == .fanotify ? "fanotify" : "missing" }

    private func placeFanotifyMarks(_ fanotify: Fanotify) {
        for rule in config.rules {
            do {
                try fanotify.markFilesystem(rule.path, mask: Fanotify.Mask.changes)
            } catch let error as SystemError {
                warnings.append("cannot watch changes under \(rule.path): \(error.message)")
            } catch {
                warnings.append("cannot watch changes under \(rule.path): \(error)")
            }
        }
        for path in config.sensitivePaths {
            do {
                let status = try FileStatus.of(path.bytes, in: AT_FDCWD, path: path)
                let mask = Fanotify.Mask.reads | (status.type == .directory ? Fanotify.Mask.onChild : 0)
                try fanotify.markInode(path, mask: mask)
            } catch let error as SystemError {
                warnings.append("cannot watch reads of \(path): \(error.message)")
            } catch {
                warnings.append("cannot watch reads of \(path): \(error)")
            }
        }
    }

    private func placeInotifyWatches() {
        guard let inotify else { return }
        let directories = Mutex<[BytePath]>([])
        let config = self.config
        DirectoryWalker(threads: 2).walk(roots: config.rules.map(\.path)) { entry, _ in
            guard entry.status.type == .directory else { return false }
            let rule = config.rules[entry.root]
            if FIMConfig.isExcluded(entry.path, by: rule) { return false }
            directories.withLock { $0.append(entry.path) }
            return true
        } failure: { _, _ in
        }
        for directory in directories.withLock({ $0 }) {
            let sensitive = config.isSensitive(directory) ? Inotify.Mask.access | Inotify.Mask.open : 0
            do {
                try inotify.watch(directory, mask: Inotify.Mask.changes | sensitive)
            } catch let error as SystemError {
                warnings.append("cannot watch \(directory): \(error.message)")
                if error.errno == ENOSPC { break }  // fs.inotify.max_user_watches reached
            } catch {
                warnings.append("cannot watch \(directory): \(error)")
            }
        }
        for path in config.sensitivePaths
        where (try? FileStatus.of(path.bytes, in: AT_FDCWD, path: path))?.type != .directory {
            _ = try? inotify.watch(path.parent, mask: Inotify.Mask.changes | Inotify.Mask.access | Inotify.Mask.open)
        }
    }

    /// Starts the reader thread.
    public func start() {
        precondition(!running.load(ordering: .acquiring), "FIMWatcher.start() called twice")
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) { readOnce() }
            finished.signal()
        }
        thread.name = "vigil-fim-watch"
        thread.start()
    }

    /// Stops the reader thread and removes every mark (the kernel state the watcher changed).
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
        fanotify?.removeAllMarks()
        fanotify?.descriptor.close()
        inotify?.descriptor.close()
    }

    deinit { stop() }

    /// Events ready within `timeout` milliseconds, coalesced; lost events come as `.lost` events.
    public func next(timeout: Int64) -> [LiveEvent] {
        let deadline = clock.nowMilliseconds() + timeout
        var out: [LiveEvent] = []
        while true {
            let (items, dropped) = queue.drain()
            let now = clock.nowMilliseconds()
            for item in items { out += coalescer.add(item) }
            if dropped > 0 {
                out += coalescer.add(
                    LiveEvent(kind: .lost, path: BytePath("/"), time: now, process: nil, count: dropped))
            }
            out += coalescer.flush(now: now, all: false)
            if !out.isEmpty || now >= deadline { return out }
            usleep(20_000)
        }
    }

    /// Everything still held back by coalescing.
    public func flush() -> [LiveEvent] {
        let (items, _) = queue.drain()
        let now = clock.nowMilliseconds()
        var out: [LiveEvent] = []
        for item in items { out += coalescer.add(item) }
        return out + coalescer.flush(now: now, all: true)
    }

    private func readOnce() {
        do {
            if let fanotify {
                let (records, _) = try fanotify.read(timeout: 100)
                var identities: [Int32: ProcessIdentity] = [:]
                var events: [LiveEvent] = []
                for record in records { events += liveEvents(record, fanotify, &identities) }
                queue.push(events)
            } else if let inotify {
                let records = try inotify.read(timeout: 100)
                queue.push(records.flatMap { liveEvents($0, inotify) })
            }
        } catch {
            usleep(100_000)
        }
    }

    private func liveEvents(
        _ record: FanotifyRecord, _ fanotify: Fanotify, _ identities: inout [Int32: ProcessIdentity]
    ) -> [LiveEvent] {
        let now = clock.nowMilliseconds()
        if record.mask & Fanotify.Mask.overflow != 0 {
            return [LiveEvent(kind: .lost, path: BytePath("/"), time: now, process: nil, count: 0)]
        }
        if record.pid == ownPID { return [] }
        if record.mask & Fanotify.Mask.onDirectory != 0,
            record.mask & (Fanotify.Mask.movedFrom | Fanotify.Mask.delete | Fanotify.Mask.movedTo) != 0
        {
            directoryCache.removeAll()
        }
        guard let id = record.fileIDs.first(where: { $0.type == 2 }), let path = resolve(id, fanotify) else {
            return []
        }
        let table: [(UInt64, LiveEvent.Kind)] = [
            (Fanotify.Mask.create, .created), (Fanotify.Mask.delete, .deleted),
            (Fanotify.Mask.movedFrom, .movedFrom), (Fanotify.Mask.movedTo, .movedTo),
            (Fanotify.Mask.modify, .modified), (Fanotify.Mask.attrib, .attributes),
            (Fanotify.Mask.openExec, .executed), (Fanotify.Mask.access, .read), (Fanotify.Mask.open, .opened),
        ]
        var out: [LiveEvent] = []
        for (bit, kind) in table where record.mask & bit != 0 {
            guard accepts(kind, path) else { continue }
            if identities[record.pid] == nil { identities[record.pid] = ProcessIdentity.read(pid: record.pid) }
            out.append(
                LiveEvent(
                    kind: kind, path: path, time: now, process: identities[record.pid],
                    sensitive: config.isSensitive(path)))
        }
        return out
    }

    private func liveEvents(_ record: Inotify.Record, _ inotify: Inotify) -> [LiveEvent] {
        let now = clock.nowMilliseconds()
        if record.mask & Inotify.Mask.overflow != 0 {
            return [LiveEvent(kind: .lost, path: BytePath("/"), time: now, process: nil, count: 0)]
        }
        guard let directory = inotify.paths[record.watch] else { return [] }
        let path = record.name.isEmpty ? directory : directory.appending(record.name)
        if record.mask & Inotify.Mask.isDirectory != 0, record.mask & (Inotify.Mask.create | Inotify.Mask.movedTo) != 0
        {
            _ = try? inotify.watch(path, mask: Inotify.Mask.changes)
        }
        let table: [(UInt32, LiveEvent.Kind)] = [
            (Inotify.Mask.create, .created), (Inotify.Mask.delete, .deleted), (Inotify.Mask.movedFrom, .movedFrom),
            (Inotify.Mask.movedTo, .movedTo), (Inotify.Mask.modify, .modified), (Inotify.Mask.attrib, .attributes),
            (Inotify.Mask.access, .read), (Inotify.Mask.open, .opened),
        ]
        return table.compactMap { bit, kind in
            guard record.mask & bit != 0, accepts(kind, path) else { return nil }
            return LiveEvent(kind: kind, path: path, time: now, process: nil, sensitive: config.isSensitive(path))
        }
    }

    /// Changes under a watched, non-excluded path; reads only of sensitive paths.
    private func accepts(_ kind: LiveEvent.Kind, _ path: BytePath) -> Bool {
        switch kind {
        case .opened, .read, .executed: return config.isSensitive(path)
        default:
            guard let rule = config.rule(for: path) else { return false }
            return !FIMConfig.isExcluded(path, by: rule)
        }
    }

    private func resolve(_ id: FanotifyRecord.FileID, _ fanotify: Fanotify) -> BytePath? {
        let name = id.name ?? []
        let directory: BytePath?
        if let cached = directoryCache[id.handle] {
            directory = cached
        } else {
            var bare = id
            bare.name = nil
            guard let found = fanotify.path(of: bare) else { return nil }
            // Relevant when the directory is inside a watched path, or a watched path is right inside it.
            let relevant = interesting.contains { $0.contains(found) || $0.parent == found }
            if directoryCache.count > 16_384 { directoryCache.removeAll() }
            directoryCache[id.handle] = .some(relevant ? found : nil)
            directory = relevant ? found : nil
        }
        guard let directory else { return nil }
        return name.isEmpty || name == [UInt8(ascii: ".")] ? directory : directory.appending(name)
    }
}
