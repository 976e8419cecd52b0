import VigilCore
import VigilSystem
import VigilYAML

extension FIMConfig {
    /// Reads a configuration from YAML text:
    ///
    /// ```yaml
    /// version: 1
    /// schedule: weekly
    /// sensitive: [/etc/shadow]
    /// paths:
    ///   - path: /etc
    ///     group: all            # content | permissions | log | all | a+b+attribute
    ///     depth: 8              # optional: levels below the path (0: the path only)
    ///     exclude: ["*.swp", "/etc/mtab"]
    ///     sensitive: false
    ///   - /usr/bin              # a bare path: group `all`
    /// ```
    ///
    /// Paths may use the escapes of `BytePath.description` (`\n`, `\xff`) for names that are not text;
    /// write them in single quotes so YAML keeps the backslashes (`'/srv/odd\xff'`).
    /// `schedule` is recorded for the agent's scheduler; this module does not run anything by itself.
    /// - Throws: `FIMError` naming file:line:column and the key (`paths[2].group`), for YAML syntax
    ///   errors, unknown keys, wrong types, relative paths, unknown groups and newer versions.
    public static func load(yaml text: String, file: String? = nil) throws -> FIMConfig {
        let documents: [YAMLNode]
        do {
            documents = try YAMLParser.parse(text, file: file)
        } catch let error as YAMLError {
            throw FIMError(
                code: "config.syntax", message: "\(error.message); fix the YAML syntax", location: error.location)
        }
        guard documents.count <= 1 else {
            throw FIMError.config(
                "documents", "the file holds \(documents.count) YAML documents; keep one", file: file,
                line: documents[1].mark.line, column: documents[1].mark.column, key: "")
        }
        guard let root = documents.first, !root.isNull else {
            throw FIMError.config(
                "empty", "the configuration is empty; list at least one entry under 'paths'", file: file, line: 1,
                column: 1, key: "")
        }
        var reader = Reader(file: file)
        return try reader.config(root)
    }

    /// Reads a configuration file.
    /// - Throws: `FIMError` (`config.read` when the file cannot be read, else as `load(yaml:file:)`).
    public static func load(contentsOf path: String) throws -> FIMConfig {
        let bytes: [UInt8]
        do {
            bytes = try FileDescriptor.open(path, 0).readAll()
        } catch let error as SystemError {
            throw FIMError(
                code: "config.read", message: "cannot read the configuration: \(error.message)",
                location: ErrorLocation(file: path))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FIMError(
                code: "config.encoding", message: "the configuration is not valid UTF-8; save it as UTF-8",
                location: ErrorLocation(file: path))
        }
        return try load(yaml: text, file: path)
    }

    /// Walks the YAML tree, naming the key of anything wrong.
    private struct Reader {
        var file: String?

        func fail(_ code: String, _ message: String, _ node: YAMLNode, _ key: String) -> FIMError {
            FIMError.config(code, message, file: file, line: node.mark.line, column: node.mark.column, key: key)
        }

        func mapping(_ node: YAMLNode, _ key: String, allowed: [String]) throws -> [String: YAMLNode] {
            guard let pairs = node.mapping else {
                throw fail(
                    "type", "'\(key.isEmpty ? "the document" : key)' must be a mapping, not a \(node.kindName)",
                    node, key)
            }
            var result: [String: YAMLNode] = [:]
            for pair in pairs {
                let name = pair.key.scalar ?? ""
                let path = key.isEmpty ? name : "\(key).\(name)"
                guard allowed.contains(name) else {
                    throw fail(
                        "unknown-key",
                        "unknown key '\(name)'; the keys here are \(allowed.joined(separator: ", "))", pair.key, path)
                }
                result[name] = pair.value
            }
            return result
        }

        func string(_ node: YAMLNode, _ key: String) throws -> String {
            guard let text = node.scalar, !node.isNull else {
                throw fail("type", "'\(key)' must be a text value, not a \(node.kindName)", node, key)
            }
            return text
        }

        func path(_ node: YAMLNode, _ key: String) throws -> BytePath {
            let text = try string(node, key)
            guard let path = BytePath(escaped: text) else {
                throw fail("path", "'\(key)' has a malformed escape; use \\\\, \\n, \\t, \\r or \\xNN", node, key)
            }
            guard path.isAbsolute else {
                throw fail("path", "'\(key)' must be an absolute path (start with /), not '\(text)'", node, key)
            }
            var bytes = path.bytes
            while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
            return BytePath(bytes: bytes)
        }

        func strings(_ node: YAMLNode, _ key: String) throws -> [String] {
            guard let items = node.sequence else {
                throw fail("type", "'\(key)' must be a list, not a \(node.kindName)", node, key)
            }
            return try items.enumerated().map { try string($0.element, "\(key)[\($0.offset)]") }
        }

        mutating func config(_ root: YAMLNode) throws -> FIMConfig {
            let top = try mapping(root, "", allowed: ["version", "schedule", "sensitive", "paths"])
            if let version = top["version"] {
                guard let number = version.int else {
                    throw fail("type", "'version' must be a whole number", version, "version")
                }
                guard number <= FIMConfig.version, number >= 1 else {
                    throw fail(
                        "version",
                        "configuration version \(number) is not supported by this build (it reads version \(FIMConfig.version)); upgrade vigil or write version \(FIMConfig.version)",
                        version, "version")
                }
            }
            var config = FIMConfig(rules: [])
            if let schedule = top["schedule"] { config.schedule = try string(schedule, "schedule") }
            if let sensitive = top["sensitive"] {
                guard let items = sensitive.sequence else {
                    throw fail("type", "'sensitive' must be a list of paths", sensitive, "sensitive")
                }
                config.sensitive = try items.enumerated().map { try path($0.element, "sensitive[\($0.offset)]") }
            }
            guard let paths = top["paths"] else {
                throw fail("missing-key", "the key 'paths' is missing; list the paths to watch", root, "paths")
            }
            guard let items = paths.sequence, !items.isEmpty else {
                throw fail("type", "'paths' must be a non-empty list", paths, "paths")
            }
            for (index, item) in items.enumerated() {
                config.rules.append(try rule(item, "paths[\(index)]"))
            }
            var seen: Set<BytePath> = []
            for (index, rule) in config.rules.enumerated() where !seen.insert(rule.path).inserted {
                throw fail(
                    "duplicate-path", "the path \(rule.path) is listed twice; merge the two entries", items[index],
                    "paths[\(index)].path")
            }
            return config
        }

        func rule(_ node: YAMLNode, _ key: String) throws -> FIMRule {
            if node.scalar != nil {
                return FIMRule(path: try path(node, key), checks: AttributeGroup.all, groupName: "all")
            }
            let fields = try mapping(node, key, allowed: ["path", "group", "depth", "exclude", "sensitive"])
            guard let pathNode = fields["path"] else {
                throw fail("missing-key", "'\(key)' needs a 'path'", node, "\(key).path")
            }
            var rule = FIMRule(path: try path(pathNode, "\(key).path"), checks: AttributeGroup.all, groupName: "all")
            if let group = fields["group"] {
                let text = try string(group, "\(key).group")
                switch AttributeGroup.parse(text) {
                case .success(let set):
                    rule.checks = set
                    rule.groupName = text
                case .failure(let unknown):
                    let names = AttributeGroup.named.map(\.name) + Attribute.allCases.map(\.rawValue)
                    throw fail(
                        "unknown-group",
                        "'\(unknown.name)' is neither a group nor an attribute; use one of \(names.joined(separator: ", ")), joined with +",
                        group, "\(key).group")
                }
            }
            if let depth = fields["depth"] {
                guard let number = depth.int, number >= 0 else {
                    throw fail("type", "'\(key).depth' must be a whole number ≥ 0", depth, "\(key).depth")
                }
                rule.depth = number
            }
            if let exclude = fields["exclude"] { rule.exclude = try strings(exclude, "\(key).exclude") }
            if let sensitive = fields["sensitive"] {
                guard let flag = sensitive.bool else {
                    throw fail("type", "'\(key).sensitive' must be true or false", sensitive, "\(key).sensitive")
                }
                rule.sensitive = flag
            }
            return rule
        }
    }
}
