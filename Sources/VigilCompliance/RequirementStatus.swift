/// Where a requirement (or one host for it) stands over the period. "No evidence" is a status, not an error:
/// Vigil recorded nothing that shows the control working, so it cannot say it was met.
public enum RequirementStatus: String, Sendable, Codable, CaseIterable {
    case met
    case notMet = "not met"
    case noEvidence = "no evidence"

    /// The requirement's status from its hosts': any host not met makes it not met; otherwise any host without
    /// evidence (or no host at all) leaves it without evidence; only every host met makes it met.
    public static func combine(_ statuses: [RequirementStatus]) -> RequirementStatus {
        if statuses.contains(.notMet) { return .notMet }
        if statuses.isEmpty || statuses.contains(.noEvidence) { return .noEvidence }
        return .met
    }
}

/// One host's status for a requirement, with what was found.
public struct HostResult: Sendable, Equatable, Codable {
    public var host: String
    public var hostname: String
    public var status: RequirementStatus
    public var evidence: String

    public init(host: String, hostname: String, status: RequirementStatus, evidence: String) {
        self.host = host
        self.hostname = hostname
        self.status = status
        self.evidence = evidence
    }
}

/// A requirement's status over the period, with the evidence behind it.
public struct RequirementResult: Sendable, Equatable, Codable {
    public var requirement: String
    public var summary: String
    public var status: RequirementStatus
    public var evidence: [String]
    public var hosts: [HostResult]

    public init(
        requirement: String, summary: String, status: RequirementStatus, evidence: [String],
        hosts: [HostResult] = []
    ) {
        self.requirement = requirement
        self.summary = summary
        self.status = status
        self.evidence = evidence
        self.hosts = hosts
    }
}

/// What one requirement's evaluation returns before the catalogue adds its number and summary.
public struct Outcome: Sendable, Equatable {
    public var status: RequirementStatus
    public var evidence: [String]
    public var hosts: [HostResult]

    public init(_ status: RequirementStatus, _ evidence: [String], hosts: [HostResult] = []) {
        self.status = status
        self.evidence = evidence
        self.hosts = hosts
    }

    /// The combination of per-host results, with `evidence` in front.
    public static func perHost(_ hosts: [HostResult], evidence: [String] = []) -> Outcome {
        let status = RequirementStatus.combine(hosts.map(\.status))
        var lines = evidence
        if hosts.isEmpty { lines.append("no host sent events during the period") }
        for status in RequirementStatus.allCases {
            let count = hosts.filter { $0.status == status }.count
            if count > 0 { lines.append("\(count) host(s) \(status.rawValue)") }
        }
        return Outcome(status, lines, hosts: hosts)
    }
}
