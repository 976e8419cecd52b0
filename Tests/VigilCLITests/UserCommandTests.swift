import Foundation
import Testing

/// `vigil server user …` run as a real process (the password comes on standard input).
@Suite struct UserCommandTests {
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vigil").path
    }

    static func run(_ arguments: [String], stdin: String = "") throws -> (code: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        let error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test func addListDisable() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            Issue.record("\(Self.binary) is missing; build with 'swift build --build-tests'")
            return
        }
        let directory = NSTemporaryDirectory() + "vigil-users-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = "sqlite:\(directory)/vigil.db"
        let added = try Self.run(
            ["server", "user", "add", "alice", "--role", "admin", "--store", store, "--password-stdin"],
            stdin: "a long passphrase 2026\n")
        #expect(added.code == 0, "\(added.err)")
        #expect(added.out.contains("otpauth://totp/Vigil:alice?secret="))
        #expect(added.out.contains("&issuer=Vigil"))
        #expect(!added.out.contains("a long passphrase"))
        let again = try Self.run(
            ["server", "user", "add", "alice", "--role", "admin", "--store", store, "--password-stdin"],
            stdin: "a long passphrase 2026\n")
        #expect(again.code == 1)
        #expect(again.err.contains("already exists"))
        let weak = try Self.run(
            ["server", "user", "add", "bob", "--role", "analyst", "--store", store, "--password-stdin"],
            stdin: "short\n")
        #expect(weak.code == 1)
        #expect(weak.err.contains("12 characters"))
        #expect(try Self.run(["server", "user", "add", "bob", "--role", "analyst", "--store", store]).code == 2)
        #expect(
            try Self.run(["server", "user", "add", "bob", "--role", "root", "--store", store, "--password-stdin"]).code
                == 2)
        #expect(try Self.run(["server", "user", "list", "--store", store]).out == "alice\tadmin\tactive\n")
        // The last enabled admin cannot be disabled.
        let last = try Self.run(["server", "user", "disable", "alice", "--store", store])
        #expect(last.code == 1)
        #expect(last.err.contains("last enabled admin"))
        let bob = try Self.run(
            ["server", "user", "add", "bob", "--role", "analyst", "--store", store, "--password-stdin"],
            stdin: "another passphrase 7")
        #expect(bob.code == 0, "\(bob.err)")
        #expect(try Self.run(["server", "user", "disable", "bob", "--store", store]).code == 0)
        #expect(
            try Self.run(["server", "user", "list", "--store", store]).out
                == "alice\tadmin\tactive\nbob\tanalyst\tdisabled\n")
        #expect(try Self.run(["server", "user", "disable", "nobody", "--store", store]).code == 1)
        // `vigil server` itself still takes its options.
        #expect(try Self.run(["server", "--bogus"]).code == 2)
        #expect(try Self.run(["server", "--notify-syslog", "ftp://x", "--store", store]).code == 2)
    }
}
