import Foundation
import VigilCrypto

/// Checks an archive directory's contents: every checkpoint's signatures, every entry against every
/// checkpoint, the stored tree against the entries, and consistency between checkpoints. Pure: the
/// contents come in as bytes (`ArchiveContents.read`).
///
/// All checkpoints are checked against roots recomputed from one sequence of entries, so when they
/// all match, each later checkpoint is consistent with each earlier one. When something fails, the
/// stored tree (`tree`, which records every leaf hash) is used as a witness to name the first entry
/// and say whether it was modified, deleted, moved, or added; if the tree was altered too, the
/// checkpoints alone narrow the damage to the entries between two checkpoints.
public enum ArchiveVerifier {
    /// Verifies `contents` against the trusted `keys`. Never throws: every problem is a failure in the
    /// report (the first entry failure, then any checkpoint and file failures), empty when intact.
    public static func verify(
        _ contents: ArchiveContents, keys: [NoteVerifierKey], hasher: some MerkleHasher = RFC9162Hasher()
    ) -> ArchiveReport {
        var report = ArchiveReport()
        var failures: [ArchiveFailure] = []
        if contents.format == nil {
            failures.append(.init(.malformed, file: ArchiveLayout.formatFile, "the format marker is missing"))
        } else if contents.format != ArchiveLayout.formatContents {
            failures.append(.init(.malformed, file: ArchiveLayout.formatFile, "the format marker was altered"))
        }
        for name in contents.strayFiles {
            failures.append(.init(.extra, file: name, "this file is not part of the archive format"))
        }

        // Entry boundaries.
        let entries = contents.entries
        let index = contents.index
        var ends: [Int] = []
        ends.reserveCapacity(index.count / 8)
        var entryFailure: ArchiveFailure?
        if index.count % 8 != 0 {
            entryFailure = .init(
                .truncated, entry: UInt64(index.count / 8), file: ArchiveLayout.indexFile,
                offset: UInt64(index.count / 8 * 8), "the index ends inside an 8-byte record (cut or altered)")
        }
        index.withUnsafeBytes { raw in
            var previous = 0
            for i in 0..<(index.count / 8) {
                let end = Int(
                    truncatingIfNeeded: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
                if end < previous {
                    entryFailure = .init(
                        .modified, entry: UInt64(i), file: ArchiveLayout.indexFile, offset: UInt64(i * 8),
                        "the end offset of entry \(i) is before the one of entry \(i - 1) (the index was altered)")
                    return
                }
                if end > entries.count {
                    entryFailure = .init(
                        .truncated, entry: UInt64(i), file: ArchiveLayout.entriesFile, offset: UInt64(entries.count),
                        "the entries file ends at byte \(entries.count), inside entry \(i), which ends at \(end)")
                    return
                }
                ends.append(end)
                previous = end
            }
        }
        let count = UInt64(ends.count)
        report.entries = count
        if entryFailure == nil, (ends.last ?? 0) < entries.count {
            entryFailure = .init(
                .extra, entry: count, file: ArchiveLayout.entriesFile, offset: UInt64(ends.last ?? 0),
                "\(entries.count - (ends.last ?? 0)) bytes follow the last indexed entry")
        }

        // Checkpoints: names, format, signatures.
        var checkpoints: [Checkpoint] = []
        for (name, bytes) in contents.checkpoints {
            let file = ArchiveLayout.checkpointsDirectory + "/" + name
            guard let size = ArchiveLayout.checkpointSize(name: name) else {
                failures.append(.init(.extra, file: file, "this file is not a checkpoint name Vigil writes"))
                continue
            }
            do {
                let note = try SignedNote(parsing: bytes)
                let checkpoint = try Checkpoint(text: note.text)
                guard checkpoint.size == size else {
                    failures.append(
                        .init(
                            .malformed, checkpoint: size, file: file,
                            "the file holds the checkpoint for size \(checkpoint.size) (renamed or replaced)"))
                    continue
                }
                let verification = try note.verify(keys: keys)
                checkpoints.append(checkpoint)
                report.checkpoints.append(
                    .init(
                        size: size, root: Base64.encode(checkpoint.root.bytes), origin: checkpoint.origin,
                        signers: verification.signers.map { "\($0.key.name)+\(NoteVerifierKey.hex($0.key.keyID))" }))
            } catch let error as LedgerError {
                let kind: ArchiveFailure.Kind =
                    switch error.code {
                    case "note.bad-signature": .badSignature
                    case "note.unknown-key": .unknownKey
                    default: .malformed
                    }
                failures.append(.init(kind, checkpoint: size, file: file, error.message))
            } catch {
                failures.append(.init(.malformed, checkpoint: size, file: file, "\(error)"))
            }
        }
        if contents.checkpoints.isEmpty {
            failures.append(
                .init(.missing, file: ArchiveLayout.checkpointsDirectory, "there is no checkpoint: nothing is signed"))
        }
        checkpoints.sort { $0.size < $1.size }
        let lastSize = checkpoints.last?.size ?? 0

        // Recompute the tree from the entries, comparing with the stored tree and the checkpoints.
        let tree = contents.tree
        let storedNodes = UInt64(tree.count / 32)
        var treeMismatch: NodeID?
        var matches: [UInt64: Bool] = [:]
        var leafHashes: [SHA256Digest] = []
        leafHashes.reserveCapacity(ends.count)
        var frontier = MerkleFrontier()
        var next = checkpoints.startIndex
        func checkRoots() {
            while next < checkpoints.endIndex && checkpoints[next].size == frontier.size {
                matches[frontier.size] = frontier.root(hasher: hasher) == checkpoints[next].root
                next += 1
            }
        }
        checkRoots()
        entries.withUnsafeBytes { raw in
            tree.withUnsafeBytes { stored in
                var start = 0
                for end in ends {
                    let leaf = hasher.hashLeaf(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                    leafHashes.append(leaf)
                    frontier.append(leafHash: leaf, hasher: hasher) { id, hash in
                        guard treeMismatch == nil else { return }
                        let position = id.position
                        guard position < storedNodes else {
                            treeMismatch = id
                            return
                        }
                        let same = Self.matches(hash, stored, at: Int(position) * 32)
                        if !same { treeMismatch = id }
                    }
                    start = end
                    checkRoots()
                }
            }
        }
        for checkpoint in checkpoints where checkpoint.size > count { matches[checkpoint.size] = false }

        let entriesMatch = checkpoints.allSatisfy { matches[$0.size] == true }
        if entryFailure == nil && !entriesMatch {
            entryFailure = diagnose(
                leafHashes: leafHashes, tree: tree, checkpoints: checkpoints, matches: matches, hasher: hasher)
        }
        if entryFailure == nil && count > lastSize && !checkpoints.isEmpty {
            entryFailure = .init(
                .extra, entry: lastSize, file: ArchiveLayout.entriesFile,
                "entries \(lastSize)..<\(count) are not covered by any signed checkpoint")
        }
        if let entryFailure {
            failures.append(entryFailure)
        } else if let id = treeMismatch {
            failures.append(
                .init(
                    id.position < storedNodes ? .modified : .truncated, file: ArchiveLayout.treeFile,
                    offset: id.position * 32,
                    "the stored hash of \(id) is \(id.position < storedNodes ? "not the one the entries give" : "missing")"
                ))
        } else if tree.count != Int(NodeID.nodeCount(treeSize: count)) * 32 {
            failures.append(
                .init(
                    .extra, file: ArchiveLayout.treeFile, offset: NodeID.nodeCount(treeSize: count) * 32,
                    "the tree file has \(tree.count) bytes, more than the \(count) entries need"))
        }
        report.failures = failures
        return report
    }

    /// Whether the 32 bytes at `offset` in `buffer` are `hash` (the caller checked the bounds).
    private static func matches(_ hash: SHA256Digest, _ buffer: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        hash.withUnsafeBytes { digest in
            guard let a = digest.baseAddress, let b = buffer.baseAddress else { return false }
            return memcmp(a, b + offset, 32) == 0
        }
    }

    /// Names the first entry that breaks the checkpoints, using the stored leaf hashes as a witness
    /// when they still match every checkpoint, or the checkpoints alone when they do not.
    static func diagnose(
        leafHashes: [SHA256Digest], tree: [UInt8], checkpoints: [Checkpoint], matches: [UInt64: Bool],
        hasher: some MerkleHasher
    ) -> ArchiveFailure {
        tree.withUnsafeBytes { raw in
            diagnose(leafHashes: leafHashes, tree: raw, checkpoints: checkpoints, matches: matches, hasher: hasher)
        }
    }

    private static func diagnose(
        leafHashes: [SHA256Digest], tree: UnsafeRawBufferPointer, checkpoints: [Checkpoint],
        matches: [UInt64: Bool], hasher: some MerkleHasher
    ) -> ArchiveFailure {
        let file = ArchiveLayout.entriesFile
        let lastSize = checkpoints.last?.size ?? 0
        // The stored hash at a post-order position equals `hash`.
        func stored(_ position: UInt64, is hash: SHA256Digest) -> Bool {
            Self.matches(hash, tree, at: Int(position) * 32)
        }
        func storedLeaf(_ i: Int) -> SHA256Digest {
            let offset = Int(NodeID(level: 0, index: UInt64(i)).position) * 32
            guard let digest = SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: tree[offset..<offset + 32])) else {
                preconditionFailure("32 bytes make a digest")
            }
            return digest
        }
        // How many leaves the stored tree holds, and whether it is itself intact and signed.
        var storedSize: UInt64 = 0
        while NodeID.nodeCount(treeSize: storedSize + 1) * 32 <= UInt64(tree.count) { storedSize += 1 }
        var frontier = MerkleFrontier()
        var trusted = storedSize >= lastSize
        var next = 0
        var i = 0
        while trusted && i < Int(storedSize) {
            while next < checkpoints.count && checkpoints[next].size == UInt64(i) {
                if frontier.root(hasher: hasher) != checkpoints[next].root { trusted = false }
                next += 1
            }
            frontier.append(leafHash: storedLeaf(i), hasher: hasher) { id, hash in
                if id.level > 0 && !stored(id.position, is: hash) { trusted = false }
            }
            i += 1
        }
        while trusted && next < checkpoints.count {
            if frontier.size == checkpoints[next].size, frontier.root(hasher: hasher) != checkpoints[next].root {
                trusted = false
            }
            next += 1
        }
        let count = UInt64(leafHashes.count)
        let e = leafHashes
        let storedCount = Int(storedSize)
        func same(_ entry: Int, _ leaf: Int) -> Bool {
            leaf < storedCount && stored(NodeID(level: 0, index: UInt64(leaf)).position, is: e[entry])
        }
        if trusted {
            let common = min(e.count, storedCount)
            guard let i = (0..<common).first(where: { !same($0, $0) }) else {
                if count < lastSize {
                    return .init(
                        .truncated, entry: count, file: file,
                        "the archive ends after \(count) entries but a checkpoint covers \(lastSize)")
                }
                return .init(.extra, entry: lastSize, file: file, "entries from \(lastSize) on are not signed")
            }
            if i + 1 < common && same(i, i + 1) && same(i + 1, i) {
                return .init(.reordered, entry: UInt64(i), file: file, "entries \(i) and \(i + 1) were swapped")
            }
            if count < storedSize && same(i, i + 1) {
                return .init(.missing, entry: UInt64(i), file: file, "entry \(i) was deleted; later entries moved up")
            }
            if count > storedSize && i + 1 < e.count && same(i + 1, i) {
                return .init(.extra, entry: UInt64(i), file: file, "an entry was inserted at index \(i)")
            }
            if let j = (0..<storedCount).first(where: { same(i, $0) }) {
                return .init(
                    .reordered, entry: UInt64(i), file: file, "entry \(i) holds the entry recorded at index \(j)")
            }
            return .init(.modified, entry: UInt64(i), file: file, "entry \(i) differs from the recorded entry")
        }
        // The stored tree is no witness: use the checkpoints.
        guard let bad = checkpoints.firstIndex(where: { matches[$0.size] != true }) else {
            return .init(.extra, entry: lastSize, file: file, "entries from \(lastSize) on are not signed")
        }
        let failing = checkpoints[bad]
        if let good = checkpoints[(bad + 1)...].first(where: { matches[$0.size] == true }) {
            return .init(
                .forkedHistory, checkpoint: failing.size,
                file: ArchiveLayout.checkpointsDirectory + "/" + ArchiveLayout.checkpointName(size: failing.size),
                "the signed root for size \(failing.size) is not consistent with checkpoint \(good.size), "
                    + "which the entries match: the log signed two histories")
        }
        if failing.size > count {
            return .init(
                .truncated, entry: count, checkpoint: failing.size, file: file,
                "the archive ends after \(count) entries but checkpoint \(failing.size) covers more")
        }
        let from = bad == 0 ? 0 : checkpoints[bad - 1].size
        let first = (0..<min(e.count, storedCount)).first { !same($0, $0) }
        let entry = first.map { UInt64($0) }.flatMap { $0 >= from && $0 < failing.size ? $0 : nil } ?? from
        return .init(
            .modified, entry: entry, checkpoint: failing.size, file: file,
            "entries \(from)..<\(failing.size) do not give the root signed in checkpoint \(failing.size); "
                + "the first one changed is at or after \(entry)")
    }
}
