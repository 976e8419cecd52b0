import Glibc

/// A last-in-first-out queue of work shared by a fixed set of worker threads, which ends when it is
/// empty and no worker is still processing an item (items may add more items).
///
/// Wraps a `pthread_mutex_t` and a `pthread_cond_t`, allocated once so their addresses stay stable.
final class WorkQueue<Item>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var items: [Item] = []
    /// Items queued plus items being processed.
    private var outstanding = 0

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Adds items to the queue.
    func push(_ new: [Item]) {
        guard !new.isEmpty else { return }
        pthread_mutex_lock(mutex)
        items += new
        outstanding += new.count
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// The next item, waiting while others may still add work; nil when all work is done.
    func next() -> Item? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while items.isEmpty {
            if outstanding == 0 { return nil }
            pthread_cond_wait(condition, mutex)
        }
        return items.removeLast()
    }

    /// Marks one item returned by `next()` as processed.
    func done() {
        pthread_mutex_lock(mutex)
        outstanding -= 1
        if outstanding == 0 { pthread_cond_broadcast(condition) }
        pthread_mutex_unlock(mutex)
    }
}
