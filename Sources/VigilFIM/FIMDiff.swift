import VigilSystem

/// Compares a baseline with a scan. Pure: records in, changes out.
///
/// Each path is reported at most once. Rules that keep the report free of echoes:
/// - a type change reports only `type`;
/// - a directory's size, mtime, ctime and link count are not compared (they change whenever an entry
///   inside is added or removed, which is reported on that entry);
/// - `ctime` is reported only when no other checked attribute changed (any change moves it);
/// - a grow-only (log) file reports `size` only when it shrank, and never its content or times;
/// - a path removed and another added with the same device, inode, type and content is one move.
public enum FIMDiff {
    public static func compare(baseline: [FileRecord], current: [FileRecord]) -> FIMReport {
        var old: [BytePath: FileRecord] = [:]
        old.reserveCapacity(baseline.count)
        for record in baseline { old[record.path] = record }
        var new: [BytePath: FileRecord] = [:]
        new.reserveCapacity(current.count)
        for record in current { new[record.path] = record }

        var changes: [FIMChange] = []
        var added: [FileRecord] = []
        for record in current {
            if let before = old[record.path] {
                let differences = differences(before, record)
                if !differences.isEmpty {
                    changes.append(FIMChange(kind: .changed, path: record.path, attributes: differences))
                }
            } else {
                added.append(record)
            }
        }
        var removedByInode: [InodeKey: [FileRecord]] = [:]
        for record in baseline where new[record.path] == nil {
            removedByInode[InodeKey(record), default: []].append(record)
        }
        for record in added {
            let key = InodeKey(record)
            if var candidates = removedByInode[key],
                let index = candidates.firstIndex(where: {
                    $0.sha256 == nil || record.sha256 == nil || $0.sha256 == record.sha256
                })
            {
                let first = candidates.remove(at: index)
                removedByInode[key] = candidates
                let differences = differences(first, record).filter { $0.attribute != .ctime }
                changes.append(FIMChange(kind: .moved, path: record.path, from: first.path, attributes: differences))
            } else {
                changes.append(FIMChange(kind: .added, path: record.path))
            }
        }
        for records in removedByInode.values {
            for record in records { changes.append(FIMChange(kind: .removed, path: record.path)) }
        }
        changes.sort { $0.path < $1.path }
        return FIMReport(changes: changes)
    }

    /// The checked attributes that differ between two records of the same path, in table order.
    public static func differences(_ old: FileRecord, _ new: FileRecord) -> [AttributeChange] {
        let checked = old.checks.attributes.intersection(new.checks.attributes)
        let growOnly = new.checks.growOnly
        func change(_ spec: AttributeSpec) -> AttributeChange? {
            guard let a = spec.value(old), let b = spec.value(new), a != b else { return nil }
            return AttributeChange(attribute: spec.attribute, old: spec.render(a), new: spec.render(b))
        }
        if old.type != new.type {
            guard checked.contains(.type), let typeChange = change(AttributeSpec.spec(.type)) else { return [] }
            return [typeChange]
        }
        var result: [AttributeChange] = []
        for spec in AttributeSpec.all where checked.contains(spec.attribute) {
            let attribute = spec.attribute
            if new.type == .directory && [.size, .mtime, .ctime, .nlink].contains(attribute) { continue }
            if growOnly && [.sha256, .mtime, .ctime].contains(attribute) { continue }
            if growOnly && attribute == .size && new.size >= old.size { continue }
            if let difference = change(spec) { result.append(difference) }
        }
        if result.count > 1 { result.removeAll { $0.attribute == .ctime } }
        return result
    }

    /// Identity of a file across a rename.
    private struct InodeKey: Hashable {
        var device: UInt64
        var inode: UInt64
        var type: FileStatus.FileType

        init(_ record: FileRecord) {
            device = record.device
            inode = record.inode
            type = record.type
        }
    }
}
