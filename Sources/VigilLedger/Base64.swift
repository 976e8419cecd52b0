import Foundation

/// Standard base64 (RFC 4648 §4) with padding, decoded strictly: any text that is not exactly what
/// encoding its bytes would give (whitespace, missing padding, non-zero trailing bits, URL alphabet)
/// is refused, so that every byte of a signed file matters.
public enum Base64 {
    /// The padded standard encoding of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String { Data(bytes).base64EncodedString() }

    /// The bytes `text` encodes, or nil unless `text` is canonical standard base64.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let text = String(text)
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        return Array(data)
    }
}
