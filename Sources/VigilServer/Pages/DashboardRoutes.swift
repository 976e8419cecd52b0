import VigilCore
import VigilHTTP
import VigilStore

/// The dashboard's routes: every section answers (sections without data say so), static files from memory.
enum DashboardRoutes {
    /// The sections `principal` may open: Settings only for those who manage users.
    static func sections(for principal: Principal) -> Set<Section> {
        var sections = Set(Section.allCases)
        if !Authorization.allows(principal, .manageUsers) { sections.remove(.settings) }
        return sections
    }

    static func add(
        to router: inout SecureRouter, store: any EventStore, clock: any Clock, services: DashboardServices? = nil
    ) {
        router.add("GET", "/static/vigil.css", .public) { _ in
            .text(Assets.stylesheet, contentType: "text/css; charset=utf-8")
        }
        router.add("GET", "/static/vigil.js", .public) { _ in
            .text(Assets.script, contentType: "text/javascript; charset=utf-8")
        }
        router.add("GET", "/static/favicon.svg", .public) { _ in .text(Assets.favicon, contentType: "image/svg+xml") }
        /// A page route: the navigation shows only what the person may open.
        func page(
            _ method: String, _ path: String, _ permission: Permission,
            _ handler: @escaping SecureRouter.Handler
        ) {
            router.add(method, path, permission, page: true) { context in
                try Layout.$visibleSections.withValue(sections(for: context.principal)) { try handler(context) }
            }
        }
        guard let queries = store as? any DashboardQueries else {
            // A store without the dashboard's queries: every page says so instead of failing.
            for section in Section.allCases {
                page("GET", section.path, section == .settings ? .manageUsers : .readEvents) { _ in
                    .html(
                        Layout.page(
                            title: section.title, section: section, now: clock.nowMilliseconds(),
                            body: Layout.emptyState(
                                "Not available with this store.", "This store cannot answer the dashboard's queries.")),
                        status: 503)
                }
            }
            return
        }
        let data = DashboardData(queries: queries, clock: clock)
        page("GET", "/", .readEvents) { context in
            context.read = "dashboard: overview"
            var model = try data.overview()
            if let services, Authorization.allows(context.principal, .readAlerts) {
                var filter = AlertFilter()
                filter.level = "critical"
                filter.limit = 10
                model.criticalAlerts = try services.alerts.list(filter)
                model.topRules = try services.alerts.topRules(since: model.now - 30 * PageKit.day)
            }
            return .html(Pages.overview(model))
        }
        page("GET", "/events", .readEvents) { context in
            let model = try data.events(context.request.query)
            context.read = "dashboard: events"
            return .html(Pages.events(model), status: model.errors.isEmpty ? 200 : 400)
        }
        page("GET", "/hosts", .readHosts) { context in
            context.read = "dashboard: hosts"
            return .html(Pages.hosts(try data.hosts()))
        }
        page("GET", "/hosts/:id", .readEvents) { context in
            let request = context.request
            context.read = "dashboard: host \(request.parameters["id"] ?? "")"
            guard let id = request.parameters["id"].flatMap({ Int64($0) }),
                let model = try data.host(id: id, parameters: request.query)
            else {
                return .html(Pages.notFound("No such host.", now: clock.nowMilliseconds()), status: 404)
            }
            return .html(Pages.host(model))
        }
        page("GET", Section.fim.path, .readEvents) { context in
            context.read = "dashboard: file integrity"
            return .html(Pages.fileIntegrity(try data.fileIntegrity(context.request.query)))
        }
        for section in [Section.vulnerabilities, .compliance] {
            page("GET", section.path, .readEvents) { _ in
                .html(Pages.unavailable(section, now: clock.nowMilliseconds()))
            }
        }
        guard let services else {
            for section in [Section.alerts, .archive, .settings] {
                page("GET", section.path, section == .settings ? .manageUsers : .readEvents) { _ in
                    .html(Pages.unavailable(section, now: clock.nowMilliseconds()))
                }
            }
            return
        }
        let triage = TriageRoutes(data: data, services: services, clock: clock)
        @Sendable func alertID(_ context: RequestContext) -> Int64? {
            context.request.parameters["id"].flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil }
        }
        @Sendable func noAlert() -> HTTPResponse {
            .html(Pages.notFound("No such alert.", now: clock.nowMilliseconds()), status: 404)
        }
        page("GET", "/alerts", .readAlerts) { context in
            let model = try triage.alertsPage(context.request.query)
            context.read = "dashboard: alerts (\(model.rows.count) rows)"
            return .html(TriagePages.alerts(model), status: model.errors.isEmpty ? 200 : 400)
        }
        page("GET", "/alerts/:id", .readAlerts) { context in
            context.read = "dashboard: alert \(context.request.parameters["id"] ?? "")"
            guard let id = alertID(context), let model = try triage.alertPage(id: id, context: context, notice: nil)
            else { return noAlert() }
            return .html(TriagePages.alert(model))
        }
        page("POST", "/alerts/:id", .changeAlerts) { context in
            guard let id = alertID(context), try services.alerts.get(id) != nil else { return noAlert() }
            return try triage.actOnAlert(id: id, context: context)
        }
        page("GET", "/archive", .readArchive) { context in
            context.read = "dashboard: archive"
            guard let model = try triage.archivePage(context: context, result: nil, notice: nil) else {
                return .html(Pages.unavailable(.archive, now: clock.nowMilliseconds()))
            }
            return .html(TriagePages.archive(model))
        }
        page("POST", "/archive", .verifyArchive) { context in
            context.read = "dashboard: archive verification"
            guard let archivist = services.archivist else {
                return .html(Pages.unavailable(.archive, now: clock.nowMilliseconds()), status: 503)
            }
            guard context.form["do"] == "verify" else {
                let model = try triage.archivePage(
                    context: context, result: nil, notice: Notice(text: "Unknown archive action.", error: true))
                return .html(TriagePages.archive(try requireModel(model)), status: 400)
            }
            let result = try archivist.verifyStored()
            context.outcome = "archive verified: \(result.intact ? "intact" : "FAILED: \(result.problems.first ?? "")")"
            let model = try triage.archivePage(context: context, result: result, notice: nil)
            return .html(TriagePages.archive(try requireModel(model)))
        }
        page("GET", "/settings", .manageUsers) { context in
            context.read = "dashboard: settings (users, tokens, agents)"
            return .html(TriagePages.settings(try triage.settingsPage(context: context, notice: nil, secret: nil)))
        }
        page("POST", "/settings", .manageUsers) { context in
            try triage.settingsAction(context: context)
        }
    }

    static func requireModel<T>(_ model: T?) throws -> T {
        guard let model else { throw HTTPError(status: 503, code: "unavailable", message: "no archive on this server") }
        return model
    }
}
