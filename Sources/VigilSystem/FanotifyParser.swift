/// One event read from a fanotify descriptor, decoded from `struct fanotify_event_metadata` and its
/// information records.
public struct FanotifyRecord: Sendable, Hashable {
    /// A `fanotify_event_info_fid` record: which object (a directory, for DFID_NAME) and the entry name.
    public struct FileID: Sendable, Hashable {
        /// `FAN_EVENT_INFO_TYPE_*` (1 FID, 2 DFID_NAME, 3 DFID, 10 OLD_DFID_NAME, 12 NEW_DFID_NAME).
        public var type: UInt8
        /// The file system id (`__kernel_fsid_t`), 8 bytes.
        public var fsid: UInt64
        /// The whole `struct file_handle` (handle_bytes, handle_type, f_handle), ready for open_by_handle_at.
        public var handle: [UInt8]
        /// The entry name for DFID_NAME records; nil for plain FID/DFID records.
        public var name: [UInt8]?
    }

    public var mask: UInt64
    /// The event's file descriptor (`FAN_NOFD` = -1 for groups reporting file ids).
    public var fd: Int32
    public var pid: Int32
    public var fileIDs: [FileID]
}

/// Decodes the bytes of one `read(2)` from a fanotify descriptor. Pure: malformed input is counted,
/// never trusted (every length is checked against what is left).
public enum FanotifyParser {
    /// `FAN_EVENT_METADATA_LEN`.
    static let metadataLength = 24
    static let supportedVersion: UInt8 = 3

    /// The events in `bytes`, and how many bytes at the end could not be decoded.
    public static func parse(_ bytes: [UInt8]) -> (records: [FanotifyRecord], malformedBytes: Int) {
        var records: [FanotifyRecord] = []
        var offset = 0
        while bytes.count - offset >= metadataLength {
            let eventLength = Int(u32(bytes, offset))
            let metadataLength = Int(u16(bytes, offset + 6))
            guard eventLength >= Self.metadataLength, eventLength <= bytes.count - offset,
                metadataLength >= Self.metadataLength, metadataLength <= eventLength,
                bytes[offset + 4] == supportedVersion
            else { return (records, bytes.count - offset) }
            var record = FanotifyRecord(
                mask: u64(bytes, offset + 8), fd: Int32(bitPattern: u32(bytes, offset + 16)),
                pid: Int32(bitPattern: u32(bytes, offset + 20)), fileIDs: [])
            var info = offset + metadataLength
            let end = offset + eventLength
            while end - info >= 4 {
                let type = bytes[info]
                let length = Int(u16(bytes, info + 2))
                guard length >= 4, length <= end - info else { break }
                if [1, 2, 3, 10, 12].contains(type), let id = fileID(bytes, info, length, type: type) {
                    record.fileIDs.append(id)
                }
                info += length
            }
            records.append(record)
            offset = end
        }
        return (records, bytes.count - offset)
    }

    /// header (4) + fsid (8) + file_handle (8 + handle_bytes) [+ name, NUL-terminated].
    private static func fileID(_ bytes: [UInt8], _ start: Int, _ length: Int, type: UInt8) -> FanotifyRecord.FileID? {
        let handleStart = start + 12
        guard length >= 20 else { return nil }
        let handleBytes = Int(u32(bytes, handleStart))
        let handleEnd = handleStart + 8 + handleBytes
        guard handleBytes <= 128, handleEnd <= start + length else { return nil }
        var name: [UInt8]?
        if type == 2 || type == 10 || type == 12 {
            let rest = bytes[handleEnd..<(start + length)]
            name = Array(rest.prefix { $0 != 0 })
        }
        return FanotifyRecord.FileID(
            type: type, fsid: u64(bytes, start + 4), handle: Array(bytes[handleStart..<handleEnd]), name: name)
    }

    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(u16(b, at)) | UInt32(u16(b, at + 2)) << 16 }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32 }
}
