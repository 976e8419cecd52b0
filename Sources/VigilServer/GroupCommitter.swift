import Foundation
import VigilStore

/// Group commit: batches from many agents, arriving on many HTTP threads, are written by one thread in one
/// store transaction (one sync to disk), and each request is answered when that transaction is durable.
///
/// If a group's transaction fails, each of its batches is retried alone, so one bad batch cannot fail the
/// others' requests.
final class GroupCommitter: @unchecked Sendable {
    final class Pending {
        let batch: IngestBatch
        var result: Result<InsertResult, any Error>?
        let done = DispatchSemaphore(value: 0)
        init(_ batch: IngestBatch) { self.batch = batch }
    }

    let store: any ServerStore
    let maxEvents: Int
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var running = true
    private var thread: Thread?
    /// Transactions written and batches in them (the average group size is their ratio).
    private(set) var statistics: (transactions: Int, batches: Int, seconds: Double) = (0, 0, 0)

    init(store: any ServerStore, maxEvents: Int = 20_000) {
        self.store = store
        self.maxEvents = maxEvents
    }

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "vigil-commit"
        self.thread = thread
        thread.start()
    }

    /// Stores `batch` with others waiting at the same time; returns when it is durable.
    func commit(_ batch: IngestBatch) throws -> InsertResult {
        let pending = Pending(batch)
        condition.lock()
        guard running else {
            condition.unlock()
            throw StoreError(code: "server.stopping", message: "the server is stopping; retry")
        }
        queue.append(pending)
        condition.signal()
        condition.unlock()
        pending.done.wait()
        return try pending.result!.get()
    }

    var currentStatistics: (transactions: Int, batches: Int, seconds: Double) {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && running { condition.wait() }
            if queue.isEmpty && !running {
                condition.unlock()
                return
            }
            var group: [Pending] = []
            var events = 0
            while let next = queue.first, group.isEmpty || events + next.batch.events.count <= maxEvents {
                group.append(queue.removeFirst())
                events += next.batch.events.count
            }
            condition.unlock()
            write(group)
        }
    }

    private func write(_ group: [Pending]) {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            condition.lock()
            statistics.transactions += 1
            statistics.batches += group.count
            statistics.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            condition.unlock()
        }
        do {
            let results = try store.ingest(group.map(\.batch))
            for (pending, result) in zip(group, results) { pending.result = .success(result) }
        } catch {
            if group.count == 1 {
                group[0].result = .failure(error)
            } else {
                for pending in group {
                    pending.result = Result { try store.ingest([pending.batch])[0] }
                }
            }
        }
        for pending in group { pending.done.signal() }
    }
}
