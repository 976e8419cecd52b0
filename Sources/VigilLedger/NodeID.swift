/// A perfect subtree of the log: the `2^level` leaves starting at `index << level`.
///
/// Only perfect subtrees are ever stored; the ragged right edge of a tree is recomputed from them.
/// Stored nodes are laid out in post-order — the order in which appending leaves completes them — so
/// that every batch appends to the end of one sequence (see `position`).
public struct NodeID: Sendable, Hashable, CustomStringConvertible {
    public var level: Int
    public var index: UInt64

    public init(level: Int, index: UInt64) {
        precondition(level >= 0 && level < 64, "a node level is 0...63")
        self.level = level
        self.index = index
    }

    /// The first leaf under this node.
    public var firstLeaf: UInt64 { index << UInt64(level) }
    /// One past the last leaf under this node.
    public var endLeaf: UInt64 { (index + 1) << UInt64(level) }

    /// This node's place in the post-order sequence of all perfect subtrees: appending leaf `i`
    /// writes the leaf's hash and then the hashes of the subtrees it completes, lowest first.
    public var position: UInt64 {
        let last = endLeaf - 1
        return NodeID.nodeCount(treeSize: last) + UInt64(level)
    }

    /// How many perfect subtrees a tree of `treeSize` leaves has (the length of the post-order sequence).
    public static func nodeCount(treeSize: UInt64) -> UInt64 {
        2 * treeSize - UInt64(treeSize.nonzeroBitCount)
    }

    /// The perfect subtrees that make up the leaves `start..<end`, left to right, each as large as
    /// its alignment allows. Folding them from the right (`hashChildren(left, acc)`) gives the RFC 9162
    /// hash of that range when `end` is the tree's right edge or the range is itself perfect.
    public static func decompose(_ start: UInt64, _ end: UInt64) -> [NodeID] {
        precondition(start <= end, "a range of leaves starts before it ends")
        var nodes: [NodeID] = []
        var cursor = start
        while cursor < end {
            // Largest power of two that is aligned at `cursor` and fits in what is left.
            var level = cursor == 0 ? 63 : cursor.trailingZeroBitCount
            while level > 0 && (UInt64(1) << UInt64(level)) > end - cursor { level -= 1 }
            nodes.append(NodeID(level: level, index: cursor >> UInt64(level)))
            cursor += UInt64(1) << UInt64(level)
        }
        return nodes
    }

    public var description: String { "node(level \(level), index \(index))" }
}
