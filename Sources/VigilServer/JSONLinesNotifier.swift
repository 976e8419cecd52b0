import Foundation

/// Appends each alert as one JSON line to a file (created mode 0600), synced before the delivery counts.
public struct JSONLinesNotifier: Notifier {
    public let path: String

    public init(path: String) { self.path = path }

    public var name: String { "file:\(path)" }

    public func deliver(_ alert: AlertRecord) throws {
        var line = Array(
            (try? JSONSerialization.data(withJSONObject: alert.jsonObject(), options: [.sortedKeys])) ?? Data())
        line.append(UInt8(ascii: "\n"))
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw NotifierError(
                code: "file.open",
                message: "cannot open \(path) for appending: \(String(cString: strerror(errno))); check the directory")
        }
        defer { close(fd) }
        var written = 0
        while written < line.count {
            let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw NotifierError(
                    code: "file.write", message: "cannot write to \(path): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            throw NotifierError(code: "file.sync", message: "cannot sync \(path): \(String(cString: strerror(errno)))")
        }
    }
}
