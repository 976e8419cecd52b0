import Foundation

/// Reads OSV records in one pass over the bytes, building only `OSVRecord`s (no JSON tree).
///
/// It gives up (nil) on whatever it would not read exactly as `OSVRecord(JSONValue)` does: invalid
/// JSON, a member the loader uses given twice in one object (the tree takes the first), a member name
/// with an escape, a root that is not an array or object. The caller then reads the tree, so errors and
/// edge cases keep their single definition there. Strings and skipped values go through
/// `JSONValue.Reader`, so they are decoded and validated the same way.
struct OSVStreamReader {
    var reader: JSONValue.Reader

    struct GiveUp: Error {}

    /// The records of an OSV file (an array of records, or one record), or nil to read the tree instead.
    static func records(_ data: Data) -> [OSVRecord]? {
        data.withUnsafeBytes { raw -> [OSVRecord]? in
            var stream = OSVStreamReader(reader: JSONValue.Reader(bytes: raw.bindMemory(to: UInt8.self)))
            do {
                stream.reader.skipSpace()
                var records: [OSVRecord] = []
                if stream.peek == UInt8(ascii: "[") {
                    if try stream.beginArray() {
                        repeat {
                            records.append(try stream.record(depth: 1))
                        } while try stream.next(close: UInt8(ascii: "]"))
                    }
                } else if stream.peek == UInt8(ascii: "{") {
                    records.append(try stream.record(depth: 0))
                } else {
                    return nil
                }
                stream.reader.skipSpace()
                guard stream.reader.position == stream.reader.bytes.count else { return nil }
                return records
            } catch {
                return nil
            }
        }
    }

    var peek: UInt8? { reader.position < reader.bytes.count ? reader.bytes[reader.position] : nil }

    /// Consumes `[` (at the current byte) and the space after; false when the array is empty (`]` consumed).
    mutating func beginArray() throws(GiveUp) -> Bool {
        reader.position += 1
        reader.skipSpace()
        if peek == UInt8(ascii: "]") {
            reader.position += 1
            return false
        }
        reader.skipSpace()
        return true
    }

    /// Consumes `{`; false when the object is empty (`}` consumed).
    mutating func beginObject() throws(GiveUp) -> Bool {
        reader.position += 1
        reader.skipSpace()
        if peek == UInt8(ascii: "}") {
            reader.position += 1
            return false
        }
        return true
    }

    /// After a member or item: true on `,` (another follows), false on `close`.
    mutating func next(close: UInt8) throws(GiveUp) -> Bool {
        reader.skipSpace()
        guard let byte = peek else { throw GiveUp() }
        reader.position += 1
        if byte == UInt8(ascii: ",") {
            reader.skipSpace()
            return true
        }
        guard byte == close else { throw GiveUp() }
        return false
    }

    /// A member name and its `:`; the name's bytes as written (a name with an escape gives up).
    mutating func key() throws(GiveUp) -> UnsafeBufferPointer<UInt8> {
        reader.skipSpace()
        guard peek == UInt8(ascii: "\"") else { throw GiveUp() }
        let start = reader.position + 1
        var end = start
        while end < reader.bytes.count {
            let byte = reader.bytes[end]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { throw GiveUp() }
            end += 1
        }
        guard end < reader.bytes.count else { throw GiveUp() }
        reader.position = end + 1
        reader.skipSpace()
        guard peek == UInt8(ascii: ":") else { throw GiveUp() }
        reader.position += 1
        reader.skipSpace()
        return UnsafeBufferPointer(rebasing: reader.bytes[start..<end])
    }

    /// Skips (and validates) one value.
    mutating func skip(depth: Int) throws(GiveUp) {
        do {
            _ = try reader.value(depth: depth)
        } catch {
            throw GiveUp()
        }
    }

    /// A string value, or nil (skipping the value) when it is another kind.
    mutating func string(depth: Int) throws(GiveUp) -> String? {
        guard peek == UInt8(ascii: "\"") else {
            try skip(depth: depth)
            return nil
        }
        do {
            return try reader.string()
        } catch {
            throw GiveUp()
        }
    }

    /// Marks member `bit` seen; a member seen twice gives up (the tree keeps the first).
    static func see(_ bit: UInt32, _ seen: inout UInt32) throws(GiveUp) {
        guard seen & bit == 0 else { throw GiveUp() }
        seen |= bit
    }

    static func equals(_ name: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard name.count == word.utf8CodeUnitCount else { return false }
        for index in 0..<name.count where name[index] != word.utf8Start[index] { return false }
        return true
    }

    /// The items of an array value of strings (other items skipped); nil when the value is not an array.
    mutating func strings(depth: Int) throws(GiveUp) -> [String]? {
        guard peek == UInt8(ascii: "[") else {
            try skip(depth: depth)
            return nil
        }
        var items: [String] = []
        if try beginArray() {
            repeat {
                if let text = try string(depth: depth + 1) { items.append(text) }
            } while try next(close: UInt8(ascii: "]"))
        }
        return items
    }

    /// Calls `member` for each member of an object value, with a name and the member's depth; false when
    /// the value is not an object (skipped).
    mutating func members(
        depth: Int, _ member: (inout OSVStreamReader, UnsafeBufferPointer<UInt8>) throws(GiveUp) -> Void
    ) throws(GiveUp) -> Bool {
        guard peek == UInt8(ascii: "{") else {
            try skip(depth: depth)
            return false
        }
        guard depth + 1 < JSONValue.Reader.maxDepth else { throw GiveUp() }
        if try beginObject() {
            repeat {
                let name = try key()
                try member(&self, name)
            } while try next(close: UInt8(ascii: "}"))
        }
        return true
    }

    /// Calls `item` for each item of an array value; false when the value is not an array (skipped).
    mutating func items(
        depth: Int, _ item: (inout OSVStreamReader, Int) throws(GiveUp) -> Void
    ) throws(GiveUp) -> Bool {
        guard peek == UInt8(ascii: "[") else {
            try skip(depth: depth)
            return false
        }
        guard depth + 1 < JSONValue.Reader.maxDepth else { throw GiveUp() }
        var index = 0
        if try beginArray() {
            repeat {
                try item(&self, index)
                index += 1
            } while try next(close: UInt8(ascii: "]"))
        }
        return true
    }

    /// One record value at `depth` (an object; any other value is a record without an id).
    mutating func record(depth: Int) throws(GiveUp) -> OSVRecord {
        var record = OSVRecord()
        var seen: UInt32 = 0
        var databaseSeverity: String?
        _ = try members(depth: depth) { stream, name throws(GiveUp) in
            let inner = depth + 1
            if Self.equals(name, "id") {
                try Self.see(1, &seen)
                record.id = try stream.string(depth: inner)
            } else if Self.equals(name, "withdrawn") {
                try Self.see(2, &seen)
                record.withdrawn = try stream.string(depth: inner) != nil
            } else if Self.equals(name, "aliases") {
                try Self.see(4, &seen)
                record.aliases = try stream.strings(depth: inner) ?? []
            } else if Self.equals(name, "severity") {
                try Self.see(8, &seen)
                _ = try stream.items(depth: inner) { stream, index throws(GiveUp) in
                    guard index == 0 else { return try stream.skip(depth: inner + 1) }
                    var itemSeen: UInt32 = 0
                    _ = try stream.members(depth: inner + 1) { stream, name throws(GiveUp) in
                        guard Self.equals(name, "score") else { return try stream.skip(depth: inner + 2) }
                        try Self.see(1, &itemSeen)
                        record.severity = try stream.string(depth: inner + 2)
                    }
                }
            } else if Self.equals(name, "database_specific") {
                try Self.see(16, &seen)
                var specificSeen: UInt32 = 0
                _ = try stream.members(depth: inner) { stream, name throws(GiveUp) in
                    guard Self.equals(name, "severity") else { return try stream.skip(depth: inner + 1) }
                    try Self.see(1, &specificSeen)
                    databaseSeverity = try stream.string(depth: inner + 1)
                }
            } else if Self.equals(name, "affected") {
                try Self.see(32, &seen)
                _ = try stream.items(depth: inner) { stream, _ throws(GiveUp) in
                    record.affected.append(try stream.affected(depth: inner + 1))
                }
            } else {
                try stream.skip(depth: inner)
            }
        }
        record.severity = record.severity ?? databaseSeverity
        return record
    }

    /// One `affected` item.
    mutating func affected(depth: Int) throws(GiveUp) -> OSVRecord.Affected {
        var affected = OSVRecord.Affected()
        var seen: UInt32 = 0
        _ = try members(depth: depth) { stream, name throws(GiveUp) in
            let inner = depth + 1
            if Self.equals(name, "package") {
                try Self.see(1, &seen)
                var packageSeen: UInt32 = 0
                _ = try stream.members(depth: inner) { stream, name throws(GiveUp) in
                    if Self.equals(name, "name") {
                        try Self.see(1, &packageSeen)
                        affected.name = try stream.string(depth: inner + 1)
                    } else if Self.equals(name, "ecosystem") {
                        try Self.see(2, &packageSeen)
                        affected.ecosystem = try stream.string(depth: inner + 1)
                    } else {
                        try stream.skip(depth: inner + 1)
                    }
                }
            } else if Self.equals(name, "ranges") {
                try Self.see(2, &seen)
                _ = try stream.items(depth: inner) { stream, _ throws(GiveUp) in
                    var rangeSeen: UInt32 = 0
                    var type: String?
                    var events: [OSVRecord.Event] = []
                    _ = try stream.members(depth: inner + 1) { stream, name throws(GiveUp) in
                        if Self.equals(name, "type") {
                            try Self.see(1, &rangeSeen)
                            type = try stream.string(depth: inner + 2)
                        } else if Self.equals(name, "events") {
                            try Self.see(2, &rangeSeen)
                            _ = try stream.items(depth: inner + 2) { stream, _ throws(GiveUp) in
                                events.append(try stream.event(depth: inner + 3))
                            }
                        } else {
                            try stream.skip(depth: inner + 2)
                        }
                    }
                    if type == "ECOSYSTEM" { affected.ranges.append(events) }
                }
            } else if Self.equals(name, "versions") {
                try Self.see(4, &seen)
                affected.versions = try stream.strings(depth: inner) ?? []
            } else {
                try stream.skip(depth: inner)
            }
        }
        return affected
    }

    /// One range event (any value; a non-object has no event names).
    mutating func event(depth: Int) throws(GiveUp) -> OSVRecord.Event {
        var event = OSVRecord.Event()
        var seen: UInt32 = 0
        _ = try members(depth: depth) { stream, name throws(GiveUp) in
            if Self.equals(name, "introduced") {
                try Self.see(1, &seen)
                event.introduced = try stream.string(depth: depth + 1)
            } else if Self.equals(name, "fixed") {
                try Self.see(2, &seen)
                event.fixed = try stream.string(depth: depth + 1)
            } else if Self.equals(name, "last_affected") {
                try Self.see(4, &seen)
                event.lastAffected = try stream.string(depth: depth + 1)
            } else if Self.equals(name, "limit") {
                try Self.see(8, &seen)
                event.limit = try stream.string(depth: depth + 1)
            } else {
                try stream.skip(depth: depth + 1)
            }
        }
        return event
    }
}
