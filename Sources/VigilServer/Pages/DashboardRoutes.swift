import VigilCore
import VigilHTTP
import VigilStore

/// The dashboard's routes: every section answers (sections without data say so), static files from memory.
enum DashboardRoutes {
    static func add(to router: inout Router, store: any EventStore, clock: any Clock) {
        router.get("/static/vigil.css") { _ in .text(Assets.stylesheet, contentType: "text/css; charset=utf-8") }
        router.get("/static/vigil.js") { _ in
            .text(Assets.script, contentType: "text/javascript; charset=utf-8")
        }
        router.get("/static/favicon.svg") { _ in .text(Assets.favicon, contentType: "image/svg+xml") }
        guard let queries = store as? any DashboardQueries else {
            // A store without the dashboard's queries: every page says so instead of failing.
            for section in Section.allCases {
                router.get(section.path) { _ in
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
        router.get("/") { _ in .html(Pages.overview(try data.overview())) }
        router.get("/events") { request in
            let model = try data.events(request.query)
            return .html(Pages.events(model), status: model.errors.isEmpty ? 200 : 400)
        }
        router.get("/hosts") { _ in .html(Pages.hosts(try data.hosts())) }
        router.get("/hosts/:id") { request in
            guard let id = request.parameters["id"].flatMap({ Int64($0) }),
                let model = try data.host(id: id, parameters: request.query)
            else {
                return .html(Pages.notFound("No such host.", now: clock.nowMilliseconds()), status: 404)
            }
            return .html(Pages.host(model))
        }
        router.get(Section.fim.path) { request in .html(Pages.fileIntegrity(try data.fileIntegrity(request.query))) }
        for section in [Section.alerts, .vulnerabilities, .archive, .compliance, .settings] {
            router.get(section.path) { _ in .html(Pages.unavailable(section, now: clock.nowMilliseconds())) }
        }
    }
}
