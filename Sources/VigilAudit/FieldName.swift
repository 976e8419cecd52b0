/// Field names the parser, interpretation and normalizer look for, interned to one byte at parse time so
/// that finding a field compares bytes instead of strings. Every other name is `.other`.
enum FieldName: UInt8, Sendable, CaseIterable {
    case other = 0
    case uid, name, pid, exe, cwd, tty, ppid, op, nametype, id, comm, auid, acct, terminal, syscall, success, ses
    case saddr, res, ouid, objtype, mode, key, hostname, exit, euid, cmd, argc, arch, addr, sig, subj, obj, msg
    case proctitle, data, path, dir, file, ocomm, watch, vm, sw, grp
    case upperUID, upperAUID, upperEUID
    case oldAuid, loginuid, oldLoginuid, rootDir, newDisk, oldDisk

    /// The name as written in records (index = raw value).
    static let texts: [String] = [
        "", "uid", "name", "pid", "exe", "cwd", "tty", "ppid", "op", "nametype", "id", "comm", "auid", "acct",
        "terminal", "syscall", "success", "ses", "saddr", "res", "ouid", "objtype", "mode", "key", "hostname", "exit",
        "euid", "cmd", "argc", "arch", "addr", "sig", "subj", "obj", "msg", "proctitle", "data", "path", "dir", "file",
        "ocomm", "watch", "vm", "sw", "grp", "UID", "AUID", "EUID", "old-auid", "loginuid", "old-loginuid",
        "root_dir", "new-disk", "old-disk",
    ]

    var text: String { FieldName.texts[Int(rawValue)] }

    /// Open-addressing table: slot → raw value + 1 (0 = empty). 256 slots for about 50 names.
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0, count: slots)
        for name in FieldName.allCases where name != .other {
            var text = name.text
            text.withUTF8 { bytes in
                var slot = Int(hash(bytes)) & (slots - 1)
                while table[slot] != 0 { slot = (slot + 1) & (slots - 1) }
                table[slot] = name.rawValue + 1
            }
        }
        return table
    }()

    private static let slots = 256

    /// The names' bytes, for comparing without creating strings.
    private static let bytes: [[UInt8]] = texts.map { Array($0.utf8) }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h ^ (h >> 15)
    }

    /// The interned name of these bytes.
    static func intern(_ name: UnsafeBufferPointer<UInt8>) -> FieldName {
        guard name.count >= 2, name.count <= 12 else { return .other }
        var slot = Int(hash(name)) & (slots - 1)
        return table.withUnsafeBufferPointer { table in
            while true {
                let entry = table[slot]
                if entry == 0 { return .other }
                let candidate = bytes[Int(entry - 1)]
                if candidate.count == name.count,
                    candidate.withUnsafeBufferPointer({ memoryEqual(name, 0, $0) })
                {
                    return FieldName(rawValue: entry - 1) ?? .other
                }
                slot = (slot + 1) & (slots - 1)
            }
        }
    }

    /// Whether the kernel hex-encodes this field when it holds spaces, quotes or control characters:
    /// nil for fields it never encodes; `true` for fields that are never plain text when unquoted.
    var hexKind: Bool? {
        switch self {
        case .proctitle, .data: true
        case .cmd, .acct, .exe, .comm, .cwd, .name, .path, .key, .dir, .file, .ocomm, .watch, .rootDir, .newDisk,
            .oldDisk, .vm, .sw, .grp:
            false
        default: nil
        }
    }
}
