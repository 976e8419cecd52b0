import Foundation
import Testing

@testable import VigilCompliance

/// A 30-day period ending 2026-12-01 and a healthy fleet of two hosts: every requirement met. Each test breaks
/// one thing and checks that exactly that requirement moves.
enum Sample {
    static let day = UTCTime.day
    static let until = UTCTime.milliseconds(year: 2026, month: 12, day: 1)!
    static let from = until - 30 * day

    static func host(_ name: String) -> HostEvidence {
        HostEvidence(
            uid: "uid-\(name)", hostname: name, firstSeen: from - 400 * day, lastSeen: until - 1000,
            kinds: Dictionary(uniqueKeysWithValues: AuditEventKind.allCases.map { ($0, 5) }), events: 10_000,
            firstEvent: from + 1000, lastEvent: until - 1000, gaps: [], processEvents: 900,
            fimDays: stride(from: from / day, to: until / day, by: 3).map { $0 })
    }

    static var healthy: ComplianceSnapshot {
        ComplianceSnapshot(
            from: from, until: until, hosts: [host("web1"), host("db1")],
            users: [UserEvidence(name: "alice", role: "admin", hasSecondFactor: true)],
            alerts: [
                AlertEvidence(
                    id: 1, title: "sudo", hostUID: "uid-web1", time: from + day, reviewedAt: from + day + 3_600_000)
            ],
            retentionDays: 396, oldestEventTime: until - 400 * day, firstHostSeen: until - 400 * day,
            archive: ArchiveEvidence(
                entries: 1000, waiting: 0,
                checkpoints: stride(from: from + 60_000, to: until, by: 12 * 3_600_000).map {
                    .init(size: 10, signedAt: $0)
                }, verified: true, verification: "root matches"),
            detectionRules: 42,
            fields: [
                FieldCoverage(classUID: 1007, events: 900, withoutUser: 0, withoutOutcome: 900),
                FieldCoverage(classUID: 3002, events: 10, withoutUser: 0, withoutOutcome: 0),
            ])
    }

    static func statuses(_ s: ComplianceSnapshot) -> [String: RequirementStatus] {
        Dictionary(uniqueKeysWithValues: PCICatalogue.evaluate(s).map { ($0.requirement, $0.status) })
    }

    /// The requirements whose status differs from the healthy fleet's (all met).
    static func changed(_ s: ComplianceSnapshot) -> [String: RequirementStatus] {
        statuses(s).filter { $0.value != .met }
    }
}

@Suite struct PCICatalogueTests {
    @Test func catalogueCoversTheBriefAndEveryRowIsFilled() {
        let ids = PCICatalogue.all.map(\.id)
        for id in [
            "8.4", "10.2.1.1", "10.2.1.2", "10.2.1.3", "10.2.1.4", "10.2.1.5", "10.2.1.6", "10.2.1.7", "10.2.2",
            "10.3.2", "10.3.3", "10.4.1", "10.5.1", "10.7", "11.5.1", "11.5.2",
        ] {
            #expect(ids.contains(id), "\(id) missing from the catalogue")
        }
        #expect(Set(ids).count == ids.count)
        for r in PCICatalogue.all {
            #expect(!r.paraphrase.isEmpty && !r.evidence.isEmpty && !r.method.isEmpty, "\(r.id) row incomplete")
        }
    }

    @Test func healthyFleetIsMetEverywhere() {
        #expect(Sample.changed(Sample.healthy) == [:])
    }

    @Test func emptySnapshotIsNoEvidenceNeverMet() {
        let empty = ComplianceSnapshot(from: Sample.from, until: Sample.until)
        for result in PCICatalogue.evaluate(empty) {
            #expect(result.status == .noEvidence, "\(result.requirement) is \(result.status.rawValue) with no data")
        }
    }

    @Test func anHourOfSilenceBreaksLoggingControlsOnThatHostOnly() {
        var s = Sample.healthy
        let start = Sample.from + 10 * Sample.day
        s.hosts[1].gaps = [TimeSpan(start: start, end: start + 3_600_000)]
        let changed = Sample.changed(s)
        #expect(changed["10.7"] == .notMet)
        #expect(changed["11.5.1"] == .notMet)
        #expect(changed["10.2.1.2"] == .notMet)
        #expect(changed["10.4.1"] == nil && changed["11.5.2"] == nil && changed["8.4"] == nil)
        let hosts = PCICatalogue.evaluate(s).first { $0.requirement == "10.7" }!.hosts
        #expect(hosts.map(\.status) == [.met, .notMet])
        #expect(hosts[1].evidence.contains("2026-11-11T00:00:00Z"))
        // A gap under the threshold is not a silence.
        s.hosts[1].gaps = [TimeSpan(start: start, end: start + 60_000)]
        #expect(Sample.changed(s) == [:])
    }

    @Test func auditSwitchedOffForAnHourBreaksLoggingAndDetectionOnThatHost() {
        var s = Sample.healthy
        let start = Sample.from + 3 * Sample.day
        s.hosts[0].auditDisabled = [TimeSpan(start: start, end: start + 3_600_000)]
        let changed = Sample.changed(s)
        #expect(changed["10.7"] == .notMet && changed["11.5.1"] == .notMet && changed["10.2.1.6"] == .notMet)
        #expect(changed["11.5.2"] == nil && changed["10.4.1"] == nil && changed["8.4"] == nil)
        let result = PCICatalogue.evaluate(s).first { $0.requirement == "10.7" }!
        #expect(result.hosts.map(\.status) == [.notMet, .met])
        #expect(result.hosts[0].evidence == "audit disabled 2026-11-04T00:00:00Z–2026-11-04T01:00:00Z (1h 0m)")
    }

    @Test func silenceAtTheEndOfThePeriodCounts() {
        var s = Sample.healthy
        s.hosts[0].lastEvent = Sample.until - 2 * Sample.day
        #expect(Sample.changed(s)["10.7"] == .notMet)
    }

    @Test func hostSeenMidPeriodIsCoveredFromItsFirstSighting() {
        var s = Sample.healthy
        s.hosts[0].firstSeen = Sample.from + 5 * Sample.day
        s.hosts[0].firstEvent = Sample.from + 5 * Sample.day + 1000
        s.hosts[0].fimDays = s.hosts[0].fimDays.filter { $0 >= (Sample.from + 5 * Sample.day) / Sample.day }
        #expect(Sample.changed(s) == [:])
    }

    @Test func missingEventKindIsNoEvidenceNotMet() {
        var s = Sample.healthy
        s.hosts[0].kinds[.failedLogins] = 0
        #expect(Sample.changed(s) == ["10.2.1.4": .noEvidence])
    }

    @Test func lossesBreak10_7() {
        var s = Sample.healthy
        s.hosts[0].losses = [Loss(time: Sample.from + 3 * Sample.day, count: 17, source: "agent spool")]
        #expect(Sample.changed(s) == ["10.7": .notMet])
        let result = PCICatalogue.evaluate(s).first { $0.requirement == "10.7" }!
        #expect(result.hosts[0].evidence.contains("17 event(s) lost (agent spool)"))
    }

    @Test func userWithoutTOTPBreaks8_4AndDisabledOnesDoNotCount() {
        var s = Sample.healthy
        s.users.append(UserEvidence(name: "old", role: "analyst", hasSecondFactor: false, disabled: true))
        #expect(Sample.changed(s) == [:])
        s.users.append(UserEvidence(name: "bob", role: "auditor", hasSecondFactor: false))
        #expect(Sample.changed(s) == ["8.4": .notMet])
    }

    @Test func alertReviewTransitions() {
        var s = Sample.healthy
        // Acknowledged after 25 hours: late.
        s.alerts[0].reviewedAt = s.alerts[0].time + 25 * 3_600_000
        #expect(Sample.changed(s) == ["10.4.1": .notMet])
        // An unreviewed alert from yesterday (more than a day old at the end): not met.
        s.alerts = [
            AlertEvidence(id: 2, title: "x", hostUID: "h", time: Sample.until - 30 * 3_600_000, reviewedAt: nil)
        ]
        #expect(Sample.changed(s) == ["10.4.1": .notMet])
        // Raised an hour ago and not yet reviewed: pending, so no evidence of review yet.
        s.alerts = [AlertEvidence(id: 3, title: "x", hostUID: "h", time: Sample.until - 3_600_000, reviewedAt: nil)]
        #expect(Sample.changed(s) == ["10.4.1": .noEvidence])
    }

    @Test func retentionTransitions() {
        var s = Sample.healthy
        s.retentionDays = 90
        #expect(Sample.changed(s) == ["10.5.1": .notMet])
        s.retentionDays = nil
        #expect(Sample.changed(s) == ["10.5.1": .noEvidence])
        // A young deployment keeping everything since its first host: met.
        s.retentionDays = 400
        s.oldestEventTime = Sample.until - 100 * Sample.day
        s.firstHostSeen = Sample.until - 100 * Sample.day - 1000
        #expect(Sample.changed(s) == [:])
        // Data deleted although the deployment is older: not met.
        s.firstHostSeen = Sample.until - 300 * Sample.day
        #expect(Sample.changed(s) == ["10.5.1": .notMet])
    }

    @Test func archiveTransitions() {
        var s = Sample.healthy
        s.archive.verified = false
        #expect(Sample.changed(s) == ["10.3.2": .notMet])
        s.archive.verified = nil
        #expect(Sample.changed(s) == ["10.3.2": .noEvidence])
        s = Sample.healthy
        s.archive.checkpoints.removeAll {
            $0.signedAt > Sample.from + 5 * Sample.day && $0.signedAt < Sample.from + 8 * Sample.day
        }
        #expect(Sample.changed(s) == ["10.3.3": .notMet])
        s.archive.checkpoints = []
        #expect(Sample.changed(s) == ["10.3.3": .noEvidence])
    }

    @Test func fimNotComparedForTenDays() {
        var s = Sample.healthy
        s.hosts[1].fimDays = s.hosts[1].fimDays.filter { $0 < Sample.until / Sample.day - 10 }
        #expect(Sample.changed(s) == ["11.5.2": .notMet])
        let result = PCICatalogue.evaluate(s).first { $0.requirement == "11.5.2" }!
        #expect(result.hosts.map(\.status) == [.met, .notMet])
        s.hosts[1].fimDays = []
        #expect(Sample.changed(s) == ["11.5.2": .noEvidence])
    }

    @Test func intrusionDetectionNeedsRules() {
        var s = Sample.healthy
        s.detectionRules = 0
        #expect(Sample.changed(s) == ["11.5.1": .notMet])
        s.detectionRules = nil
        #expect(Sample.changed(s) == ["11.5.1": .noEvidence])
        s = Sample.healthy
        s.hosts[0].processEvents = 0
        #expect(Sample.changed(s) == ["11.5.1": .noEvidence])
    }

    @Test func eventsWithoutUserBreak10_2_2() {
        var s = Sample.healthy
        s.fields[1].withoutOutcome = 2
        #expect(Sample.changed(s) == ["10.2.2": .notMet])
        s.fields = []
        #expect(Sample.changed(s) == ["10.2.2": .noEvidence])
    }

    @Test func retiredHostsAreLeftOut() {
        var s = Sample.healthy
        s.hosts.append(HostEvidence(uid: "gone", hostname: "gone", firstSeen: 0, lastSeen: Sample.from - 1))
        #expect(Sample.changed(s) == [:])
    }

    @Test func renderings() throws {
        var s = Sample.healthy
        s.hosts[0].hostname = "=cmd|' /C calc'!A0, <b>"
        let report = PCIReport(snapshot: s, generatedAt: Sample.until, checkpoint: "vigil/archive\n10\nabc=\n")
        let json = try report.json()
        #expect(json.contains("\"requirement\" : \"10.2.1.4\""))
        #expect(json.contains("\"status\" : \"met\""))
        let csv = report.csv()
        #expect(csv.hasPrefix("requirement,status,host,evidence\r\n"))
        #expect(csv.contains("\"'=cmd|' /C calc'!A0, <b>\""))
        let html = report.html()
        #expect(html.contains("&lt;b&gt;") && !html.contains("<b>"))
        #expect(html.contains("<pre>vigil/archive\n10\nabc=\n</pre>"))
        #expect(html.hasSuffix("</body></html>\n"))
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"), (Int64(951_782_400_000), "2000-02-29T00:00:00Z"),
        (Int64(-1000), "1969-12-31T23:59:59Z"), (Int64(1_796_400_000_000), "2026-12-04T16:00:00Z"),
    ])
    func utcText(milliseconds: Int64, text: String) {
        #expect(UTCTime.text(milliseconds) == text)
    }

    @Test func utcDates() {
        #expect(UTCTime.milliseconds(year: 2000, month: 2, day: 29) == 951_782_400_000)
        #expect(UTCTime.milliseconds(year: 2001, month: 2, day: 29) == nil)
        #expect(UTCTime.milliseconds(year: 2026, month: 13, day: 1) == nil)
        #expect(UTCTime.milliseconds(year: 1970, month: 1, day: 1) == 0)
    }
}

@Suite struct ReportPeriodTests {
    static let now = UTCTime.milliseconds(year: 2026, month: 12, day: 4)! + 3_600_000

    @Test func datesAreUTCDaysWithAnInclusiveEnd() throws {
        let p = try ReportPeriod.parse(from: "2026-11-01", to: "2026-11-30", now: Self.now)
        #expect(p.from == UTCTime.milliseconds(year: 2026, month: 11, day: 1))
        #expect(p.until == UTCTime.milliseconds(year: 2026, month: 12, day: 1))
    }

    @Test func defaultsAreTheLast90DaysUpToNow() throws {
        let p = try ReportPeriod.parse(from: nil, to: nil, now: Self.now)
        #expect(p == ReportPeriod(from: Self.now - 90 * UTCTime.day, until: Self.now))
        let ms = try ReportPeriod.parse(from: "1796000000000", to: "1796400000000", now: Self.now)
        #expect(ms == ReportPeriod(from: 1_796_000_000_000, until: 1_796_400_000_000))
    }

    @Test(arguments: ["2026-13-01", "2026-02-30", "yesterday", "", "2026-1-1", "12", "2026-11-01T00:00"])
    func garbageIsRefusedWithTheOptionNamed(text: String) {
        #expect(throws: PeriodError.self) { try ReportPeriod.parse(from: text, to: nil, now: Self.now) }
        do {
            _ = try ReportPeriod.parse(from: nil, to: text, now: Self.now)
            Issue.record("accepted \(text)")
        } catch let error as PeriodError {
            #expect(error.message.contains("--to") && error.message.contains("2026-11-01"))
        } catch { Issue.record("\(error)") }
    }

    @Test func futurePeriodIsRefused() {
        #expect(throws: PeriodError.self) { try ReportPeriod.parse(from: "2027-01-01", to: nil, now: Self.now) }
        #expect(throws: PeriodError.self) {
            try ReportPeriod.parse(from: "2027-01-01", to: "2027-02-01", now: Self.now)
        }
    }

    @Test func emptyPeriodIsRefused() {
        #expect(throws: PeriodError.self) {
            try ReportPeriod.parse(from: "2026-11-02", to: "2026-11-01", now: Self.now)
        }
    }
}

@Suite struct PCICatalogueDocumentTests {
    /// Documentation/pci-catalogue.md is the catalogue's table; `VIGIL_RECORD=1` rewrites it and fails the run.
    @Test func catalogueDocument() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Documentation/pci-catalogue.md").path
        let text = PCICatalogue.markdown()
        if ProcessInfo.processInfo.environment["VIGIL_RECORD"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            Issue.record("recorded \(path); run again without VIGIL_RECORD")
            return
        }
        let stored = try String(contentsOfFile: path, encoding: .utf8)
        #expect(stored == text, "Documentation/pci-catalogue.md is out of date: run with VIGIL_RECORD=1")
    }
}
