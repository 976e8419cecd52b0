import Foundation
import Testing
import VigilRules
import VigilTestSupport

/// The SigmaHQ Linux rules in the shared corpus: every active rule must load.
@Suite struct CorpusLoadTests {
    static let corpus = "sigma/linux"

    /// Every active rule file (not under unsupported/ or deprecated/).
    static func activeRuleFiles() -> [URL]? {
        guard let root = Corpora.directory(corpus) else { return nil }
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let url = walker?.nextObject() as? URL {
            let path = url.path
            if url.pathExtension == "yml" && !path.contains("/unsupported/") && !path.contains("/deprecated/") {
                files.append(url)
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    @Test func activeRulesLoad() throws {
        guard let files = CorpusLoadTests.activeRuleFiles() else {
            print(Corpora.skipMessage(CorpusLoadTests.corpus))
            return
        }
        #expect(files.count == 248)
        var failed: [String] = []
        var loaded = 0
        for url in files {
            let text = try String(contentsOf: url, encoding: .utf8)
            let result = SigmaLoader.load([(text, url.lastPathComponent)])
            loaded += result.rules.count + result.correlations.count
            if !result.errors.isEmpty {
                failed.append(result.errors.map(\.description).joined(separator: "\n"))
            }
        }
        for failure in failed { print("NOT LOADED: \(failure)") }
        #expect(failed.count <= 1, "rules that do not load: \(failed)")
        #expect(loaded >= 247)
    }
}
