import Testing

@testable import VigilVuln

struct VersionTrapTests {
    @Test(arguments: [
        ("dpkg", "1.01", "1.1", "="), ("dpkg", "1.0~rc1", "1.0", "<"), ("dpkg", "1:1.0", "2.0", ">"),
        ("dpkg", "1.0-1", "1.0-1~deb12u1", ">"), ("dpkg", "", "1", "!"), ("dpkg", "1:", "1", "!"),
        ("rpm", "1.01", "1.1", "="), ("rpm", "1.0~rc1", "1.0", "<"), ("rpm", "1.0^git1", "1.0", ">"),
        ("rpm", "1.0^git1", "1.0.1", "<"), ("rpm", "1:1.0-1", "2.0-1", ">"), ("rpm", "1.0", "1.0-1", "<"),
        ("apk", "1.0_rc1", "1.0", "<"), ("apk", "1.0_alpha", "1.0_beta", "<"), ("apk", "1.0_p1", "1.0", ">"),
        ("apk", "1.0_rc1-r1", "1.0-r0", "<"), ("apk", "1.0-r1", "1.0-r10", "<"), ("apk", "1.01", "1.1", "<"),
        ("apk", "6.0_pre1", "6.0", "<"),
    ])
    func ordersAsTheRealTool(scheme: String, a: String, b: String, verdict: String) throws {
        let scheme = try #require(VersionScheme(rawValue: scheme))
        #expect(scheme.compare(a, b).symbol == verdict)
        if verdict != "!" {
            // Antisymmetry: swapping the sides flips the verdict.
            let flipped = ["<": ">", ">": "<", "=": "="][verdict]
            #expect(scheme.compare(b, a).symbol == flipped)
        }
    }

    @Test func longAndHostileInputsTerminate() {
        let long = String(repeating: "1.", count: 50_000) + "1"
        let zeros = String(repeating: "0", count: 100_000) + "1"
        for scheme in VersionScheme.allCases {
            _ = scheme.compare(long, long + ".0")
            _ = scheme.compare(zeros, "1")
            _ = scheme.compare("\u{0}\u{7f}\u{ff}~^", "~^-:.")
            _ = scheme.problem(long)
        }
        #expect(VersionScheme.dpkg.compare(zeros, "1") == .equal)
        #expect(VersionScheme.rpm.compare(zeros, "1") == .equal)
    }

    @Test func validity() {
        #expect(DpkgVersion.problem("99999999999:1") == "epoch in version is too big")
        #expect(DpkgVersion.problem("a:1.0") == "epoch in version is empty")
        #expect(DpkgVersion.problem("1a:1.0") == "epoch in version is not number")
        #expect(DpkgVersion.problem("1.0 1") == "version string has embedded spaces")
        #expect(DpkgVersion.problem("1.0-") == "revision number is empty")
        #expect(DpkgVersion.problem("a1.0") == nil)
        #expect(RPMVersion.problem("") != nil)
        #expect(APKVersion.problem("1.0bc") != nil)
        #expect(APKVersion.problem("1.2.3_rc1_p2-r4") == nil)
    }
}
