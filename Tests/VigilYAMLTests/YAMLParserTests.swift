import Foundation
import Testing
import VigilTestSupport
import VigilYAML

@Suite struct YAMLParserTests {
    @Test func scalarsSequencesAndMappingsWithMarks() throws {
        let text = """
            title: Suspicious shell
            tags:
              - attack.execution
              - attack.t1059
            detection:
              selection: {Image: /bin/sh, User: root}
              condition: selection
            """
        let documents = try YAMLParser.parse(text, file: "rule.yml")
        #expect(documents.count == 1)
        let root = try #require(documents.first)
        #expect(root.kindName == "mapping")
        #expect(root.mark == YAMLMark(line: 1, column: 1))
        #expect(root.mapping?.map { $0.key.scalar } == ["title", "tags", "detection"])
        let title = try #require(root["title"])
        #expect(title.scalar == "Suspicious shell")
        #expect(title.mark == YAMLMark(line: 1, column: 8))
        let tags = try #require(root["tags"]?.sequence)
        #expect(tags.map(\.scalar) == ["attack.execution", "attack.t1059"])
        #expect(tags.map(\.mark) == [YAMLMark(line: 3, column: 5), YAMLMark(line: 4, column: 5)])
        #expect(root["tags"]?.mark == YAMLMark(line: 3, column: 3))
        let selection = try #require(root["detection"]?["selection"])
        #expect(selection.mark == YAMLMark(line: 6, column: 14))
        #expect(selection["Image"]?.scalar == "/bin/sh")
        #expect(selection["Image"]?.mark == YAMLMark(line: 6, column: 22))
        #expect(selection["User"]?.mark == YAMLMark(line: 6, column: 37))
        let pairs = try #require(root.mapping)
        #expect(pairs[2].key.mark == YAMLMark(line: 5, column: 1))
        #expect(root["missing"] == nil)
        #expect(title.sequence == nil && title.mapping == nil && root.scalar == nil)
    }

    @Test(
        "scalar styles",
        arguments: [
            ("v: plain", YAMLNode.ScalarStyle.plain, "plain"),
            ("v: 'single ''quoted'''", .singleQuoted, "single 'quoted'"),
            ("v: \"double\\tquoted\"", .doubleQuoted, "double\tquoted"),
            ("v: |\n  line one\n  line two\n", .literal, "line one\nline two\n"),
            ("v: >\n  folded\n  text\n", .folded, "folded text\n"),
        ])
    func styles(text: String, style: YAMLNode.ScalarStyle, value: String) throws {
        let node = try #require(try YAMLParser.parse(text).first?["v"])
        #expect(node.kind == .scalar(value, style))
        #expect(node.isPlainScalar == (style == .plain))
    }

    @Test(
        "null detection",
        arguments: [
            ("v: null", true), ("v: Null", true), ("v: NULL", true), ("v: ~", true), ("v:", true),
            ("v: 'null'", false), ("v: \"~\"", false), ("v: nil", false), ("v: none", false),
            ("v: !!null null", true), ("v: !!str null", false), ("v: ''", false),
        ])
    func nulls(text: String, isNull: Bool) throws {
        let node = try #require(try YAMLParser.parse(text).first?["v"])
        #expect(node.isNull == isNull)
        #expect((node.kindName == "null") == isNull)
    }

    @Test func typedAccessors() throws {
        let root = try #require(
            try YAMLParser.parse("a: true\nb: 'true'\nc: 42\nd: '42'\ne: -7\nf: 4.5\ng: FALSE\nh: yes").first)
        #expect(root["a"]?.bool == true)
        #expect(root["b"]?.bool == nil)
        #expect(root["c"]?.int == 42)
        #expect(root["d"]?.int == nil)
        #expect(root["e"]?.int == -7)
        #expect(root["f"]?.int == nil)
        #expect(root["g"]?.bool == false)
        #expect(root["h"]?.bool == nil)  // YAML 1.2: yes is a string
    }

    @Test func tagsAreKept() throws {
        let root = try #require(try YAMLParser.parse("a: !!str 123\nb: !custom x\nc: !!seq [1]").first)
        #expect(root["a"]?.tag == "tag:yaml.org,2002:str")
        #expect(root["b"]?.tag == "!custom")
        #expect(root["c"]?.tag == "tag:yaml.org,2002:seq")
        #expect(root["a"]?.scalar == "123")
    }

    @Test func anchorsAndAliasesResolved() throws {
        let text = """
            base: &base
              level: high
              tags: [a, b]
            copy: *base
            scalar: &s hello
            again: *s
            list:
              - *s
              - *base
            """
        let root = try #require(try YAMLParser.parse(text).first)
        let base = try #require(root["base"])
        let copy = try #require(root["copy"])
        #expect(copy.kind == base.kind)
        #expect(copy.mark == YAMLMark(line: 4, column: 7))
        #expect(root["again"]?.scalar == "hello")
        #expect(root["list"]?.sequence?.first?.scalar == "hello")
        #expect(root["list"]?.sequence?[1]["tags"]?.sequence?.count == 2)
    }

    @Test func unknownAliasIsAnError() throws {
        let error = try #require(throws: YAMLError.self) { try YAMLParser.parse("a: 1\nb: *nowhere\n", file: "x.yml") }
        #expect(error.code == "yaml.unknown-alias")
        #expect(error.mark == YAMLMark(line: 2, column: 4))
        #expect(error.description.hasPrefix("x.yml:2:4: "))
        #expect(error.message.contains("nowhere"))
    }

    @Test func anchorsDoNotCrossDocuments() throws {
        #expect(throws: YAMLError.self) { try YAMLParser.parse("a: &x 1\n---\nb: *x\n") }
    }

    @Test func duplicateKeyReportedWithPosition() throws {
        let text = "title: one\ndetection:\n  selection: a\n  condition: b\n  selection: c\n"
        let error = try #require(throws: YAMLError.self) { try YAMLParser.parse(text, file: "rules/dup.yml") }
        #expect(error.code == "yaml.duplicate-key")
        #expect(error.mark == YAMLMark(line: 5, column: 3))
        #expect(error.description.hasPrefix("rules/dup.yml:5:3: "))
        #expect(error.message.contains("'selection'"))
    }

    @Test func sameKeyInDifferentMappingsIsFine() throws {
        let root = try #require(try YAMLParser.parse("a: {k: 1}\nb: {k: 2}\nc: [{k: 3}, {k: 4}]").first)
        #expect(root["b"]?["k"]?.scalar == "2")
        #expect(root["c"]?.sequence?.compactMap { $0["k"]?.scalar } == ["3", "4"])
    }

    @Test func duplicateKeyInFlowMapping() throws {
        let error = try #require(throws: YAMLError.self) { try YAMLParser.parse("{a: 1, b: 2, a: 3}") }
        #expect(error.code == "yaml.duplicate-key")
        #expect(error.mark == YAMLMark(line: 1, column: 14))
    }

    @Test func multiDocumentStream() throws {
        let text = "---\na: 1\n---\n- x\n- y\n...\n---\nplain\n---\n"
        let documents = try YAMLParser.parse(text)
        #expect(documents.count == 4)
        #expect(documents[0]["a"]?.scalar == "1")
        #expect(documents[1].sequence?.count == 2)
        #expect(documents[1].mark == YAMLMark(line: 4, column: 1))
        #expect(documents[2].scalar == "plain")
        #expect(documents[2].mark == YAMLMark(line: 8, column: 1))
        #expect(documents[3].isNull)
    }

    @Test func emptyInputs() throws {
        #expect(try YAMLParser.parse("").isEmpty)
        #expect(try YAMLParser.parse("# only a comment\n").isEmpty)
        #expect(try YAMLParser.parse("\n\n   \n").isEmpty)
    }

    @Test func unicodeColumnsCountCharacters() throws {
        let root = try #require(try YAMLParser.parse("名前: 値\nkey: ünïcödé").first)
        #expect(root["名前"]?.scalar == "値")
        #expect(root["名前"]?.mark == YAMLMark(line: 1, column: 5))
        #expect(root["key"]?.scalar == "ünïcödé")
    }
}
