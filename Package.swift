// swift-tools-version:6.0
// Vigil: host intrusion detection, file integrity monitoring, vulnerability assessment,
// a tamper-evident archive and PCI DSS evidence for Linux fleets.
import Foundation
import PackageDescription

/// A C library from Debian's apt, wrapped as a system-library target.
func systemLibrary(_ name: String, pkgConfig: String?, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "vigil",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigil", targets: ["vigil"])
    ],
    targets: [
        // C libraries: each is imported by exactly one Swift wrapper module.
        systemLibrary("CSQLite", pkgConfig: "sqlite3", apt: "libsqlite3-dev"),
        systemLibrary("COpenSSL", pkgConfig: "libcrypto", apt: "libssl-dev"),
        systemLibrary("CPostgres", pkgConfig: "libpq", apt: "libpq-dev"),
        systemLibrary("CYAML", pkgConfig: "yaml-0.1", apt: "libyaml-dev"),
        systemLibrary("CMicroHTTPD", pkgConfig: "libmicrohttpd", apt: "libmicrohttpd-dev"),
        systemLibrary("CZstd", pkgConfig: "libzstd", apt: "libzstd-dev"),
        .systemLibrary(name: "CLinux"),

        // Value types shared by every module.
        .target(name: "VigilCore"),
        // Wrappers, one per C library.
        .target(name: "VigilCrypto", dependencies: ["VigilCore", "COpenSSL"]),
        .target(name: "VigilSystem", dependencies: ["VigilCore", "CLinux"]),
        .target(name: "VigilYAML", dependencies: ["VigilCore", "CYAML"]),
        // Linux audit: pure record parsing, event assembly, normalization, rule encoding.
        .target(name: "VigilAudit", dependencies: ["VigilCore"]),
        // The live audit sensor: VigilAudit's parsing over VigilSystem's netlink socket.
        .target(name: "VigilAuditSensor", dependencies: ["VigilAudit", "VigilCore", "VigilSystem"]),
        .target(name: "VigilStore", dependencies: ["VigilCore", "CSQLite", "CPostgres", "CZstd"]),
        .target(name: "VigilHTTP", dependencies: ["VigilCore", "CMicroHTTPD"]),
        // Zip archives and DEFLATE (pure, over bytes in memory): how OSV publishes whole ecosystems.
        .target(name: "VigilZip", dependencies: ["VigilCore"]),
        // Vulnerability assessment: inventories, version comparison, advisories, matching (pure).
        .target(name: "VigilVuln", dependencies: ["VigilCore", "VigilYAML", "VigilZip"]),
        // The local advisory index, findings history and host inventory reading (SQLite, files).
        .target(name: "VigilVulnIndex", dependencies: ["VigilVuln", "VigilStore"]),
        // Tamper-evident archive: RFC 9162 Merkle log, C2SP signed-note checkpoints.
        .target(name: "VigilLedger", dependencies: ["VigilCore", "VigilCrypto"]),
        // PCI DSS evidence: the requirement catalogue and its evaluator over a snapshot of counts (pure).
        .target(name: "VigilCompliance", dependencies: ["VigilCore"]),
        // Wiring: the agent and the server.
        // The agent depends on VigilStore only for Zstd (batch compression), on VigilCrypto for the pinned TLS
        // client and Ed25519 policy signatures, on VigilAuditSensor for the kernel audit stream, on VigilFIM for
        // real-time and scheduled file integrity, on VigilVulnIndex (HostInventory) for the package inventory and on
        // VigilRules for the auth-log parser.
        .target(
            name: "VigilAgent",
            dependencies: [
                "VigilCore", "VigilSystem", "VigilCrypto", "VigilStore", "VigilAuditSensor", "VigilFIM", "VigilVuln",
                "VigilVulnIndex", "VigilRules",
            ]),
        .target(
            name: "VigilServer",
            dependencies: [
                "VigilCore", "VigilCrypto", "VigilStore", "VigilHTTP", "VigilRules", "VigilLedger", "VigilCompliance",
                "VigilYAML",
            ]),
        // Detection: Sigma rules, correlations, the field table, the syslog/auth-log parser.
        .target(name: "VigilRules", dependencies: ["VigilCore", "VigilYAML"]),
        // File integrity monitoring: attribute table, configuration, baseline, scan and diff.
        .target(
            name: "VigilFIM", dependencies: ["VigilCore", "VigilCrypto", "VigilSystem", "VigilYAML", "VigilStore"]),
        // Command line: parsing and start-up only.
        .target(
            name: "VigilCLI",
            dependencies: [
                "VigilCore", "VigilCrypto", "VigilSystem", "VigilYAML", "VigilStore", "VigilHTTP", "VigilAgent",
                "VigilServer", "VigilVulnIndex", "VigilAudit", "VigilRules", "VigilLedger", "VigilFIM",
                "VigilCompliance",
            ]),
        .executableTarget(name: "vigil", dependencies: ["VigilCLI"]),
        // Benchmarks of our own code (run by `make bench`, release build).
        .executableTarget(
            name: "vigil-bench",
            dependencies: [
                "VigilCore", "VigilCrypto", "VigilVuln", "VigilVulnIndex", "VigilZip", "VigilAudit", "VigilAuditSensor",
                "VigilRules", "VigilLedger", "VigilFIM", "VigilSystem", "VigilServer", "VigilStore", "VigilTestSupport",
            ]),

        // Fakes beside the real things, for tests.
        .target(name: "VigilTestSupport", dependencies: ["VigilCore"]),

        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilCryptoTests", dependencies: ["VigilCrypto", "VigilTestSupport"]),
        .testTarget(name: "VigilYAMLTests", dependencies: ["VigilYAML", "VigilTestSupport"]),
        .testTarget(name: "VigilStoreTests", dependencies: ["VigilStore", "VigilTestSupport"]),
        .testTarget(name: "VigilHTTPTests", dependencies: ["VigilHTTP", "VigilTestSupport"]),
        .testTarget(
            name: "VigilAgentTests",
            dependencies: ["VigilAgent", "VigilCrypto", "VigilStore", "VigilHTTP", "VigilSystem", "VigilTestSupport"]),
        .testTarget(
            name: "VigilServerTests",
            dependencies: [
                "VigilServer", "VigilAgent", "VigilStore", "VigilHTTP", "VigilRules", "VigilLedger", "VigilCrypto",
                "VigilTestSupport",
            ]),
        .testTarget(name: "VigilCLITests", dependencies: ["VigilCLI", "VigilStore", "VigilTestSupport"]),
        .testTarget(
            name: "VigilVulnTests",
            dependencies: ["VigilVuln", "VigilVulnIndex", "VigilStore", "VigilCLI", "VigilTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(name: "VigilComplianceTests", dependencies: ["VigilCompliance", "VigilTestSupport"]),
        .testTarget(name: "VigilZipTests", dependencies: ["VigilZip", "VigilTestSupport"]),
        .testTarget(name: "VigilLedgerTests", dependencies: ["VigilLedger", "VigilTestSupport"]),
        .testTarget(name: "VigilAuditTests", dependencies: ["VigilAudit", "VigilTestSupport"]),
        .testTarget(
            name: "VigilSystemTests",
            dependencies: ["VigilSystem", "VigilAudit", "VigilAuditSensor", "VigilTestSupport"]),
        .testTarget(
            name: "VigilRulesTests", dependencies: ["VigilRules", "VigilYAML", "VigilTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "VigilFIMTests",
            dependencies: ["VigilFIM", "VigilCrypto", "VigilStore", "VigilSystem", "VigilTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// Fixture files (Tests/<Module>Tests/Fixtures/) are read by path through VigilTestSupport.Fixtures,
// not built as resources: exclude them so SwiftPM does not warn about unhandled files.
for target in package.targets where target.type == .test {
    let fixtures = "\(Context.packageDirectory)/Tests/\(target.name)/Fixtures"
    if FileManager.default.fileExists(atPath: fixtures) { target.exclude.append("Fixtures") }
}
