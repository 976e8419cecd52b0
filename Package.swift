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
        .target(name: "VigilStore", dependencies: ["VigilCore", "CSQLite", "CZstd"]),
        .target(name: "VigilHTTP", dependencies: ["VigilCore", "CMicroHTTPD"]),
        // File integrity monitoring: attribute table, configuration, baseline, scan and diff.
        .target(
            name: "VigilFIM", dependencies: ["VigilCore", "VigilCrypto", "VigilSystem", "VigilYAML", "VigilStore"]),
        // Command line: parsing and start-up only.
        .target(
            name: "VigilCLI", dependencies: ["VigilCore", "VigilCrypto", "VigilSystem", "VigilYAML", "VigilFIM"]),
        .executableTarget(name: "vigil", dependencies: ["VigilCLI"]),
        // Benchmarks of our own code (run by `make bench`, release build).
        .executableTarget(name: "vigil-bench", dependencies: ["VigilCore", "VigilCrypto", "VigilFIM", "VigilSystem"]),

        // Fakes beside the real things, for tests.
        .target(name: "VigilTestSupport", dependencies: ["VigilCore"]),

        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilCryptoTests", dependencies: ["VigilCrypto", "VigilTestSupport"]),
        .testTarget(name: "VigilYAMLTests", dependencies: ["VigilYAML", "VigilTestSupport"]),
        .testTarget(name: "VigilStoreTests", dependencies: ["VigilStore", "VigilTestSupport"]),
        .testTarget(name: "VigilHTTPTests", dependencies: ["VigilHTTP", "VigilTestSupport"]),
        .testTarget(name: "VigilCLITests", dependencies: ["VigilCLI", "VigilTestSupport"]),
        .testTarget(
            name: "VigilFIMTests",
            dependencies: ["VigilFIM", "VigilCrypto", "VigilStore", "VigilSystem", "VigilTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
