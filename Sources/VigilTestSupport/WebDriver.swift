import Foundation

/// A WebDriver command failed: the command, the W3C error code (`no such element`, `unexpected alert open`…)
/// and the driver's message (its stack trace left out).
public struct WebDriverError: Error, CustomStringConvertible {
    public var command: String
    public var code: String
    public var message: String

    public var description: String { "WebDriver \(command): \(code): \(message)" }
}

/// An element reference from a find command.
public struct WebElement: Sendable, Hashable {
    public let id: String
    /// The W3C key an element reference travels under.
    static let key = "element-6066-11e4-a52e-4f735466cecf"
}

/// One browser console message (`goog:loggingPrefs` browser log).
public struct BrowserLogEntry: Sendable, Equatable {
    /// `SEVERE`, `WARNING`, `INFO`, …
    public var level: String
    public var source: String
    public var message: String
}

/// A small W3C WebDriver client for one headless Chromium session, over HTTP to a `ChromeDriver`
/// (with `RawHTTPClient`: one connection per command, nothing shared between tests).
public final class WebDriverSession: @unchecked Sendable {
    public let driver: ChromeDriver
    public let id: String
    private var closed = false

    /// Opens a headless session with browser console logging on and a fixed window size. Prompts (alert,
    /// confirm) are left open so a test can see them (`alertText()`), instead of being dismissed.
    public init(driver: ChromeDriver, width: Int = 1366, height: Int = 900) throws {
        self.driver = driver
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "unhandledPromptBehavior": "ignore",
                    "goog:chromeOptions": [
                        "binary": driver.browser,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=\(width),\(height)", "--hide-scrollbars", "--no-first-run",
                            "--disable-extensions", "--disable-background-networking", "--lang=en-US",
                            "--force-device-scale-factor=1",
                        ],
                    ],
                    "goog:loggingPrefs": ["browser": "ALL"],
                ] as [String: Any]
            ]
        ]
        let value = try Self.send(port: driver.port, "POST", "/session", capabilities, command: "new session")
        guard let object = value as? [String: Any], let id = object["sessionId"] as? String else {
            throw WebDriverError(command: "new session", code: "protocol", message: "no sessionId in the answer")
        }
        self.id = id
    }

    deinit { close() }

    /// Ends the session (the browser quits). Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = try? Self.send(port: driver.port, "DELETE", "/session/\(id)", nil, command: "delete session")
    }

    // MARK: Commands

    /// Loads `url` and waits for the page's load event.
    public func navigate(_ url: String) throws {
        try command("POST", "url", ["url": url], name: "navigate to \(url)")
    }

    public func currentURL() throws -> String { try command("GET", "url", nil, name: "current url") as? String ?? "" }

    public func title() throws -> String { try command("GET", "title", nil, name: "title") as? String ?? "" }

    /// The page's current DOM serialised.
    public func pageSource() throws -> String { try command("GET", "source", nil, name: "source") as? String ?? "" }

    public func findElements(css selector: String) throws -> [WebElement] {
        let value = try command(
            "POST", "elements", ["using": "css selector", "value": selector], name: "find elements \(selector)")
        return (value as? [[String: Any]] ?? []).compactMap { ($0[WebElement.key] as? String).map(WebElement.init) }
    }

    /// The first element matching `selector`.
    /// - Throws: `WebDriverError` `no such element` when none does.
    public func findElement(css selector: String) throws -> WebElement {
        let value = try command(
            "POST", "element", ["using": "css selector", "value": selector], name: "find element \(selector)")
        guard let id = (value as? [String: Any])?[WebElement.key] as? String else {
            throw WebDriverError(command: "find element \(selector)", code: "protocol", message: "no element id")
        }
        return WebElement(id: id)
    }

    /// The element's rendered text.
    public func text(_ element: WebElement) throws -> String {
        try command("GET", "element/\(element.id)/text", nil, name: "element text") as? String ?? ""
    }

    public func attribute(_ element: WebElement, _ name: String) throws -> String? {
        try command("GET", "element/\(element.id)/attribute/\(name)", nil, name: "attribute \(name)") as? String
    }

    public func click(_ element: WebElement) throws {
        try command("POST", "element/\(element.id)/click", [String: Any](), name: "click")
    }

    public func clear(_ element: WebElement) throws {
        try command("POST", "element/\(element.id)/clear", [String: Any](), name: "clear")
    }

    /// Types `text` into the element.
    public func type(_ element: WebElement, _ text: String) throws {
        try command("POST", "element/\(element.id)/value", ["text": text], name: "send keys")
    }

    /// Runs `script` (a function body; `arguments[0]`… are `args`) in the page and returns its JSON result.
    @discardableResult
    public func execute(_ script: String, _ args: [Any] = []) throws -> Any? {
        try command("POST", "execute/sync", ["script": script, "args": args], name: "execute script")
    }

    /// Strings from a script that returns an array of strings.
    public func strings(_ script: String) throws -> [String] {
        (try execute(script) as? [Any] ?? []).map { "\($0)" }
    }

    /// The browser console messages logged since the last call (the driver clears what it returns).
    public func browserLog() throws -> [BrowserLogEntry] {
        let value = try command("POST", "se/log", ["type": "browser"], name: "browser log")
        return (value as? [[String: Any]] ?? []).map { entry in
            BrowserLogEntry(
                level: entry["level"] as? String ?? "", source: entry["source"] as? String ?? "",
                message: entry["message"] as? String ?? "")
        }
    }

    /// Console errors (level SEVERE) since the last call.
    public func consoleErrors() throws -> [String] {
        try browserLog().filter { $0.level == "SEVERE" }.map(\.message)
    }

    /// The open dialog's text (alert, confirm, prompt), or nil when none is open.
    public func alertText() throws -> String? {
        do {
            return try command("GET", "alert/text", nil, name: "alert text") as? String ?? ""
        } catch let error as WebDriverError where error.code == "no such alert" {
            return nil
        }
    }

    public func dismissAlert() throws { try command("POST", "alert/dismiss", [String: Any](), name: "dismiss alert") }

    /// A Chrome DevTools Protocol command through chromedriver's `goog/cdp/execute`.
    @discardableResult
    public func cdp(_ method: String, _ parameters: [String: Any] = [:]) throws -> Any? {
        try command("POST", "goog/cdp/execute", ["cmd": method, "params": parameters], name: "cdp \(method)")
    }

    /// Turns the page's Content-Security-Policy off (`Page.setBypassCSP`), so a test can show that escaping
    /// alone keeps injected markup inert.
    public func bypassContentSecurityPolicy(_ bypass: Bool) throws {
        try cdp("Page.enable")
        try cdp("Page.setBypassCSP", ["enabled": bypass])
    }

    /// Runs `source` in every document before its own scripts (`Page.addScriptToEvaluateOnNewDocument`).
    public func addScriptOnNewDocument(_ source: String) throws {
        try cdp("Page.enable")
        try cdp("Page.addScriptToEvaluateOnNewDocument", ["source": source])
    }

    /// A PNG of the viewport, or of the whole page when `fullPage` (through `Page.captureScreenshot`).
    public func screenshotPNG(fullPage: Bool = false) throws -> [UInt8] {
        let base64: String?
        if fullPage {
            let metrics = try cdp("Page.getLayoutMetrics") as? [String: Any]
            let size = metrics?["cssContentSize"] as? [String: Any]
            let width = (size?["width"] as? Double) ?? 1366
            let height = min((size?["height"] as? Double) ?? 900, 8000)
            let result =
                try cdp(
                    "Page.captureScreenshot",
                    [
                        "format": "png", "captureBeyondViewport": true,
                        "clip": ["x": 0, "y": 0, "width": width, "height": height, "scale": 1],
                    ]) as? [String: Any]
            base64 = result?["data"] as? String
        } else {
            base64 = try command("GET", "screenshot", nil, name: "screenshot") as? String
        }
        guard let base64, let data = Data(base64Encoded: base64) else {
            throw WebDriverError(command: "screenshot", code: "protocol", message: "no PNG data in the answer")
        }
        return Array(data)
    }

    // MARK: Transport

    @discardableResult
    func command(_ method: String, _ path: String, _ body: Any?, name: String) throws -> Any? {
        try Self.send(port: driver.port, method, "/session/\(id)/\(path)", body, command: name)
    }

    /// Sends one command and returns its `value`, or throws the W3C error it carries.
    static func send(port: UInt16, _ method: String, _ path: String, _ body: Any?, command: String) throws -> Any? {
        var bytes: [UInt8]? = nil
        if let body { bytes = Array(try JSONSerialization.data(withJSONObject: body)) }
        let response = try RawHTTPClient.request(
            port: port, method: method, path: path,
            headers: bytes == nil ? [] : [("Content-Type", "application/json; charset=utf-8")], body: bytes,
            timeoutSeconds: 60, untilComplete: true)
        let object = try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
        let value = (object as? [String: Any])?["value"]
        if let error = value as? [String: Any], let code = error["error"] as? String {
            let message = (error["message"] as? String ?? "").components(separatedBy: "\n").first ?? ""
            throw WebDriverError(command: command, code: code, message: message)
        }
        guard response.status == 200 else {
            throw WebDriverError(
                command: command, code: "http \(response.status)", message: String(response.text.prefix(300)))
        }
        return value is NSNull ? nil : value
    }
}
