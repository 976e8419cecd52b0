import Foundation
import VigilYAML

/// What loading a set of rule files produced: the rules that loaded, and diagnostics kept apart by severity.
public struct RuleLoadResult: Sendable {
    public var rules: [SigmaRule] = []
    public var correlations: [CorrelationRule] = []
    public var diagnostics: [RuleDiagnostic] = []

    public init() {}

    public var errors: [RuleDiagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [RuleDiagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// Adds another result's rules and diagnostics (correlations are linked again by `SigmaLoader.link`).
    public mutating func merge(_ other: RuleLoadResult) {
        rules += other.rules
        correlations += other.correlations
        diagnostics += other.diagnostics
    }
}

/// Loads Sigma rule files in stages: read (YAML) → parse (structure, metadata, `action: global`
/// collections) → compile (values, modifiers, condition) → link (correlations to the rules they name).
///
/// Pure: it takes text, not paths to open. Each problem becomes a `RuleDiagnostic` with file:line:column
/// and the rule's title; a rule with an error is left out, a rule with warnings is kept.
public enum SigmaLoader {
    /// Rule files larger than this are refused before parsing.
    public static let maxFileBytes = 4 * 1024 * 1024

    /// Loads several files and links their correlations together.
    public static func load(_ files: [(text: String, file: String)]) -> RuleLoadResult {
        var result = RuleLoadResult()
        for item in files { result.merge(loadFile(item.text, file: item.file)) }
        link(&result)
        return result
    }

    /// Loads one file (one or more YAML documents) without linking correlations.
    public static func loadFile(_ text: String, file: String) -> RuleLoadResult {
        var result = RuleLoadResult()
        let size = text.utf8.count
        guard size <= maxFileBytes else {
            result.diagnostics.append(
                RuleDiagnostic(
                    .error, .read, code: "sigma.file-too-large",
                    message:
                        "the rule file is \(size) bytes, over the \(maxFileBytes)-byte limit; split it into smaller files",
                    file: file, line: 1, column: 1))
            return result
        }
        let documents: [YAMLNode]
        do {
            documents = try YAMLParser.parse(text, file: file)
        } catch let error as YAMLError {
            result.diagnostics.append(
                RuleDiagnostic(
                    .error, .read, code: error.code, message: error.message, file: file, line: error.mark?.line ?? 1,
                    column: error.mark?.column ?? 1))
            return result
        } catch {
            result.diagnostics.append(
                RuleDiagnostic(.error, .read, code: "yaml.error", message: "\(error)", file: file, line: 1, column: 1))
            return result
        }
        var global: YAMLNode?
        var previous: YAMLNode?
        for document in documents {
            if document.isNull { continue }
            guard document.mapping != nil else {
                result.diagnostics.append(
                    RuleDiagnostic(
                        .error, .parse, code: "sigma.not-a-mapping",
                        message: "a Sigma rule is a mapping of keys (title, detection, …), not a \(document.kindName)",
                        file: file, line: document.mark.line, column: document.mark.column))
                continue
            }
            var doc = document
            switch document["action"]?.scalar {
            case "global":
                global = merged(global, stripAction(document))
                continue
            case "reset":
                global = nil
                continue
            case "repeat":
                guard let previous else {
                    result.diagnostics.append(
                        RuleDiagnostic(
                            .error, .parse, code: "sigma.repeat-first",
                            message: "'action: repeat' needs a rule document before it", file: file,
                            line: document.mark.line, column: document.mark.column))
                    continue
                }
                doc = merged(previous, stripAction(document))
            case nil:
                if let global { doc = merged(global, document) }
            case let other?:
                let mark = document["action"]?.mark ?? document.mark
                result.diagnostics.append(
                    RuleDiagnostic(
                        .error, .parse, code: "sigma.unknown-action",
                        message: "unknown 'action: \(other)'; use global, reset or repeat", file: file,
                        line: mark.line, column: mark.column))
                continue
            }
            previous = doc
            var builder = RuleBuilder(file: file, document: doc)
            builder.build(into: &result)
        }
        return result
    }

    /// Resolves each correlation's rule references (by id or name) among `result.rules`; a reference
    /// that names nothing is an error and drops the correlation.
    public static func link(_ result: inout RuleLoadResult) {
        var known: [String: String] = [:]
        for rule in result.rules {
            if let id = rule.metadata.id { known[id] = rule.metadata.key }
            if let name = rule.metadata.name { known[name] = rule.metadata.key }
        }
        var linked: [CorrelationRule] = []
        for var correlation in result.correlations {
            var keys: [String] = []
            var missing: [String] = []
            for ref in correlation.ruleRefs {
                if let key = known[ref] { keys.append(key) } else { missing.append(ref) }
            }
            if !missing.isEmpty {
                let origin = correlation.metadata.origin
                result.diagnostics.append(
                    RuleDiagnostic(
                        .error, .link, code: "sigma.unknown-rule-reference",
                        message: "the correlation names \(missing.map { "'\($0)'" }.joined(separator: ", ")), "
                            + "which no loaded rule has as id or name; load that rule too or fix the reference",
                        file: origin.file, line: origin.line, column: origin.column,
                        ruleTitle: correlation.metadata.title))
                continue
            }
            correlation.ruleKeys = keys
            linked.append(correlation)
        }
        result.correlations = linked
    }

    static func stripAction(_ node: YAMLNode) -> YAMLNode {
        guard let pairs = node.mapping else { return node }
        return YAMLNode(kind: .mapping(pairs.filter { $0.key.scalar != "action" }), mark: node.mark, tag: node.tag)
    }

    /// Deep-merges two mappings: keys of `overlay` replace or extend those of `base`.
    static func merged(_ base: YAMLNode?, _ overlay: YAMLNode) -> YAMLNode {
        guard let base, var pairs = base.mapping, let extra = overlay.mapping else { return overlay }
        for pair in extra {
            if let i = pairs.firstIndex(where: { $0.key.scalar == pair.key.scalar }) {
                pairs[i].value = merged(pairs[i].value, pair.value)
            } else {
                pairs.append(pair)
            }
        }
        return YAMLNode(kind: .mapping(pairs), mark: overlay.mark, tag: overlay.tag)
    }
}
