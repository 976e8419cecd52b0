import Testing
import VigilFIM
import VigilSystem
import VigilTestSupport

@Suite struct FIMConfigTests {
    @Test func readsEveryKey() throws {
        let config = try FIMConfig.load(yaml: try Fixtures.string("config-good.yaml"), file: "good.yaml")
        #expect(config.schedule == "0 3 * * 0")
        #expect(
            config.rules.map(\.path.description) == [
                "/etc", "/var/log", "/opt/app", "/usr/bin", "/tmp/odd\\nname\\xff",
            ])
        #expect(config.rules[0].exclude == ["*.swp", "/etc/mtab"])
        #expect(config.rules[1].checks == AttributeGroup.log)
        #expect(config.rules[1].depth == 2)
        #expect(config.rules[2].checks.attributes == AttributeGroup.permissions.attributes.union([.sha256]))
        #expect(config.rules[3].checks == AttributeGroup.all)
        #expect(config.rules[4].path.bytes == Array("/tmp/odd\nname".utf8) + [0xFF])
        #expect(config.isSensitive(BytePath("/srv/cards/x")))
        #expect(config.isSensitive(BytePath("/opt/app/key")))
        #expect(!config.isSensitive(BytePath("/opt/application")))
        #expect(config.rule(for: BytePath("/var/log/syslog"))?.groupName == "log")
    }

    @Test func theBuiltInDefaultParses() {
        let config = FIMConfig.linuxDefault
        #expect(config.rule(for: BytePath("/etc/passwd"))?.groupName == "all")
        #expect(config.rule(for: BytePath("/var/log/auth.log"))?.checks.growOnly == true)
        #expect(config.isSensitive(BytePath("/etc/shadow")))
        #expect(config.isSensitive(BytePath("/root/.ssh/authorized_keys")))
    }

    /// (YAML, error code, field, line)
    static let bad: [(String, String, String, Int)] = [
        ("paths:\n  - path: /etc\n    grup: all\n", "config.unknown-key", "paths[0].grup", 3),
        ("paths:\n  - path: /etc\n    group: contents\n", "config.unknown-group", "paths[0].group", 3),
        ("paths:\n  - path: etc\n", "config.path", "paths[0].path", 2),
        ("paths:\n  - path: /etc\n    depth: -1\n", "config.type", "paths[0].depth", 3),
        ("paths:\n  - path: /etc\n    depth: deep\n", "config.type", "paths[0].depth", 3),
        ("paths:\n  - path: /etc\n    sensitive: maybe\n", "config.type", "paths[0].sensitive", 3),
        ("paths:\n  - path: /etc\n    exclude: '*.swp'\n", "config.type", "paths[0].exclude", 3),
        ("paths:\n  - group: all\n", "config.missing-key", "paths[0].path", 2),
        ("version: 2\npaths: [/etc]\n", "config.version", "version", 1),
        ("schedule: weekly\n", "config.missing-key", "paths", 1),
        ("paths: []\n", "config.type", "paths", 1),
        ("paths: [/etc, /etc]\n", "config.duplicate-path", "paths[1].path", 1),
        ("paths:\n  - path: '/bad\\xZZ'\n", "config.path", "paths[0].path", 2),
        ("pahts: [/etc]\n", "config.unknown-key", "pahts", 1),
        ("- /etc\n", "config.type", "", 1),
        ("sensitive: /etc/shadow\npaths: [/etc]\n", "config.type", "sensitive", 1),
    ]

    @Test(arguments: 0..<bad.count)
    func invalidConfigNamesTheKey(_ index: Int) {
        let (yaml, code, field, line) = Self.bad[index]
        do {
            _ = try FIMConfig.load(yaml: yaml, file: "bad.yaml")
            Issue.record("accepted: \(yaml)")
        } catch let error as FIMError {
            #expect(error.code == code, "\(error)")
            #expect(error.location?.field == field, "\(error)")
            #expect(error.location?.line == line, "\(error)")
            #expect(error.location?.file == "bad.yaml")
            #expect(error.description.hasPrefix("bad.yaml:\(line):"), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(arguments: ["", "paths: [", "\u{0}\u{1}\u{2}", String(repeating: "[", count: 5000), "a: b\n---\nc: d\n"])
    func garbageIsAnErrorNotACrash(_ text: String) {
        #expect(throws: FIMError.self) { try FIMConfig.load(yaml: text) }
    }

    @Test func groupsParse() {
        if case .success(let set) = AttributeGroup.parse("permissions + sha256") {
            #expect(set.contains(.sha256) && set.contains(.mode) && !set.contains(.mtime))
        } else {
            Issue.record("permissions+sha256 did not parse")
        }
        if case .failure(let unknown) = AttributeGroup.parse("all+md5") {
            #expect(unknown.name == "md5")
        } else {
            Issue.record("md5 was accepted")
        }
        for set in [AttributeGroup.all, AttributeGroup.log, AttributeGroup.content, AttributeSet([])] {
            #expect(AttributeSet(rawValue: set.rawValue) == set)
        }
    }

    @Test func everyAttributeHasOneRowInTheTable() {
        #expect(AttributeSpec.all.map(\.attribute) == Attribute.allCases)
    }
}
