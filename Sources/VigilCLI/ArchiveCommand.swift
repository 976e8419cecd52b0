import Foundation
import VigilCore
import VigilLedger

extension Commands {
    /// `vigil archive`: the tamper-evident archive (RFC 9162 Merkle log, C2SP signed checkpoints).
    static var archive: CommandSpec {
        CommandSpec(
            name: "archive",
            summary: "Tamper-evident archive: append entries, sign checkpoints, verify and prove offline.",
            usage: "archive <command> [options]",
            discussion: """
                An archive is a directory holding entries, the hashes of an RFC 9162 Merkle tree over them, and
                checkpoints signed as C2SP signed notes (Ed25519). Anyone with the .vkey file can check that no
                entry was altered, removed, inserted or reordered. Format: Documentation/archive-format.md.
                """,
            examples: [
                "vigil archive keygen --name example.com/audit --out audit",
                "vigil archive append ./archive --key audit.key events.ndjson",
                "vigil archive verify ./archive --vkey audit.vkey",
                "vigil archive prove ./archive --index 41 > entry41.tlog-proof",
                "vigil archive check-proof entry41.tlog-proof --vkey audit.vkey",
            ],
            subcommands: [
                archiveKeygen, archiveAppend, archiveVerify, archiveProve, archiveCheckProof, archiveConsistency,
                archiveCosign,
            ]
        )
    }

    static var archiveKeygen: CommandSpec {
        CommandSpec(
            name: "keygen",
            summary: "Make an Ed25519 signing key (PREFIX.key, mode 0600) and its verifier key (PREFIX.vkey).",
            usage: "archive keygen --name ORIGIN --out PREFIX",
            discussion: "ORIGIN names the log in every checkpoint, e.g. example.com/audit (no spaces, no '+').",
            examples: ["vigil archive keygen --name example.com/audit --out /etc/vigil/audit"],
            exitCodes: [(1, "the name is invalid or a key file already exists")],
            options: [
                OptionSpec("name", .value(placeholder: "ORIGIN"), help: "The log's origin and key name."),
                OptionSpec("out", .value(placeholder: "PREFIX"), help: "Write PREFIX.key and PREFIX.vkey."),
                OptionSpec("cosigner", help: "Make a witness key (tlog-cosignature/v1, type 0x04) for 'cosign'."),
            ],
            run: { arguments in
                let prefix = try arguments.required("out")
                let signer = try NoteSignerKey.generate(
                    name: try arguments.required("name"), type: arguments.flag("cosigner") ? .cosignatureV1 : .ed25519)
                try KeyFiles.write(signer, prefix: prefix)
                Output.out("wrote \(prefix).key (secret, mode 0600) and \(prefix).vkey:\n\(signer.verifier)")
                return 0
            }
        )
    }

    static var archiveAppend: CommandSpec {
        CommandSpec(
            name: "append",
            summary: "Append each line of FILE (or standard input) as one entry and sign a new checkpoint.",
            usage: "archive append DIR --key PREFIX.key [FILE] [--batch N]",
            discussion: """
                Creates DIR if it does not exist. Lines are split on newline only and kept byte for byte.
                Entries are written in batches, each synced to disk; then a checkpoint is signed and printed.
                Before appending, the stored tree must match the latest checkpoint (O(log n) reads). Entries are
                not re-read: an altered entry stays detectable by verify, since new roots build on recorded hashes.
                """,
            examples: [
                "vigil archive append ./archive --key audit.key events.ndjson",
                "journalctl -o json | vigil archive append ./archive --key audit.key",
            ],
            exitCodes: [(1, "the key or archive is unusable, or the archive does not match its checkpoint")],
            options: [
                OptionSpec("key", .value(placeholder: "FILE"), help: "The signing key file from keygen."),
                OptionSpec("batch", .value(placeholder: "N"), help: "Entries per synced batch (default 1000)."),
            ],
            arguments: ["DIR", "FILE?"],
            run: { arguments in
                let signer = try KeyFiles.readSigner(try arguments.required("key"))
                let batch = try arguments.integer("batch", default: 1000)
                guard batch > 0 else { throw UsageError("--batch must be at least 1", path: arguments.path) }
                let writer = try ArchiveWriter(directory: arguments.positionals[0], signer: signer, batchSize: batch)
                if writer.recoveredEntries > 0 {
                    Output.err(
                        "vigil: cut off \(writer.recoveredEntries) unsigned entries of an interrupted append "
                            + "(their bytes or hashes never reached the disk); append them again if you still have them"
                    )
                }
                let fd: Int32
                if arguments.positionals.count > 1 && arguments.positionals[1] != "-" {
                    fd = open(arguments.positionals[1], O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else {
                        throw UsageError(
                            "cannot open \(arguments.positionals[1]): \(String(cString: strerror(errno)))",
                            path: arguments.path)
                    }
                } else {
                    fd = STDIN_FILENO
                }
                defer { if fd != STDIN_FILENO { close(fd) } }
                try writer.appendLines(fileDescriptor: fd)
                let note = try writer.finish()
                Output.write(String(decoding: note.bytes, as: UTF8.self), to: STDOUT_FILENO)
                return 0
            }
        )
    }

    static var archiveVerify: CommandSpec {
        CommandSpec(
            name: "verify",
            summary: "Check every entry against every checkpoint, every signature, and the stored tree.",
            usage: "archive verify DIR --vkey FILE… [--json]",
            discussion: """
                Names the first entry index or checkpoint that fails and why: modified, missing, reordered,
                extra, truncated, forked-history, bad-signature, unknown-key or malformed.
                """,
            examples: [
                "vigil archive verify ./archive --vkey audit.vkey",
                "vigil archive verify ./archive --vkey audit.vkey --json",
            ],
            exitCodes: [(1, "the archive is not intact, or a key or the directory is unusable")],
            options: [
                OptionSpec("vkey", .repeated(placeholder: "FILE"), help: "A trusted verifier key (file or text)."),
                OptionSpec("json", help: "Print the report as JSON."),
            ],
            arguments: ["DIR"],
            run: { arguments in
                let keys = try verifierKeys(arguments)
                let report = try Archive.verify(directory: arguments.positionals[0], keys: keys)
                if arguments.flag("json") {
                    Output.out(try JSON.line(report))
                } else if report.intact {
                    let latest = report.checkpoints.last
                    Output.out(
                        "intact: \(report.entries) entries, \(report.checkpoints.count) checkpoints"
                            + (latest.map {
                                ", latest size \($0.size) root \($0.root) signed by \($0.signers.joined(separator: ", "))"
                            } ?? ""))
                } else {
                    for failure in report.failures.prefix(20) { Output.out("FAILED \(failure)") }
                }
                if let first = report.failures.first {
                    Output.err("vigil: \(arguments.positionals[0]) is not intact: \(first)")
                    return 1
                }
                return 0
            }
        )
    }

    static var archiveProve: CommandSpec {
        CommandSpec(
            name: "prove",
            summary: "Write a self-contained proof (c2sp.org/tlog-proof@v1) that one entry is in the archive.",
            usage: "archive prove DIR --index N [--out FILE]",
            discussion: "The proof holds the entry, its inclusion proof and the latest signed checkpoint covering it.",
            examples: ["vigil archive prove ./archive --index 41 --out entry41.tlog-proof"],
            exitCodes: [(1, "no checkpoint covers the entry, or the archive cannot be read")],
            options: [
                OptionSpec("index", .value(placeholder: "N"), help: "The entry's index, from 0."),
                OptionSpec("out", .value(placeholder: "FILE"), help: "Write the proof here instead of stdout."),
            ],
            arguments: ["DIR"],
            run: { arguments in
                let index = try arguments.integer("index", default: -1)
                guard index >= 0 else { throw UsageError("--index N is required (0 or more)", path: arguments.path) }
                let bundle = try Archive.prove(directory: arguments.positionals[0], index: UInt64(index))
                if let out = arguments.value("out") {
                    guard FileManager.default.createFile(atPath: out, contents: Data(bundle.bytes)) else {
                        throw UsageError("cannot write \(out); check the path", path: arguments.path)
                    }
                } else {
                    Output.write(String(decoding: bundle.bytes, as: UTF8.self), to: STDOUT_FILENO)
                }
                return 0
            }
        )
    }

    static var archiveCheckProof: CommandSpec {
        CommandSpec(
            name: "check-proof",
            summary: "Verify a proof file offline with the log's verifier key.",
            usage: "archive check-proof FILE --vkey FILE… [--json]",
            examples: ["vigil archive check-proof entry41.tlog-proof --vkey audit.vkey"],
            exitCodes: [(1, "the proof is malformed, not signed by a trusted key, or does not verify")],
            options: [
                OptionSpec("vkey", .repeated(placeholder: "FILE"), help: "A trusted verifier key (file or text)."),
                OptionSpec("json", help: "Print the result as JSON."),
            ],
            arguments: ["FILE"],
            run: { arguments in
                let keys = try verifierKeys(arguments)
                guard let data = FileManager.default.contents(atPath: arguments.positionals[0]) else {
                    throw UsageError("cannot read \(arguments.positionals[0]); check the path", path: arguments.path)
                }
                let bundle = try ProofBundle(parsing: Array(data))
                let (checkpoint, verification) = try bundle.verify(keys: keys)
                let signers = verification.signers.map(\.key.name)
                if arguments.flag("json") {
                    Output.out(
                        try JSON.line(
                            ProofResult(
                                index: bundle.index, treeSize: checkpoint.size, origin: checkpoint.origin,
                                root: Base64.encode(checkpoint.root.bytes), signers: signers,
                                entry: Base64.encode(bundle.entry))))
                } else {
                    Output.out(
                        "verified: entry \(bundle.index) (\(bundle.entry.count) bytes) is in \(checkpoint.origin) "
                            + "at tree size \(checkpoint.size), signed by \(signers.joined(separator: ", "))")
                }
                return 0
            }
        )
    }

    static var archiveConsistency: CommandSpec {
        CommandSpec(
            name: "consistency",
            summary: "Print the consistency proof between two tree sizes, with both roots.",
            usage: "archive consistency DIR --from SIZE1 --to SIZE2 [--json]",
            discussion: "Text output: the two roots, then one base64 hash per line (RFC 9162 §2.1.4 order).",
            examples: ["vigil archive consistency ./archive --from 1000 --to 2000"],
            exitCodes: [(1, "the sizes are out of order, zero, or beyond the archive")],
            options: [
                OptionSpec("from", .value(placeholder: "SIZE1"), help: "The earlier tree size (1 or more)."),
                OptionSpec("to", .value(placeholder: "SIZE2"), help: "The later tree size."),
                OptionSpec("json", help: "Print as JSON."),
            ],
            arguments: ["DIR"],
            run: { arguments in
                let from = try arguments.integer("from", default: -1)
                let to = try arguments.integer("to", default: -1)
                guard from >= 0, to >= 0 else {
                    throw UsageError("--from and --to are required (tree sizes)", path: arguments.path)
                }
                let result = try Archive.consistency(
                    directory: arguments.positionals[0], from: UInt64(from), to: UInt64(to))
                let proof = result.proof.map { Base64.encode($0.bytes) }
                if arguments.flag("json") {
                    Output.out(
                        try JSON.line(
                            ConsistencyResult(
                                from: UInt64(from), to: UInt64(to), root1: Base64.encode(result.root1.bytes),
                                root2: Base64.encode(result.root2.bytes), proof: proof)))
                } else {
                    let roots =
                        "root \(from) \(Base64.encode(result.root1.bytes))\nroot \(to) \(Base64.encode(result.root2.bytes))"
                    Output.out(([roots] + proof).joined(separator: "\n"))
                }
                return 0
            }
        )
    }

    static var archiveCosign: CommandSpec {
        CommandSpec(
            name: "cosign",
            summary:
                "Verify the archive, then add a witness's (or second signer's) signature to its latest checkpoint.",
            usage: "archive cosign DIR --key WITNESS.key --vkey LOG.vkey…",
            discussion: """
                A witness key (keygen --cosigner) adds a C2SP tlog-cosignature/v1 stamped with the current time;
                an ordinary key adds a second Ed25519 signature. 'verify' with both --vkey options lists both signers.
                """,
            examples: [
                "vigil archive keygen --cosigner --name witness.example/w1 --out w1",
                "vigil archive cosign ./archive --key w1.key --vkey audit.vkey",
            ],
            exitCodes: [(1, "the archive does not verify with the log's keys, or a key is unusable")],
            options: [
                OptionSpec("key", .value(placeholder: "FILE"), help: "The witness's signing key file."),
                OptionSpec("vkey", .repeated(placeholder: "FILE"), help: "The log's verifier key (file or text)."),
            ],
            arguments: ["DIR"],
            run: { arguments in
                let signer = try KeyFiles.readSigner(try arguments.required("key"))
                let note = try Archive.cosign(
                    directory: arguments.positionals[0], signer: signer, trusted: try verifierKeys(arguments),
                    timestamp: UInt64(max(0, Date().timeIntervalSince1970)))
                Output.write(String(decoding: note.bytes, as: UTF8.self), to: STDOUT_FILENO)
                return 0
            }
        )
    }

    /// The `--vkey` keys; at least one is required.
    private static func verifierKeys(_ arguments: ParsedArguments) throws -> [NoteVerifierKey] {
        let given = arguments.all("vkey")
        guard !given.isEmpty else { throw UsageError("missing required option --vkey", path: arguments.path) }
        return try given.map { try KeyFiles.readVerifier($0) }
    }
}

/// `check-proof --json` output.
private struct ProofResult: Encodable {
    var index: UInt64
    var treeSize: UInt64
    var origin: String
    var root: String
    var signers: [String]
    var entry: String
}

/// `consistency --json` output.
private struct ConsistencyResult: Encodable {
    var from: UInt64
    var to: UInt64
    var root1: String
    var root2: String
    var proof: [String]
}
