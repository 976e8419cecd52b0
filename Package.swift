// swift-tools-version:6.0
// Vigil: host intrusion detection, file integrity monitoring, vulnerability assessment,
// a tamper-evident archive and PCI DSS evidence for Linux fleets.
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
        // Detection: Sigma rules, correlations, the field table, the syslog/auth-log parser.
        // Release builds skip dynamic exclusivity checks in its hot loop (class-held scratch buffers).
        .target(
            name: "VigilRules", dependencies: ["VigilCore", "VigilYAML"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // Command line: parsing and start-up only.
        .target(
            name: "VigilCLI",
            dependencies: [
                "VigilCore", "VigilCrypto", "VigilSystem", "VigilYAML", "VigilRules",
            ]),
        .executableTarget(name: "vigil", dependencies: ["VigilCLI"]),
        // Benchmarks of our own code (run by `make bench`, release build).
        .executableTarget(name: "vigil-bench", dependencies: ["VigilCore", "VigilCrypto", "VigilRules"]),

        // Fakes beside the real things, for tests.
        .target(name: "VigilTestSupport", dependencies: ["VigilCore"]),

        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilCryptoTests", dependencies: ["VigilCrypto", "VigilTestSupport"]),
        .testTarget(name: "VigilYAMLTests", dependencies: ["VigilYAML", "VigilTestSupport"]),
        .testTarget(name: "VigilCLITests", dependencies: ["VigilCLI", "VigilTestSupport"]),
        .testTarget(
            name: "VigilRulesTests", dependencies: ["VigilRules", "VigilYAML", "VigilTestSupport"],
            exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
