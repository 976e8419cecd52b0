/// Which stored perfect subtrees a proof needs (RFC 9162 §2.1.3.1 and §2.1.4.1), computed without
/// reading anything, so that a store can fetch them all in one batch.
///
/// Each element of a plan is one proof hash: the nodes whose right-to-left fold gives it (one node when
/// the subtree is perfect, up to log n on the tree's ragged right edge, which happens at most once per
/// proof). A plan for a tree of n leaves names O(log n) nodes.
public enum ProofPlan {
    /// The nodes for the inclusion proof of leaf `index` in the tree of `treeSize` leaves, leaf side first.
    public static func inclusion(index: UInt64, treeSize: UInt64) -> [[NodeID]] {
        precondition(index < treeSize, "inclusion of leaf \(index) in a tree of \(treeSize)")
        var plan: [[NodeID]] = []
        var start: UInt64 = 0
        var end = treeSize
        // Walk down from the root, collecting siblings, then reverse to go leaf-first.
        while end - start > 1 {
            let k = largestPowerOfTwo(below: end - start)
            if index < start + k {
                plan.append(NodeID.decompose(start + k, end))
                end = start + k
            } else {
                plan.append(NodeID.decompose(start, start + k))
                start += k
            }
        }
        return plan.reversed()
    }

    /// The nodes for the consistency proof from `size1` to `size2` leaves (0 < size1 < size2).
    public static func consistency(from size1: UInt64, to size2: UInt64) -> [[NodeID]] {
        precondition(0 < size1 && size1 < size2, "consistency from \(size1) to \(size2)")
        var plan: [[NodeID]] = []
        var m = size1
        var start: UInt64 = 0
        var end = size2
        var complete = true
        while true {
            let n = end - start
            if m == n {
                if !complete { plan.append(NodeID.decompose(start, end)) }
                break
            }
            let k = largestPowerOfTwo(below: n)
            if m <= k {
                plan.append(NodeID.decompose(start + k, end))
                end = start + k
            } else {
                plan.append(NodeID.decompose(start, start + k))
                start += k
                m -= k
                complete = false
            }
        }
        return plan.reversed()
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        precondition(n >= 2, "a split needs at least two leaves")
        return UInt64(1) << UInt64(63 - (n - 1).leadingZeroBitCount)
    }
}
