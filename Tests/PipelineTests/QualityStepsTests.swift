import CorpusCore
import Foundation
import Testing

@testable import Pipeline

/// The quality steps as a recipe names them: defaults, parameters, and parameter errors.
@Suite struct QualityStepsTests {
    static func build(_ steps: String) throws -> [PlannedStep] {
        let recipe = try Recipe.parse(
            yaml: "inputs:\n  - path: a.jsonl\noutput:\n  path: out\nsteps:\n" + steps,
            file: "recipe.yaml")
        return try StepRegistry.builtin.build(recipe.steps)
    }

    static func decide(_ step: PlannedStep, _ text: String, url: String? = nil) -> Decision {
        var doc = Document(id: "d", text: text, metadata: Metadata(url: url))
        switch step.kind {
        case .filter(let f): return f.evaluate(doc)
        case .transform(let t): return t.apply(to: &doc)
        case .corpus: return .drop(reason: "corpus")
        }
    }

    @Test("every quality step builds with its defaults and is listed with documented parameters")
    func defaultsBuild() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quality-steps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let words = folder.appendingPathComponent("bad.txt").path
        try "spam\nbuy now\n".write(toFile: words, atomically: true, encoding: .utf8)
        let steps = try Self.build(
            """
              - gopher_quality
              - gopher_repetition
              - c4
              - c4_badwords: {words_file: \(words)}
              - fineweb
              - keywords: {block: [casino]}
              - url: {block_domains: [example.com]}

            """)
        #expect(
            steps.map(\.name) == [
                "gopher_quality", "gopher_repetition", "c4", "c4_badwords", "fineweb", "keywords", "url",
            ])
        if case .transform = steps[2].kind {} else { Issue.record("c4 is a transform") }
        for name in [
            "gopher_quality", "gopher_repetition", "c4", "c4_badwords", "fineweb", "tokens", "keywords", "url",
        ] {
            let entry = try #require(StepRegistry.builtin.entries[name], "\(name) registered")
            #expect(entry.parameters.allSatisfy { !$0.help.isEmpty && !$0.defaultValue.isEmpty })
        }
        #expect(
            Self.decide(steps[3], "Buy now, pay later.")
                == .drop(reason: "document_removed_with_badwords", detail: "holds \"buy now\""))
        #expect(
            Self.decide(steps[5], "The Casino opened.") == .drop(reason: "keyword_casino", detail: "holds \"casino\""))
        #expect(
            Self.decide(steps[6], "x", url: "https://www.example.com/a")
                == .drop(reason: "url_blocked_domain", detail: "www.example.com is under example.com"))
        #expect(Self.decide(steps[0], "Too short.") == .drop(reason: "gopher_short_doc", detail: "2 < 50 words"))
    }

    @Test("parameters change the rules; bad values are errors naming the step")
    func parameters() throws {
        let lenient = try Self.build(
            "  - gopher_quality: {min_doc_words: 2, min_stop_words: 0, max_non_alpha_words_ratio: 0}\n")
        #expect(Self.decide(lenient[0], "Short text here.") == .keep)
        let grams = try Self.build("  - gopher_repetition: {top_n_grams: [\"2:0.9\"], dup_n_grams: []}\n")
        #expect(Self.decide(grams[0], "a b a b a b a b c d e f g h") == .keep)
        #expect(throws: RecipeError.self) { try Self.build("  - gopher_repetition: {top_n_grams: [\"2\"]}\n") }
        #expect(throws: RecipeError.self) { try Self.build("  - c4_badwords: {}\n") }
        #expect(throws: RecipeError.self) { try Self.build("  - c4_badwords: {words_file: /nonexistent/list.txt}\n") }
        #expect(throws: RecipeError.self) { try Self.build("  - keywords: {}\n") }
        #expect(throws: RecipeError.self) { try Self.build("  - fineweb: {short_line_thr: 2}\n") }
        #expect(throws: RecipeError.self) { try Self.build("  - gopher_quality: {min_doc_word: 3}\n") }
        #expect(throws: RecipeError.self) { try Self.build("  - tokens: {tokenizer: /nonexistent/tokenizer.json}\n") }
    }

    @Test("c4 removes lines and keeps the rest of the page, the ledger sees a transform")
    func c4Lines() throws {
        let c4 = try Self.build("  - c4\n")
        var doc = Document(
            id: "d",
            text: """
                Menu
                This is the first sentence of the page. It goes on.
                Please enable javascript to read this page properly.
                Here is another line that ends well. And one more. And a last one!
                """)
        guard case .transform(let t) = c4[0].kind else {
            Issue.record("c4 is a transform")
            return
        }
        #expect(t.apply(to: &doc) == .keep)
        #expect(
            doc.text
                == "This is the first sentence of the page. It goes on.\nHere is another line that ends well. And one more. And a last one!"
        )
    }
}
