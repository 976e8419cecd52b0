/// One installed package as the package manager recorded it.
public struct InstalledPackage: Sendable, Hashable, Codable {
    /// The binary package name (`bsdutils`).
    public var name: String
    /// The binary package version (`1:2.38.1-5+deb12u3`).
    public var version: String
    public var architecture: String
    /// The source package it was built from (`util-linux`); the name itself when not recorded.
    public var sourceName: String
    /// The source package's version (`2.38.1-5+deb12u3`); the binary version when not recorded.
    public var sourceVersion: String
    /// How versions of this package are ordered.
    public var scheme: VersionScheme

    public init(
        name: String, version: String, architecture: String, sourceName: String? = nil,
        sourceVersion: String? = nil, scheme: VersionScheme
    ) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.sourceName = sourceName ?? name
        self.sourceVersion = sourceVersion ?? version
        self.scheme = scheme
    }
}
