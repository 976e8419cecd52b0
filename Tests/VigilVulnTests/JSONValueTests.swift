import Foundation
import Testing
import VigilTestSupport

@testable import VigilVuln

struct JSONValueTests {
    @Test func readsWhatJSONSerializationReads() throws {
        let text = #"""
            {"a": [1, -2.5e3, true, false, null, "x\"y\\z\/\n\u00e9\ud83d\ude00"], "b": {}, "c": [], "": "empty key"}
            """#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(value["a"]?.items?.count == 6)
        #expect(value["a"]?.items?[1] == .number("-2.5e3"))
        #expect(value["a"]?.items?[5].string == "x\"y\\z/\né😀")
        #expect(value["b"] == .object([]) && value["c"] == .array([]))
        #expect(value[""]?.string == "empty key")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "{\"a\":}", "\"abc", "tru", "01x", "[1 2]", "{\"a\":1,}", "\"\\q\"",
        "\"\\u12\"", "\"a\u{1}b\"", "{} {}", "-",
    ])
    func rejectsBrokenJSONWithAnOffset(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func survivesNoiseAndDepth() {
        var state: UInt32 = 99
        let alphabet = Array("{}[]\",:0123456789.-eE truefalsenull\\u".utf8)
        for _ in 0..<300 {
            var noise: [UInt8] = []
            for _ in 0..<64 {
                state = state &* 1_103_515_245 &+ 12345
                noise.append(alphabet[Int(state >> 16) % alphabet.count])
            }
            _ = try? JSONValue.parse(noise)
        }
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(deep) }
    }

    @Test func agreesWithFoundationOnTheTrackerCorpus() throws {
        guard let directory = Corpora.directory("vuln/debian") else {
            print(Corpora.skipMessage("vuln/debian"))
            return
        }
        let data = try Data(contentsOf: directory.appendingPathComponent("bookworm-changelog-derived.json"))
        let ours = try JSONValue.parse(data)
        let theirs = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(ours.members?.count == theirs.count)
        for member in ours.members ?? [] {
            let cves = try #require(theirs[member.key] as? [String: Any])
            #expect(member.value.members?.count == cves.count)
            for cve in member.value.members ?? [] {
                let description = (cves[cve.key] as? [String: Any])?["description"] as? String
                #expect(cve.value["description"]?.string == description)
            }
        }
    }
}
