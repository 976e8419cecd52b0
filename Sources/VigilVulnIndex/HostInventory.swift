import Foundation
import VigilCore
import VigilStore
import VigilVuln

/// Reads the package databases under a root directory (`/` for this host, or a mounted image):
/// `etc/os-release`, `var/lib/dpkg/status`, `lib/apk/db/installed`, `var/lib/rpm/rpmdb.sqlite`.
public enum HostInventory {
    /// The inventory of `root`; databases that are absent are skipped, damaged records reported.
    public static func read(root: String, dpkgStatus: String? = nil) -> Inventory {
        var inventory = Inventory()
        func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
        for candidate in ["etc/os-release", "usr/lib/os-release"] {
            if let text = try? String(contentsOfFile: path(candidate), encoding: .utf8) {
                inventory.os = OSRelease.parse(text)
                break
            }
        }
        let status = dpkgStatus ?? path("var/lib/dpkg/status")
        if let data = FileManager.default.contents(atPath: status) {
            let found = DpkgStatusParser.parse(data, file: status)
            inventory.packages += found.packages
            inventory.problems += found.problems
        }
        let apk = path("lib/apk/db/installed")
        if let data = FileManager.default.contents(atPath: apk) {
            let found = APKInstalledParser.parse(data, file: apk)
            inventory.packages += found.packages
            inventory.problems += found.problems
        }
        let rpmdb = path("var/lib/rpm/rpmdb.sqlite")
        if FileManager.default.fileExists(atPath: rpmdb) {
            let found = readRPMDatabase(rpmdb)
            inventory.packages += found.packages
            inventory.problems += found.problems
        }
        return inventory
    }

    /// Reads rpm's SQLite database (`Packages(hnum, blob)`), one header per row.
    public static func readRPMDatabase(_ path: String) -> Inventory {
        var inventory = Inventory()
        do {
            let database = try SQLiteDatabase(path: path, readOnly: true)
            let statement = try database.prepare("SELECT hnum, blob FROM Packages")
            while try statement.step() {
                let row = statement.row()
                let record = "\(path) Packages hnum \(row[0].int64 ?? -1)"
                do {
                    inventory.packages.append(try RPMHeaderParser.parse(row[1].bytes ?? [], record: record))
                } catch {
                    inventory.problems.append(error)
                }
            }
        } catch let error as VigilError {
            inventory.problems.append(
                VulnError(
                    code: "rpm.database", message: "cannot read the rpm database: \(error.message)",
                    location: ErrorLocation(file: path)))
        } catch {
            inventory.problems.append(
                VulnError(
                    code: "rpm.database", message: "cannot read the rpm database.", location: ErrorLocation(file: path))
            )
        }
        return inventory
    }
}
