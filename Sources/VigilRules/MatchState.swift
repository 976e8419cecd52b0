import Foundation

/// A `RuleMatcher`'s per-event scratch space and the evaluator of a `RuleProgram` over it.
///
/// Field values are read only when needed: the slots the prefilter scans, then the slots of the rules it left to
/// evaluate; each is filled once per event (its bytes appended to `text`, lower-cased, plus a raw copy where a
/// rule compares case-sensitively).
/// Everything is reused from event to event, keeping capacity, so steady state allocates nothing.
struct MatchState {
    /// This event's field bytes, slot after slot.
    var text: [UInt8] = []
    /// Per slot: the event (generation) it was filled for, where its lower-cased and raw bytes are in `text`,
    /// and its length (-1: absent).
    var filled: [UInt32]
    var lowStart: [Int]
    var rawStart: [Int]
    var length: [Int]
    /// The value as a String, for slots that regexes, networks or numbers read.
    var strings: [String?]
    /// This event's `unmapped` entries under the slots whose field names they are (valid where the stamp is
    /// the current generation): read once per event instead of one dictionary lookup per slot.
    var unmappedStamp: [UInt32]
    var unmappedValue: [String?]
    var generation: UInt32 = 0
    /// Per rule: the event its clause mask belongs to, and the clause bits seen.
    var hitStamp: [UInt32]
    var clauseMask: [UInt8]
    var found: [Int] = []
    var matched: [Int] = []
    var evaluated = 0

    /// Holds nothing (allocates nothing): what the matcher keeps while an event has the real one.
    init() {
        filled = []
        lowStart = []
        rawStart = []
        length = []
        strings = []
        unmappedStamp = []
        unmappedValue = []
        hitStamp = []
        clauseMask = []
    }

    init(slots: Int, rules: Int) {
        filled = [UInt32](repeating: 0, count: slots)
        lowStart = [Int](repeating: 0, count: slots)
        rawStart = [Int](repeating: 0, count: slots)
        length = [Int](repeating: -1, count: slots)
        strings = [String?](repeating: nil, count: slots)
        unmappedStamp = [UInt32](repeating: 0, count: slots)
        unmappedValue = [String?](repeating: nil, count: slots)
        hitStamp = [UInt32](repeating: 0, count: rules)
        clauseMask = [UInt8](repeating: 0, count: rules)
    }

    /// Starts an event: nothing filled, no literal seen.
    mutating func begin() {
        generation &+= 1
        if generation == 0 {
            for i in filled.indices { filled[i] = 0 }
            for i in unmappedStamp.indices { unmappedStamp[i] = 0 }
            for i in hitStamp.indices { hitStamp[i] = 0 }
            generation = 1
        }
        text.removeAll(keepingCapacity: true)
        text.append(0)  // never empty, so its base address is never nil
        found.removeAll(keepingCapacity: true)
        matched.removeAll(keepingCapacity: true)
    }

    /// Records this event's `unmapped` value for a slot of that field name.
    mutating func setUnmapped(_ slot: Int, _ value: String) {
        unmappedStamp[slot] = generation
        unmappedValue[slot] = value
    }

    /// This event's `unmapped` value under the slot's field name.
    @inline(__always)
    func unmapped(_ slot: Int) -> String? {
        unmappedStamp[slot] == generation ? unmappedValue[slot] : nil
    }

    /// Whether `slot` still needs its value for this event.
    @inline(__always)
    func needs(_ slot: Int) -> Bool { filled[slot] != generation }

    /// After the scan: the rules to evaluate (candidates and unfiltered rules, in rule order) into `found`.
    mutating func collect(_ plan: RuleMatcher.Plan) {
        let always = plan.always
        if always.isEmpty {
            found.sort()
            return
        }
        found += always
        found.sort()
    }

    /// Evaluates the rules in `found` (their slots filled); the matching ones go to `matched`.
    mutating func evaluate(_ p: RuleProgram) {
        for i in found.indices {
            let rule = found[i]
            evaluated &+= 1
            if condition(Int(p.ruleEntry[rule]), p) { matched.append(rule) }
        }
    }

    /// Runs the literal automaton over one slot's lower-cased bytes; a rule becomes a candidate when each of its
    /// clauses has seen one of its literals in the slot the literal was required in.
    mutating func scan(_ slot: Int, _ member: UnsafeMutableBufferPointer<Bool>, _ p: RuleProgram) {
        let bytes = text
        let start = lowStart[slot]
        let end = start + length[slot]
        bytes.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress!
            let transitions = p.transitions.baseAddress!
            let byteClass = p.byteClass.baseAddress!
            let classCount = p.classCount
            var state = 0
            var i = start
            while i < end {
                let next = Int(transitions[state &* classCount &+ Int(byteClass[Int(base[i])])])
                i += 1
                if next >= 0 {
                    state = next
                    continue
                }
                state = ~next
                keysEnd(state, at: i, slot, start, end, base, member, p)
            }
        }
    }

    /// Keys end at `state`, just before `position`: confirms the literals they stand for in this slot. Kept out
    /// of the scan loop so that loop keeps its state in registers.
    @inline(never)
    mutating func keysEnd(
        _ state: Int, at position: Int, _ slot: Int, _ start: Int, _ end: Int, _ base: UnsafePointer<UInt8>,
        _ member: UnsafeMutableBufferPointer<Bool>, _ p: RuleProgram
    ) {
        let slot32 = Int32(slot)
        for o in Int(p.outputStart[state])..<Int(p.outputStart[state + 1]) {
            let key = Int(p.outputs[o])
            let keyStart = position - Int(p.keyLengths[key])
            for e in Int(p.keyEntryStart[key])..<Int(p.keyEntryStart[key + 1]) {
                let id = Int(p.keyEntryLiteral[e])
                guard p.literalSlot[id] == slot32 else { continue }
                let from = keyStart - Int(p.keyEntryOffset[e])
                let count = Int(p.literalLength[id])
                guard from >= start, from + count <= end else { continue }
                let literal = p.literalBytes.baseAddress! + Int(p.literalStart[id])
                guard memcmp(base + from, literal, count) == 0 else { continue }
                literalFound(id, member, p)
            }
        }
    }

    /// Literal `id` occurred in its slot: sets its clause bits in the rules it serves.
    @inline(__always)
    mutating func literalFound(_ id: Int, _ member: UnsafeMutableBufferPointer<Bool>, _ p: RuleProgram) {
        let gen = generation
        for h in Int(p.hitStart[id])..<Int(p.hitStart[id + 1]) {
            let r = Int(p.hitRule[h])
            guard member[r] else { continue }
            if hitStamp[r] != gen {
                hitStamp[r] = gen
                clauseMask[r] = 0
            }
            let before = clauseMask[r]
            let bit = p.hitBit[h]
            if before & bit == 0 {
                clauseMask[r] = before | bit
                if before | bit == p.fullMask[r] { found.append(r) }
            }
        }
    }

    mutating func fill(_ slot: Int, _ value: String?, _ p: RuleProgram) {
        filled[slot] = generation
        guard var value else {
            length[slot] = -1
            return
        }
        if p.stringSlot[slot] { strings[slot] = value }
        value.withUTF8 { bytes in
            let start = text.count
            lowStart[slot] = start
            length[slot] = bytes.count
            text.append(contentsOf: bytes)
            text.withUnsafeMutableBufferPointer { t in
                for i in start..<t.count { t[i] = SigmaPattern.lower(t[i]) }
            }
            if p.rawSlot[slot] {
                rawStart[slot] = text.count
                text.append(contentsOf: bytes)
            }
        }
    }

    /// Length in `code` of the condition node at `pc`.
    @inline(__always)
    static func nodeLength(_ pc: Int, _ p: RuleProgram) -> Int {
        p.code[pc] == RuleProgram.Op.selection ? 2 : Int(p.code[pc + 1])
    }

    mutating func condition(_ pc: Int, _ p: RuleProgram) -> Bool {
        let code = p.code
        switch code[pc] {
        case RuleProgram.Op.selection:
            return selection(Int(code[pc + 1]), p)
        case RuleProgram.Op.not:
            return !condition(pc + 2, p)
        case RuleProgram.Op.and:
            var child = pc + 3
            for _ in 0..<Int(code[pc + 2]) {
                if !condition(child, p) { return false }
                child += MatchState.nodeLength(child, p)
            }
            return true
        case RuleProgram.Op.or:
            var child = pc + 3
            for _ in 0..<Int(code[pc + 2]) {
                if condition(child, p) { return true }
                child += MatchState.nodeLength(child, p)
            }
            return false
        default:
            let needed = Int(code[pc + 2])
            var hits = 0
            for i in 0..<Int(code[pc + 3]) where selection(Int(code[pc + 4 + i]), p) {
                hits += 1
                if hits >= needed { return true }
            }
            return hits >= needed && needed > 0
        }
    }

    /// OR of groups, each an AND of tests, each an OR (AND with `|all`) of values over one slot.
    mutating func selection(_ pc: Int, _ p: RuleProgram) -> Bool {
        let code = p.code
        var group = pc + 1
        for _ in 0..<Int(code[pc]) {
            var test = group + 2
            var ok = true
            for _ in 0..<Int(code[group + 1]) {
                let all = code[test] != 0
                let count = Int(code[test + 1])
                var result = all
                var v = test + 2
                for _ in 0..<count {
                    let hit = value(v, p)
                    if hit != all {
                        result = hit
                        break
                    }
                    v += RuleProgram.valueWidth
                }
                if !result {
                    ok = false
                    break
                }
                test += 2 + count * RuleProgram.valueWidth
            }
            if ok { return true }
            group += Int(code[group])
        }
        return false
    }

    mutating func value(_ v: Int, _ p: RuleProgram) -> Bool {
        let code = p.code
        let kind = code[v]
        let slot = Int(code[v + 1])
        assert(!needs(slot), "slot read before it was filled")
        let count = length[slot]
        let present = count >= 0
        switch kind {
        case RuleProgram.Kind.null:
            return !present
        case RuleProgram.Kind.exists:
            return present
        case RuleProgram.Kind.absent:
            return !present
        default:
            break
        }
        guard present else { return false }
        let start = code[v + 2] != 0 ? rawStart[slot] : lowStart[slot]
        let a = Int(code[v + 3])
        let b = Int(code[v + 4])
        switch kind {
        case RuleProgram.Kind.exact:
            return count == b && text.withUnsafeBufferPointer { equal($0.baseAddress! + start, p.bytes, a, b) }
        case RuleProgram.Kind.prefix:
            return count >= b && text.withUnsafeBufferPointer { equal($0.baseAddress! + start, p.bytes, a, b) }
        case RuleProgram.Kind.suffix:
            return count >= b
                && text.withUnsafeBufferPointer { equal($0.baseAddress! + start + count - b, p.bytes, a, b) }
        case RuleProgram.Kind.contains:
            return text.withUnsafeBufferPointer {
                MatchState.contains($0.baseAddress! + start, count, p.bytes.baseAddress! + a, b)
            }
        case RuleProgram.Kind.glob:
            return text.withUnsafeBufferPointer {
                MatchState.glob($0.baseAddress! + start, count, UnsafeBufferPointer(rebasing: p.globs[a..<a + b]))
            }
        case RuleProgram.Kind.regex:
            guard count >= b, let string = strings[slot] else { return false }
            let range = NSRange(location: 0, length: (string as NSString).length)
            return p.regexes[a].firstMatch(in: string, options: [], range: range) != nil
        case RuleProgram.Kind.cidr:
            guard let string = strings[slot] else { return false }
            return p.cidrs[a].contains(string)
        case RuleProgram.Kind.compare:
            guard let string = strings[slot], let n = Double(string) else { return false }
            let bound = p.bounds[b]
            switch a {
            case 0: return n > bound
            case 1: return n >= bound
            case 2: return n < bound
            default: return n <= bound
            }
        default:
            // Field reference: `a` is the other slot.
            assert(!needs(a), "slot read before it was filled")
            let otherCount = length[a]
            guard otherCount >= 0 else { return false }
            let otherStart = code[v + 2] != 0 ? rawStart[a] : lowStart[a]
            return text.withUnsafeBufferPointer { t in
                let x = t.baseAddress! + start
                let y = t.baseAddress! + otherStart
                switch b {
                case 0: return count == otherCount && memcmp(x, y, count) == 0
                case 1: return MatchState.contains(x, count, y, otherCount)
                case 2: return count >= otherCount && memcmp(x, y, otherCount) == 0
                default: return count >= otherCount && memcmp(x + count - otherCount, y, otherCount) == 0
                }
            }
        }
    }

    @inline(__always)
    func equal(_ x: UnsafePointer<UInt8>, _ pool: UnsafeMutableBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Bool {
        b == 0 || memcmp(x, pool.baseAddress! + a, b) == 0
    }

    /// Whether `needle` occurs in `haystack`: memchr for the first byte, then compare.
    static func contains(
        _ haystack: UnsafePointer<UInt8>, _ h: Int, _ needle: UnsafePointer<UInt8>, _ n: Int
    ) -> Bool {
        if n == 0 { return true }
        if n > h { return false }
        let first = Int32(needle[0])
        var i = 0
        let last = h - n
        while i <= last {
            guard let found = memchr(haystack + i, first, last - i + 1) else { return false }
            let at = UnsafeRawPointer(haystack).distance(to: found)
            if memcmp(haystack + at, needle, n) == 0 { return true }
            i = at + 1
        }
        return false
    }

    /// Glob match with `*` and `?` (one UTF-8 character), backtracking to the last star.
    static func glob(_ value: UnsafePointer<UInt8>, _ count: Int, _ tokens: UnsafeBufferPointer<Int16>) -> Bool {
        var v = 0
        var t = 0
        var starT = -1
        var starV = 0
        while v < count {
            if t < tokens.count {
                let token = tokens[t]
                if token == RuleProgram.globStar {
                    starT = t
                    starV = v
                    t += 1
                    continue
                }
                if token == RuleProgram.globAny {
                    v += 1
                    while v < count && value[v] & 0xC0 == 0x80 { v += 1 }
                    t += 1
                    continue
                }
                if token == Int16(value[v]) {
                    v += 1
                    t += 1
                    continue
                }
            }
            guard starT >= 0 else { return false }
            t = starT + 1
            starV += 1
            v = starV
        }
        while t < tokens.count && tokens[t] == RuleProgram.globStar { t += 1 }
        return t == tokens.count
    }
}
