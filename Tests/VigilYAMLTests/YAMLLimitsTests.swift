import Testing
import VigilYAML

@Suite struct YAMLLimitsTests {
    /// The classic billion laughs: nine levels of nine aliases, 9^9 strings once expanded.
    static let billionLaughs: String = {
        var lines = ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            lines.append(
                "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n")
    }()

    @Test func aliasBombRejectedByNodeLimit() throws {
        let error = try #require(throws: YAMLError.self) { try YAMLParser.parse(Self.billionLaughs, file: "lol.yml") }
        #expect(error.code == "yaml.too-large")
        #expect(error.mark != nil)
        #expect(error.description.hasPrefix("lol.yml:"))
    }

    @Test("deep nesting rejected by the depth limit", arguments: ["[", "{a: ", "- "])
    func deepNesting(opener: String) throws {
        let depth = 10_000
        let text: String
        if opener == "- " {
            text = (0..<300).map { String(repeating: "  ", count: $0) + "-" }.joined(separator: "\n") + " x\n"
        } else {
            text = String(repeating: opener, count: depth) + "x"
        }
        let error = try #require(throws: YAMLError.self) { try YAMLParser.parse(text) }
        #expect(error.code == "yaml.too-deep")
        #expect(error.mark != nil)
    }

    @Test("depth up to the limit is accepted", arguments: [1, 10, 64])
    func depthAtLimit(depth: Int) throws {
        let text = String(repeating: "[", count: depth) + "x" + String(repeating: "]", count: depth)
        let limits = YAMLParser.Limits(maxDepth: depth)
        var node = try #require(try YAMLParser.parse(text, limits: limits).first)
        for _ in 0..<depth { node = try #require(node.sequence?.first) }
        #expect(node.scalar == "x")
        let deeper = "[" + text + "]"
        #expect(throws: YAMLError.self) { try YAMLParser.parse(deeper, limits: limits) }
    }

    /// The node limit counts each node once: a nested document of exactly `maxNodes` nodes passes.
    @Test("node limit counts each node once", arguments: [1, 2, 5, 50])
    func nodeCountExact(depth: Int) throws {
        // depth sequences around one scalar: depth + 1 nodes.
        let text = String(repeating: "[", count: depth) + "x" + String(repeating: "]", count: depth)
        #expect(throws: Never.self) { try YAMLParser.parse(text, limits: .init(maxNodes: depth + 1)) }
        #expect(throws: YAMLError.self) { try YAMLParser.parse(text, limits: .init(maxNodes: depth)) }
    }

    @Test func aliasesCountTheirExpansion() throws {
        // 1 root + key a + [1,2,3] (4) + key b + alias (4) = 11 nodes.
        let text = "a: &a [1, 2, 3]\nb: *a\n"
        #expect(throws: Never.self) { try YAMLParser.parse(text, limits: .init(maxNodes: 11)) }
        #expect(throws: YAMLError.self) { try YAMLParser.parse(text, limits: .init(maxNodes: 10)) }
    }

    @Test func nodeLimitIsPerDocument() throws {
        let one = "[" + Array(repeating: "x", count: 9).joined(separator: ", ") + "]\n"
        let text = "---\n" + one + "---\n" + one
        #expect(try YAMLParser.parse(text, limits: .init(maxNodes: 10)).count == 2)
    }

    @Test func tenMegabyteDocumentParses() throws {
        // About 10 MB of rules-like entries: a sequence of mappings with a few keys each.
        var text = "rules:\n"
        let entry = "  - id: rule-%07d\n    level: high\n    paths: [/etc/passwd, /etc/shadow, /usr/bin/sudo]\n"
        var count = 0
        while text.utf8.count < 10_000_000 {
            text += entry.replacingOccurrences(of: "%07d", with: String(count))
            count += 1
        }
        let documents = try YAMLParser.parse(text)
        let rules = try #require(documents.first?["rules"]?.sequence)
        #expect(rules.count == count)
        #expect(rules.last?["id"]?.scalar == "rule-\(count - 1)")
        #expect(rules.last?["paths"]?.sequence?.count == 3)
    }

    @Test func hugeSingleLineScalar() throws {
        let long = String(repeating: "x", count: 2_000_000)
        let root = try #require(try YAMLParser.parse("k: \(long)\n").first)
        #expect(root["k"]?.scalar?.count == long.count)
    }
}
