import Foundation
import VigilCore
import VigilHTTP
import VigilLedger
import VigilStore

/// What the alerts, archive and settings pages need besides the event queries.
struct DashboardServices: Sendable {
    var alerts: AlertStore
    var authenticator: Authenticator
    var archivist: Archivist?
    var agents: AgentDirectory?
}

/// The alerts, archive and settings pages: reading parameters and forms, asking the stores, rendering.
/// Forms post to the page's own address (so a crawler following `form[action]` with GET gets the page).
struct TriageRoutes: Sendable {
    let data: DashboardData
    let services: DashboardServices
    let clock: any Clock

    static func csrf(_ context: RequestContext) -> String {
        if case .user(let user) = context.principal { return user.csrfToken }
        return ""
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? HTTPError { return error.message }
        if let error = error as? any VigilError { return error.message }
        return "the request failed; see the server log"
    }

    // MARK: Alerts

    func alertsPage(_ parameters: [String: String]) throws -> AlertsPageModel {
        let now = clock.nowMilliseconds()
        func value(_ name: String) -> String {
            (parameters[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var form = AlertFilterForm(
            level: value("level"), rule: value("rule"), host: value("host"), status: value("status"),
            range: value("range"), from: value("from"), to: value("to"))
        var errors: [String] = []
        var filter = AlertFilter()
        filter.limit = DashboardData.pageSize
        if !form.level.isEmpty {
            if TriagePages.levels.contains(form.level) {
                filter.level = form.level
            } else {
                errors.append("Level \(form.level) is not one of \(TriagePages.levels.joined(separator: ", ")).")
                form.level = ""
            }
        }
        if !form.status.isEmpty {
            if AlertStore.statuses.contains(form.status) {
                filter.status = form.status
            } else {
                errors.append("Status \(form.status) is not one of open, acknowledged, resolved.")
                form.status = ""
            }
        }
        if !form.host.isEmpty { filter.host = form.host }
        if !form.rule.isEmpty { filter.ruleID = form.rule }
        let window = PageKit.timeWindow(range: &form.range, from: form.from, to: form.to, now: now, errors: &errors)
        if let from = window.from { filter.from = from }
        if let until = window.until { filter.to = until }
        if let text = parameters["offset"], !text.isEmpty {
            if let offset = Int(text), (0...1_000_000).contains(offset) {
                filter.offset = offset
            } else {
                errors.append("The page position is not valid; start again from the newest alerts.")
            }
        }
        filter.limit = DashboardData.pageSize + 1
        var rows = try services.alerts.list(filter)
        let hasMore = rows.count > DashboardData.pageSize
        if hasMore { rows.removeLast() }
        let hostnames = Set(try data.queries.hosts().map(\.hostname)).sorted()
        return AlertsPageModel(
            now: now, form: form, errors: errors, hostnames: hostnames, rows: rows, offset: filter.offset,
            hasMore: hasMore)
    }

    /// Matched fields as name/value pairs: object members sorted by name, non-string values as JSON text.
    static func matchedFields(_ json: String) -> [(String, String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        else { return json.isEmpty || json == "{}" ? [] : [("(raw)", json)] }
        func text(_ value: Any) -> String {
            if let string = value as? String { return string }
            if let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
            {
                return String(decoding: data, as: UTF8.self)
            }
            return String(describing: value)
        }
        guard let dictionary = object as? [String: Any] else { return [("value", text(object))] }
        return dictionary.keys.sorted().map { ($0, text(dictionary[$0] ?? "")) }
    }

    func alertPage(id: Int64, context: RequestContext, notice: Notice?) throws -> AlertPageModel? {
        guard let (alert, history) = try services.alerts.get(id) else { return nil }
        let hostID = alert.hostID
        var events: [EventRow] = []
        var missing: [String] = []
        for uid in alert.eventUIDs.prefix(20) {
            var query = VigilStore.EventQuery(limit: 20)
            query.hostID = hostID
            query.text = uid
            query.from = alert.time - PageKit.day
            query.until = alert.time + 30 * PageKit.day
            if let found = try data.queries.searchEvents(query).events.first(where: { $0.event.id == uid }) {
                events.append(DashboardData.row(found))
            } else {
                missing.append(uid)
            }
        }
        var related: [EventRow] = []
        if let hostID {
            var query = VigilStore.EventQuery(limit: DashboardData.pageSize)
            query.hostID = hostID
            query.from = alert.time - 5 * PageKit.minute
            query.until = alert.time + 5 * PageKit.minute + 1
            let own = Set(alert.eventUIDs)
            related = try data.queries.searchEvents(query).events.filter { !own.contains($0.event.id) }.map(
                DashboardData.row)
        }
        return AlertPageModel(
            now: clock.nowMilliseconds(), alert: alert, history: history,
            matched: Self.matchedFields(alert.matchedFields), events: events, missingUIDs: missing, related: related,
            hostID: hostID, canChange: Authorization.allows(context.principal, .changeAlerts),
            csrfToken: Self.csrf(context), notice: notice)
    }

    /// `POST /alerts/:id`: acknowledge, resolve or comment; then the page again (303 on success).
    func actOnAlert(id: Int64, context: RequestContext) throws -> HTTPResponse {
        let action = context.form["do"] ?? ""
        let comment = (context.form["comment"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var problem: (String, Int)?
        if !["acknowledge", "resolve", "comment"].contains(action) {
            problem = ("Choose acknowledge, resolve or comment.", 400)
        } else if !(1...4000).contains(comment.count) {
            problem = ("Write a comment (1 to 4000 characters) saying why.", 400)
        } else {
            do {
                try services.alerts.act(
                    action, id: id, by: context.principal.logName, comment: comment, now: clock.nowMilliseconds())
                context.outcome = "alert \(id): \(action)"
                return HTTPResponse(status: 303, headers: [("Location", "/alerts/\(id)")])
            } catch let error as HTTPError {
                problem = (error.message, error.status)
            }
        }
        context.outcome = "alert \(id): \(action) refused"
        guard let model = try alertPage(id: id, context: context, notice: Notice(text: problem?.0 ?? "", error: true))
        else {
            return .html(Pages.notFound("No such alert.", now: clock.nowMilliseconds()), status: 404)
        }
        return .html(TriagePages.alert(model), status: problem?.1 ?? 400)
    }

    // MARK: Archive

    func archivePage(context: RequestContext, result: StoredArchiveCheck?, notice: Notice?) throws -> ArchivePageModel?
    {
        guard let archivist = services.archivist else { return nil }
        let store = archivist.store
        var times: [UInt64: Int64] = [:]
        try store.withSQL { db in
            for row in try db.query("SELECT size, signed_at FROM ledger_checkpoints ORDER BY size DESC LIMIT 200", []) {
                if let size = row[0].flatMap({ UInt64($0) }), let time = row[1].flatMap({ Int64($0) }) {
                    times[size] = time
                }
            }
        }
        let checkpoints = try store.ledgerCheckpoints().suffix(200).reversed().map { size, note -> CheckpointRow in
            let root =
                (try? SignedNote(parsing: note)).flatMap { try? Checkpoint(text: $0.text) }?.root.hex ?? "unreadable"
            return CheckpointRow(size: size, signedAt: times[size], root: root)
        }
        return ArchivePageModel(
            now: clock.nowMilliseconds(), origin: archivist.origin, verifierKey: archivist.verifierKey,
            logSize: try store.ledgerSize(), pending: try store.ledgerOutboxCount(), checkpoints: checkpoints,
            canVerify: Authorization.allows(context.principal, .verifyArchive), csrfToken: Self.csrf(context),
            result: result, notice: notice)
    }

    // MARK: Settings

    func settingsPage(
        context: RequestContext, notice: Notice?, secret: (label: String, value: String)?
    ) throws
        -> SettingsPageModel
    {
        let agentRows = try (services.agents?.store.agents() ?? []).map {
            AgentRow(
                id: $0.id, hostname: $0.hostname, hostUID: $0.hostUID, enrolledAt: $0.enrolledAt, lastSeen: $0.lastSeen,
                revokedAt: $0.revokedAt)
        }
        return SettingsPageModel(
            now: clock.nowMilliseconds(), users: try services.authenticator.listUsers(),
            tokens: try services.authenticator.listTokens(), agents: agentRows, agentsAvailable: services.agents != nil,
            csrfToken: Self.csrf(context), notice: notice, secret: secret)
    }

    /// `POST /settings`: one admin action named by `do`; the page again with the outcome (and a secret once).
    func settingsAction(context: RequestContext) throws -> HTTPResponse {
        let form = context.form
        func field(_ name: String) -> String { (form[name] ?? "").trimmingCharacters(in: .whitespaces) }
        var notice: Notice
        var secret: (label: String, value: String)?
        var status = 200
        do {
            switch field("do") {
            case "add-user":
                guard let role = Role(name: field("role")) else {
                    throw HTTPError(
                        status: 400, code: "invalid-role", message: "Role must be admin, analyst or auditor.")
                }
                let created = try services.authenticator.addUser(
                    name: field("name"), role: role, password: form["password"] ?? "")
                notice = Notice(text: "Added \(created.user.name) (\(role.rawValue)).", error: false)
                secret = ("Authenticator key for \(created.user.name) (otpauth URI)", created.otpauthURI)
                context.outcome = "created user \(created.user.name) (\(role.rawValue))"
            case "disable-user", "enable-user":
                let disable = field("do") == "disable-user"
                guard try services.authenticator.setDisabled(name: field("name"), disable) else {
                    throw HTTPError(status: 404, code: "not-found", message: "There is no user '\(field("name"))'.")
                }
                notice = Notice(text: "\(disable ? "Disabled" : "Enabled") \(field("name")).", error: false)
                context.outcome = "\(disable ? "disabled" : "enabled") user \(field("name"))"
            case "create-token":
                guard Authorization.allows(context.principal, .manageTokens) else {
                    throw HTTPError(status: 403, code: "forbidden", message: "Only an admin manages tokens and agents.")
                }
                guard let role = Role(name: field("role")) else {
                    throw HTTPError(
                        status: 400, code: "invalid-role", message: "Role must be admin, analyst or auditor.")
                }
                guard let days = Int(field("days")), (1...366).contains(days) else {
                    throw HTTPError(status: 400, code: "invalid-expiry", message: "Expiry must be 1 to 366 days.")
                }
                let (info, token) = try services.authenticator.createToken(
                    name: field("name"), role: role, createdBy: context.principal.logName,
                    expiresAt: clock.nowMilliseconds() + Int64(days) * PageKit.day)
                notice = Notice(text: "Created API token \(info.id) (\(role.rawValue)).", error: false)
                secret = ("API token \(info.name)", token)
                context.outcome = "created API token \(info.id) (\(role.rawValue))"
            case "revoke-token":
                guard Authorization.allows(context.principal, .manageTokens) else {
                    throw HTTPError(status: 403, code: "forbidden", message: "Only an admin manages tokens and agents.")
                }
                guard let id = Int64(field("id")), try services.authenticator.revokeToken(id: id) else {
                    throw HTTPError(
                        status: 404, code: "not-found", message: "There is no active API token \(field("id")).")
                }
                notice = Notice(text: "Revoked API token \(id).", error: false)
                context.outcome = "revoked API token \(id)"
            case "create-enrollment":
                guard Authorization.allows(context.principal, .manageTokens) else {
                    throw HTTPError(status: 403, code: "forbidden", message: "Only an admin manages tokens and agents.")
                }
                guard let agents = services.agents else {
                    throw HTTPError(status: 503, code: "unavailable", message: "This server enrolls no agents.")
                }
                guard let uses = Int(field("uses")), (1...10_000).contains(uses) else {
                    throw HTTPError(status: 400, code: "invalid-uses", message: "Uses must be 1 to 10000.")
                }
                guard let hours = Int64(field("hours")), (1...8784).contains(hours) else {
                    throw HTTPError(status: 400, code: "invalid-expiry", message: "Expiry must be 1 to 8784 hours.")
                }
                let token = try agents.createToken(
                    uses: uses, expiresAt: clock.nowMilliseconds() + hours * PageKit.hour)
                notice = Notice(
                    text: "Created an enrollment token for \(uses) enrollment(s), \(hours) h.", error: false)
                secret = ("Enrollment token", token)
                context.outcome = "created enrollment token (\(uses) uses, \(hours) h)"
            case "revoke-agent":
                guard Authorization.allows(context.principal, .manageTokens) else {
                    throw HTTPError(status: 403, code: "forbidden", message: "Only an admin manages tokens and agents.")
                }
                guard let agents = services.agents,
                    try agents.store.revokeAgent(id: field("id"), at: clock.nowMilliseconds())
                else {
                    throw HTTPError(status: 404, code: "not-found", message: "There is no agent '\(field("id"))'.")
                }
                notice = Notice(text: "Revoked agent \(field("id")); its next request is refused.", error: false)
                context.outcome = "revoked agent \(field("id"))"
            default:
                throw HTTPError(status: 400, code: "invalid-action", message: "Unknown settings action.")
            }
        } catch {
            notice = Notice(text: Self.message(error), error: true)
            status = (error as? HTTPError)?.status ?? 400
            context.outcome = "settings: refused (\(Self.message(error)))"
        }
        return .html(
            TriagePages.settings(try settingsPage(context: context, notice: notice, secret: secret)), status: status)
    }
}
