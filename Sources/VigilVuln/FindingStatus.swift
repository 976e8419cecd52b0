/// What an advisory says about a package in one release.
public enum FindingStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// A fixed version exists; the installed one is older.
    case fixAvailable = "fix-available"
    /// Affected and no fix released yet (open or undetermined in the tracker, no `fixed` event in OSV).
    case noFixYet = "no-fix-yet"
    /// The distribution decided not to fix it (tracker `nodsa` "ignored", `end-of-life`).
    case willNotFix = "will-not-fix"
    /// This release was never affected (tracker `fixed_version` `"0"`).
    case notAffected = "not-affected"
}
