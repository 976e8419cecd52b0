import Foundation
import VigilCore

/// A zip archive read from bytes in memory (APPNOTE 6.3: central directory, ZIP64, stored and DEFLATE).
///
/// Pure: it opens no file and writes none. Reading the central directory checks the whole layout before
/// any entry is inflated — one disk only, the directory ending where the end record begins, every local
/// header agreeing with its directory entry, entries inside the archive and not overlapping one another
/// (zip bombs that share data between entries are refused), the entry count and the declared total under
/// `ZipLimits` — and throws a `ZipError` naming the archive, the entry and the offset. Reading an entry
/// then refuses encrypted entries, other compression methods, duplicate names, sizes or ratios over the
/// limits, streams that inflate to more or less than declared, and a CRC-32 that does not match.
public struct ZipArchive: Sendable {
    /// The archive's name in errors (its path).
    public let name: String
    public let data: Data
    public let limits: ZipLimits
    public let entries: [ZipEntry]

    /// Reads the central directory of `data`.
    public init(_ data: Data, name: String, limits: ZipLimits = ZipLimits()) throws(ZipError) {
        self.name = name
        self.data = data
        self.limits = limits
        var result: Result<[ZipEntry], ZipError> = .success([])
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            do throws(ZipError) {
                result = .success(try Layout(raw: raw, archive: name, limits: limits).entries())
            } catch { result = .failure(error) }
        }
        entries = try result.get()
    }

    /// The uncompressed bytes of `entry`, checked against its declared size and CRC-32.
    public func contents(of entry: ZipEntry) throws(ZipError) -> [UInt8] {
        precondition(
            entry.index < entries.count && entries[entry.index] == entry, "contents(of:) takes an entry of this archive"
        )
        let label = entry.displayName
        func failure(_ code: String, _ message: String) -> ZipError {
            ZipError(
                code: code, message: message,
                location: ErrorLocation(file: name, field: label, offset: entry.localHeaderOffset))
        }
        if entry.isEncrypted {
            throw failure(
                "zip.encrypted",
                "is encrypted; Vigil reads no encrypted entries (use the archive as published, without a password)")
        }
        if entry.isDuplicate {
            throw failure(
                "zip.duplicate-name",
                "has the same name as another entry; tools disagree on which copy counts, so neither is read")
        }
        guard entry.method == 0 || entry.method == 8 else {
            throw failure(
                "zip.method",
                "uses compression method \(entry.method), which Vigil does not read (only 0, stored, and 8, DEFLATE); re-create the archive with DEFLATE"
            )
        }
        guard entry.uncompressedSize <= limits.maxEntrySize else {
            throw failure(
                "zip.entry-too-large",
                "declares \(entry.uncompressedSize) bytes, over the limit of \(limits.maxEntrySize) per entry; refused before inflating"
            )
        }
        if entry.uncompressedSize > limits.ratioFloor
            && entry.uncompressedSize / max(entry.compressedSize, 1) >= limits.maxRatio
        {
            throw failure(
                "zip.ratio",
                "declares \(entry.uncompressedSize) bytes from \(entry.compressedSize) compressed, a ratio over the limit of \(limits.maxRatio):1; refused as a likely zip bomb"
            )
        }
        var result: Result<[UInt8], ZipError> = .success([])
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let input = UnsafeRawBufferPointer(
                rebasing: raw[entry.dataOffset..<entry.dataOffset + entry.compressedSize])
            if entry.method == 0 {
                result =
                    entry.compressedSize == entry.uncompressedSize
                    ? .success([UInt8](input))
                    : .failure(
                        failure(
                            "zip.size-mismatch",
                            "is stored with \(entry.compressedSize) bytes but declares \(entry.uncompressedSize); the archive is damaged"
                        ))
                return
            }
            do throws(ZipError) {
                result = .success(try Inflate.inflate(input, size: entry.uncompressedSize))
            } catch {
                result = .failure(error.placed(archive: name, entry: label, dataOffset: entry.dataOffset))
            }
        }
        let bytes = try result.get()
        let crc = CRC32.checksum(bytes)
        guard crc == entry.crc32 else {
            throw failure(
                "zip.crc",
                "has CRC-32 \(Self.hex(crc)) but the archive records \(Self.hex(entry.crc32)); the archive is corrupt (fetch it again)"
            )
        }
        return bytes
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// The parsing of an archive's layout, over its bytes.
struct Layout {
    let raw: UnsafeRawBufferPointer
    let archive: String
    let limits: ZipLimits

    func u16(_ at: Int) -> Int { Int(raw[at]) | Int(raw[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    /// A 64-bit field, clamped to Int.max (every check compares it with the archive's size).
    func u64(_ at: Int) -> Int {
        let value = UInt64(u32(at)) | UInt64(u32(at + 4)) << 32
        return Int(clamping: value)
    }

    func error(_ code: String, _ message: String, entry: String? = nil, offset: Int? = nil) -> ZipError {
        ZipError(code: code, message: message, location: ErrorLocation(file: archive, field: entry, offset: offset))
    }

    /// The central directory's entries, each checked against its local header.
    func entries() throws(ZipError) -> [ZipEntry] {
        let size = raw.count
        guard size >= 22 else {
            throw error(
                "zip.not-zip", "is \(size) bytes, too short for a zip archive; it is not one, or it was cut short")
        }
        // The end of central directory record: the last one whose comment reaches exactly the end.
        var record = -1
        var at = size - 22
        while at >= max(0, size - 22 - 0xFFFF) {
            if u32(at) == 0x0605_4B50 && at + 22 + u16(at + 20) == size {
                record = at
                break
            }
            at -= 1
        }
        guard record >= 0 else {
            throw error(
                "zip.no-end-record",
                "has no end of central directory record; it is not a zip archive, or it was cut short (fetch it again)")
        }
        var disk = u16(record + 4)
        var directoryDisk = u16(record + 6)
        var diskEntries = u16(record + 8)
        var count = u16(record + 10)
        var directorySize = u32(record + 12)
        var directoryOffset = u32(record + 16)
        var end = record
        if record >= 20 && u32(record - 20) == 0x0706_4B50 {
            // ZIP64: the locator points at the ZIP64 end record, which holds the 64-bit values.
            let zip64 = u64(record - 12)
            guard u32(record - 16) == 0, u32(record - 4) <= 1, zip64 <= record - 20 - 56, u32(zip64) == 0x0606_4B50
            else {
                throw error(
                    "zip.zip64", "has a ZIP64 locator that points to no ZIP64 end record; the archive is damaged",
                    offset: record - 20)
            }
            guard u64(zip64 + 4) >= 44, u64(zip64 + 4) == record - 20 - zip64 - 12 else {
                throw error(
                    "zip.zip64", "has a ZIP64 end record whose size does not reach its locator; the archive is damaged",
                    offset: zip64)
            }
            disk = u32(zip64 + 16)
            directoryDisk = u32(zip64 + 20)
            diskEntries = u64(zip64 + 24)
            count = u64(zip64 + 32)
            directorySize = u64(zip64 + 40)
            directoryOffset = u64(zip64 + 48)
            end = zip64
        }
        guard disk == 0, directoryDisk == 0, diskEntries == count else {
            throw error(
                "zip.multi-disk",
                "is one part of a split (multi-disk) archive, which Vigil does not read; join the parts first (zip -s 0)",
                offset: record)
        }
        guard count <= limits.maxEntries else {
            throw error(
                "zip.too-many-entries",
                "declares \(count) entries, over the limit of \(limits.maxEntries); refused before reading them",
                offset: record)
        }
        guard directoryOffset <= end, directorySize == end - directoryOffset else {
            throw error(
                "zip.central-directory",
                "declares a central directory of \(directorySize) bytes at offset \(directoryOffset), which does not end where the end record begins (\(end)); the archive is damaged, cut, or has data prepended",
                offset: record)
        }
        guard count <= directorySize / 46 else {
            throw error(
                "zip.central-directory",
                "declares \(count) entries in a central directory of \(directorySize) bytes, too small for them; the archive is damaged",
                offset: directoryOffset)
        }
        var entries: [ZipEntry] = []
        entries.reserveCapacity(count)
        var names: [String: Int] = [:]
        var total = 0
        var position = directoryOffset
        for index in 0..<count {
            let start = position
            var entry = try directoryEntry(at: &position, index: index, end: end)
            let name = start + 46..<start + 46 + u16(start + 28)
            try checkLocalHeader(&entry, name: name, directoryEnd: directoryOffset)
            guard entry.uncompressedSize <= limits.maxTotalSize - total else {
                throw error(
                    "zip.total-limit",
                    "declares more than \(limits.maxTotalSize) uncompressed bytes in all (reached at this entry); refused before inflating",
                    entry: entry.displayName, offset: entry.localHeaderOffset)
            }
            total += entry.uncompressedSize
            names[entry.name, default: 0] += 1
            entries.append(entry)
        }
        guard position == end else {
            throw error(
                "zip.central-directory",
                "has \(end - position) bytes in its central directory after the last of its \(count) entries; the archive is damaged",
                offset: position)
        }
        for index in entries.indices where names[entries[index].name, default: 0] > 1 {
            entries[index].isDuplicate = true
        }
        try checkOverlaps(entries)
        return entries
    }

    /// One central directory header at `position`, which moves past it.
    func directoryEntry(at position: inout Int, index: Int, end: Int) throws(ZipError) -> ZipEntry {
        let start = position
        guard start <= end - 46, u32(start) == 0x0201_4B50 else {
            throw error(
                "zip.central-directory",
                "has no header for entry \(index) of its central directory; the archive is damaged", offset: start)
        }
        let nameLength = u16(start + 28)
        let extraLength = u16(start + 30)
        let commentLength = u16(start + 32)
        guard nameLength + extraLength + commentLength <= end - start - 46 else {
            throw error(
                "zip.central-directory",
                "has a header for entry \(index) that runs past its central directory; the archive is damaged",
                offset: start)
        }
        let nameStart = start + 46
        var entry = ZipEntry(
            index: index,
            name: String(
                decoding: UnsafeRawBufferPointer(rebasing: raw[nameStart..<nameStart + nameLength]), as: UTF8.self),
            flags: UInt16(u16(start + 8)), method: UInt16(u16(start + 10)), crc32: UInt32(u32(start + 16)),
            compressedSize: u32(start + 20), uncompressedSize: u32(start + 24), localHeaderOffset: u32(start + 42),
            dataOffset: 0, isDuplicate: false)
        var diskStart = u16(start + 34)
        // The ZIP64 extended information field holds, in this order, the values saturated in the header.
        var field = nameStart + nameLength
        let extraEnd = field + extraLength
        while field + 4 <= extraEnd {
            let id = u16(field)
            let length = u16(field + 2)
            guard length <= extraEnd - field - 4 else {
                throw error(
                    "zip.central-directory", "has an extra field that runs past its header; the archive is damaged",
                    entry: entry.displayName, offset: field)
            }
            if id == 0x0001 {
                var value = field + 4
                let valueEnd = value + length
                func next(_ width: Int) throws(ZipError) -> Int {
                    guard value + width <= valueEnd else {
                        throw error(
                            "zip.zip64", "has a ZIP64 field too short for the sizes its header leaves to it",
                            entry: entry.displayName, offset: field)
                    }
                    defer { value += width }
                    return width == 8 ? u64(value) : u32(value)
                }
                if entry.uncompressedSize == 0xFFFF_FFFF { entry.uncompressedSize = try next(8) }
                if entry.compressedSize == 0xFFFF_FFFF { entry.compressedSize = try next(8) }
                if entry.localHeaderOffset == 0xFFFF_FFFF { entry.localHeaderOffset = try next(8) }
                if diskStart == 0xFFFF { diskStart = try next(4) }
            }
            field += 4 + length
        }
        guard diskStart == 0 else {
            throw error(
                "zip.multi-disk", "starts on disk \(diskStart) of a split archive; join the parts first (zip -s 0)",
                entry: entry.displayName, offset: start)
        }
        position = start + 46 + nameLength + extraLength + commentLength
        return entry
    }

    /// Checks that the local header of `entry` agrees with its directory entry (`name`: the bytes of its
    /// name there) and that its data lies before the central directory; sets `dataOffset`.
    func checkLocalHeader(_ entry: inout ZipEntry, name: Range<Int>, directoryEnd: Int) throws(ZipError) {
        let local = entry.localHeaderOffset
        let label = entry.displayName
        guard local <= directoryEnd - 30, u32(local) == 0x0403_4B50 else {
            throw error(
                "zip.local-header", "has no local header at offset \(local); the archive is damaged", entry: label,
                offset: local)
        }
        let nameLength = u16(local + 26)
        let extraLength = u16(local + 28)
        guard nameLength + extraLength <= directoryEnd - local - 30 else {
            throw error(
                "zip.local-header", "has a local header that runs into the central directory; the archive is damaged",
                entry: label, offset: local)
        }
        let flags = u16(local + 6)
        var disagreement: String?
        if !raw[local + 30..<local + 30 + nameLength].elementsEqual(raw[name]) {
            disagreement = "its local header names it differently"
        } else if u16(local + 8) != entry.method || flags & 0x41 != Int(entry.flags) & 0x41 {
            disagreement = "its local header gives another compression method or encryption"
        } else if flags & 0x08 == 0 {
            // Without a data descriptor the local header carries the CRC and sizes (or ZIP64's 0xFFFFFFFF).
            let crc = u32(local + 14)
            let compressed = u32(local + 18)
            let uncompressed = u32(local + 22)
            if crc != Int(entry.crc32) || (compressed != 0xFFFF_FFFF && compressed != entry.compressedSize)
                || (uncompressed != 0xFFFF_FFFF && uncompressed != entry.uncompressedSize)
            {
                disagreement =
                    "its local header declares CRC \(ZipArchive.hex(UInt32(crc))), \(compressed) compressed and \(uncompressed) uncompressed bytes, the central directory \(ZipArchive.hex(entry.crc32)), \(entry.compressedSize) and \(entry.uncompressedSize)"
            }
        }
        if let disagreement {
            throw error(
                "zip.local-header", "\(disagreement); the archive is damaged or hostile (refused)", entry: label,
                offset: local)
        }
        let data = local + 30 + nameLength + extraLength
        guard entry.compressedSize <= directoryEnd - data else {
            throw error(
                "zip.truncated",
                "declares \(entry.compressedSize) compressed bytes at offset \(data), past the start of the central directory; the archive is damaged",
                entry: label, offset: local)
        }
        entry.dataOffset = data
    }

    /// Refuses entries whose bytes (local header and data) overlap another entry's.
    func checkOverlaps(_ entries: [ZipEntry]) throws(ZipError) {
        let spans = entries.map { ($0.localHeaderOffset, $0.dataOffset + $0.compressedSize, $0.index) }
            .sorted { $0.0 < $1.0 }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.0 < previous.1 {
            throw error(
                "zip.overlap",
                "shares bytes \(next.0)…\(previous.1 - 1) with entry '\(entries[previous.2].displayName)'; overlapping entries are how non-recursive zip bombs multiply their output, so the archive is refused",
                entry: entries[next.2].displayName, offset: next.0)
        }
    }
}
