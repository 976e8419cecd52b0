import Foundation
import VigilYAML

/// Builds one rule (detection or correlation) from one YAML document, collecting diagnostics.
struct RuleBuilder {
    static let knownKeys: Set<String> = [
        "title", "id", "name", "status", "description", "author", "date", "modified", "tags", "references",
        "falsepositives", "level", "logsource", "detection", "fields", "related", "license", "taxonomy", "scope",
        "correlation", "generate", "action", "simulation",
    ]
    static let levels: Set<String> = ["informational", "low", "medium", "high", "critical"]

    let file: String
    let document: YAMLNode
    var title: String?
    var diagnostics: [RuleDiagnostic] = []
    var failed = false

    init(file: String, document: YAMLNode) {
        self.file = file
        self.document = document
    }

    mutating func report(
        _ severity: RuleDiagnostic.Severity, _ stage: RuleDiagnostic.Stage, _ code: String, _ message: String,
        at node: YAMLNode?, columnOffset: Int = 0
    ) {
        let mark = node?.mark ?? document.mark
        diagnostics.append(
            RuleDiagnostic(
                severity, stage, code: code, message: message, file: file, line: mark.line,
                column: mark.column + columnOffset, ruleTitle: title))
        if severity == .error { failed = true }
    }

    mutating func build(into result: inout RuleLoadResult) {
        title = document["title"]?.scalar
        if title == nil {
            report(.error, .parse, "sigma.missing-title", "the rule has no 'title'; add one", at: document)
        }
        for pair in document.mapping ?? [] {
            guard let key = pair.key.scalar else { continue }
            if !RuleBuilder.knownKeys.contains(key) {
                report(
                    .warning, .parse, "sigma.unknown-key",
                    "unknown top-level key '\(key)' is ignored; check its spelling", at: pair.key)
            }
        }
        let metadata = readMetadata()
        if let correlation = document["correlation"] {
            let rule = buildCorrelation(correlation, metadata: metadata)
            if !failed, let rule { result.correlations.append(rule) }
        } else {
            let rule = buildDetection(metadata: metadata)
            if !failed, let rule { result.rules.append(rule) }
        }
        result.diagnostics += diagnostics
    }

    mutating func readMetadata() -> RuleMetadata {
        func strings(_ key: String) -> [String] {
            guard let node = document[key] else { return [] }
            if let s = node.scalar, !node.isNull { return [s] }
            return (node.sequence ?? []).compactMap(\.scalar)
        }
        let level = document["level"]?.scalar
        if let level, !RuleBuilder.levels.contains(level) {
            report(
                .warning, .parse, "sigma.unknown-level",
                "level '\(level)' is not one of \(RuleBuilder.levels.sorted().joined(separator: ", "))",
                at: document["level"])
        }
        let origin = RuleOrigin(file: file, line: document.mark.line, column: document.mark.column)
        return RuleMetadata(
            id: document["id"]?.scalar, name: document["name"]?.scalar, title: title ?? "(untitled)",
            status: document["status"]?.scalar, level: level, description: document["description"]?.scalar,
            author: document["author"]?.scalar, tags: strings("tags"), references: strings("references"),
            falsePositives: strings("falsepositives"), origin: origin)
    }

    // MARK: Detection rules

    mutating func buildDetection(metadata: RuleMetadata) -> SigmaRule? {
        var logSource = LogSource()
        if let node = document["logsource"] {
            guard node.mapping != nil else {
                report(.error, .parse, "sigma.bad-logsource", "'logsource' must be a mapping", at: node)
                return nil
            }
            logSource = LogSource(
                product: node["product"]?.scalar, category: node["category"]?.scalar, service: node["service"]?.scalar)
            if let product = logSource.product, product.lowercased() != "linux" {
                report(
                    .warning, .parse, "sigma.other-product",
                    "logsource product '\(product)' is not linux; Vigil's events never match it", at: node)
            }
        } else {
            report(.error, .parse, "sigma.missing-logsource", "the rule has no 'logsource'; add one", at: document)
        }
        guard let detection = document["detection"], let pairs = detection.mapping else {
            report(
                .error, .parse, "sigma.missing-detection", "the rule has no 'detection' mapping; add one",
                at: document["detection"] ?? document)
            return nil
        }
        var selections: [Selection] = []
        var conditionNode: YAMLNode?
        var fields: [String] = []
        for pair in pairs {
            guard let name = pair.key.scalar else { continue }
            if name == "condition" {
                conditionNode = pair.value
                continue
            }
            if name == "timeframe" {
                report(
                    .warning, .parse, "sigma.timeframe",
                    "'timeframe' in detection is deprecated and ignored; use a correlation rule", at: pair.key)
                continue
            }
            if let selection = buildSelection(name: name, node: pair.value, logSource: logSource, fields: &fields) {
                selections.append(selection)
            }
        }
        guard let conditionNode else {
            report(.error, .parse, "sigma.missing-condition", "'detection' has no 'condition'; add one", at: detection)
            return nil
        }
        let texts: [YAMLNode]
        if conditionNode.scalar != nil && !conditionNode.isNull {
            texts = [conditionNode]
        } else if let items = conditionNode.sequence, !items.isEmpty, items.allSatisfy({ $0.scalar != nil }) {
            texts = items
        } else {
            report(.error, .parse, "sigma.bad-condition", "'condition' must be a string", at: conditionNode)
            return nil
        }
        let names = selections.map(\.name)
        var conditions: [Condition] = []
        for node in texts {
            do {
                var parser = try ConditionParser(names: names, text: node.scalar ?? "")
                conditions.append(try parser.parse())
            } catch {
                let offset = (node.isPlainScalar || node.scalar?.contains("\n") == false) ? error.offset : 0
                let quote = node.isPlainScalar ? 0 : 1
                report(.error, .compile, error.code, error.message, at: node, columnOffset: offset + quote)
            }
        }
        if failed { return nil }
        let condition = conditions.count == 1 ? conditions[0] : .or(conditions)
        return SigmaRule(
            metadata: metadata, logSource: logSource, selections: selections, condition: condition, fields: fields)
    }

    mutating func buildSelection(
        name: String, node: YAMLNode, logSource: LogSource, fields: inout [String]
    )
        -> Selection?
    {
        switch node.kind {
        case .mapping:
            guard let group = buildGroup(node, logSource: logSource, fields: &fields) else { return nil }
            return Selection(name: name, groups: [group])
        case .sequence(let items):
            if items.allSatisfy({ $0.mapping != nil }) {
                var groups: [[FieldTest]] = []
                for item in items {
                    guard let group = buildGroup(item, logSource: logSource, fields: &fields) else { return nil }
                    groups.append(group)
                }
                return Selection(name: name, groups: groups)
            }
            if items.allSatisfy({ $0.scalar != nil }) {
                guard let test = buildTest(field: nil, modifiers: [], values: node, keyNode: node, logSource: logSource)
                else { return nil }
                return Selection(name: name, groups: [[test]])
            }
            report(
                .error, .parse, "sigma.mixed-selection",
                "selection '\(name)' mixes maps and plain values; use a list of maps or a list of keywords", at: node)
            return nil
        case .scalar:
            if node.isNull {
                report(
                    .error, .parse, "sigma.empty-selection", "selection '\(name)' is empty; give it fields", at: node)
                return nil
            }
            guard let test = buildTest(field: nil, modifiers: [], values: node, keyNode: node, logSource: logSource)
            else { return nil }
            return Selection(name: name, groups: [[test]])
        }
    }

    mutating func buildGroup(_ node: YAMLNode, logSource: LogSource, fields: inout [String]) -> [FieldTest]? {
        var tests: [FieldTest] = []
        for pair in node.mapping ?? [] {
            guard let key = pair.key.scalar else {
                report(.error, .parse, "sigma.bad-field", "a field name must be a string", at: pair.key)
                return nil
            }
            let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let field = parts[0]
            if !field.isEmpty {
                if !fields.contains(field) { fields.append(field) }
                if !FieldMapping.isKnown(field, in: logSource) {
                    report(
                        .warning, .compile, "sigma.unknown-field",
                        "field '\(field)' is not in Vigil's field table for \(logSource); it matches only events "
                            + "that carry it as an unmapped field", at: pair.key)
                }
            }
            guard
                let test = buildTest(
                    field: field.isEmpty ? nil : field, modifiers: Array(parts.dropFirst()), values: pair.value,
                    keyNode: pair.key, logSource: logSource)
            else { return nil }
            tests.append(test)
        }
        return tests
    }

    static let knownModifiers: Set<String> = [
        "contains", "startswith", "endswith", "all", "re", "i", "m", "s", "cidr", "exists", "cased", "windash",
        "base64", "base64offset", "gt", "gte", "lt", "lte", "fieldref",
    ]

    mutating func buildTest(
        field: String?, modifiers rawModifiers: [String], values node: YAMLNode, keyNode: YAMLNode,
        logSource: LogSource
    ) -> FieldTest? {
        var modifiers: [String] = []
        for modifier in rawModifiers {
            if RuleBuilder.knownModifiers.contains(modifier) {
                modifiers.append(modifier)
            } else {
                report(
                    .warning, .compile, "sigma.unknown-modifier",
                    "unknown modifier '\(modifier)' is ignored, so the value is matched without it; "
                        + "known: \(RuleBuilder.knownModifiers.sorted().joined(separator: ", "))", at: keyNode)
            }
        }
        let has = Set(modifiers)
        let valueNodes: [YAMLNode]
        switch node.kind {
        case .sequence(let items):
            valueNodes = items
        case .mapping:
            report(
                .error, .parse, "sigma.bad-value", "a field's value must be a string, a number, null or a list",
                at: node)
            return nil
        case .scalar:
            valueNodes = [node]
        }
        if valueNodes.isEmpty {
            report(.error, .parse, "sigma.empty-list", "the value list is empty; give at least one value", at: node)
            return nil
        }
        var matchers: [ValueMatcher] = []
        for valueNode in valueNodes {
            guard valueNode.scalar != nil else {
                report(
                    .error, .parse, "sigma.bad-value", "list items must be plain values, not \(valueNode.kindName)s",
                    at: valueNode)
                return nil
            }
            guard let compiled = compileValue(valueNode, has: has, keyword: field == nil) else { return nil }
            matchers += compiled
        }
        return FieldTest(field: field, values: matchers, requireAll: has.contains("all"))
    }

    /// Compiles one value under the test's modifiers; keyword values (no field) match anywhere in the text.
    mutating func compileValue(_ node: YAMLNode, has: Set<String>, keyword: Bool) -> [ValueMatcher]? {
        let text = node.scalar ?? ""
        if node.isNull && !has.contains("exists") { return [.null] }
        if has.contains("exists") {
            guard let flag = node.bool else {
                report(.error, .compile, "sigma.bad-exists", "'|exists' takes true or false, not '\(text)'", at: node)
                return nil
            }
            return [.exists(flag)]
        }
        for op in ["gt", "gte", "lt", "lte"] where has.contains(op) {
            guard let number = Double(text) else {
                report(.error, .compile, "sigma.bad-number", "'|\(op)' needs a number, not '\(text)'", at: node)
                return nil
            }
            return [.compare(ValueMatcher.Comparison(rawValue: op) ?? .gt, number)]
        }
        if has.contains("re") {
            var options: NSRegularExpression.Options = []
            if has.contains("i") { options.insert(.caseInsensitive) }
            if has.contains("m") { options.insert(.anchorsMatchLines) }
            if has.contains("s") { options.insert(.dotMatchesLineSeparators) }
            do {
                return [.regex(try NSRegularExpression(pattern: text, options: options), source: text)]
            } catch {
                report(
                    .error, .compile, "sigma.bad-regex",
                    "the regular expression '\(text)' does not compile; fix its syntax (ICU regular expressions)",
                    at: node)
                return nil
            }
        }
        if has.contains("cidr") {
            guard let network = CIDR(text) else {
                report(
                    .error, .compile, "sigma.bad-cidr", "'\(text)' is not a network such as 10.0.0.0/8 or fd00::/8",
                    at: node)
                return nil
            }
            return [.cidr(network)]
        }
        let cased = has.contains("cased")
        if has.contains("fieldref") {
            let kind: ValueMatcher.FieldRefKind =
                has.contains("contains")
                ? .contains : has.contains("startswith") ? .startsWith : has.contains("endswith") ? .endsWith : .equals
            return [.fieldRef(text, kind, cased: cased)]
        }
        // Transformations produce the literal variants, then the position modifiers add wildcards.
        var variants: [String] = [text]
        var literal = false
        if has.contains("windash") {
            variants = variants.flatMap(RuleBuilder.windashVariants)
        }
        if has.contains("base64offset") {
            variants = variants.flatMap { RuleBuilder.base64OffsetVariants($0) }
            literal = true
        } else if has.contains("base64") {
            variants = variants.map { Data($0.utf8).base64EncodedString() }
            literal = true
        }
        return variants.map { value in
            var pattern = literal ? SigmaPattern.escaped(value) : value
            if has.contains("contains") || keyword {
                pattern = "*" + pattern + "*"
            } else if has.contains("startswith") {
                pattern += "*"
            } else if has.contains("endswith") {
                pattern = "*" + pattern
            }
            return .pattern(SigmaPattern(pattern, cased: cased))
        }
    }

    /// `|windash`: a `-` or `/` starting an option also matches as `-`, `/`, en dash, em dash and
    /// horizontal bar (the same replacement at every option in the value).
    static func windashVariants(_ value: String) -> [String] {
        let dashes: [Character] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]
        let chars = Array(value)
        let positions = chars.indices.filter { i in
            (chars[i] == "-" || chars[i] == "/") && (i == 0 || chars[i - 1] == " ")
        }
        if positions.isEmpty { return [value] }
        return dashes.map { dash in
            var copy = chars
            for p in positions { copy[p] = dash }
            return String(copy)
        }
    }

    /// `|base64offset`: the three encodings of `value` at offsets 0, 1 and 2 of a longer text, with the
    /// characters that depend on the neighbouring bytes cut off.
    static func base64OffsetVariants(_ value: String) -> [String] {
        let bytes = Array(value.utf8)
        let starts = [0, 2, 3]
        let endTrim = [0, 3, 2]
        return (0..<3).map { shift in
            let encoded = Array(Data(Array(repeating: 0, count: shift) + bytes).base64EncodedString())
            let trim = endTrim[(bytes.count + shift) % 3]
            let end = encoded.count - trim
            let start = starts[shift]
            return end > start ? String(encoded[start..<end]) : ""
        }
    }

    // MARK: Correlation rules

    mutating func buildCorrelation(_ node: YAMLNode, metadata: RuleMetadata) -> CorrelationRule? {
        guard node.mapping != nil else {
            report(.error, .parse, "sigma.bad-correlation", "'correlation' must be a mapping", at: node)
            return nil
        }
        guard let typeText = node["type"]?.scalar, let kind = CorrelationRule.Kind(rawValue: typeText) else {
            report(
                .error, .parse, "sigma.correlation-type",
                "correlation 'type' must be event_count, value_count, temporal or temporal_ordered",
                at: node["type"] ?? node)
            return nil
        }
        let refsNode = node["rules"]
        let refs = refsNode?.sequence?.compactMap(\.scalar) ?? refsNode?.scalar.map { [$0] } ?? []
        if refs.isEmpty {
            report(.error, .parse, "sigma.correlation-rules", "the correlation names no 'rules'; list them", at: node)
        }
        let groupNode = node["group-by"]
        let groupBy = groupNode?.sequence?.compactMap(\.scalar) ?? groupNode?.scalar.map { [$0] } ?? []
        guard let spanText = node["timespan"]?.scalar ?? node["timeframe"]?.scalar,
            let timespan = CorrelationRule.parseTimespan(spanText)
        else {
            report(
                .error, .parse, "sigma.correlation-timespan",
                "the correlation needs a 'timespan' such as 30s, 5m, 1h or 1d", at: node["timespan"] ?? node)
            return nil
        }
        var threshold: CorrelationRule.Threshold?
        var valueField: String?
        if let condition = node["condition"] {
            for pair in condition.mapping ?? [] {
                guard let key = pair.key.scalar else { continue }
                if key == "field" {
                    valueField = pair.value.scalar
                } else if let op = CorrelationRule.Threshold.Operator(rawValue: key), let n = pair.value.int {
                    threshold = CorrelationRule.Threshold(op, n)
                } else {
                    report(
                        .error, .parse, "sigma.correlation-condition",
                        "unknown condition '\(key)'; use gt, gte, lt, lte, eq or neq with a whole number, or field",
                        at: pair.key)
                }
            }
        }
        switch kind {
        case .eventCount, .valueCount:
            if threshold == nil {
                report(
                    .error, .parse, "sigma.correlation-condition",
                    "\(kind.rawValue) needs a 'condition' such as 'gte: 10'", at: node["condition"] ?? node)
            }
            if kind == .valueCount && valueField == nil {
                report(
                    .error, .parse, "sigma.correlation-field",
                    "value_count needs 'field' in its condition: the field whose distinct values are counted",
                    at: node["condition"] ?? node)
            }
        case .temporal, .temporalOrdered:
            if threshold == nil { threshold = CorrelationRule.Threshold(.gte, refs.count) }
        }
        var aliases: [String: [String: String]] = [:]
        for pair in node["aliases"]?.mapping ?? [] {
            guard let alias = pair.key.scalar else { continue }
            var map: [String: String] = [:]
            for item in pair.value.mapping ?? [] {
                if let rule = item.key.scalar, let field = item.value.scalar { map[rule] = field }
            }
            aliases[alias] = map
        }
        for pair in node.mapping ?? [] {
            guard let key = pair.key.scalar else { continue }
            if !["type", "rules", "group-by", "timespan", "timeframe", "condition", "aliases", "generate"].contains(key)
            {
                report(
                    .warning, .parse, "sigma.unknown-key", "unknown correlation key '\(key)' is ignored", at: pair.key)
            }
        }
        if failed { return nil }
        let generate = node["generate"]?.bool ?? document["generate"]?.bool ?? false
        return CorrelationRule(
            metadata: metadata, kind: kind, ruleRefs: refs, groupBy: groupBy, timespan: timespan, threshold: threshold,
            valueField: valueField, aliases: aliases, generate: generate)
    }
}
