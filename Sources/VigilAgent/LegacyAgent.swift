import Foundation
import VigilCore

/// The agent as `vigil up` runs it against the current server (bearer token, JSON `EventBatch`, in-memory
/// queue): one sensor, new processes from `/proc`. `Agent` (spool, wire contract v1) replaces it once the
/// server speaks v1; the lead drops this file at that merge.
public final class LegacyAgent: Sendable {
    public struct Configuration: Sendable {
        public var server: URL
        public var token: String
        /// How often `/proc` is scanned.
        public var scanInterval: Duration

        public init(server: URL, token: String, scanInterval: Duration = .milliseconds(200)) {
            self.server = server
            self.token = token
            self.scanInterval = scanInterval
        }
    }

    public let configuration: Configuration
    public let host: HostFacts
    public let shipper: Shipper

    public init(configuration: Configuration, host: HostFacts = .read()) {
        self.configuration = configuration
        self.host = host
        self.shipper = Shipper(server: configuration.server, token: configuration.token, host: host.device)
    }

    /// Runs the sensors and the shipper until the task is cancelled, then flushes what is queued.
    public func run() async {
        let shipper = self.shipper
        let interval = configuration.scanInterval
        let host = self.host
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await shipper.run() }
            group.addTask {
                let watcher = ProcessWatcher(host: host)
                while !Task.isCancelled {
                    shipper.enqueue(watcher.scan())
                    try? await Task.sleep(for: interval)
                }
            }
            await group.waitForAll()
        }
    }
}
