import Foundation
import VigilCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs each alert as JSON to a URL: Vigil's own shape (`{"source":"vigil","alert":{…}}`), or a
/// Slack-compatible incoming-webhook payload (`{"text":"…"}`). A 2xx answer is a delivery; anything else
/// is a failure to retry.
public struct WebhookNotifier: Notifier {
    public enum Format: String, Sendable {
        case vigil, slack
    }

    public let url: URL
    public let format: Format
    public let timeoutSeconds: Double

    public init(url: URL, format: Format = .vigil, timeoutSeconds: Double = 10) {
        self.url = url
        self.format = format
        self.timeoutSeconds = timeoutSeconds
    }

    /// Scheme, host, port and path only: a token in the query or user info never reaches a record.
    public var name: String {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        components?.user = nil
        components?.password = nil
        components?.query = nil
        return "webhook:\(components?.string ?? "?")"
    }

    public func payload(_ alert: AlertRecord) -> [UInt8] {
        let object: [String: Any]
        switch format {
        case .vigil:
            object = ["source": "vigil", "alert": alert.jsonObject()]
        case .slack:
            var text = "Vigil alert [\(alert.level)] \(alert.ruleTitle)"
            if let host = alert.hostname { text += " on \(host)" }
            text += " (rule \(alert.ruleID), alert \(alert.id), seen \(alert.repeatCount)×)"
            object = ["text": text]
        }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    final class Outcome: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var status: Int?
        var failure: String?
    }

    public func deliver(_ alert: AlertRecord) throws {
        var request = URLRequest(url: url, timeoutInterval: timeoutSeconds)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("vigil/\(VigilVersion.current)", forHTTPHeaderField: "User-Agent")
        request.httpBody = Data(payload(alert))
        let outcome = Outcome()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeoutSeconds
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request) { _, response, error in
            if let error {
                outcome.failure = (error as NSError).localizedDescription
            } else {
                outcome.status = (response as? HTTPURLResponse)?.statusCode
            }
            outcome.done.signal()
        }
        task.resume()
        if outcome.done.wait(timeout: .now() + timeoutSeconds + 5) == .timedOut {
            task.cancel()
            throw NotifierError(
                code: "webhook.timeout", message: "no answer from \(name) within \(Int(timeoutSeconds)) s")
        }
        if let failure = outcome.failure {
            throw NotifierError(code: "webhook.transport", message: "\(name): \(failure)")
        }
        guard let status = outcome.status, (200..<300).contains(status) else {
            throw NotifierError(
                code: "webhook.status", message: "\(name) answered \(outcome.status.map(String.init) ?? "nothing")")
        }
    }
}
