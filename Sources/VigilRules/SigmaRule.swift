/// A Sigma rule's log source: which events it reads.
public struct LogSource: Sendable, Hashable, CustomStringConvertible {
    public var product: String?
    public var category: String?
    public var service: String?

    public init(product: String? = nil, category: String? = nil, service: String? = nil) {
        self.product = product
        self.category = category
        self.service = service
    }

    /// The key rules are indexed by: the category, else the service, else `*` (any event of the product).
    public var indexKey: String { (category ?? service ?? "*").lowercased() }

    public var description: String {
        [product.map { "product:\($0)" }, category.map { "category:\($0)" }, service.map { "service:\($0)" }]
            .compactMap { $0 }.joined(separator: " ")
    }
}

/// Where a rule came from: file, line and column of its document.
public struct RuleOrigin: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// The metadata every Sigma rule (detection or correlation) carries.
public struct RuleMetadata: Sendable, Hashable {
    public var id: String?
    /// The `name` a correlation refers to the rule by.
    public var name: String?
    public var title: String
    public var status: String?
    public var level: String?
    public var description: String?
    public var author: String?
    public var tags: [String]
    public var references: [String]
    public var falsePositives: [String]
    public var origin: RuleOrigin

    public init(
        id: String? = nil, name: String? = nil, title: String, status: String? = nil, level: String? = nil,
        description: String? = nil, author: String? = nil, tags: [String] = [], references: [String] = [],
        falsePositives: [String] = [], origin: RuleOrigin
    ) {
        self.id = id
        self.name = name
        self.title = title
        self.status = status
        self.level = level
        self.description = description
        self.author = author
        self.tags = tags
        self.references = references
        self.falsePositives = falsePositives
        self.origin = origin
    }

    /// The id, else the name, else the title: what alerts name the rule by.
    public var key: String { id ?? name ?? title }
}

/// A loaded Sigma detection rule: metadata, log source and its compiled detection.
public struct SigmaRule: Sendable {
    public var metadata: RuleMetadata
    public var logSource: LogSource
    /// Compiled selections, in document order.
    public var selections: [Selection]
    /// The compiled condition over `selections`.
    public var condition: Condition
    /// Field names the rule reads (for `vigil rules list` and the prefilter).
    public var fields: [String]

    public init(
        metadata: RuleMetadata, logSource: LogSource, selections: [Selection], condition: Condition,
        fields: [String]
    ) {
        self.metadata = metadata
        self.logSource = logSource
        self.selections = selections
        self.condition = condition
        self.fields = fields
    }
}

/// One named search identifier of a rule's `detection`: any of its groups matching makes it match.
public struct Selection: Sendable {
    public var name: String
    /// OR of groups; each group is an AND of field tests.
    public var groups: [[FieldTest]]

    public init(name: String, groups: [[FieldTest]]) {
        self.name = name
        self.groups = groups
    }
}

/// One `field|modifiers: values` entry (or a keyword list, with `field` nil).
public struct FieldTest: Sendable {
    /// The Sigma field name, nil for keywords (matched against the whole raw line).
    public var field: String?
    /// The values; one matching is enough unless `requireAll`.
    public var values: [ValueMatcher]
    /// `|all`: every value must match.
    public var requireAll: Bool

    public init(field: String?, values: [ValueMatcher], requireAll: Bool) {
        self.field = field
        self.values = values
        self.requireAll = requireAll
    }
}

/// A parsed `condition`, with selections resolved to their indices in `SigmaRule.selections`.
public indirect enum Condition: Sendable, Hashable {
    case selection(Int)
    case and([Condition])
    case or([Condition])
    case not(Condition)
    /// `N of …` (at least `count`) or `all of …` (count nil) over the listed selections.
    case of(count: Int?, [Int])
}
