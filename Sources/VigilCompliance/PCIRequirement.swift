/// One row of the PCI DSS v4.0.1 catalogue: the requirement's number, our own one-line paraphrase (never the
/// standard's text), the evidence Vigil collects for it, how the status is computed, and the evaluation itself.
public struct PCIRequirement: Sendable {
    public var id: String
    public var paraphrase: String
    public var evidence: String
    public var method: String
    public var evaluate: @Sendable (ComplianceSnapshot) -> Outcome

    public init(
        id: String, paraphrase: String, evidence: String, method: String,
        evaluate: @escaping @Sendable (ComplianceSnapshot) -> Outcome
    ) {
        self.id = id
        self.paraphrase = paraphrase
        self.evidence = evidence
        self.method = method
        self.evaluate = evaluate
    }

    /// Runs the evaluation and labels its outcome.
    public func result(_ snapshot: ComplianceSnapshot) -> RequirementResult {
        let outcome = evaluate(snapshot)
        return RequirementResult(
            requirement: id, summary: paraphrase, status: outcome.status, evidence: outcome.evidence,
            hosts: outcome.hosts)
    }
}
