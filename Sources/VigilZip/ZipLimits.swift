/// Hard limits on what reading one archive may cost, checked against the archive's declared sizes before
/// any byte is inflated (and a stream that inflates beyond its declared size is stopped there).
public struct ZipLimits: Sendable, Hashable {
    /// Entries in the central directory.
    public var maxEntries: Int
    /// Uncompressed bytes of one entry.
    public var maxEntrySize: Int
    /// Uncompressed bytes of all entries together.
    public var maxTotalSize: Int
    /// Uncompressed bytes per compressed byte of one entry (DEFLATE reaches about 1032:1 at most)…
    public var maxRatio: Int
    /// …checked for entries larger than this (a tiny file's ratio says nothing).
    public var ratioFloor: Int

    /// The defaults fit OSV's published archives (tens of thousands of JSON records of a few KB each,
    /// compressing about 5–20:1) with a wide margin.
    public init(
        maxEntries: Int = 1_000_000, maxEntrySize: Int = 64 << 20, maxTotalSize: Int = 8 << 30,
        maxRatio: Int = 200, ratioFloor: Int = 1 << 20
    ) {
        self.maxEntries = maxEntries
        self.maxEntrySize = maxEntrySize
        self.maxTotalSize = maxTotalSize
        self.maxRatio = maxRatio
        self.ratioFloor = ratioFloor
    }
}
