import Foundation
import VigilServer

/// `--notify-…` options of `vigil server`: where new alerts are sent.
enum NotifyOptions {
    static let specs = [
        OptionSpec("notify-webhook", .repeated(placeholder: "URL"), help: "POST each new alert as JSON to URL."),
        OptionSpec("notify-slack", .repeated(placeholder: "URL"), help: "POST a Slack-compatible {\"text\"} payload."),
        OptionSpec(
            "notify-syslog", .repeated(placeholder: "udp://HOST:PORT"),
            help: "Send RFC 5424 syslog over udp:// or tcp:// (octet-counted)."),
        OptionSpec("notify-file", .repeated(placeholder: "PATH"), help: "Append each new alert as a JSON line."),
    ]

    static func notifiers(_ arguments: ParsedArguments) throws -> [any Notifier] {
        var out: [any Notifier] = []
        func url(_ text: String, option: String) throws -> URL {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw UsageError("--\(option) takes an http(s) URL, not '\(text)'", path: arguments.path)
            }
            return url
        }
        for text in arguments.all("notify-webhook") {
            out.append(WebhookNotifier(url: try url(text, option: "notify-webhook")))
        }
        for text in arguments.all("notify-slack") {
            out.append(WebhookNotifier(url: try url(text, option: "notify-slack"), format: .slack))
        }
        for text in arguments.all("notify-syslog") {
            guard let components = URLComponents(string: text), let scheme = components.scheme,
                let transport = SyslogNotifier.Transport(rawValue: scheme), let host = components.host, !host.isEmpty
            else {
                throw UsageError(
                    "--notify-syslog takes udp://HOST:PORT or tcp://HOST:PORT, not '\(text)'", path: arguments.path)
            }
            out.append(
                SyslogNotifier(
                    host: host, port: UInt16(clamping: components.port ?? 514), transport: transport))
        }
        for path in arguments.all("notify-file") { out.append(JSONLinesNotifier(path: path)) }
        return out
    }
}
