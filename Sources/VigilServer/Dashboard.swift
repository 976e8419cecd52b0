import Foundation
import VigilCore
import VigilStore

/// Server-rendered pages. Every value passes through `HTML.escape`.
enum Dashboard {
    static let stylesheet = """
        :root { --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --accent: #0b5cad; }
        body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); margin: 0; }
        header { background: #10243e; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
        header h1 { font-size: 18px; margin: 0; }
        header span { color: #b8c7da; }
        main { padding: 16px 20px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-weight: 600; color: var(--muted); position: sticky; top: 0; background: #fff; }
        td.cmd, td.exe { font-family: ui-monospace, monospace; word-break: break-all; }
        td.time { white-space: nowrap; color: var(--muted); }
        p.empty { color: var(--muted); }
        p.error { color: #a40e26; }
        header form { margin-left: auto; }
        form.login input { width: 18em; }
        @media print { header { background: none; color: #000; } }
        """

    static func processPage(events: [StoredEvent], total: Int, now: Int64, user: SessionUser? = nil) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var rows = ""
        for stored in events {
            let event = stored.event
            let process = event.process
            let time = formatter.string(from: Date(timeIntervalSince1970: Double(event.time) / 1000))
            let user = process?.user?.name ?? process?.user?.uid ?? ""
            let login = process?.loginUser?.name.map { $0 == user ? "" : " (login \($0))" } ?? ""
            rows += """
                <tr><td class="time">\(HTML.escape(time))</td><td>\(HTML.escape(stored.hostname))</td>\
                <td>\(HTML.escape(user + login))</td><td>\(process?.pid.map(String.init) ?? "")</td>\
                <td class="exe">\(HTML.escape(process?.file?.path ?? process?.name ?? ""))</td>\
                <td class="cmd">\(HTML.escape(process?.cmdLine ?? ""))</td></tr>

                """
        }
        let body =
            events.isEmpty
            ? "<p class=\"empty\">No process events yet. Start a program on a watched host; it appears here within seconds.</p>"
            : """
            <table>
            <thead><tr><th>Time (UTC)</th><th>Host</th><th>User</th><th>PID</th><th>Executable</th><th>Command line</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            """
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="refresh" content="3; url=/?refresh=1">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Vigil — process activity</title>
            <link rel="stylesheet" href="/static/vigil.css">
            </head>
            <body>
            <header><h1>Vigil</h1><span>Process activity — newest \(events.count) of \(total) events stored</span>\(signOut(user))</header>
            <main>
            \(body)
            </main>
            </body>
            </html>

            """
    }

    /// The signed-in user and a sign-out form carrying the session's anti-forgery token.
    static func signOut(_ user: SessionUser?) -> String {
        guard let user else { return "" }
        return """
            <form method="post" action="/logout"><span>\(HTML.escape(user.name)) (\(user.role.rawValue))</span> \
            <input type="hidden" name="csrf_token" value="\(HTML.escape(user.csrfToken))">\
            <button type="submit">Sign out</button></form>
            """
    }
}
