import Foundation
import Testing
import VigilTestSupport

@testable import VigilCLI

/// `vigil archive` end to end, in-process: exit codes for intact and tampered archives and for bad input.
struct ArchiveCommandTests {
    /// A fresh working directory with a key pair and an archive of `lines` entries.
    static func setUp(lines: Int = 30) async throws -> String {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        #expect(await CLI.run(["archive", "keygen", "--name", "test.example/cli", "--out", "\(work)/k"]) == 0)
        let input = (0..<lines).map { "line \($0)\n" }.joined()
        try input.write(toFile: "\(work)/in.txt", atomically: true, encoding: .utf8)
        #expect(await CLI.run(["archive", "append", "\(work)/a", "--key", "\(work)/k.key", "\(work)/in.txt"]) == 0)
        return work
    }

    @Test func keyFileIsPrivate() async throws {
        let work = try await Self.setUp(lines: 1)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(work)/k.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // Never overwritten.
        #expect(await CLI.run(["archive", "keygen", "--name", "x", "--out", "\(work)/k"]) == 1)
    }

    @Test func intactArchiveVerifiesAndProofsCheck() async throws {
        let work = try await Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(await CLI.run(["archive", "verify", "\(work)/a", "--vkey", "\(work)/k.vkey"]) == 0)
        #expect(await CLI.run(["archive", "verify", "\(work)/a", "--vkey", "\(work)/k.vkey", "--json"]) == 0)
        #expect(await CLI.run(["archive", "prove", "\(work)/a", "--index", "7", "--out", "\(work)/p"]) == 0)
        #expect(await CLI.run(["archive", "check-proof", "\(work)/p", "--vkey", "\(work)/k.vkey"]) == 0)
        #expect(await CLI.run(["archive", "consistency", "\(work)/a", "--from", "3", "--to", "30"]) == 0)
    }

    @Test func aWitnessCosignsAndVerifyNamesBothSigners() async throws {
        let work = try await Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let keygen = ["archive", "keygen", "--cosigner", "--name", "witness.example/w1", "--out", "\(work)/w"]
        #expect(await CLI.run(keygen) == 0)
        let cosign = ["archive", "cosign", "\(work)/a", "--key", "\(work)/w.key", "--vkey", "\(work)/k.vkey"]
        #expect(await CLI.run(cosign) == 0)
        let note = try String(contentsOfFile: "\(work)/a/checkpoints/00000000000000000030.checkpoint", encoding: .utf8)
        #expect(note.contains("\u{2014} witness.example/w1 "))
        #expect(note.contains("\u{2014} test.example/cli "))
        let both = ["archive", "verify", "\(work)/a", "--vkey", "\(work)/k.vkey", "--vkey", "\(work)/w.vkey"]
        #expect(await CLI.run(both) == 0)
        #expect(await CLI.run(["archive", "verify", "\(work)/a", "--vkey", "\(work)/w.vkey"]) == 0)
        // Tampered archives are not cosigned.
        var entries = try Data(contentsOf: URL(fileURLWithPath: "\(work)/a/entries"))
        entries[3] ^= 1
        try entries.write(to: URL(fileURLWithPath: "\(work)/a/entries"))
        #expect(await CLI.run(cosign) == 1)
    }

    @Test func tamperedArchiveFails() async throws {
        let work = try await Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: work) }
        var entries = try Data(contentsOf: URL(fileURLWithPath: "\(work)/a/entries"))
        entries[12] ^= 1
        try entries.write(to: URL(fileURLWithPath: "\(work)/a/entries"))
        #expect(await CLI.run(["archive", "verify", "\(work)/a", "--vkey", "\(work)/k.vkey"]) == 1)
        // Appending builds on the recorded hashes, not the altered entry: a new checkpoint does not hide it.
        #expect(await CLI.run(["archive", "append", "\(work)/a", "--key", "\(work)/k.key", "\(work)/in.txt"]) == 0)
        #expect(await CLI.run(["archive", "verify", "\(work)/a", "--vkey", "\(work)/k.vkey"]) == 1)
        // An altered tree is refused before anything is written.
        var tree = try Data(contentsOf: URL(fileURLWithPath: "\(work)/a/tree"))
        tree[tree.count - 1] ^= 1
        try tree.write(to: URL(fileURLWithPath: "\(work)/a/tree"))
        #expect(await CLI.run(["archive", "append", "\(work)/a", "--key", "\(work)/k.key", "\(work)/in.txt"]) == 1)
    }

    @Test func badInputIsAOneLineErrorWithExitOne() async throws {
        let work = try await Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(await CLI.run(["archive", "prove", "\(work)/a", "--index", "7", "--out", "\(work)/p"]) == 0)
        let proof = try Data(contentsOf: URL(fileURLWithPath: "\(work)/p"))
        try proof.prefix(proof.count / 2).write(to: URL(fileURLWithPath: "\(work)/truncated"))
        var corrupted = proof
        corrupted[40] ^= 0x02
        try corrupted.write(to: URL(fileURLWithPath: "\(work)/corrupted"))
        try Data((0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(
            to: URL(fileURLWithPath: "\(work)/garbage"))
        #expect(await CLI.run(["archive", "keygen", "--name", "test.example/other", "--out", "\(work)/o"]) == 0)
        let vkey = try String(contentsOfFile: "\(work)/k.vkey", encoding: .utf8)
        // A '+' in place of the key part's first character (the type byte's): never the same key.
        let parts = vkey.split(separator: "+", maxSplits: 2)
        let plusInBase64 = "\(parts[0])+\(parts[1])++\(parts[2].dropFirst())"
        let cases: [[String]] = [
            ["archive", "check-proof", "\(work)/truncated", "--vkey", "\(work)/k.vkey"],
            ["archive", "check-proof", "\(work)/corrupted", "--vkey", "\(work)/k.vkey"],
            ["archive", "check-proof", "\(work)/garbage", "--vkey", "\(work)/k.vkey"],
            ["archive", "check-proof", "\(work)/p", "--vkey", "\(work)/o.vkey"],
            ["archive", "check-proof", "\(work)/p", "--vkey", String(plusInBase64)],
            ["archive", "check-proof", "\(work)/p", "--vkey", "\(work)/garbage"],
            ["archive", "verify", "\(work)/a", "--vkey", "\(work)/o.vkey"],
            ["archive", "verify", "\(work)/nope", "--vkey", "\(work)/k.vkey"],
            ["archive", "append", "\(work)/b", "--key", "\(work)/k.vkey", "\(work)/in.txt"],
            ["archive", "prove", "\(work)/a", "--index", "30"],
            ["archive", "consistency", "\(work)/a", "--from", "0", "--to", "3"],
            ["archive", "consistency", "\(work)/a", "--from", "5", "--to", "31"],
        ]
        for arguments in cases {
            #expect(await CLI.run(arguments) == 1, "\(arguments)")
        }
        // Garbage instead of a checkpoint.
        try Data("garbage\n".utf8).write(
            to: URL(fileURLWithPath: "\(work)/a/checkpoints/00000000000000000030.checkpoint"))
        #expect(await CLI.run(["archive", "verify", "\(work)/a", "--vkey", "\(work)/k.vkey"]) == 1)
    }

    @Test func usageErrorsExitTwo() async {
        #expect(await CLI.run(["archive", "verify"]) == 2)
        #expect(await CLI.run(["archive", "prove", "dir"]) == 2)
        #expect(await CLI.run(["archive", "verify", "dir"]) == 2)
        #expect(await CLI.run(["archive", "frobnicate"]) == 2)
        #expect(await CLI.run(["archive", "--help"]) == 0)
    }
}
