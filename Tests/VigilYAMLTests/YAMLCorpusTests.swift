import Foundation
import Testing
import VigilTestSupport
import VigilYAML

/// Real YAML from ../shared/corpora: SigmaHQ rules and Alpine's secdb (published as both YAML and JSON).
@Suite struct YAMLCorpusTests {
    @Test func everySigmaRuleParses() throws {
        guard let directory = Corpora.directory("sigma/linux") else {
            print(Corpora.skipMessage("sigma/linux"))
            return
        }
        let files = try #require(FileManager.default.enumerator(atPath: directory.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 250)
        for file in files {
            let path = directory.appendingPathComponent(file).path
            do {
                let documents = try YAMLParser.parse(contentsOf: path)
                #expect(!documents.isEmpty, "\(file): no document")
                for document in documents {
                    let pairs = try #require(document.mapping, "\(file): a rule is a mapping")
                    // Top-level keys of a block mapping all start in column 1.
                    #expect(pairs.allSatisfy { $0.key.mark.column == 1 }, "\(file)")
                }
                let rule = try #require(documents.first)
                #expect(rule["title"]?.scalar?.isEmpty == false, "\(file): no title")
                #expect(rule["detection"]?.mapping != nil, "\(file): no detection mapping")
            } catch let error as YAMLError {
                Issue.record("\(file): \(error)")
            }
        }
    }

    @Test("Alpine secdb: the YAML tree equals the published JSON", arguments: ["main", "community"])
    func alpineSecdb(repository: String) throws {
        guard let directory = Corpora.directory("vuln/alpine-secdb-v3.11") else {
            print(Corpora.skipMessage("vuln/alpine-secdb-v3.11"))
            return
        }
        let base = directory.appendingPathComponent("secdb-v3.11-\(repository)")
        let documents = try YAMLParser.parse(contentsOf: base.appendingPathExtension("yaml").path)
        #expect(documents.count == 1)
        let yaml = try #require(documents.first)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: base.appendingPathExtension("json")))
        #expect(Self.plain(yaml) == Self.plain(json: json))
        #expect((yaml["packages"]?.sequence?.count ?? 0) > 50)
    }

    /// A comparable form: strings, arrays and dictionaries (the secdb holds only strings).
    indirect enum Plain: Equatable {
        case string(String), null, array([Plain]), object([String: Plain])
    }

    static func plain(_ node: YAMLNode) -> Plain {
        switch node.kind {
        case .scalar(let text, _): return node.isNull ? .null : .string(text)
        case .sequence(let items): return .array(items.map(plain))
        case .mapping(let pairs):
            return .object(Dictionary(pairs.map { ($0.key.scalar ?? "?", plain($0.value)) }) { first, _ in first })
        }
    }

    static func plain(json: Any) -> Plain {
        switch json {
        case let text as String: return .string(text)
        case let array as [Any]: return .array(array.map { plain(json: $0) })
        case let object as [String: Any]: return .object(object.mapValues { plain(json: $0) })
        case is NSNull: return .null
        default: return .string("\(json)")
        }
    }
}
