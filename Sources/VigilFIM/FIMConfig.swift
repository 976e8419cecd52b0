import Glibc
import VigilSystem

/// What file integrity monitoring watches: rules per path, extra sensitive paths, and the check schedule.
public struct FIMConfig: Sendable, Hashable {
    /// The format version this build reads.
    public static let version = 1

    public var rules: [FIMRule]
    /// Paths whose reads are reported (besides rules marked `sensitive`).
    public var sensitive: [BytePath]
    /// When a full check runs, as a cron expression or `daily`/`weekly` (PCI DSS 11.5.2 asks weekly).
    public var schedule: String

    public init(rules: [FIMRule], sensitive: [BytePath] = [], schedule: String = "weekly") {
        self.rules = rules
        self.sensitive = sensitive
        self.schedule = schedule
    }

    /// A configuration watching `paths` with the `all` group (what `vigil fim init PATH…` uses).
    public static func watching(_ paths: [BytePath]) -> FIMConfig {
        FIMConfig(rules: paths.map { FIMRule(path: $0, checks: AttributeGroup.all, groupName: "all") })
    }

    /// The rule that governs `path`: the one with the longest path containing it.
    public func rule(for path: BytePath) -> FIMRule? {
        rules.filter { $0.path.contains(path) }.max { $0.path.bytes.count < $1.path.bytes.count }
    }

    /// Every path whose reads are reported: `sensitive` plus rules marked sensitive.
    public var sensitivePaths: [BytePath] { sensitive + rules.filter(\.sensitive).map(\.path) }

    /// Whether `path` is sensitive (at or below a sensitive path).
    public func isSensitive(_ path: BytePath) -> Bool { sensitivePaths.contains { $0.contains(path) } }

    /// Whether `path` matches one of `rule`'s exclude patterns.
    public static func isExcluded(_ path: BytePath, by rule: FIMRule) -> Bool {
        guard !rule.exclude.isEmpty else { return false }
        let name = path.lastComponent
        return rule.exclude.contains { pattern in
            let subject = pattern.contains("/") ? path.bytes : name
            return matches(pattern, subject)
        }
    }

    /// `fnmatch(3)` over bytes: `*` and `?` cross `/` in whole-path patterns.
    static func matches(_ pattern: String, _ subject: [UInt8]) -> Bool {
        var terminated = subject
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                fnmatch(pattern, $0, 0) == 0
            }
        }
    }
}
