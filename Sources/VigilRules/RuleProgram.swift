import Foundation

/// A `RuleSet` compiled for the matcher's hot loop: every rule's condition, selections and values as one flat
/// array of `Int32` words over field slots, the literal bytes in one pool, and the literal prefilter's tables.
/// Everything lives in buffers allocated once here and freed in `deinit`, so evaluating an event walks plain
/// integers: no enum payloads, no reference counting, no dictionary lookups.
///
/// Layout of `code` (offsets are indices into `code`):
/// - condition node: `[selection, selectionPC]`, `[not, length, child]`, `[and|or, length, n, children…]`,
///   `[of, length, needed, n, selectionPCs…]` (`needed` 0: any one is enough, as the tree evaluator did)
/// - selection: `[groupCount, groups…]`; group: `[length, testCount, tests…]`; test: `[all, valueCount,
///   values…]`; value: `valueWidth` words `[kind, slot, cased, a, b]` (see `Kind`).
final class RuleProgram: @unchecked Sendable {
    enum Op {
        static let selection: Int32 = 0
        static let not: Int32 = 1
        static let and: Int32 = 2
        static let or: Int32 = 3
        static let of: Int32 = 4
    }

    /// Value kinds. Patterns: `a` start in `bytes` (globs: in `globs`), `b` length. Regex: `a` index into `regexes`, `b` the
    /// minimum length of a match. Cidr: `a` index into `cidrs`. Compare: `a` operator (0 gt, 1 gte, 2 lt, 3 lte), `b` index into `bounds`. Field
    /// reference: `a` the other slot, `b` 0 equals, 1 contains, 2 starts with, 3 ends with.
    enum Kind {
        static let exact: Int32 = 0
        static let prefix: Int32 = 1
        static let suffix: Int32 = 2
        static let contains: Int32 = 3
        static let glob: Int32 = 4
        static let null: Int32 = 5
        static let exists: Int32 = 6
        static let absent: Int32 = 7
        static let regex: Int32 = 8
        static let cidr: Int32 = 9
        static let compare: Int32 = 10
        static let fieldRef: Int32 = 11
    }

    /// Glob tokens besides bytes 0…255.
    static let globAny: Int16 = 256
    static let globStar: Int16 = 257
    static let valueWidth = 5

    let code: UnsafeMutableBufferPointer<Int32>
    let bytes: UnsafeMutableBufferPointer<UInt8>
    let globs: UnsafeMutableBufferPointer<Int16>
    /// Where each rule's condition starts in `code`.
    let ruleEntry: UnsafeMutableBufferPointer<Int32>
    /// The slots each rule reads: `ruleSlots[ruleSlotStart[r]..<ruleSlotStart[r + 1]]`.
    let ruleSlotStart: UnsafeMutableBufferPointer<Int32>
    let ruleSlots: UnsafeMutableBufferPointer<Int32>
    let regexes: [NSRegularExpression]
    let cidrs: [CIDR]
    let bounds: [Double]
    /// Per slot: read case-sensitively (keep the raw bytes), read as a String (regex, cidr, numbers).
    let rawSlot: UnsafeMutableBufferPointer<Bool>
    let stringSlot: UnsafeMutableBufferPointer<Bool>
    let slotCount: Int

    // Literal prefilter. Each literal is looked for through a key: its rarest window of at most `keyLength`
    // bytes (the whole literal when shorter). An Aho–Corasick automaton over the keys (a dense table over byte
    // classes; a transition to a state where keys end is stored as its bitwise complement) stays small enough
    // for the cache, and a key found is confirmed by comparing the whole literal in place.
    static let keyLength = 4
    let transitions: UnsafeMutableBufferPointer<Int32>
    let byteClass: UnsafeMutableBufferPointer<Int32>
    let classCount: Int
    /// Keys ending at each state: `outputs[outputStart[state]..<outputStart[state + 1]]`.
    let outputStart: UnsafeMutableBufferPointer<Int32>
    let outputs: UnsafeMutableBufferPointer<Int32>
    let keyLengths: UnsafeMutableBufferPointer<Int32>
    /// Per key, the literals it stands for and where the key starts in each.
    let keyEntryStart: UnsafeMutableBufferPointer<Int32>
    let keyEntryLiteral: UnsafeMutableBufferPointer<Int32>
    let keyEntryOffset: UnsafeMutableBufferPointer<Int32>
    /// Each literal's bytes in `literalBytes`, and the slot it is required in.
    let literalStart: UnsafeMutableBufferPointer<Int32>
    let literalLength: UnsafeMutableBufferPointer<Int32>
    let literalBytes: UnsafeMutableBufferPointer<UInt8>
    let literalSlot: UnsafeMutableBufferPointer<Int32>
    /// Per literal, the (rule, clause bit) pairs it satisfies: `hitRule[hitStart[id]..<hitStart[id + 1]]`.
    let hitStart: UnsafeMutableBufferPointer<Int32>
    let hitRule: UnsafeMutableBufferPointer<Int32>
    let hitBit: UnsafeMutableBufferPointer<UInt8>
    /// Per rule, all its clause bits: the rule is a candidate once every bit is set.
    let fullMask: UnsafeMutableBufferPointer<UInt8>

    init(compiled: [RuleSet.CompiledRule], slotCount: Int, literals: [[UInt8]], literalSlots: [Int]) {
        var code: [Int32] = []
        var bytes: [UInt8] = []
        var globs: [Int16] = []
        var regexes: [NSRegularExpression] = []
        var cidrs: [CIDR] = []
        var bounds: [Double] = []
        var raw = [Bool](repeating: false, count: max(slotCount, 1))
        var string = [Bool](repeating: false, count: max(slotCount, 1))
        var ruleEntry: [Int32] = []
        var ruleSlotStart: [Int32] = [0]
        var ruleSlots: [Int32] = []

        func emit(_ value: RuleSet.Value, slot: Int) {
            let s = Int32(slot)
            switch value {
            case .pattern(let p):
                if p.cased { raw[slot] = true }
                let cased: Int32 = p.cased ? 1 : 0
                if p.kind == .glob {
                    let start = Int32(globs.count)
                    for token in p.tokens {
                        switch token {
                        case .byte(let b): globs.append(Int16(b))
                        case .any: globs.append(RuleProgram.globAny)
                        case .star: globs.append(RuleProgram.globStar)
                        }
                    }
                    code += [Kind.glob, s, cased, start, Int32(p.tokens.count)]
                } else {
                    let kind: Int32 =
                        switch p.kind {
                        case .exact: Kind.exact
                        case .prefix: Kind.prefix
                        case .suffix: Kind.suffix
                        default: Kind.contains
                        }
                    code += [kind, s, cased, Int32(bytes.count), Int32(p.literal.count)]
                    bytes += p.literal
                }
            case .regex(let regex, let facts):
                string[slot] = true
                code += [Kind.regex, s, 0, Int32(regexes.count), Int32(min(facts.minLength, Int(Int32.max)))]
                regexes.append(regex)
            case .cidr(let network):
                string[slot] = true
                code += [Kind.cidr, s, 0, Int32(cidrs.count), 0]
                cidrs.append(network)
            case .compare(let op, let bound):
                string[slot] = true
                let opCode: Int32 =
                    switch op {
                    case .gt: 0
                    case .gte: 1
                    case .lt: 2
                    case .lte: 3
                    }
                code += [Kind.compare, s, 0, opCode, Int32(bounds.count)]
                bounds.append(bound)
            case .null:
                code += [Kind.null, s, 0, 0, 0]
            case .exists(let flag):
                code += [flag ? Kind.exists : Kind.absent, s, 0, 0, 0]
            case .fieldRef(let other, let kind, let cased):
                if cased {
                    raw[slot] = true
                    raw[other] = true
                }
                let kindCode: Int32 =
                    switch kind {
                    case .equals: 0
                    case .contains: 1
                    case .startsWith: 2
                    case .endsWith: 3
                    }
                code += [Kind.fieldRef, s, cased ? 1 : 0, Int32(other), kindCode]
            }
        }

        func emit(_ condition: Condition, _ selectionPC: [Int32]) {
            switch condition {
            case .selection(let i):
                code += [Op.selection, selectionPC[i]]
            case .not(let inner):
                let start = code.count
                code += [Op.not, 0]
                emit(inner, selectionPC)
                code[start + 1] = Int32(code.count - start)
            case .and(let items), .or(let items):
                let start = code.count
                if case .and = condition { code.append(Op.and) } else { code.append(Op.or) }
                code += [0, Int32(items.count)]
                for item in items { emit(item, selectionPC) }
                code[start + 1] = Int32(code.count - start)
            case .of(let count, let indices):
                let start = code.count
                code += [Op.of, 0, Int32(count ?? indices.count), Int32(indices.count)]
                for i in indices { code.append(selectionPC[i]) }
                code[start + 1] = Int32(code.count - start)
            }
        }

        for rule in compiled {
            var selectionPC: [Int32] = []
            for selection in rule.selections {
                selectionPC.append(Int32(code.count))
                code.append(Int32(selection.count))
                for group in selection {
                    let start = code.count
                    code += [0, Int32(group.count)]
                    for test in group {
                        code += [test.requireAll ? 1 : 0, Int32(test.values.count)]
                        for value in test.values { emit(value, slot: test.slot) }
                    }
                    code[start] = Int32(code.count - start)
                }
            }
            ruleEntry.append(Int32(code.count))
            emit(rule.condition, selectionPC)
            var read = Set<Int>()
            for selection in rule.selections {
                for group in selection {
                    for test in group {
                        read.insert(test.slot)
                        for case .fieldRef(let other, _, _) in test.values { read.insert(other) }
                    }
                }
            }
            ruleSlots += read.sorted().map { Int32($0) }
            ruleSlotStart.append(Int32(ruleSlots.count))
        }
        precondition(code.count < Int(Int32.max), "rule program larger than 2^31 words")

        // Prefilter: which rule clauses each literal satisfies.
        var hitLists = [[(rule: Int32, bit: UInt8)]](repeating: [], count: literals.count)
        var full: [UInt8] = []
        for (i, rule) in compiled.enumerated() {
            let clauses = rule.clauses ?? []
            precondition(clauses.count <= 8, "at most 8 literal clauses per rule")
            full.append(UInt8(truncatingIfNeeded: (1 << clauses.count) - 1))
            for (c, clause) in clauses.enumerated() {
                for id in clause { hitLists[id].append((Int32(i), UInt8(1 << c))) }
            }
        }
        var hitStart: [Int32] = [0]
        var hitRule: [Int32] = []
        var hitBit: [UInt8] = []
        for list in hitLists {
            for hit in list {
                hitRule.append(hit.rule)
                hitBit.append(hit.bit)
            }
            hitStart.append(Int32(hitRule.count))
        }
        // Keys: count each window over the literals, then give each literal its rarest one (the later on ties).
        let k = RuleProgram.keyLength
        var windowCount: [ArraySlice<UInt8>: Int] = [:]
        for literal in literals where literal.count > k {
            var seen = Set<ArraySlice<UInt8>>()
            for w in 0...(literal.count - k) where seen.insert(literal[w..<w + k]).inserted {
                windowCount[literal[w..<w + k], default: 0] += 1
            }
        }
        var keyIndex: [[UInt8]: Int] = [:]
        var keys: [[UInt8]] = []
        var entries: [[(literal: Int32, offset: Int32)]] = []
        var literalStart: [Int32] = []
        var literalLength: [Int32] = []
        var literalBytes: [UInt8] = []
        for (id, literal) in literals.enumerated() {
            precondition(!literal.isEmpty, "prefilter literals are never empty")
            literalStart.append(Int32(literalBytes.count))
            literalLength.append(Int32(literal.count))
            literalBytes += literal
            var offset = 0
            if literal.count > k {
                var best = Int.max
                for w in 0...(literal.count - k) {
                    let count = windowCount[literal[w..<w + k]] ?? 0
                    if count <= best {
                        best = count
                        offset = w
                    }
                }
            }
            let key = Array(literal[offset..<min(offset + k, literal.count)])
            let index: Int
            if let existing = keyIndex[key] {
                index = existing
            } else {
                index = keys.count
                keyIndex[key] = index
                keys.append(key)
                entries.append([])
            }
            entries[index].append((Int32(id), Int32(offset)))
        }
        var keyEntryStart: [Int32] = [0]
        var keyEntryLiteral: [Int32] = []
        var keyEntryOffset: [Int32] = []
        for list in entries {
            for entry in list {
                keyEntryLiteral.append(entry.literal)
                keyEntryOffset.append(entry.offset)
            }
            keyEntryStart.append(Int32(keyEntryLiteral.count))
        }
        let automaton = LiteralPrefilter(literals: keys)
        var transitions = automaton.next
        for i in transitions.indices {
            let target = Int(transitions[i])
            if automaton.outputStart[target] != automaton.outputStart[target + 1] { transitions[i] = ~transitions[i] }
        }

        self.code = RuleProgram.buffer(code)
        self.bytes = RuleProgram.buffer(bytes)
        self.globs = RuleProgram.buffer(globs)
        self.ruleEntry = RuleProgram.buffer(ruleEntry)
        self.ruleSlotStart = RuleProgram.buffer(ruleSlotStart)
        self.ruleSlots = RuleProgram.buffer(ruleSlots)
        self.regexes = regexes
        self.cidrs = cidrs
        self.bounds = bounds
        self.rawSlot = RuleProgram.buffer(raw)
        self.stringSlot = RuleProgram.buffer(string)
        self.slotCount = max(slotCount, 1)
        self.transitions = RuleProgram.buffer(transitions)
        self.byteClass = RuleProgram.buffer(automaton.byteClass.map { Int32($0) })
        self.classCount = automaton.classCount
        self.outputStart = RuleProgram.buffer(automaton.outputStart)
        self.outputs = RuleProgram.buffer(automaton.outputs)
        self.keyLengths = RuleProgram.buffer(keys.map { Int32($0.count) })
        self.keyEntryStart = RuleProgram.buffer(keyEntryStart)
        self.keyEntryLiteral = RuleProgram.buffer(keyEntryLiteral)
        self.keyEntryOffset = RuleProgram.buffer(keyEntryOffset)
        self.literalStart = RuleProgram.buffer(literalStart)
        self.literalLength = RuleProgram.buffer(literalLength)
        self.literalBytes = RuleProgram.buffer(literalBytes)
        self.literalSlot = RuleProgram.buffer(literalSlots.map { Int32($0) })
        self.hitStart = RuleProgram.buffer(hitStart)
        self.hitRule = RuleProgram.buffer(hitRule)
        self.hitBit = RuleProgram.buffer(hitBit)
        self.fullMask = RuleProgram.buffer(full)
    }

    deinit {
        code.deallocate()
        bytes.deallocate()
        globs.deallocate()
        ruleEntry.deallocate()
        ruleSlotStart.deallocate()
        ruleSlots.deallocate()
        rawSlot.deallocate()
        stringSlot.deallocate()
        transitions.deallocate()
        byteClass.deallocate()
        outputStart.deallocate()
        outputs.deallocate()
        keyLengths.deallocate()
        keyEntryStart.deallocate()
        keyEntryLiteral.deallocate()
        keyEntryOffset.deallocate()
        literalStart.deallocate()
        literalLength.deallocate()
        literalBytes.deallocate()
        literalSlot.deallocate()
        hitStart.deallocate()
        hitRule.deallocate()
        hitBit.deallocate()
        fullMask.deallocate()
    }

    /// A buffer holding a copy of `array` (at least one element, so the base address is never nil).
    private static func buffer<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
        let storage = UnsafeMutableBufferPointer<T>.allocate(capacity: max(array.count, 1))
        _ = storage.initialize(from: array)
        return UnsafeMutableBufferPointer(rebasing: storage[0..<array.count])
    }
}
