import Foundation
import VigilCore

/// Who this host is: hostname, machine id, OS, boot id. Read once at start.
public struct HostFacts: Sendable, Equatable {
    public var hostname: String
    public var machineID: String
    public var os: String
    public var bootID: String

    /// Reads `/etc/machine-id`, `/etc/os-release`, `/proc/sys/kernel/random/boot_id` and the hostname
    /// (under `root`, for tests).
    public static func read(root: String = "") -> HostFacts {
        func file(_ path: String) -> String? {
            (try? String(contentsOfFile: root + path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var name = [CChar](repeating: 0, count: 256)
        let hostname =
            gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let machineID = file("/etc/machine-id") ?? file("/var/lib/dbus/machine-id") ?? hostname
        var os = "Linux"
        if let release = file("/etc/os-release") {
            for line in release.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
                os = String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(
                    in: CharacterSet(charactersIn: "\"'"))
            }
        }
        let bootID = file("/proc/sys/kernel/random/boot_id") ?? "unknown"
        return HostFacts(hostname: hostname, machineID: machineID, os: os, bootID: bootID)
    }

    /// The OCSF `device` for this host.
    public var device: Device { Device(hostname: hostname, uid: machineID, os: os) }
}
