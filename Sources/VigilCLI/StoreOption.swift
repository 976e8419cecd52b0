import Foundation
import VigilStore

/// `--store URL`: `sqlite:PATH` or a PostgreSQL URL / conninfo.
enum StoreOption {
    static let spec = OptionSpec(
        "store", .value(placeholder: "URL"),
        help: "sqlite:PATH (default sqlite:./.vigil/vigil.db) or postgres://USER@HOST:PORT/DB.")

    static func open(_ url: String?, path: [String]) throws -> any EventStore {
        let text = url ?? "sqlite:.vigil/vigil.db"
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") || text.hasPrefix("host=") {
            return try PostgresEventStore(conninfo: text)
        }
        guard text.hasPrefix("sqlite:") else {
            throw UsageError("--store takes sqlite:PATH or postgres://…, not '\(text)'", path: path)
        }
        let file = String(text.dropFirst("sqlite:".count))
        let directory = (file as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        return try SQLiteEventStore(path: file)
    }
}
