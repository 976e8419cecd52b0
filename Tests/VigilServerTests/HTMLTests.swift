import Testing
import VigilServer

@Suite struct HTMLTests {
    @Test(arguments: [
        ("", ""),
        ("plain text 123", "plain text 123"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (#""><img src=x onerror=alert(1)>"#, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        ("' onmouseover='x", "&#39; onmouseover=&#39;x"),
        ("a & b && c", "a &amp; b &amp;&amp; c"),
        ("&lt;", "&amp;lt;"),
        ("nul\u{0}byte", "nul\u{FFFD}byte"),
        ("héllo — 日本語 🛡️", "héllo — 日本語 🛡️"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("tab\tnew\nline", "tab\tnew\nline"),
    ])
    func escapes(input: String, expected: String) {
        #expect(HTML.escape(input) == expected)
    }

    @Test func escapedTextHasNoMarkupCharactersLeft() {
        var all = ""
        for scalar in (0..<0x300).compactMap(Unicode.Scalar.init) { all.unicodeScalars.append(scalar) }
        let escaped = HTML.escape(all)
        for character in ["<", ">", "\"", "'", "\u{0}"] { #expect(!escaped.contains(character)) }
        // Every & starts an entity this function wrote.
        let ampersands = escaped.components(separatedBy: "&").dropFirst()
        for rest in ampersands {
            #expect(["amp;", "lt;", "gt;", "quot;", "#39;"].contains { rest.hasPrefix($0) })
        }
    }
}
