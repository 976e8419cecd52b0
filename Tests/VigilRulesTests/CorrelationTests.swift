import Foundation
import Testing
import VigilCore

@testable import VigilRules

/// Correlation rules: thresholds, window edges, group-by, out-of-order events, bounded state.
@Suite struct CorrelationTests {
    static let base = """
        title: Failed Login
        id: 11111111-0000-0000-0000-000000000001
        name: failed
        logsource:
            product: linux
            service: sshd
        detection:
            selection:
                result:
                    - failure
                    - invalid_user
            condition: selection
        ---
        title: Accepted Login
        id: 11111111-0000-0000-0000-000000000002
        name: accepted
        logsource:
            product: linux
            service: sshd
        detection:
            selection:
                result: success
                action: login
            condition: selection
        """

    static func detector(_ correlation: String, maxGroups: Int = 10_000) throws -> Detector {
        let result = SigmaLoader.load([(base + "\n---\n" + correlation, "test.yml")])
        #expect(result.errors.isEmpty, "\(result.errors)")
        try #require(result.correlations.count == 1)
        return Detector(RuleSet(rules: result.rules, correlations: result.correlations), maxGroups: maxGroups)
    }

    static func correlation(_ type: String, span: String, condition: String, groupBy: String = "SourceIp") -> String {
        """
        title: Test Correlation
        id: 11111111-0000-0000-0000-0000000000aa
        correlation:
            type: \(type)
            rules:
                - failed
                - accepted
            group-by:
                - \(groupBy)
            timespan: \(span)
        \(condition.isEmpty ? "" : "    condition:\n" + condition.split(separator: "\n").map { "        \($0)" }.joined(separator: "\n"))
        level: high
        """
    }

    static func line(_ ok: Bool, user: String, ip: String) -> String {
        ok
            ? "Dec 10 06:55:48 host sshd[1]: Accepted password for \(user) from \(ip) port 4000 ssh2"
            : "Dec 10 06:55:48 host sshd[1]: Failed password for \(user) from \(ip) port 4000 ssh2"
    }

    static func event(
        _ ok: Bool = false, user: String = "root", ip: String = "10.0.0.1", at seconds: Double
    ) throws
        -> Event
    {
        var event = try #require(try EventDecoder.decode(line(ok, user: user, ip: ip), number: 1, year: 2026)?.1)
        event.time = 1_700_000_000_000 + Int64(seconds * 1000)
        return event
    }

    static func alerts(_ detector: Detector, _ events: [Event]) -> [CorrelationAlert] {
        events.flatMap { detector.process($0) }.compactMap {
            if case .correlation(let alert) = $0 { return alert }
            return nil
        }
    }

    @Test func eventCountThreshold() throws {
        let d = try Self.detector(Self.correlation("event_count", span: "5m", condition: "gte: 10"))
        let nine = try (0..<9).map { try Self.event(at: Double($0) * 10) }
        #expect(Self.alerts(d, nine).isEmpty)
        let alerts = Self.alerts(d, [try Self.event(at: 95)])
        #expect(alerts.count == 1)
        #expect(alerts.first?.count == 10)
        #expect(alerts.first?.group == ["10.0.0.1"])
    }

    @Test(arguments: [(60.0, true), (60.001, false), (59.999, true)])
    func windowEdgeIsInclusive(gap: Double, fires: Bool) throws {
        let d = try Self.detector(Self.correlation("event_count", span: "60s", condition: "gte: 2"))
        let alerts = Self.alerts(d, [try Self.event(at: 0), try Self.event(at: gap)])
        #expect(alerts.count == (fires ? 1 : 0))
    }

    @Test func groupByKeepsSourcesApart() throws {
        let d = try Self.detector(Self.correlation("event_count", span: "5m", condition: "gte: 5"))
        var events: [Event] = []
        for i in 0..<8 { events.append(try Self.event(ip: i % 2 == 0 ? "10.0.0.1" : "10.0.0.2", at: Double(i))) }
        #expect(Self.alerts(d, events).isEmpty, "4 events per source, under the threshold of 5")
        let alerts = Self.alerts(d, [try Self.event(ip: "10.0.0.1", at: 9), try Self.event(ip: "10.0.0.2", at: 10)])
        #expect(alerts.map(\.group) == [["10.0.0.1"], ["10.0.0.2"]])
    }

    @Test func outOfOrderEventsArePlacedByTheirTime() throws {
        let d = try Self.detector(Self.correlation("event_count", span: "60s", condition: "gte: 3"))
        // 100, 200 and 170: never 3 within 60 s. Then 150 arrives late and completes [150, 210].
        #expect(Self.alerts(d, [try Self.event(at: 100), try Self.event(at: 200)]).isEmpty)
        #expect(Self.alerts(d, [try Self.event(at: 170)]).isEmpty, "170 and 200 only: two in the window")
        let alerts = Self.alerts(d, [try Self.event(at: 150)])
        #expect(alerts.count == 1)
        let first: Int64? = alerts.first?.firstTime
        #expect(first == Int64(1_700_000_150_000), "the window [150 s, 210 s] holds 150, 170 and 200")
    }

    @Test func eventsOlderThanTheWindowAreDroppedAndCounted() throws {
        let d = try Self.detector(Self.correlation("event_count", span: "60s", condition: "gte: 2"))
        #expect(Self.alerts(d, [try Self.event(at: 1000)]).isEmpty)
        #expect(Self.alerts(d, [try Self.event(at: 10)]).isEmpty)
        #expect(d.correlations.lateEvents == 1)
    }

    @Test func valueCountCountsDistinctUsers() throws {
        let d = try Self.detector(
            Self.correlation("value_count", span: "10m", condition: "field: USER\ngte: 3"))
        let same = try (0..<5).map { try Self.event(user: "root", at: Double($0)) }
        #expect(Self.alerts(d, same).isEmpty)
        let spray = try ["alice", "bob"].enumerated().map { try Self.event(user: $1, at: 10 + Double($0)) }
        let alerts = Self.alerts(d, spray)
        #expect(alerts.count == 1)
        #expect(alerts.first?.count == 3)
    }

    @Test func temporalOrderedNeedsTheOrder() throws {
        let d = try Self.detector(Self.correlation("temporal_ordered", span: "10m", condition: ""))
        #expect(Self.alerts(d, [try Self.event(true, at: 0), try Self.event(false, at: 1)]).isEmpty)
        let alerts = Self.alerts(d, [try Self.event(true, at: 2)])
        #expect(alerts.count == 1, "failure at 1 s, then success at 2 s")
        let other = try Self.detector(Self.correlation("temporal_ordered", span: "10m", condition: ""))
        #expect(Self.alerts(other, [try Self.event(true, at: 0), try Self.event(false, at: 700)]).isEmpty)
    }

    @Test func temporalAnyOrder() throws {
        let d = try Self.detector(Self.correlation("temporal", span: "1m", condition: ""))
        let alerts = Self.alerts(d, [try Self.event(true, at: 0), try Self.event(false, at: 30)])
        #expect(alerts.count == 1)
        let late = try Self.detector(Self.correlation("temporal", span: "1m", condition: ""))
        #expect(Self.alerts(late, [try Self.event(true, at: 0), try Self.event(false, at: 61)]).isEmpty)
    }

    @Test func groupsAreBounded() throws {
        let d = try Self.detector(Self.correlation("event_count", span: "1h", condition: "gte: 100"), maxGroups: 2)
        let events = try (1...5).map { try Self.event(ip: "10.0.0.\($0)", at: Double($0)) }
        #expect(Self.alerts(d, events).isEmpty)
        #expect(d.correlations.evictedGroups == 3)
        #expect(d.correlations.groups[0].count == 2)
    }

    @Test func referencedRulesAreQuietUnlessGenerate() throws {
        let d = try Self.detector(Self.correlation("event_count", span: "5m", condition: "gte: 10"))
        #expect(d.process(try Self.event(at: 0)).isEmpty)
    }

    @Test func builtinCorrelations() throws {
        let files = BuiltinRulesTests.files().filter { $0.path.contains("/auth/") }
        let result = SigmaLoader.load(try files.map { (try String(contentsOf: $0, encoding: .utf8), $0.path) })
        #expect(result.errors.isEmpty)
        func titles(_ events: [Event]) -> [String] {
            let d = Detector(RuleSet(rules: result.rules, correlations: result.correlations))
            return events.flatMap { d.process($0) }.compactMap {
                if case .correlation(let a) = $0 { return d.correlations.correlations[a.correlation].metadata.title }
                return nil
            }
        }
        let brute = try (0..<10).map { try Self.event(at: Double($0) * 20) }
        #expect(titles(brute).contains("SSH Brute Force"))
        let slow = try (0..<10).map { try Self.event(at: Double($0) * 60) }
        #expect(!titles(slow).contains("SSH Brute Force"), "10 failures over 9 minutes")
        let spray = try ["a", "b", "c", "d", "e"].enumerated().map { try Self.event(user: $1, at: Double($0)) }
        #expect(titles(spray).contains("SSH Password Spraying"))
        let four = try ["a", "b", "c", "d"].enumerated().map { try Self.event(user: $1, at: Double($0)) }
        #expect(!titles(four).contains("SSH Password Spraying"))
        let after = [try Self.event(at: 0), try Self.event(true, at: 30)]
        #expect(titles(after).contains("SSH Successful Login After Failures"))
        let otherSource = [try Self.event(ip: "10.9.9.9", at: 0), try Self.event(true, at: 30)]
        #expect(!titles(otherSource).contains("SSH Successful Login After Failures"))
    }
}
