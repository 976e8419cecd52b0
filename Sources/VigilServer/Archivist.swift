import Foundation
import VigilCore
import VigilCrypto
import VigilLedger
import VigilStore

/// The server's tamper-evident archive: drains the ledger outbox into the Merkle log kept in the store,
/// signs checkpoints, and answers proofs and exports.
///
/// Any table joins the archive the same way events and alerts do: insert a row into `ledger_outbox`
/// (kind = the table, ref = the row's key, entry = its JSON line) in the transaction that stores the row, or
/// call `ServerStore.enqueueLedger` right after. The leader drains the outbox in id order.
///
/// `drain` and `checkpoint` run on the leader only (one thread); reads (`proof`, `export`) open their own
/// view of the log and may run anywhere.
public final class Archivist: @unchecked Sendable {
    public let store: any ServerStore
    public let signer: NoteSignerKey
    public let origin: String
    private let lock = NSLock()
    private var storage: StoreLedgerStorage?
    private var ledger: Ledger?
    private var lastCheckpoint: (size: UInt64, time: Int64)?

    /// The key name (and checkpoint origin) used when none is given.
    public static let defaultOrigin = "vigil.server/archive"

    /// Loads the archive signing key from the store, making it on first use (every node shares it).
    public init(store: any ServerStore, origin: String = Archivist.defaultOrigin) throws {
        self.store = store
        self.origin = origin
        let text = try store.serverSecret("archive-signer-key") {
            try NoteSignerKey.generate(name: origin).encodedSecret()
        }
        signer = try NoteSignerKey(text)
    }

    /// The verifier key (`name+id+key`), what `vigil archive verify --vkey` takes.
    public var verifierKey: String { signer.verifier.description }

    /// Moves up to `limit` outbox rows into the log, in one transaction; returns how many.
    @discardableResult
    public func drain(limit: Int = 20_000) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        for attempt in 0..<2 {
            let (storage, ledger) = try open(reload: attempt > 0)
            // Read the outbox after (re)loading the log: when another node appended meanwhile, it may have
            // archived and deleted rows read before, and appending those again would archive them twice.
            let rows = try store.ledgerOutbox(limit: limit)
            guard !rows.isEmpty else { return 0 }
            storage.pending = (rows.map(\.item), rows.map(\.id))
            do {
                try ledger.append(rows.lazy.map(\.item.entry))
                return rows.count
            } catch let error as StoreError where error.code == "ledger.moved" && attempt == 0 {
                // Another node appended since this one loaded the log: reload its right edge and retry once.
                storage.pending = ([], [])
                continue
            } catch {
                // The log in memory may be ahead of the store now; reload it next time.
                self.ledger = nil
                self.storage = nil
                throw error
            }
        }
        return 0
    }

    /// Signs a checkpoint when the log grew by `entries` since the last one, or grew at all and `seconds`
    /// passed. Returns the new checkpoint's size, or nil when none was due.
    @discardableResult
    public func checkpointIfDue(now: Int64, entries: UInt64 = 100_000, seconds: Int64 = 10) throws -> UInt64? {
        lock.lock()
        defer { lock.unlock() }
        let (_, ledger) = try open(reload: false)
        if lastCheckpoint == nil {
            lastCheckpoint = (try store.ledgerCheckpoints().last?.size ?? 0, now)
        }
        guard let last = lastCheckpoint, ledger.size > last.size,
            ledger.size - last.size >= entries || now - last.time >= seconds * 1000
        else { return nil }
        let checkpoint = Checkpoint(origin: origin, size: ledger.size, root: ledger.root)
        let note = try SignedNote(signing: checkpoint.text, with: [signer])
        try store.addLedgerCheckpoint(size: ledger.size, note: note.bytes, at: now)
        lastCheckpoint = (ledger.size, now)
        return ledger.size
    }

    /// Forgets the in-memory log (after losing leadership): the next job reloads it from the store.
    public func reset() {
        lock.lock()
        defer { lock.unlock() }
        ledger = nil
        storage = nil
        lastCheckpoint = nil
    }

    private func open(reload: Bool) throws -> (StoreLedgerStorage, Ledger) {
        if !reload, let storage, let ledger { return (storage, ledger) }
        let storage = try StoreLedgerStorage(store: store)
        let ledger = try Ledger(storage: storage)
        self.storage = storage
        self.ledger = ledger
        return (storage, ledger)
    }

    /// A C2SP tlog-proof that the entry for `kind`/`ref` is in the log, under the latest checkpoint.
    /// - Returns: nil when there is no such entry; throws `LedgerError` `ledger.not-covered` when it is not
    ///   yet under a signed checkpoint (retry after the next one).
    public func proof(kind: String, ref: String) throws -> ProofBundle? {
        guard let index = try store.ledgerIndex(kind: kind, ref: ref) else { return nil }
        let storage = try StoreLedgerStorage(store: store)
        guard let latest = try storage.checkpoints().last, latest.size > index else {
            throw LedgerError(
                code: "ledger.not-covered",
                message: "entry \(index) is archived but not yet under a signed checkpoint; retry in a few seconds")
        }
        let note = try SignedNote(parsing: latest.note)
        let checkpoint = try Checkpoint(text: note.text)
        let ledger = try Ledger(storage: storage)
        let path = try ledger.inclusionProof(index: index, treeSize: checkpoint.size)
        return ProofBundle(entry: try storage.entry(index), index: index, proof: path, checkpoint: note)
    }

    /// Writes the whole log and its checkpoints as an archive directory that `vigil archive verify` checks.
    public func export(to path: String) throws {
        try Archive.export(from: try StoreLedgerStorage(store: store), to: path)
    }
}
