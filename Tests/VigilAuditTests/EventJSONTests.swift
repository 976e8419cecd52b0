import Foundation
import Testing
import VigilAudit
import VigilCore
import VigilTestSupport

/// The fast JSON writer gives byte for byte what Foundation's encoder (JSON.encoder()) gives.
@Suite struct EventJSONTests {
    @Test func agreesWithFoundationOnCorpusAndFixtureEvents() throws {
        var texts = [try Fixtures.string("events.log")]
        let haveCorpus = GoldenSupport.directory("auparse/testdata") != nil
        if let dir = GoldenSupport.directory("auparse/testdata") {
            for name in AuparseGoldenTests.files {
                texts.append(try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8))
            }
        } else {
            print(Corpora.skipMessage("\(GoldenSupport.corpus)/auparse/testdata"))
        }
        var count = 0
        for text in texts {
            var pipeline = AuditLogPipeline(hostname: "host/1")
            pipeline.normalizer.keepRawText = true
            var events: [Event] = []
            pipeline.feed(Array((text + "\n").utf8)) { events.append($0) }
            pipeline.finish { events.append($0) }
            for event in events {
                #expect(EventJSON.line(event) == (try JSON.line(event)))
                count += 1
            }
        }
        // The fixture alone holds a handful of events; with the corpus there are hundreds.
        #expect(count > (haveCorpus ? 100 : 3))
    }

    @Test func escapesLikeFoundation() throws {
        var event = Event(
            id: "x", classUID: .processActivity, activityID: 1, time: -5, metadata: EventMetadata(sequence: 3),
            file: FileObject(
                path: "/a/b", size: 7, owner: User(uid: "0"), hashes: [FileHash(algorithm: "sha256", value: "ab")]),
            srcEndpoint: Endpoint(ip: "::1", port: 22))
        event.message = "quote \" backslash \\ nl \n tab \t cr \r ctl \u{01}\u{1F} del \u{7F} é ✓ / \u{2028}"
        event.unmapped = [
            "b": "1", "a": "2", "A_": "3", "a_b": "4", "ab": "5", "": "6", "a\u{0}": "7", "a\u{0}b": "8",
            "sixteen_bytes_ab": "9", "sixteen_bytes_ab_": "10", "sixteen_bytes_ab\u{0}": "11",
            "sixteen_bytes_abc": "12", "sixteen_bytes_aa_long": "13", "é": "14", "\u{7F}": "15", "✓x": "16",
            "SYSCALL[1].exit": "17", "SYSCALL[0].exit": "18", "PATH[10].name": "19", "PATH[9].name": "20",
        ]
        event.process = Process(
            pid: 1, cmdLine: "c", parentProcess: ParentProcess(pid: 0, file: FileObject(path: "/p")),
            lineage: ["/x", "/y"], createdTime: 9)
        #expect(EventJSON.line(event) == (try JSON.line(event)))
    }
}
