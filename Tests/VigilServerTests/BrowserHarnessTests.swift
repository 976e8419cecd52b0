import Foundation
import Testing
import VigilTestSupport

/// The browser harness's own parts that need no browser.
@Suite(.serialized) struct BrowserHarnessTests {
    @Test func aMissingDriverOrBrowserIsASkipWithTheReason() {
        #expect(ChromeDriver.locate(driverCandidates: ["/nonexistent/chromedriver"]) == nil)
        #expect(ChromeDriver.unavailableReason.hasPrefix("SKIPPED: chromedriver not found"))
        #expect(ChromeDriver.unavailableReason.contains("chromium-driver"))
        #expect(ChromeDriver.locate(driverCandidates: ["/bin/sh"], browserCandidates: ["/nonexistent/chromium"]) == nil)
        #expect(ChromeDriver.unavailableReason.hasPrefix("SKIPPED: chromium not found"))
    }

    @Test func linksAreReadFromRawHTMLWhenThereIsNoBrowser() {
        let html = """
            <a href="/events?host=1&amp;user=alice">x</a> <link rel="stylesheet" href="/static/vigil.css">
            <script src="/static/vigil.js"></script><a href="javascript:alert(1)">j</a>
            <svg><a href="/hosts/2"><rect/></a></svg><form action="/events"></form><a href="other#frag">r</a>
            """
        let links = SiteCrawler.links(inHTML: html, base: "http://127.0.0.1:9/hosts/1")
        #expect(
            links == [
                "http://127.0.0.1:9/events?host=1&user=alice", "http://127.0.0.1:9/static/vigil.css",
                "http://127.0.0.1:9/static/vigil.js", "javascript:alert(1)", "http://127.0.0.1:9/hosts/2",
                "http://127.0.0.1:9/events", "http://127.0.0.1:9/hosts/other#frag",
            ])
        let crawler = SiteCrawler(port: 9, session: nil)
        #expect(crawler.localTarget("http://127.0.0.1:9/hosts/other#frag") == "/hosts/other")
        #expect(crawler.localTarget("javascript:alert(1)") == nil)
        #expect(crawler.localTarget("http://127.0.0.1:99/x") == nil)
        #expect(crawler.localTarget("http://example.net/") == nil)
    }

    @Test func aResponseIsCompleteByContentLengthOrTheLastChunk() {
        func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
        #expect(!RawHTTPClient.isComplete(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc")))
        #expect(RawHTTPClient.isComplete(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde")))
        #expect(!RawHTTPClient.isComplete(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n")))
        #expect(!RawHTTPClient.isComplete(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")))
        #expect(
            RawHTTPClient.isComplete(
                bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")))
        #expect(!RawHTTPClient.isComplete(bytes("HTTP/1.1 200 OK\r\n\r\nuntil close")))
        #expect(!RawHTTPClient.isComplete([]))
    }
}
