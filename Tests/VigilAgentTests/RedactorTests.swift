import Testing
import VigilAgent

@Suite struct RedactorTests {
    static let redactor = Redactor()

    /// Card numbers that must be masked to first six, stars, last four.
    static let cards: [(String, String)] = [
        ("4111 1111 1111 1111", "411111******1111"),
        ("4111-1111-1111-1111", "411111******1111"),
        ("4111111111111111", "411111******1111"),
        ("5555 5555 5555 4444", "555555******4444"),
        ("5105105105105100", "510510******5100"),
        ("2223003122003222", "222300******3222"),
        ("3782 822463 10005", "378282*****0005"),
        ("378282246310005", "378282*****0005"),
        ("36227206271667", "362272****1667"),
        ("3530111333300000", "353011******0000"),
        ("6011111111111117", "601111******1117"),
        ("6200000000000005", "620000******0005"),
        ("4222222222222", "422222***2222"),
        ("4000000000000000006", "400000*********0006"),
        ("pay --card=4111111111111111 now", "pay --card=411111******1111 now"),
        ("card:4012888888881881.", "card:401288******1881."),
        ("número 4111111111111111 ✓", "número 411111******1111 ✓"),
        ("a 4111111111111111\n5555555555554444 b", "a 411111******1111\n555555******4444 b"),
        ("'4111111111111111'", "'411111******1111'"),
        // A card number followed by its expiry or CVV must not hide inside a longer, non-Luhn run.
        ("4111 1111 1111 1111 12/25", "411111******1111 12/25"),
        ("4111 1111 1111 1111 123", "411111******1111 123"),
        ("4111111111111111 123", "411111******1111 123"),
    ]

    @Test(arguments: cards)
    func cardNumbersAreMasked(input: String, expected: String) {
        #expect(Self.redactor.redact(input) == expected)
        #expect(Redactor.maskCardNumbers(input) == expected)
    }

    /// Digit runs that are not card numbers: left exactly as they were.
    static let notCards: [String] = [
        // Fail Luhn.
        "4111 1111 1111 1112", "4111111111111112", "1234567890123456",
        // Timestamps: ISO, syslog, epoch seconds, Luhn-valid epoch milliseconds and nanoseconds.
        "2026-12-03T18:50:07.123Z", "2026-12-03 18:50:07", "Dec  3 18:50:07", "ts=1764787800002",
        "1764787800010 1764787800028", "time=1764787800000000002", "audit(1764787800.002:4242)",
        // UUIDs and hashes.
        "123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000",
        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
        "sha256:4111111111111111aa", "git 4111111111111111abc",
        // Order numbers, IP addresses, versions, ports.
        "order 100234567890", "order #41111111", "10.0.0.255", "192.168.100.200:8080", "fe80::1ff:fe23:4567:890a",
        "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16", "v4.1.11.1.111.111", "linux-image-6.1.0-41111111111111111-amd64",
        // Runs of 20 or more digits, including ones that begin with a card number.
        "41111111111111111111", "12345678901234567890123", "4111111111111111000000",
        // Too short.
        "411111111111", "4111 1111 1111",
        // Touching letters.
        "x4111111111111111", "4111111111111111x", "id_4111111111111111z",
        "",
    ]

    @Test(arguments: notCards)
    func nonCardsAreLeftAlone(input: String) {
        #expect(Self.redactor.redact(input) == input)
    }

    /// A secret in context: the redacted text and the raw secret that must be gone.
    static let secrets: [(String, String, String)] = [
        ("mysqldump --password=hunter2 shop", "mysqldump --password=******** shop", "hunter2"),
        ("mysql --password hunter2 shop", "mysql --password ******** shop", "hunter2"),
        ("tool --passwd=hunter2", "tool --passwd=********", "hunter2"),
        ("mysql -u root -phunter2 shop", "mysql -u root -p******** shop", "hunter2"),
        ("/usr/bin/mysql -h db -phunter2", "/usr/bin/mysql -h db -p********", "hunter2"),
        ("sshpass -p hunter2 ssh bob@host", "sshpass -p ******** ssh bob@host", "hunter2"),
        ("curl -u bob:hunter2 https://api.example.com", "curl -u bob:******** https://api.example.com", "hunter2"),
        ("curl --user bob:hunter2 https://x", "curl --user bob:******** https://x", "hunter2"),
        (
            #"curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln" https://x"#,
            #"curl -H "Authorization: Bearer ********" https://x"#, "eyJhbGciOiJIUzI1NiJ9"
        ),
        ("Authorization: Basic Ym9iOmh1bnRlcjI=", "Authorization: Basic ********", "Ym9iOmh1bnRlcjI="),
        (
            "git clone https://bob:hunter2@github.com/x/y.git", "git clone https://bob:********@github.com/x/y.git",
            "hunter2"
        ),
        ("psql postgres://app:s3cr3t@db:5432/shop", "psql postgres://app:********@db:5432/shop", "s3cr3t"),
        ("aws s3 ls --key AKIAIOSFODNN7EXAMPLE", "aws s3 ls --key ********", "AKIAIOSFODNN7EXAMPLE"),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = ********", "wJalrXUtnFEMI"
        ),
        (
            "echo -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7x\n-----END RSA PRIVATE KEY----- done",
            "echo ******** done", "MIIEowIBAAKCAQEA7x"
        ),
        (
            "cat <<< '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA",
            "cat <<< '********", "b3BlbnNzaC1rZXktdjE"
        ),
        ("FOO_TOKEN=abc123def ./run.sh", "FOO_TOKEN=******** ./run.sh", "abc123def"),
        ("DB_PASSWORD=hunter2 ./app", "DB_PASSWORD=******** ./app", "hunter2"),
        ("env GITHUB_TOKEN='ghp_abc123' make", "env GITHUB_TOKEN='********' make", "ghp_abc123"),
        ("APP_SECRET=\"s3cr3t\" run", "APP_SECRET=\"********\" run", "s3cr3t"),
        ("STRIPE_API_KEY=sk_live_123 node app", "STRIPE_API_KEY=******** node app", "sk_live_123"),
        // Card and secret together.
        (
            "charge --token=tok_9 --card 4111111111111111",
            "charge --token=******** --card 411111******1111", "tok_9"
        ),
    ]

    @Test(arguments: secrets)
    func secretsAreMasked(input: String, expected: String, secret: String) {
        let output = Self.redactor.redact(input)
        #expect(output == expected)
        #expect(!output.contains(secret))
        // Redacting twice changes nothing more.
        #expect(Self.redactor.redact(output) == output)
    }

    /// Look-alikes of secret syntax that hold no secret.
    static let notSecrets: [String] = [
        "ls -la /etc", "mkdir -p /tmp/x", "ssh -p 2222 bob@host", "tar -xpf backup.tar", "mysql -u root -p",
        "curl -u bob https://x", "curl https://example.com/path?q=1&page=2", "echo PASSWORD", "grep -i token README",
        "python3 -m http.server 8000", "/usr/sbin/sshd -D -o PasswordAuthentication=no",
    ]

    @Test(arguments: notSecrets)
    func lookAlikesAreLeftAlone(input: String) {
        #expect(Self.redactor.redact(input) == input)
    }

    @Test(arguments: [
        ("4111111111111111", true), ("4111111111111112", false), ("79927398713", true), ("0", true),
        ("378282246310005", true), ("378282246310006", false),
    ])
    func luhn(digits: String, valid: Bool) {
        #expect(Redactor.luhn(Array(digits.utf8)) == valid)
    }

    /// Command lines any local user can start, built to make a backtracking pattern quadratic: the agent
    /// redacts every command line on its one scan thread, so a slow redaction blinds the sensor. Each is
    /// 128 KiB (one argument's limit, MAX_ARG_STRLEN). The time limit is a hang guard, not a measurement.
    static let hostileLines: [String: String] = [
        "one long word": String(repeating: "a", count: 128 << 10),
        "base64 blob": String(repeating: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTEx", count: (128 << 10) / 40),
        "mysql repeated": String(repeating: "mysql x ", count: (128 << 10) / 8),
        "sshpass repeated": String(repeating: "sshpass x ", count: (128 << 10) / 10),
        "schemes repeated": String(repeating: "a://b:c", count: (128 << 10) / 7),
        "curl users repeated": String(repeating: "-u a", count: (128 << 10) / 4),
        "key headers repeated": String(repeating: "-----BEGIN RSA PRIVATE KEY----- ", count: (128 << 10) / 32),
        "tokens repeated": String(repeating: "A_TOKEN ", count: (128 << 10) / 8),
        "digits and spaces": String(repeating: "4 ", count: 64 << 10),
    ]

    @Test(.timeLimit(.minutes(1)), arguments: hostileLines.keys.sorted())
    func hostileLongLinesAreRedactedWithoutBlowingUp(name: String) throws {
        let line = try #require(Self.hostileLines[name])
        let output = Self.redactor.redact(line)
        #expect(!output.isEmpty)
    }

    @Test func aSecretAfterALongWordIsStillMasked() {
        let input = String(repeating: "x", count: 60) + "https://bob:hunter2@db.example.com/x"
        #expect(
            Self.redactor.redact(input) == String(repeating: "x", count: 60) + "https://bob:********@db.example.com/x")
    }

    @Test func noiseAndHugeLinesDoNotTrap() {
        var state: UInt64 = 42
        var bytes: [UInt8] = []
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            bytes.append(UInt8(truncatingIfNeeded: state >> 40))
        }
        let noise = String(decoding: bytes, as: UTF8.self)
        _ = Self.redactor.redact(noise)
        let digits = String(repeating: "4111 1111 1111 1111 ", count: 2000)
        let masked = Self.redactor.redact(digits)
        #expect(!masked.contains("4111 1111 1111 1111"))
    }
}
