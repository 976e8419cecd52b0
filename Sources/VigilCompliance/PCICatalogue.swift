/// The requirements Vigil reports on, in the standard's order: the one table that drives the report, its
/// `--help` and the documentation.
public enum PCICatalogue {
    public static let all: [PCIRequirement] =
        [mfa] + AuditEventKind.allCases.map(eventKind) + [
            fields, archiveIntegrity, archiveTimeliness, alertReview, retention, controlFailures,
            intrusionDetection, fileIntegrity,
        ]

    /// Evaluates every requirement over `snapshot`.
    public static func evaluate(_ snapshot: ComplianceSnapshot) -> [RequirementResult] {
        all.map { $0.result(snapshot) }
    }

    /// The hosts that were around during the period (seen before it ended and not retired before it began).
    static func activeHosts(_ s: ComplianceSnapshot) -> [HostEvidence] {
        s.hosts.filter { $0.firstSeen < s.until && $0.lastSeen >= s.from }
    }

    /// Where a host's record starts: the period's start, or the host's first sighting if later.
    static func coverageStart(_ host: HostEvidence, _ s: ComplianceSnapshot) -> Int64 { max(s.from, host.firstSeen) }

    /// Every silence over the threshold: the gaps between events, and the stretches before the first and after
    /// the last event of the period (the whole period when there were none).
    static func silences(_ host: HostEvidence, _ s: ComplianceSnapshot) -> [TimeSpan] {
        let start = coverageStart(host, s)
        guard let first = host.firstEvent, let last = host.lastEvent else {
            return [TimeSpan(start: start, end: s.until)]
        }
        var out: [TimeSpan] = []
        if first - start > s.silenceThreshold { out.append(TimeSpan(start: start, end: first)) }
        out += host.gaps.filter { $0.duration > s.silenceThreshold }
        if s.until - last > s.silenceThreshold { out.append(TimeSpan(start: last, end: s.until)) }
        return out
    }

    static func spans(_ spans: [TimeSpan]) -> String {
        let shown = spans.prefix(5).map {
            "\(UTCTime.text($0.start))–\(UTCTime.text($0.end)) (\(UTCTime.duration($0.duration)))"
        }
        return shown.joined(separator: ", ") + (spans.count > 5 ? " and \(spans.count - 5) more" : "")
    }

    static func period(_ s: ComplianceSnapshot) -> String {
        "period \(UTCTime.text(s.from)) to \(UTCTime.text(s.until))"
    }

    // MARK: - 8.4

    static let mfa = PCIRequirement(
        id: "8.4",
        paraphrase: "Anyone signing in to the platform proves who they are with a second factor.",
        evidence: "The platform's user accounts and whether each has a TOTP secret enrolled.",
        method: "Met when every enabled account has TOTP; not met when one lacks it; no evidence without accounts."
    ) { s in
        let enabled = s.users.filter { !$0.disabled }
        guard !enabled.isEmpty else { return Outcome(.noEvidence, ["no enabled user accounts on the platform"]) }
        let missing = enabled.filter { !$0.hasSecondFactor }.map(\.name).sorted()
        if !missing.isEmpty {
            return Outcome(
                .notMet,
                [
                    "\(missing.count) of \(enabled.count) enabled account(s) without TOTP: "
                        + missing.joined(separator: ", ")
                ])
        }
        return Outcome(.met, ["all \(enabled.count) enabled account(s) sign in with password and TOTP"])
    }

    // MARK: - 10.2.1.x

    static func eventKind(_ kind: AuditEventKind) -> PCIRequirement {
        let (id, paraphrase, evidence): (String, String, String) =
            switch kind {
            case .dataAccess:
                (
                    "10.2.1.1", "Each person's access to cardholder data is recorded.",
                    "File system activity events (audit watches and FIM on the paths holding cardholder data)."
                )
            case .adminActions:
                (
                    "10.2.1.2", "Everything done with administrative privileges is recorded.",
                    "Process launches run as root (audit execve records) and commands run through sudo (USER_CMD)."
                )
            case .auditLogAccess:
                (
                    "10.2.1.3", "Access to the audit logs themselves is recorded.",
                    "File system activity under /var/log."
                )
            case .failedLogins:
                (
                    "10.2.1.4", "Failed attempts to sign in or gain access are recorded.",
                    "Authentication events with a failure outcome."
                )
            case .credentialChanges:
                (
                    "10.2.1.5", "Creating, changing or elevating accounts and credentials is recorded.",
                    "Account change events (user, group, password changes)."
                )
            case .auditControl:
                (
                    "10.2.1.6", "Starting, stopping or pausing the audit logs is recorded.",
                    "Audit configuration and audit daemon events (CONFIG_CHANGE, DAEMON_*)."
                )
            case .systemObjects:
                (
                    "10.2.1.7", "Creating and deleting system-level objects is recorded.",
                    "Files created or deleted on watched paths, kernel modules loaded or unloaded."
                )
            }
        return PCIRequirement(
            id: id, paraphrase: paraphrase, evidence: evidence,
            method: """
                Per host: met when the host recorded events of this kind and was never silent over the threshold \
                during the period; not met when it was silent or had kernel auditing switched off; no evidence when it \
                recorded none of this kind.
                """
        ) { s in
            let hosts = activeHosts(s).map { host -> HostResult in
                let count = host.kinds[kind] ?? 0
                let quiet = silences(host, s)
                let status: RequirementStatus
                var text = "\(count) event(s) of this kind"
                if !host.auditDisabled.isEmpty {
                    status = .notMet
                    text += "; audit disabled " + spans(host.auditDisabled)
                    if !quiet.isEmpty { text += "; nothing recorded during " + spans(quiet) }
                } else if !quiet.isEmpty, host.events > 0 {
                    status = .notMet
                    text += "; nothing recorded during " + spans(quiet)
                } else if count == 0 {
                    status = .noEvidence
                    text = "no event of this kind recorded" + (host.events == 0 ? " (no events at all)" : "")
                } else {
                    status = .met
                }
                return HostResult(host: host.uid, hostname: host.hostname, status: status, evidence: text)
            }
            let total = activeHosts(s).reduce(0) { $0 + ($1.kinds[kind] ?? 0) }
            return .perHost(hosts, evidence: ["\(total) event(s) of this kind, \(period(s))"])
        }
    }

    // MARK: - 10.2.2

    /// Classes whose events must name a user, and classes whose events must carry an outcome.
    static let userClasses: Set<Int> = [1007, 3001, 3002]
    static let outcomeClasses: Set<Int> = [3001, 3002]

    static let fields = PCIRequirement(
        id: "10.2.2",
        paraphrase: "Each recorded event says who, what, when, where, whether it worked and what it touched.",
        evidence: "Per event class: events of the period lacking a user or an outcome (time and host are always set).",
        method: """
            Met when process, account and authentication events exist and all name a user, and account and \
            authentication events all carry an outcome; not met otherwise; no evidence without such events.
            """
    ) { s in
        let relevant = s.fields.filter { userClasses.contains($0.classUID) && $0.events > 0 }
        guard !relevant.isEmpty else {
            return Outcome(.noEvidence, ["no process, account or authentication events in the \(period(s))"])
        }
        var lines: [String] = []
        var missing = false
        for coverage in relevant.sorted(by: { $0.classUID < $1.classUID }) {
            let outcome = outcomeClasses.contains(coverage.classUID) ? coverage.withoutOutcome : 0
            missing = missing || coverage.withoutUser > 0 || outcome > 0
            lines.append(
                "class \(coverage.classUID): \(coverage.events) event(s), \(coverage.withoutUser) without a user"
                    + (outcomeClasses.contains(coverage.classUID) ? ", \(outcome) without an outcome" : ""))
        }
        return Outcome(missing ? .notMet : .met, lines)
    }

    // MARK: - 10.3.x

    static let archiveIntegrity = PCIRequirement(
        id: "10.3.2",
        paraphrase: "Audit records are protected so that changing them would be noticed.",
        evidence: "The Merkle archive checked against its newest signed checkpoint when the report was built.",
        method: "Met when the stored tree matched the signed checkpoint; not met on a mismatch; no evidence unchecked."
    ) { s in
        let a = s.archive
        switch a.verified {
        case .some(true):
            return Outcome(.met, ["archive of \(a.entries) entries matches its newest checkpoint: \(a.verification)"])
        case .some(false):
            return Outcome(.notMet, ["archive verification failed: \(a.verification)"])
        case .none:
            return Outcome(
                .noEvidence,
                ["archive not verified" + (a.verification.isEmpty ? "" : ": \(a.verification)")])
        }
    }

    static let archiveTimeliness = PCIRequirement(
        id: "10.3.3",
        paraphrase: "Audit records are promptly copied to a store that is hard to alter.",
        evidence: "Signed archive checkpoints during the period and the entries still waiting to be archived.",
        method: """
            Met when checkpoints were signed throughout the period, never more than a day apart (nor a day from \
            its start and end); not met on a longer gap; no evidence without checkpoints.
            """
    ) { s in
        let times = s.archive.checkpoints.map(\.signedAt).filter { $0 >= s.from && $0 < s.until }.sorted()
        guard let first = times.first, let last = times.last else {
            return Outcome(.noEvidence, ["no checkpoint signed in the \(period(s))"])
        }
        var gaps: [TimeSpan] = []
        if first - s.from > UTCTime.day { gaps.append(TimeSpan(start: s.from, end: first)) }
        for (a, b) in zip(times, times.dropFirst()) where b - a > UTCTime.day {
            gaps.append(TimeSpan(start: a, end: b))
        }
        if s.until - last > UTCTime.day { gaps.append(TimeSpan(start: last, end: s.until)) }
        var lines = [
            "\(times.count) checkpoint(s) signed, last at \(UTCTime.text(last)); \(s.archive.waiting) entries waiting"
        ]
        if !gaps.isEmpty { lines.append("no checkpoint for over a day: " + spans(gaps)) }
        return Outcome(gaps.isEmpty ? .met : .notMet, lines)
    }

    // MARK: - 10.4.1

    static let alertReview = PCIRequirement(
        id: "10.4.1",
        paraphrase: "Security events and alerts are reviewed at least once a day.",
        evidence: "Alerts raised in the period and when each was first acknowledged or resolved.",
        method: """
            Met when every alert older than a day was reviewed within a day; not met when one was reviewed late or \
            not at all; no evidence when no alert was raised (younger alerts are listed as pending).
            """
    ) { s in
        let due = s.alerts.filter { $0.time + UTCTime.day <= s.until }
        let pending = s.alerts.count - due.count
        guard !due.isEmpty else {
            return Outcome(
                .noEvidence, ["no alert old enough to need review in the \(period(s)); \(pending) pending"])
        }
        let late = due.filter { alert in alert.reviewedAt.map { $0 - alert.time > UTCTime.day } ?? true }
        var lines = [
            "\(due.count) alert(s) due for review, \(late.count) not reviewed within a day, \(pending) pending"
        ]
        for alert in late.prefix(10) {
            let when = alert.reviewedAt.map { "reviewed \(UTCTime.text($0))" } ?? "never reviewed"
            lines.append(
                "alert \(alert.id) '\(alert.title)' on \(alert.hostUID) at \(UTCTime.text(alert.time)): \(when)")
        }
        return Outcome(late.isEmpty ? .met : .notMet, lines)
    }

    // MARK: - 10.5.1

    static let retention = PCIRequirement(
        id: "10.5.1",
        paraphrase: "Audit history is kept for at least a year, with the last three months at hand.",
        evidence: "The configured event retention, the oldest stored event and when the first host was seen.",
        method: """
            Met when retention is at least 365 days and the oldest event is a year old, or the store holds \
            everything since its first host; not met when retention is shorter or older data is missing; no \
            evidence when retention is unknown or nothing is stored.
            """
    ) { s in
        guard let days = s.retentionDays else {
            return Outcome(.noEvidence, ["retention not known (give --retention-days, or ask the server's API)"])
        }
        guard let oldest = s.oldestEventTime else {
            return Outcome(.noEvidence, ["retention \(days) days; the store holds no events"])
        }
        var lines = ["retention \(days) days; oldest event \(UTCTime.text(oldest))"]
        if days < 365 { return Outcome(.notMet, lines + ["retention under 365 days"]) }
        let yearAgo = s.until - 365 * UTCTime.day
        if oldest <= yearAgo { return Outcome(.met, lines) }
        if let first = s.firstHostSeen, oldest - first <= UTCTime.day {
            lines.append("deployment younger than a year: everything since \(UTCTime.text(first)) is kept")
            return Outcome(.met, lines)
        }
        lines.append("events before \(UTCTime.text(oldest)) are missing though retention would keep them")
        return Outcome(.notMet, lines)
    }

    // MARK: - 10.7

    static let controlFailures = PCIRequirement(
        id: "10.7",
        paraphrase: "Failures of security controls are noticed, with when they started and ended.",
        evidence: """
            Per host: silences of the agent over the threshold, kernel auditing switched off, and events lost by the \
            spool or the kernel.
            """,
        method: "Per host: met with none of these; not met with any (each listed); no evidence without events."
    ) { s in
        let hosts = activeHosts(s).map { host -> HostResult in
            guard host.events > 0 else {
                return HostResult(
                    host: host.uid, hostname: host.hostname, status: .noEvidence,
                    evidence: "no events from this host in the period")
            }
            let quiet = silences(host, s)
            var problems: [String] = []
            if !host.auditDisabled.isEmpty { problems.append("audit disabled " + spans(host.auditDisabled)) }
            if !quiet.isEmpty { problems.append("agent silent " + spans(quiet)) }
            for loss in host.losses {
                problems.append("\(loss.count) event(s) lost (\(loss.source)) at \(UTCTime.text(loss.time))")
            }
            return HostResult(
                host: host.uid, hostname: host.hostname, status: problems.isEmpty ? .met : .notMet,
                evidence: problems.isEmpty ? "no silence or loss" : problems.joined(separator: "; "))
        }
        return .perHost(hosts, evidence: ["silence threshold \(UTCTime.duration(s.silenceThreshold))"])
    }

    // MARK: - 11.5.x

    static let intrusionDetection = PCIRequirement(
        id: "11.5.1",
        paraphrase: "Intrusion detection watches every host and raises alerts.",
        evidence: "Detection rules loaded on the server; per host, process events flowing without silence.",
        method: """
            Per host: met when rules are loaded and the host's process events flowed all period; not met when \
            none are loaded or the host fell silent; no evidence without process events or an unknown rule count.
            """
    ) { s in
        let rules: RequirementStatus =
            switch s.detectionRules {
            case .none: .noEvidence
            case .some(let n): n > 0 ? .met : .notMet
            }
        let ruleLine = s.detectionRules.map { "\($0) detection rule(s) loaded" } ?? "detection rule count not known"
        let hosts = activeHosts(s).map { host -> HostResult in
            let quiet = silences(host, s)
            let text =
                "\(host.processEvents) process event(s)" + (quiet.isEmpty ? "" : "; silent " + spans(quiet))
                + (host.auditDisabled.isEmpty ? "" : "; audit disabled " + spans(host.auditDisabled))
            let status: RequirementStatus =
                rules == .notMet || (!quiet.isEmpty && host.events > 0) || !host.auditDisabled.isEmpty
                ? .notMet : (rules == .noEvidence || host.processEvents == 0 ? .noEvidence : .met)
            return HostResult(host: host.uid, hostname: host.hostname, status: status, evidence: text)
        }
        var outcome = Outcome.perHost(hosts, evidence: [ruleLine])
        if rules == .notMet { outcome.status = .notMet }
        return outcome
    }

    static let fileIntegrity = PCIRequirement(
        id: "11.5.2",
        paraphrase: "Critical files are compared against a known baseline at least weekly on every host.",
        evidence: "Per host: the UTC days on which file integrity events arrived.",
        method: """
            Per host: met when FIM events arrived at least every 7 days across the period; not met on a longer \
            gap; no evidence when none arrived.
            """
    ) { s in
        let hosts = activeHosts(s).map { host -> HostResult in
            let days = Set(host.fimDays).sorted()
            guard let first = days.first, let last = days.last else {
                return HostResult(
                    host: host.uid, hostname: host.hostname, status: .noEvidence,
                    evidence: "no file integrity events in the period")
            }
            let startDay = UTCTime.floorDiv(coverageStart(host, s), UTCTime.day)
            let endDay = UTCTime.floorDiv(s.until - 1, UTCTime.day)
            var gaps: [(Int64, Int64)] = []
            if first - startDay > 7 { gaps.append((startDay, first)) }
            for (a, b) in zip(days, days.dropFirst()) where b - a > 7 { gaps.append((a, b)) }
            if endDay - last > 7 { gaps.append((last, endDay)) }
            let text =
                "FIM events on \(days.count) day(s), last \(UTCTime.dateText(last * UTCTime.day))"
                + gaps.map {
                    "; none from \(UTCTime.dateText($0.0 * UTCTime.day)) to \(UTCTime.dateText($0.1 * UTCTime.day)) (\($0.1 - $0.0) days)"
                }
                .joined()
            return HostResult(
                host: host.uid, hostname: host.hostname, status: gaps.isEmpty ? .met : .notMet, evidence: text)
        }
        return .perHost(hosts)
    }
}

extension PCICatalogue {
    /// The catalogue as a Markdown table (Documentation/pci-catalogue.md is this text; a test keeps them equal).
    public static func markdown() -> String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        var out = """
            # PCI DSS v4.0.1 requirements Vigil reports on

            Generated from `PCICatalogue.all` (Sources/VigilCompliance); `VIGIL_RECORD=1 swift test --filter \
            catalogueDocument` rewrites it. Paraphrases are our own words, not the standard's text. Statuses: \
            **met**, **not met**, **no evidence** — nothing is met without evidence for the whole period.

            | Requirement | What it asks (paraphrase) | Evidence Vigil collects | How the status is computed |
            |---|---|---|---|

            """
        for r in all {
            out += "| \(r.id) | \(cell(r.paraphrase)) | \(cell(r.evidence)) | \(cell(r.method)) |\n"
        }
        return out
    }
}
