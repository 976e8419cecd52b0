import Testing
import VigilAudit

/// Record type numbers the kernel added after Debian 12's headers: a hardened agent's own Landlock refusals
/// arrive as type 1423 and must be named, not "UNKNOWN[1423]".
@Suite struct RecordTypeTests {
    @Test(
        arguments: [
            (1420, "IPE_ACCESS"), (1421, "IPE_CONFIG_CHANGE"), (1422, "IPE_POLICY_LOAD"), (1423, "LANDLOCK_ACCESS"),
            (1424, "LANDLOCK_DOMAIN"), (1300, "SYSCALL"), (1419, "MAC_CALIPSO_DEL"),
        ] as [(UInt16, String)])
    func namesAndNumbersRoundTrip(number: UInt16, name: String) {
        #expect(AuditRecordType.name(of: number) == name)
        #expect(AuditRecordType.number(of: name) == number)
    }

    @Test func anUnassignedNumberStaysVisible() {
        #expect(AuditRecordType.name(of: 1499) == "UNKNOWN[1499]")
        #expect(AuditRecordType.number(of: "UNKNOWN[1499]") == 1499)
    }
}
