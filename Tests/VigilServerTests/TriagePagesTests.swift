import Foundation
import Testing
import VigilCore
import VigilStore

@testable import VigilServer

/// The alerts, archive and settings renderers: hostile text stays text, forms carry the CSRF token, the
/// admin-only section is left out of other roles' navigation.
struct TriagePagesTests {
    static let hostile = DashboardPagesTests.hostile
    static let now = DashboardPagesTests.now

    static func alert(_ index: Int) -> VigilServer.AlertRecord {
        let text = hostile[index % hostile.count]
        return VigilServer.AlertRecord(
            id: Int64(index + 1), ruleID: text, ruleTitle: text, level: text, hostID: 1, hostname: text,
            eventUID: text, time: now, status: "open", dedupKey: text, repeatCount: 2,
            matchedFields: "{\"a\": \"\(text.replacingOccurrences(of: "\"", with: "\\\""))\"}", acknowledgedBy: text,
            acknowledgedAt: now, resolvedBy: nil, resolvedAt: nil, comment: text, eventUIDs: [text])
    }

    @Test func everyTriagePageKeepsHostileTextInert() throws {
        let alerts = (0..<Self.hostile.count).map(Self.alert)
        var rows = (0..<Self.hostile.count).map(DashboardPagesTests.hostileRow)
        for index in rows.indices {
            rows[index].uid = Self.hostile[index]
            rows[index].hostUID = Self.hostile[(index + 1) % Self.hostile.count]
        }
        let token = "csrf\"<x>"
        let form = AlertFilterForm(
            level: Self.hostile[0], rule: Self.hostile[1], host: Self.hostile[2], status: Self.hostile[3],
            range: Self.hostile[4], from: Self.hostile[5], to: Self.hostile[6])
        var check = StoredArchiveCheck()
        check.problems = Self.hostile
        check.checked = Self.hostile
        let pages = [
            TriagePages.alerts(
                AlertsPageModel(
                    now: Self.now, form: form, errors: Self.hostile, hostnames: Self.hostile, rows: alerts, offset: 100,
                    hasMore: true)),
            TriagePages.alert(
                AlertPageModel(
                    now: Self.now, alert: alerts[1],
                    history: Self.hostile.map {
                        AlertComment(id: 1, time: Self.now, author: $0, action: $0, comment: $0)
                    },
                    matched: TriageRoutes.matchedFields(alerts[1].matchedFields), events: rows,
                    missingUIDs: Self.hostile,
                    related: rows, hostID: 1, canChange: true, csrfToken: token,
                    notice: Notice(text: Self.hostile[0], error: true))),
            TriagePages.archive(
                ArchivePageModel(
                    now: Self.now, origin: Self.hostile[0], verifierKey: Self.hostile[1], logSize: 10, pending: 1,
                    checkpoints: [CheckpointRow(size: 10, signedAt: Self.now, root: Self.hostile[2])], canVerify: true,
                    csrfToken: token, result: check, notice: nil)),
            TriagePages.settings(
                SettingsPageModel(
                    now: Self.now,
                    users: [
                        UserRecord(
                            id: 1, name: Self.hostile[0], role: .admin, disabled: false, lockedUntil: 0,
                            failedAttempts: 0,
                            createdAt: Self.now)
                    ],
                    tokens: [
                        APITokenInfo(
                            id: 1, name: Self.hostile[1], role: .auditor, createdBy: Self.hostile[2],
                            createdAt: Self.now,
                            expiresAt: nil, lastUsedAt: nil, revokedAt: nil)
                    ],
                    agents: [
                        AgentRow(
                            id: Self.hostile[3], hostname: Self.hostile[4], hostUID: Self.hostile[5],
                            enrolledAt: Self.now,
                            lastSeen: nil, revokedAt: nil)
                    ], agentsAvailable: true, csrfToken: token, notice: nil, secret: ("uri", Self.hostile[6]))),
        ]
        for html in pages {
            try DashboardPagesTests.checkInert(html)
            #expect(html.contains(HTML.escape(Self.hostile[0])))
        }
        // The alert page: the matched field, verbatim as text; proof links encode uid and host.
        #expect(pages[1].contains("<td class=\"mono\">\(HTML.escape(Self.hostile[1]))</td>"))
        #expect(pages[1].contains("/api/v1/events/%22%3E%3Cimg"))
        // Every POST form carries the token, escaped.
        for html in pages[1...] {
            let forms = html.components(separatedBy: "method=\"post\"").count - 1
            #expect(forms > 0)
            #expect(
                html.components(separatedBy: "name=\"csrf_token\" value=\"csrf&quot;&lt;x&gt;\"").count - 1 == forms)
        }
        // Acknowledge is offered only while open; nothing when the viewer may not change alerts.
        #expect(pages[1].contains("value=\"acknowledge\""))
    }

    @Test func settingsIsLeftOutOfTheNavigationForOtherRoles() throws {
        let html = Layout.$visibleSections.withValue(Set(Section.allCases).subtracting([.settings])) {
            Layout.page(title: "x", section: .overview, now: Self.now, body: "")
        }
        #expect(!html.contains("href=\"/settings\""))
        #expect(html.contains("href=\"/archive\""))
        #expect(Layout.page(title: "x", section: .overview, now: Self.now, body: "").contains("href=\"/settings\""))
    }

    @Test func matchedFieldsAreNamesAndTextValues() {
        let fields = TriageRoutes.matchedFields(#"{"b": 2, "a": "x", "c": {"d": [1, "y"]}}"#)
        #expect(fields.map(\.0) == ["a", "b", "c"])
        #expect(fields.map(\.1) == ["x", "2", #"{"d":[1,"y"]}"#])
        #expect(TriageRoutes.matchedFields("{}").isEmpty)
        let raw = TriageRoutes.matchedFields("not json <b>")
        #expect(raw.map(\.0) == ["(raw)"] && raw.map(\.1) == ["not json <b>"])
        #expect(TriageRoutes.matchedFields("[1]").map(\.0) == ["value"])
    }
}
