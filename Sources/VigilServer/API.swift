import Foundation
import VigilCore
import VigilCrypto
import VigilHTTP
import VigilStore

/// The routes: each names the permission it needs; `Gate` checks it before the handler runs.
struct API: Sendable {
    let store: any EventStore
    let configuration: Server.Configuration
    let clock: any Clock
    let authenticator: Authenticator
    let accessLog: AccessLog
    let alerts: AlertStore
    let metrics: Metrics
    /// The archive and the agent directory, for the dashboard's archive and settings pages.
    var archivist: Archivist? = nil
    var agents: AgentDirectory? = nil

    static let loginCookie = "vigil_login"

    func addRoutes(to router: inout SecureRouter) {
        router.add("GET", "/healthz", .public) { _ in .text("ok\n") }
        DashboardRoutes.add(
            to: &router, store: store, clock: clock,
            services: DashboardServices(
                alerts: alerts, authenticator: authenticator, archivist: archivist, agents: agents))
        addSessionRoutes(to: &router)
        addPeopleRoutes(to: &router)
        addReadRoutes(to: &router)
        addAlertRoutes(to: &router)
        router.add("GET", "/metrics", .readMetrics) { context in
            context.read = "metrics"
            return .text(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    // MARK: Sessions

    func sessionCookie(_ token: String, maxAge: Int64) -> String {
        "\(Authenticator.sessionCookie)=\(token); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict"
            + (configuration.secureCookies ? "; Secure" : "")
    }

    struct LoginRequest: Decodable {
        var username: String
        var password: String
        var code: String
    }

    struct LoginReply: Encodable {
        var user: String
        var role: Role
        var csrfToken: String
        var expiresAt: Int64
        var idleTimeoutSeconds: Int64

        enum CodingKeys: String, CodingKey {
            case user, role
            case csrfToken = "csrf_token"
            case expiresAt = "expires_at"
            case idleTimeoutSeconds = "idle_timeout_seconds"
        }
    }

    func loginFailed(_ context: RequestContext, _ reason: String) {
        context.outcome = "login failed: \(reason)"
    }

    func addSessionRoutes(to router: inout SecureRouter) {
        let lifetime = configuration.people.absoluteLifetime / 1000
        router.add("POST", "/api/v1/session", .public) { context in
            let body = try context.request.decodeJSON(LoginRequest.self)
            switch try authenticator.login(
                name: body.username, password: body.password, code: body.code,
                remoteAddress: context.request.remoteAddress)
            {
            case .failure(let reason):
                loginFailed(context, "user '\(body.username.prefix(64))': \(reason)")
                throw HTTPError(
                    status: 401, code: "login-failed",
                    message:
                        "wrong user name, password or authenticator code, or the account is locked or disabled")
            case .success(let token, let user, let expiresAt):
                context.outcome = "signed in as \(user.name)"
                var response = HTTPResponse.json(
                    LoginReply(
                        user: user.name, role: user.role, csrfToken: user.csrfToken, expiresAt: expiresAt,
                        idleTimeoutSeconds: configuration.people.idleTimeout / 1000), status: 201)
                response.headers.append(("Set-Cookie", sessionCookie(token, maxAge: lifetime)))
                return response
            }
        }
        router.add("GET", "/api/v1/session", .ownSession) { context in
            guard case .user(let user) = context.principal else {
                throw HTTPError(status: 400, code: "not-a-session", message: "this credential is not a session")
            }
            return .json(["user": user.name, "role": user.role.rawValue, "csrf_token": user.csrfToken])
        }
        router.add("DELETE", "/api/v1/session", .ownSession) { context in
            guard case .user(let user) = context.principal else {
                throw HTTPError(status: 400, code: "not-a-session", message: "this credential is not a session")
            }
            try authenticator.logout(sessionID: user.sessionID)
            context.outcome = "signed out"
            var response = HTTPResponse(status: 204)
            response.headers.append(("Set-Cookie", sessionCookie("", maxAge: 0)))
            return response
        }
        router.add("GET", "/login", .public, page: true) { _ in
            let token = Authenticator.newSecret()
            var response = HTTPResponse.html(LoginPage.render(loginToken: token, message: nil))
            response.headers.append(("Set-Cookie", loginCookie(token)))
            return response
        }
        router.add("POST", "/login", .public, page: true) { context in
            let form = context.form
            let cookie = Gate.cookie(Self.loginCookie, in: context.request) ?? ""
            let presented = form["login_csrf"] ?? ""
            let fresh = Authenticator.newSecret()
            func again(_ message: String, status: Int) -> HTTPResponse {
                var response = HTTPResponse.html(LoginPage.render(loginToken: fresh, message: message), status: status)
                response.headers.append(("Set-Cookie", loginCookie(fresh)))
                return response
            }
            guard !cookie.isEmpty, ConstantTime.equals(Array(cookie.utf8), Array(presented.utf8)) else {
                context.outcome = "refused: login form anti-forgery token missing or wrong"
                return again("The form expired. Please sign in again.", status: 403)
            }
            let name = form["username"] ?? ""
            switch try authenticator.login(
                name: name, password: form["password"] ?? "", code: form["code"] ?? "",
                remoteAddress: context.request.remoteAddress)
            {
            case .failure(let reason):
                loginFailed(context, "user '\(name.prefix(64))': \(reason)")
                return again(
                    "Wrong user name, password or authenticator code, or the account is locked.", status: 401)
            case .success(let token, let user, _):
                context.outcome = "signed in as \(user.name)"
                return HTTPResponse(
                    status: 303,
                    headers: [
                        ("Location", "/"), ("Set-Cookie", sessionCookie(token, maxAge: lifetime)),
                        ("Set-Cookie", loginCookie("", maxAge: 0)),
                    ])
            }
        }
        router.add("GET", "/logout", .ownSession, page: true) { context in
            guard case .user(let user) = context.principal else {
                throw HTTPError(status: 400, code: "not-a-session", message: "this credential is not a session")
            }
            return .html(LoginPage.signOut(user))
        }
        router.add("POST", "/logout", .ownSession, page: true) { context in
            if case .user(let user) = context.principal { try authenticator.logout(sessionID: user.sessionID) }
            context.outcome = "signed out"
            return HTTPResponse(
                status: 303, headers: [("Location", "/login"), ("Set-Cookie", sessionCookie("", maxAge: 0))])
        }
    }

    func loginCookie(_ value: String, maxAge: Int64 = 600) -> String {
        "\(Self.loginCookie)=\(value); Path=/login; Max-Age=\(maxAge); HttpOnly; SameSite=Strict"
            + (configuration.secureCookies ? "; Secure" : "")
    }

    // MARK: Users and tokens

    struct NewUserRequest: Decodable {
        var name: String
        var role: String
        var password: String
    }

    struct NewUserReply: Encodable {
        var user: UserRecord
        var otpauthURI: String
        enum CodingKeys: String, CodingKey {
            case user
            case otpauthURI = "otpauth_uri"
        }
    }

    struct NewTokenRequest: Decodable {
        var name: String
        var role: String
        var expiresInDays: Int?
        enum CodingKeys: String, CodingKey {
            case name, role
            case expiresInDays = "expires_in_days"
        }
    }

    struct NewTokenReply: Encodable {
        var token: String
        var info: APITokenInfo
    }

    static func role(_ text: String) throws -> Role {
        guard let role = Role(name: text) else {
            throw HTTPError(status: 400, code: "invalid-role", message: "role must be admin, analyst or auditor")
        }
        return role
    }

    func addPeopleRoutes(to router: inout SecureRouter) {
        router.add("GET", "/api/v1/users", .manageUsers) { context in
            let users = try authenticator.listUsers()
            context.read = "users: \(users.count) rows"
            return .json(["users": users])
        }
        router.add("POST", "/api/v1/users", .manageUsers) { context in
            let body = try context.request.decodeJSON(NewUserRequest.self)
            let created = try authenticator.addUser(
                name: body.name, role: try Self.role(body.role), password: body.password)
            context.outcome = "created user \(created.user.name) (\(created.user.role.rawValue))"
            return .json(NewUserReply(user: created.user, otpauthURI: created.otpauthURI), status: 201)
        }
        for (action, disabled) in [("disable", true), ("enable", false)] {
            router.add("POST", "/api/v1/users/:name/\(action)", .manageUsers) { context in
                let name = context.request.parameters["name"] ?? ""
                guard try authenticator.setDisabled(name: name, disabled) else {
                    throw HTTPError(status: 404, code: "not-found", message: "there is no user '\(name)'")
                }
                context.outcome = "\(action)d user \(name)"
                return .json(["user": name, "disabled": disabled ? "true" : "false"])
            }
        }
        router.add("GET", "/api/v1/tokens", .manageTokens) { context in
            let tokens = try authenticator.listTokens()
            context.read = "api tokens: \(tokens.count) rows"
            return .json(["tokens": tokens])
        }
        router.add("POST", "/api/v1/tokens", .manageTokens) { context in
            let body = try context.request.decodeJSON(NewTokenRequest.self)
            let role = try Self.role(body.role)
            var expiresAt: Int64?
            if let days = body.expiresInDays {
                guard (1...366).contains(days) else {
                    throw HTTPError(
                        status: 400, code: "invalid-expiry", message: "expires_in_days must be from 1 to 366")
                }
                expiresAt = clock.nowMilliseconds() + Int64(days) * 86_400_000
            }
            let (info, secret) = try authenticator.createToken(
                name: body.name, role: role, createdBy: context.principal.logName, expiresAt: expiresAt)
            context.outcome = "created API token \(info.id) (\(role.rawValue))"
            return .json(NewTokenReply(token: secret, info: info), status: 201)
        }
        router.add("DELETE", "/api/v1/tokens/:id", .manageTokens) { context in
            let text = context.request.parameters["id"] ?? ""
            guard let id = Int64(text) else {
                throw HTTPError(status: 400, code: "invalid-id", message: "a token id is a whole number")
            }
            guard try authenticator.revokeToken(id: id) else {
                throw HTTPError(status: 404, code: "not-found", message: "there is no active API token \(id)")
            }
            context.outcome = "revoked API token \(id)"
            return HTTPResponse(status: 204)
        }
    }

    // MARK: Reading

    static func offset(_ query: [String: String]) throws -> Int {
        guard let text = query["offset"] else { return 0 }
        guard let value = Int(text), value >= 0, value <= 10_000_000 else {
            throw EventQuery.bad("offset must be a whole number from 0")
        }
        return value
    }

    func addReadRoutes(to router: inout SecureRouter) {
        router.add("GET", "/api/v1/events", .readEvents) { context in
            let query = try EventQuery(query: context.request.query)
            let page = try query.run(store)
            context.read = "events: \(page.events.count) rows" + (query.summary.isEmpty ? "" : " (\(query.summary))")
            var body = Array(#"{"events":["#.utf8)
            for (index, json) in page.events.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body += json.utf8
            }
            body += Array(#"],"next_cursor":"#.utf8)
            body += page.next.map { Array("\"\($0)\"".utf8) } ?? Array("null".utf8)
            body.append(UInt8(ascii: "}"))
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
        }
        router.add("GET", "/api/v1/hosts", .readHosts) { context in
            let query = context.request.query
            try EventQuery.checkNames(query, allowed: ["limit", "offset"])
            let hosts = try HostRecord.list(store, limit: try EventQuery.limit(query), offset: try Self.offset(query))
            context.read = "hosts: \(hosts.count) rows"
            return .json(["hosts": hosts])
        }
        router.add("GET", "/api/v1/access-log", .readAccessLog) { context in
            let query = context.request.query
            try EventQuery.checkNames(query, allowed: ["after", "limit"])
            var after: Int64 = 0
            if let text = query["after"] {
                guard let value = Int64(text), value >= 0 else {
                    throw EventQuery.bad("after must be an access log id (a whole number)")
                }
                after = value
            }
            let rows = try accessLog.rows(after: after, limit: try EventQuery.limit(query))
            context.read = "access log: \(rows.count) rows after id \(after)"
            return .json(["entries": rows])
        }
    }

    // MARK: Alerts

    struct AlertAction: Decodable {
        var comment: String
    }

    static func json(_ object: Any, status: Int = 200) -> HTTPResponse {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return HTTPError.internal.response
        }
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(data))
    }

    static func alertID(_ context: RequestContext) throws -> Int64 {
        guard let id = Int64(context.request.parameters["id"] ?? ""), id > 0 else {
            throw HTTPError(status: 400, code: "invalid-id", message: "an alert id is a positive whole number")
        }
        return id
    }

    func addAlertRoutes(to router: inout SecureRouter) {
        router.add("GET", "/api/v1/alerts", .readAlerts) { context in
            let query = context.request.query
            try EventQuery.checkNames(
                query, allowed: ["status", "level", "host", "rule_id", "from", "to", "limit", "offset"])
            var filter = AlertFilter()
            if let status = query["status"] {
                guard AlertStore.statuses.contains(status) else {
                    throw EventQuery.bad("status must be one of \(AlertStore.statuses.joined(separator: ", "))")
                }
                filter.status = status
            }
            filter.level = try EventQuery.text(query, "level")
            filter.host = try EventQuery.text(query, "host")
            filter.ruleID = try EventQuery.text(query, "rule_id")
            filter.from = try query["from"].map { try EventQuery.time($0, name: "from") }
            filter.to = try query["to"].map { try EventQuery.time($0, name: "to") }
            filter.limit = try EventQuery.limit(query)
            filter.offset = try Self.offset(query)
            let list = try alerts.list(filter)
            context.read = "alerts: \(list.count) rows"
            return Self.json(["alerts": list.map { $0.jsonObject() }])
        }
        router.add("GET", "/api/v1/alerts/:id", .readAlerts) { context in
            let id = try Self.alertID(context)
            guard let (alert, comments) = try alerts.get(id) else {
                throw HTTPError(status: 404, code: "not-found", message: "there is no alert \(id)")
            }
            context.read = "alert \(id)"
            var object = alert.jsonObject()
            object["history"] = comments.map {
                ["id": $0.id, "time": $0.time, "author": $0.author, "action": $0.action, "comment": $0.comment]
                    as [String: Any]
            }
            return Self.json(object)
        }
        for action in ["acknowledge", "resolve", "comment"] {
            let path = action == "comment" ? "comments" : action
            router.add("POST", "/api/v1/alerts/:id/\(path)", .changeAlerts) { context in
                let id = try Self.alertID(context)
                let body = try context.request.decodeJSON(AlertAction.self)
                guard (1...4000).contains(body.comment.count) else {
                    throw HTTPError(
                        status: 400, code: "invalid-comment", message: "comment must be 1 to 4000 characters")
                }
                try alerts.act(
                    action, id: id, by: context.principal.logName, comment: body.comment, now: clock.nowMilliseconds())
                context.outcome = "alert \(id): \(action)"
                guard let (alert, _) = try alerts.get(id) else { throw HTTPError.notFound }
                return Self.json(alert.jsonObject())
            }
        }
    }
}
