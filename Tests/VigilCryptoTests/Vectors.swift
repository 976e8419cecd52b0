import Foundation
import Testing
import VigilCrypto
import VigilTestSupport

/// Test vectors read from JSON fixtures in `Fixtures/`.
struct SHA256Vector: Decodable, CustomTestStringConvertible, Sendable {
    var name: String
    var message: String
    var `repeat`: Int
    var digest: String

    var testDescription: String { name }
    var bytes: [UInt8] { Array(String(repeating: message, count: `repeat`).utf8) }

    static let all: [SHA256Vector] = load("sha256-vectors.json")
}

struct HMACVector: Decodable, CustomTestStringConvertible, Sendable {
    var name: String
    var algorithm: String
    var key: String?
    var keyByte: String?
    var keyLength: Int?
    var data: String?
    var text: String?
    var mac: String

    var testDescription: String { name }

    var keyBytes: [UInt8] {
        if let key { return Hex.decode(key) ?? [] }
        let byte = Hex.decode(keyByte ?? "")?.first ?? 0
        return [UInt8](repeating: byte, count: keyLength ?? 0)
    }

    var message: [UInt8] {
        if let data { return Hex.decode(data) ?? [] }
        return Array((text ?? "").utf8)
    }

    static let all: [HMACVector] = load("hmac-vectors.json")
}

struct TOTPVector: Decodable, CustomTestStringConvertible, Sendable {
    var time: Int64
    var algorithm: String
    var code: String

    var testDescription: String { "\(algorithm) at \(time)" }

    static let all: [TOTPVector] = load("totp-vectors.json")
}

struct ScryptVector: Decodable, CustomTestStringConvertible, Sendable {
    var name: String
    var password: String
    var salt: String
    var logN: UInt8
    var r: UInt32
    var p: UInt32
    var key: String

    var testDescription: String { name }

    static let all: [ScryptVector] = load("scrypt-vectors.json")
}

private func load<T: Decodable>(_ name: String, file: StaticString = #filePath) -> [T] {
    do {
        return try JSONDecoder().decode([T].self, from: Fixtures.data(name, file: file))
    } catch {
        // An unreadable fixture must fail loudly, not produce zero test cases.
        preconditionFailure("fixture \(name) could not be read: \(error)")
    }
}

struct Ed25519Vector: Decodable, CustomTestStringConvertible, Sendable {
    var name: String
    var secret: String
    var `public`: String
    var message: String
    var signature: String

    var testDescription: String { name }

    static let all: [Ed25519Vector] = load("ed25519-rfc8032.json")
}
