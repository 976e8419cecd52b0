internal import CYAML
import Foundation

/// Reads YAML text into `YAMLNode` documents with libyaml's event parser.
public enum YAMLParser {
    /// Limits that keep hostile input bounded.
    public struct Limits: Sendable {
        /// Nodes in one document, counting every copy an alias makes ("billion laughs").
        public var maxNodes: Int
        /// Nesting depth of collections.
        public var maxDepth: Int

        public init(maxNodes: Int = 2_000_000, maxDepth: Int = 256) {
            self.maxNodes = maxNodes
            self.maxDepth = maxDepth
        }
    }

    /// Parses every document in `text`.
    /// - Parameter file: named in errors.
    /// - Throws: `YAMLError` naming file:line:column: libyaml's syntax errors (`yaml.syntax`),
    ///   duplicate mapping keys (`yaml.duplicate-key`), unknown aliases (`yaml.unknown-alias`),
    ///   and inputs over `limits` (`yaml.too-large`, `yaml.too-deep`).
    public static func parse(_ text: String, file: String? = nil, limits: Limits = Limits()) throws -> [YAMLNode] {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return [] }
        return try bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                throw YAMLError(code: "yaml.memory", message: "libyaml could not allocate a parser", file: file)
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder(file: file, limits: limits)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    throw syntaxError(parser, input: UnsafeBufferPointer(buffer), file: file)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.handle(event)
            }
            return builder.documents
        }
    }

    /// Parses a file. Errors name the path.
    public static func parse(contentsOf path: String, limits: Limits = Limits()) throws -> [YAMLNode] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw YAMLError(
                code: "yaml.read", message: "cannot read the file: \(error.localizedDescription)", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw YAMLError(code: "yaml.encoding", message: "the file is not valid UTF-8; save it as UTF-8", file: path)
        }
        return try parse(text, file: path, limits: limits)
    }

    private static func syntaxError(
        _ parser: yaml_parser_t, input: UnsafeBufferPointer<UInt8>, file: String?
    ) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        let context = parser.context.map { String(cString: $0) }
        let mark =
            parser.error == YAML_READER_ERROR
            // The reader (bad bytes, control characters) only sets a byte offset, not a mark.
            ? mark(atByteOffset: Int(parser.problem_offset), in: input)
            : YAMLMark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        let text = context.map { "\(problem) \($0)" } ?? problem
        return YAMLError(
            code: "yaml.syntax", message: "invalid YAML: \(text); check the indentation and quoting there",
            file: file, mark: mark)
    }

    /// The 1-based line and column (in characters) of a byte offset.
    private static func mark(atByteOffset offset: Int, in input: UnsafeBufferPointer<UInt8>) -> YAMLMark {
        var line = 1
        var column = 1
        for byte in input.prefix(max(0, offset)) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return YAMLMark(line: line, column: column)
    }

    /// Turns the event stream into trees, with an explicit stack (no recursion on input depth).
    private struct Builder {
        /// An open collection. A class, so appending to it never copies its items.
        final class Frame {
            let isMapping: Bool
            let mark: YAMLMark
            let tag: String?
            let anchor: String?
            var items: [YAMLNode] = []
            var pairs: [YAMLNode.Pair] = []
            var pendingKey: YAMLNode?
            var keys: Set<String> = []
            var size = 0

            init(isMapping: Bool, mark: YAMLMark, tag: String?, anchor: String?) {
                self.isMapping = isMapping
                self.mark = mark
                self.tag = tag
                self.anchor = anchor
            }
        }

        let file: String?
        let limits: Limits
        var documents: [YAMLNode] = []
        var stack: [Frame] = []
        var anchors: [String: (node: YAMLNode, size: Int)] = [:]
        var nodeCount = 0
        var root: YAMLNode?

        init(file: String?, limits: Limits) {
            self.file = file
            self.limits = limits
        }

        static func string(_ pointer: UnsafeMutablePointer<UInt8>?) -> String? {
            pointer.map { String(cString: $0) }
        }

        mutating func handle(_ event: yaml_event_t) throws {
            let mark = YAMLMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                root = nil
                anchors = [:]
                nodeCount = 0
            case YAML_DOCUMENT_END_EVENT:
                documents.append(root ?? YAMLNode(kind: .scalar("", .plain), mark: mark))
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                let style: YAMLNode.ScalarStyle =
                    switch s.style {
                    case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
                    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
                    case YAML_LITERAL_SCALAR_STYLE: .literal
                    case YAML_FOLDED_SCALAR_STYLE: .folded
                    default: .plain
                    }
                let node = YAMLNode(kind: .scalar(text, style), mark: mark, tag: Self.string(s.tag))
                try add(node, size: 1, newNodes: 1, anchor: Self.string(s.anchor))
            case YAML_ALIAS_EVENT:
                let name = Self.string(event.data.alias.anchor) ?? ""
                guard let target = anchors[name] else {
                    throw YAMLError(
                        code: "yaml.unknown-alias", message: "alias *\(name) names no anchor defined before it",
                        file: file, mark: mark)
                }
                var node = target.node
                node.mark = mark
                try add(node, size: target.size, newNodes: target.size, anchor: nil)
            case YAML_SEQUENCE_START_EVENT:
                try push(
                    Frame(
                        isMapping: false, mark: mark, tag: Self.string(event.data.sequence_start.tag),
                        anchor: Self.string(event.data.sequence_start.anchor)))
            case YAML_MAPPING_START_EVENT:
                try push(
                    Frame(
                        isMapping: true, mark: mark, tag: Self.string(event.data.mapping_start.tag),
                        anchor: Self.string(event.data.mapping_start.anchor)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                let kind: YAMLNode.Kind = frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items)
                // The items were counted as they arrived; only the collection itself is new.
                try add(
                    YAMLNode(kind: kind, mark: frame.mark, tag: frame.tag), size: frame.size + 1, newNodes: 1,
                    anchor: frame.anchor)
            default:
                break
            }
        }

        mutating func push(_ frame: Frame) throws {
            guard stack.count < limits.maxDepth else {
                throw YAMLError(
                    code: "yaml.too-deep",
                    message: "collections are nested more than \(limits.maxDepth) levels deep; flatten the document",
                    file: file, mark: frame.mark)
            }
            stack.append(frame)
        }

        /// Adds `node` (`size` nodes in all) to the open collection; `newNodes` of them are not counted yet.
        mutating func add(_ node: YAMLNode, size: Int, newNodes: Int, anchor: String?) throws {
            nodeCount += newNodes
            guard nodeCount <= limits.maxNodes else {
                throw YAMLError(
                    code: "yaml.too-large",
                    message:
                        "the document expands to more than \(limits.maxNodes) nodes (aliases included); it is too large or an alias bomb",
                    file: file, mark: node.mark)
            }
            if let anchor { anchors[anchor] = (node, size) }
            guard let top = stack.last else {
                root = node
                return
            }
            top.size += size
            guard top.isMapping else {
                top.items.append(node)
                return
            }
            if let key = top.pendingKey {
                top.pairs.append(YAMLNode.Pair(key: key, value: node))
                top.pendingKey = nil
                return
            }
            if let text = node.scalar {
                guard top.keys.insert(text).inserted else {
                    throw YAMLError(
                        code: "yaml.duplicate-key",
                        message:
                            "duplicate key '\(text)' in this mapping; each key may appear once (merge the two entries)",
                        file: file, mark: node.mark)
                }
            }
            top.pendingKey = node
        }
    }
}
