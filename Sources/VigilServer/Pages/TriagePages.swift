import VigilCore

/// A message shown above a page's content after a form was sent.
struct Notice: Sendable, Equatable {
    var text: String
    var error: Bool
}

struct AlertFilterForm: Sendable, Equatable {
    var level = ""
    var rule = ""
    var host = ""
    var status = ""
    var range = ""
    var from = ""
    var to = ""

    var parameters: [(String, String?)] {
        [
            ("level", level), ("rule", rule), ("host", host), ("status", status), ("range", range), ("from", from),
            ("to", to),
        ]
    }
}

struct AlertsPageModel: Sendable {
    var now: Int64
    var form: AlertFilterForm
    var errors: [String]
    var hostnames: [String]
    var rows: [AlertRecord]
    var offset: Int
    var hasMore: Bool
}

struct AlertPageModel: Sendable {
    var now: Int64
    var alert: AlertRecord
    var history: [AlertComment]
    /// The matched fields as name/value text, in the detector's order of names (sorted).
    var matched: [(String, String)]
    /// The events that raised the alert, found in the store (uids not found are listed in `missingUIDs`).
    var events: [EventRow]
    var missingUIDs: [String]
    /// Events on the alert's host within five minutes either side.
    var related: [EventRow]
    var hostID: Int64?
    var canChange: Bool
    var csrfToken: String
    var notice: Notice?
}

struct CheckpointRow: Sendable, Equatable {
    var size: UInt64
    var signedAt: Int64?
    var root: String
}

struct ArchivePageModel: Sendable {
    var now: Int64
    var origin: String
    var verifierKey: String
    var logSize: UInt64
    var pending: Int
    var checkpoints: [CheckpointRow]
    var canVerify: Bool
    var csrfToken: String
    var result: StoredArchiveCheck?
    var notice: Notice?
}

struct AgentRow: Sendable, Equatable {
    var id: String
    var hostname: String
    var hostUID: String
    var enrolledAt: Int64
    var lastSeen: Int64?
    var revokedAt: Int64?
}

struct SettingsPageModel: Sendable {
    var now: Int64
    var users: [UserRecord]
    var tokens: [APITokenInfo]
    var agents: [AgentRow]
    var agentsAvailable: Bool
    var csrfToken: String
    var notice: Notice?
    /// A secret shown once (an otpauth URI, an API token, an enrollment token) with what it is.
    var secret: (label: String, value: String)?
}

/// Alerts, archive and settings pages: pure renderers, every value through `HTML.escape`.
enum TriagePages {
    static let levels = ["informational", "low", "medium", "high", "critical"]

    static func levelBadge(_ level: String) -> String {
        let known = levels.firstIndex(of: level).map { $0 + 1 } ?? 0
        return "<span class=\"sev sev-\(known)\">\(HTML.escape(level))</span>"
    }

    static func notice(_ notice: Notice?) -> String {
        guard let notice else { return "" }
        return notice.error
            ? "<p class=\"error\" role=\"alert\">\(HTML.escape(notice.text))</p>\n"
            : "<p class=\"ok\" role=\"status\">\(HTML.escape(notice.text))</p>\n"
    }

    static func options(_ values: [(String, String)], selected: String) -> String {
        values.map { value, label in
            "<option value=\"\(HTML.escape(value))\"\(value == selected ? " selected" : "")>\(HTML.escape(label))</option>"
        }.joined()
    }

    static func csrfField(_ token: String) -> String {
        "<input type=\"hidden\" name=\"csrf_token\" value=\"\(HTML.escape(token))\">"
    }

    // MARK: Alerts

    static func alertTable(_ rows: [AlertRecord], caption: String) -> String {
        var body = ""
        for alert in rows {
            let host =
                alert.hostID.map { PageKit.anchor("/hosts/\($0)", alert.hostname ?? "host \($0)") }
                ?? HTML.escape(alert.hostname ?? "")
            body += """
                <tr><td class="time">\(PageKit.timeElement(alert.time))</td><td>\(levelBadge(alert.level))</td>\
                <td>\(PageKit.anchor("/alerts/\(alert.id)", alert.ruleTitle.isEmpty ? alert.ruleID : alert.ruleTitle))\
                <br><span class="muted mono">\(HTML.escape(alert.ruleID))</span></td>\
                <td class="host">\(host)</td><td><span class="status st-\(HTML.escape(alert.status))">\(HTML.escape(alert.status))</span></td>\
                <td class="num">\(alert.repeatCount)</td></tr>

                """
        }
        return """
            <table class="alerts"><caption>\(HTML.escape(caption))</caption>
            <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Level</th><th scope="col">Rule</th>\
            <th scope="col">Host</th><th scope="col">Status</th><th scope="col" class="num">Events</th></tr></thead>
            <tbody>
            \(body)</tbody></table>
            """
    }

    static func alerts(_ model: AlertsPageModel) -> String {
        let form = model.form
        let levelOptions = options([("", "any level")] + levels.map { ($0, $0) }, selected: form.level)
        let statusOptions = options(
            [("", "any status")] + AlertStore.statuses.map { ($0, $0) }, selected: form.status)
        let hostOptions = options([("", "any host")] + model.hostnames.map { ($0, $0) }, selected: form.host)
        let rangeOptions = options(
            [
                ("", "any time"), ("1h", "last hour"), ("24h", "last 24 h"), ("7d", "last 7 days"),
                ("30d", "last 30 days"),
            ],
            selected: form.range)
        var body = """
            <form class="filters" method="get" action="/alerts" role="search">
            <label>Level <select name="level" data-autosubmit>\(levelOptions)</select></label>
            <label>Status <select name="status" data-autosubmit>\(statusOptions)</select></label>
            <label>Host <select name="host" data-autosubmit>\(hostOptions)</select></label>
            <label>Rule <input name="rule" value="\(HTML.escape(form.rule))" placeholder="rule id" autocomplete="off"></label>
            <label>Range <select name="range" data-autosubmit>\(rangeOptions)</select></label>
            <label>From <input name="from" type="datetime-local" value="\(HTML.escape(form.from))"></label>
            <label>To <input name="to" type="datetime-local" value="\(HTML.escape(form.to))"></label>
            <button type="submit">Filter</button> \(PageKit.anchor("/alerts", "Clear"))
            </form>

            """
        for error in model.errors { body += "<p class=\"error\" role=\"alert\">\(HTML.escape(error))</p>\n" }
        if model.rows.isEmpty {
            body += Layout.emptyState(
                model.offset > 0 ? "No more alerts match." : "No alerts match.",
                "Alerts appear when an event matches a detection rule; widen the filters or the time range.")
        } else {
            body += alertTable(
                model.rows,
                caption:
                    "\(model.rows.count) alerts, newest first\(model.offset > 0 ? " (from #\(model.offset + 1))" : "")")
            var links: [String] = []
            if model.offset > 0 { links.append(PageKit.anchor(PageKit.link("/alerts", form.parameters), "« Newest")) }
            if model.hasMore {
                links.append(
                    PageKit.anchor(
                        PageKit.link(
                            "/alerts", form.parameters + [("offset", String(model.offset + model.rows.count))]),
                        "Older »", class: "next"))
            }
            if !links.isEmpty {
                body += "<nav class=\"pager\" aria-label=\"Pages\">\(links.joined(separator: " "))</nav>"
            }
        }
        return Layout.page(title: "Alerts", section: .alerts, now: model.now, body: body)
    }

    static func alert(_ model: AlertPageModel) -> String {
        let alert = model.alert
        var facts: [(String, String)] = [
            ("Rule", alert.ruleTitle), ("Rule id", alert.ruleID), ("Level", alert.level), ("Status", alert.status),
            ("First event", PageKit.time(alert.time) + " UTC"), ("Events", String(alert.repeatCount)),
        ]
        if let by = alert.acknowledgedBy, let at = alert.acknowledgedAt {
            facts.append(("Acknowledged", "\(PageKit.time(at)) UTC by \(by)"))
        }
        if let by = alert.resolvedBy, let at = alert.resolvedAt {
            facts.append(("Resolved", "\(PageKit.time(at)) UTC by \(by)"))
        }
        var factList = facts.map { "<dt>\(HTML.escape($0.0))</dt><dd>\(HTML.escape($0.1))</dd>" }.joined()
        factList +=
            "<dt>Host</dt><dd>"
            + (model.hostID.map { PageKit.anchor("/hosts/\($0)", alert.hostname ?? "host \($0)") }
                ?? HTML.escape(alert.hostname ?? "unknown")) + "</dd>"
        var matched = ""
        for (name, value) in model.matched {
            matched +=
                "<tr><th scope=\"row\" class=\"mono\">\(HTML.escape(name))</th><td class=\"mono\">\(HTML.escape(value))</td></tr>"
        }
        var body = notice(model.notice)
        body += """
            <section class="split">
            <div><h2>Alert</h2><dl class="facts">\(factList)</dl></div>
            <div><h2>Why it matched</h2>
            \(matched.isEmpty ? "<p class=\"muted\">The detector recorded no fields.</p>" : "<table class=\"matched\"><caption>Fields the rule matched</caption><tbody>\(matched)</tbody></table>")
            </div>
            </section>
            <section><h2>Events</h2>

            """
        if model.events.isEmpty {
            body += "<p class=\"muted\">The events that raised this alert are no longer stored (retention).</p>"
        } else {
            body += Pages.eventTable(model.events, caption: "The events that raised the alert")
        }
        if !model.missingUIDs.isEmpty {
            body +=
                "<p class=\"muted\">Not found: \(HTML.escape(model.missingUIDs.joined(separator: ", ")))</p>"
        }
        body += "</section>\n<section><h2>On this host ±5 minutes</h2>\n"
        if model.related.isEmpty {
            body += "<p class=\"muted\">No other event on this host within five minutes.</p>"
        } else {
            body += Pages.eventTable(
                model.related, showHost: false, caption: "Events five minutes either side, newest first")
            if let hostID = model.hostID {
                body +=
                    "<p>"
                    + PageKit.anchor(
                        PageKit.link(
                            "/events",
                            [
                                ("host", String(hostID)), ("from", PageKit.inputTime(alert.time - 5 * PageKit.minute)),
                                ("to", PageKit.inputTime(alert.time + 5 * PageKit.minute + PageKit.minute)),
                            ]), "Search these events") + "</p>"
            }
        }
        body += "</section>\n<section><h2>History</h2>\n"
        if model.history.isEmpty {
            body += "<p class=\"muted\">Nobody has worked this alert yet.</p>"
        } else {
            body += "<ol class=\"history\">"
            for entry in model.history {
                body +=
                    "<li>\(PageKit.timeElement(entry.time)) <strong>\(HTML.escape(entry.action))</strong> by \(HTML.escape(entry.author)): \(HTML.escape(entry.comment))</li>"
            }
            body += "</ol>"
        }
        if model.canChange {
            var buttons = ""
            if alert.status == "open" {
                buttons += "<button type=\"submit\" name=\"do\" value=\"acknowledge\">Acknowledge</button> "
            }
            if alert.status != "resolved" {
                buttons += "<button type=\"submit\" name=\"do\" value=\"resolve\">Resolve</button> "
            }
            buttons += "<button type=\"submit\" name=\"do\" value=\"comment\">Comment only</button>"
            body += """
                <form class="triage" method="post" action="/alerts/\(alert.id)">
                \(csrfField(model.csrfToken))
                <label>Comment <textarea name="comment" rows="3" maxlength="4000" required></textarea></label>
                <p>\(buttons)</p>
                </form>

                """
        }
        body += "</section>\n<p>\(PageKit.anchor("/alerts", "All alerts"))</p>"
        let title = alert.ruleTitle.isEmpty ? alert.ruleID : alert.ruleTitle
        return Layout.page(title: "Alert \(alert.id): \(title)", section: .alerts, now: model.now, body: body)
    }

    /// The overview's alerts section: newest critical alerts and the top rules.
    static func overviewAlerts(
        critical: [AlertRecord], topRules: [(ruleID: String, title: String, level: String, alerts: Int, events: Int)]
    ) -> String {
        var body = "<section class=\"split\"><div><h2>Newest critical alerts</h2>\n"
        body +=
            critical.isEmpty
            ? "<p class=\"muted\">No critical alert.</p>"
            : alertTable(critical, caption: "Newest critical alerts")
        body += "<p>\(PageKit.anchor("/alerts?level=critical", "All critical alerts"))</p></div>\n"
        body += "<div><h2>Top rules, last 30 days</h2>\n"
        if topRules.isEmpty {
            body += "<p class=\"muted\">No rule fired in the last 30 days.</p>"
        } else {
            var rows = ""
            for rule in topRules {
                rows += """
                    <tr><td>\(PageKit.anchor(PageKit.link("/alerts", [("rule", rule.ruleID)]), rule.title.isEmpty ? rule.ruleID : rule.title))</td>\
                    <td>\(levelBadge(rule.level))</td><td class="num">\(PageKit.count(rule.alerts))</td>\
                    <td class="num">\(PageKit.count(rule.events))</td></tr>
                    """
            }
            body += """
                <table class="counts"><caption>Rules by alerts raised</caption>
                <thead><tr><th scope="col">Rule</th><th scope="col">Level</th><th scope="col" class="num">Alerts</th>\
                <th scope="col" class="num">Events</th></tr></thead><tbody>\(rows)</tbody></table>
                """
        }
        return body + "</div></section>\n"
    }

    // MARK: Archive

    static func archive(_ model: ArchivePageModel) -> String {
        var body = notice(model.notice)
        body += """
            <section class="tiles">
            <div class="tile"><span class="value">\(PageKit.count(Int(model.logSize)))</span><span class="label">entries archived</span></div>
            <div class="tile"><span class="value">\(PageKit.count(model.checkpoints.count))</span><span class="label">signed checkpoints</span></div>
            <div class="tile\(model.pending > 0 ? " warn" : "")"><span class="value">\(PageKit.count(model.pending))</span><span class="label">waiting in the outbox</span></div>
            </section>
            <dl class="facts"><dt>Origin</dt><dd class="mono">\(HTML.escape(model.origin))</dd>\
            <dt>Verifier key</dt><dd class="mono">\(HTML.escape(model.verifierKey))</dd></dl>
            <p class="lede">Each event row links to its inclusion proof ("proof"); check one offline with \
            <code>vigil archive verify</code> and the verifier key above.</p>

            """
        if let result = model.result {
            body += "<section class=\"verify \(result.intact ? "ok" : "error")\"><h2>Verification: "
            body += result.intact ? "intact</h2>" : "FAILED</h2>"
            body += "<ul>"
            for line in result.checked { body += "<li>\(HTML.escape(line))</li>" }
            for line in result.problems { body += "<li class=\"error\">\(HTML.escape(line))</li>" }
            body += "</ul></section>\n"
        }
        if model.canVerify {
            body += """
                <form method="post" action="/archive">\(csrfField(model.csrfToken))\
                <button type="submit" name="do" value="verify">Verify now</button></form>

                """
        }
        if model.checkpoints.isEmpty {
            body += Layout.emptyState(
                "No checkpoint signed yet.",
                "The archivist signs a checkpoint within seconds of the first archived entry.")
        } else {
            var rows = ""
            for checkpoint in model.checkpoints {
                rows += """
                    <tr><td class="time">\(checkpoint.signedAt.map(PageKit.timeElement) ?? "")</td>\
                    <td class="num">\(PageKit.count(Int(checkpoint.size)))</td><td class="mono">\(HTML.escape(checkpoint.root))</td></tr>

                    """
            }
            body += """
                <table class="checkpoints"><caption>Checkpoints, newest first</caption>
                <thead><tr><th scope="col">Signed (UTC)</th><th scope="col" class="num">Entries</th><th scope="col">Root hash</th></tr></thead>
                <tbody>
                \(rows)</tbody></table>
                """
        }
        return Layout.page(title: "Archive", section: .archive, now: model.now, body: body)
    }

    // MARK: Settings

    static func settings(_ model: SettingsPageModel) -> String {
        var body = notice(model.notice)
        if let secret = model.secret {
            body += """
                <section class="secret"><h2>\(HTML.escape(secret.label))</h2>
                <p>Shown once: copy it now. Vigil keeps only what it needs to check it.</p>
                <pre class="mono">\(HTML.escape(secret.value))</pre></section>

                """
        }
        let roles = options(Role.allCases.map { ($0.rawValue, $0.rawValue) }, selected: "analyst")
        var users = ""
        for user in model.users {
            let state =
                user.disabled
                ? "disabled"
                : user.lockedUntil > model.now ? "locked until \(PageKit.time(user.lockedUntil))" : "active"
            let action = user.disabled ? "enable-user" : "disable-user"
            users += """
                <tr><td>\(HTML.escape(user.name))</td><td>\(HTML.escape(user.role.rawValue))</td><td>\(HTML.escape(state))</td>\
                <td class="time">\(PageKit.timeElement(user.createdAt))</td>\
                <td><form method="post" action="/settings">\(csrfField(model.csrfToken))\
                <input type="hidden" name="name" value="\(HTML.escape(user.name))">\
                <button type="submit" name="do" value="\(action)">\(user.disabled ? "Enable" : "Disable")</button></form></td></tr>

                """
        }
        body += """
            <section><h2>Users</h2>
            <table class="users"><caption>\(model.users.count) users</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Created</th><th scope="col"></th></tr></thead>
            <tbody>
            \(users)</tbody></table>
            <form class="filters" method="post" action="/settings">\(csrfField(model.csrfToken))
            <label>Name <input name="name" required maxlength="64" autocomplete="off"></label>
            <label>Role <select name="role">\(roles)</select></label>
            <label>Password <input name="password" type="password" required minlength="12" autocomplete="new-password"></label>
            <button type="submit" name="do" value="add-user">Add user</button>
            </form>
            <p class="muted">The new user's authenticator key (otpauth URI) is shown once after adding.</p>
            </section>

            """
        var tokens = ""
        for token in model.tokens {
            let state =
                token.revokedAt != nil
                ? "revoked" : (token.expiresAt.map { $0 <= model.now } ?? false) ? "expired" : "active"
            let revoke =
                state == "active"
                ? """
                <form method="post" action="/settings">\(csrfField(model.csrfToken))\
                <input type="hidden" name="id" value="\(token.id)">\
                <button type="submit" name="do" value="revoke-token">Revoke</button></form>
                """ : ""
            tokens += """
                <tr><td>\(token.id)</td><td>\(HTML.escape(token.name))</td><td>\(HTML.escape(token.role.rawValue))</td>\
                <td>\(HTML.escape(token.createdBy))</td><td class="time">\(token.expiresAt.map(PageKit.timeElement) ?? "never")</td>\
                <td>\(state)</td><td>\(revoke)</td></tr>

                """
        }
        body += """
            <section><h2>API tokens</h2>
            <table class="tokens"><caption>\(model.tokens.count) API tokens</caption>
            <thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created by</th>\
            <th scope="col">Expires</th><th scope="col">State</th><th scope="col"></th></tr></thead>
            <tbody>
            \(tokens)</tbody></table>
            <form class="filters" method="post" action="/settings">\(csrfField(model.csrfToken))
            <label>Name <input name="name" required maxlength="128" autocomplete="off"></label>
            <label>Role <select name="role">\(options(Role.allCases.map { ($0.rawValue, $0.rawValue) }, selected: "auditor"))</select></label>
            <label>Expires in days <input name="days" type="number" min="1" max="366" value="90"></label>
            <button type="submit" name="do" value="create-token">Create API token</button>
            </form>
            </section>
            <section><h2>Enrollment tokens</h2>
            <p>An agent enrolls once with a token (<code>vigil agent --server URL --token …</code>).</p>
            <form class="filters" method="post" action="/settings">\(csrfField(model.csrfToken))
            <label>Uses <input name="uses" type="number" min="1" max="10000" value="1"></label>
            <label>Expires in hours <input name="hours" type="number" min="1" max="8784" value="24"></label>
            <button type="submit" name="do" value="create-enrollment">Create enrollment token</button>
            </form>
            </section>

            """
        var agents = ""
        for agent in model.agents {
            let revoke =
                agent.revokedAt == nil
                ? """
                <form method="post" action="/settings">\(csrfField(model.csrfToken))\
                <input type="hidden" name="id" value="\(HTML.escape(agent.id))">\
                <button type="submit" name="do" value="revoke-agent">Revoke</button></form>
                """ : "revoked \(PageKit.timeElement(agent.revokedAt ?? 0))"
            agents += """
                <tr><td class="mono">\(HTML.escape(agent.id))</td><td>\(HTML.escape(agent.hostname))</td>\
                <td class="mono">\(HTML.escape(agent.hostUID))</td><td class="time">\(PageKit.timeElement(agent.enrolledAt))</td>\
                <td class="time">\(agent.lastSeen.map(PageKit.timeElement) ?? "never")</td><td>\(revoke)</td></tr>

                """
        }
        body += "<section><h2>Agents</h2>\n"
        if !model.agentsAvailable {
            body += "<p class=\"muted\">This store keeps no enrolled agents.</p>"
        } else if model.agents.isEmpty {
            body += "<p class=\"muted\">No agent has enrolled yet.</p>"
        } else {
            body += """
                <table class="agents"><caption>\(model.agents.count) agents</caption>
                <thead><tr><th scope="col">Agent</th><th scope="col">Host</th><th scope="col">Machine id</th>\
                <th scope="col">Enrolled</th><th scope="col">Last seen</th><th scope="col"></th></tr></thead>
                <tbody>
                \(agents)</tbody></table>
                """
        }
        body += "</section>\n"
        return Layout.page(title: "Settings", section: .settings, now: model.now, body: body)
    }
}
