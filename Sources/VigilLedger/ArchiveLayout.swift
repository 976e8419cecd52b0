/// The names and fixed contents of an archive directory (see Documentation/archive-format.md).
public enum ArchiveLayout {
    /// The format marker file and its exact contents.
    public static let formatFile = "FORMAT"
    public static let formatContents = Array("vigil-archive/v1\n".utf8)
    /// The entries, back to back.
    public static let entriesFile = "entries"
    /// One 8-byte big-endian end offset per entry into `entries`.
    public static let indexFile = "entries.idx"
    /// The 32-byte hashes of every perfect subtree, in post-order (`NodeID.position`).
    public static let treeFile = "tree"
    /// The signed checkpoints, one file each.
    public static let checkpointsDirectory = "checkpoints"
    public static let checkpointSuffix = ".checkpoint"

    /// The file name of the checkpoint for `size`: 20 decimal digits, so names sort by size.
    public static func checkpointName(size: UInt64) -> String {
        let digits = String(size)
        return String(repeating: "0", count: 20 - digits.count) + digits + checkpointSuffix
    }

    /// The size a checkpoint file name stands for, or nil if the name is not one Vigil writes.
    public static func checkpointSize(name: String) -> UInt64? {
        guard name.hasSuffix(checkpointSuffix) else { return nil }
        let digits = name.dropLast(checkpointSuffix.count)
        guard digits.count == 20, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(digits)
    }
}
