/// A multi-pattern literal search (Aho–Corasick, compiled to a dense table over byte classes), built here and
/// laid out for the matcher's scan loop by `RuleProgram`: one pass over a field's lower-cased text finds every
/// literal it contains.
struct LiteralPrefilter: Sendable {
    /// Transition table: `next[state * classCount + byteClass[b]]`.
    let next: [Int32]
    let byteClass: [UInt16]
    let classCount: Int
    /// Literal ids ending at each state (own and through failure links), flattened.
    let outputStart: [Int32]
    let outputs: [Int32]
    let literalCount: Int

    init(literals: [[UInt8]]) {
        literalCount = literals.count
        // Bytes that occur in some literal get their own class (at most 256); all others share class 0.
        var classes = [UInt16](repeating: 0, count: 256)
        var count = 1
        for literal in literals {
            for b in literal where classes[Int(b)] == 0 {
                classes[Int(b)] = UInt16(count)
                count += 1
            }
        }
        byteClass = classes
        classCount = count
        // Trie.
        var children: [[Int32]] = [[Int32](repeating: -1, count: count)]
        var own: [[Int32]] = [[]]
        for (id, literal) in literals.enumerated() {
            var state = 0
            for b in literal {
                let c = Int(classes[Int(b)])
                if children[state][c] < 0 {
                    children[state][c] = Int32(children.count)
                    children.append([Int32](repeating: -1, count: count))
                    own.append([])
                }
                state = Int(children[state][c])
            }
            own[state].append(Int32(id))
        }
        // Failure links in breadth-first order, turning the trie into a full transition table.
        let states = children.count
        var fail = [Int32](repeating: 0, count: states)
        var table = [Int32](repeating: 0, count: states * count)
        var queue: [Int] = []
        for c in 0..<count {
            let child = children[0][c]
            if child >= 0 {
                table[c] = child
                queue.append(Int(child))
            }
        }
        var head = 0
        var outs = own
        while head < queue.count {
            let state = queue[head]
            head += 1
            outs[state] += outs[Int(fail[state])]
            for c in 0..<count {
                let child = children[state][c]
                if child >= 0 {
                    fail[Int(child)] = table[Int(fail[state]) * count + c]
                    table[state * count + c] = child
                    queue.append(Int(child))
                } else {
                    table[state * count + c] = table[Int(fail[state]) * count + c]
                }
            }
        }
        next = table
        var starts: [Int32] = [0]
        var flat: [Int32] = []
        for state in 0..<states {
            flat += outs[state]
            starts.append(Int32(flat.count))
        }
        outputStart = starts
        outputs = flat
    }
}
