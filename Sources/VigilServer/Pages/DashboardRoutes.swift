import VigilCore
import VigilHTTP
import VigilStore

/// The dashboard's routes: every section answers (sections without data say so), static files from memory.
enum DashboardRoutes {
    static func add(to router: inout SecureRouter, store: any EventStore, clock: any Clock) {
        router.add("GET", "/static/vigil.css", .public) { _ in
            .text(Assets.stylesheet, contentType: "text/css; charset=utf-8")
        }
        router.add("GET", "/static/vigil.js", .public) { _ in
            .text(Assets.script, contentType: "text/javascript; charset=utf-8")
        }
        router.add("GET", "/static/favicon.svg", .public) { _ in .text(Assets.favicon, contentType: "image/svg+xml") }
        guard let queries = store as? any DashboardQueries else {
            // A store without the dashboard's queries: every page says so instead of failing.
            for section in Section.allCases {
                router.add("GET", section.path, .readEvents, page: true) { _ in
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
        router.add("GET", "/", .readEvents, page: true) { context in
            context.read = "dashboard: overview"
            return .html(Pages.overview(try data.overview()))
        }
        router.add("GET", "/events", .readEvents, page: true) { context in
            let model = try data.events(context.request.query)
            context.read = "dashboard: events"
            return .html(Pages.events(model), status: model.errors.isEmpty ? 200 : 400)
        }
        router.add("GET", "/hosts", .readHosts, page: true) { context in
            context.read = "dashboard: hosts"
            return .html(Pages.hosts(try data.hosts()))
        }
        router.add("GET", "/hosts/:id", .readEvents, page: true) { context in
            let request = context.request
            context.read = "dashboard: host \(request.parameters["id"] ?? "")"
            guard let id = request.parameters["id"].flatMap({ Int64($0) }),
                let model = try data.host(id: id, parameters: request.query)
            else {
                return .html(Pages.notFound("No such host.", now: clock.nowMilliseconds()), status: 404)
            }
            return .html(Pages.host(model))
        }
        router.add("GET", Section.fim.path, .readEvents, page: true) { context in
            context.read = "dashboard: file integrity"
            return .html(Pages.fileIntegrity(try data.fileIntegrity(context.request.query)))
        }
        for section in [Section.alerts, .vulnerabilities, .archive, .compliance, .settings] {
            router.add("GET", section.path, .readEvents, page: true) { _ in
                .html(Pages.unavailable(section, now: clock.nowMilliseconds()))
            }
        }
    }
}
