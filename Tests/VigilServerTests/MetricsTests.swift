import Testing
import VigilServer

@Suite struct MetricsTests {
    @Test func exposition() {
        let metrics = Metrics()
        metrics.declare("vigil_test_total", .counter, "A test counter.")
        metrics.increment("vigil_test_total", labels: ["path": "a\"b\\c\nd", "code": "200"])
        metrics.increment("vigil_test_total", by: 2, labels: ["code": "200", "path": "a\"b\\c\nd"])
        metrics.set("vigil_agents_online", 2.5)
        for value in [0.0005, 0.02, 3.0, 30.0] { metrics.observe("vigil_store_latency_seconds", value) }
        let text = metrics.render()
        #expect(text.contains("# HELP vigil_test_total A test counter.\n# TYPE vigil_test_total counter\n"))
        // Labels sorted by name, values escaped (backslash, quote, newline).
        #expect(text.contains(#"vigil_test_total{code="200",path="a\"b\\c\nd"} 3"# + "\n"))
        #expect(text.contains("vigil_agents_online 2.5\n"))
        #expect(text.contains("vigil_store_latency_seconds_bucket{le=\"0.001\"} 1\n"))
        #expect(text.contains("vigil_store_latency_seconds_bucket{le=\"0.025\"} 2\n"))
        #expect(text.contains("vigil_store_latency_seconds_bucket{le=\"10.0\"} 3\n"))
        #expect(text.contains("vigil_store_latency_seconds_bucket{le=\"+Inf\"} 4\n"))
        #expect(text.contains("vigil_store_latency_seconds_count 4\n"))
        #expect(text.contains("vigil_store_latency_seconds_sum 33.0205\n"))
        // Every sample line is `name{labels} value` or `name value`; families are sorted.
        let names = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(names == names.sorted())
    }
}
