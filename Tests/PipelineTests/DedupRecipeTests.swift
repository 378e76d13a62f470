import CorpusCore
import Cleaning
import CorpusIO
import Foundation
import Testing
@testable import Pipeline

@Suite("Dedup recipe steps")
struct DedupRecipeTests {
    /// Four files: unique documents with a shared footer line, exact copies, near copies, and one document that
    /// is nothing but repeated lines.
    func corpus(_ t: TempFolder) throws -> (exact: Int, near: Int) {
        var random = SeededRandom(seed: 8)
        var texts: [String] = []
        var files: [[String]] = [[], [], [], []]
        var exact = 0, near = 0
        func json(_ id: String, _ text: String) -> String {
            var w = JSONWriter()
            w.raw("{\"id\":")
            w.string(id)
            w.raw(",\"text\":")
            w.string(text)
            w.raw("}")
            return w.string
        }
        for i in 0..<400 {
            var text: String
            if i % 10 == 4 {
                text = texts[i - 2]
                exact += 1
            } else if i % 10 == 7 {
                var words = texts[i - 1].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                words[3] = "altered"
                text = words.joined(separator: " ")
                near += 1
            } else {
                let count = 80 + Int(random.next() % 40)
                let body = (0..<count).map { _ in fiveLetters(&random, alphabet: 10) }.joined(separator: " ")
                text = body + "\nShare this page on social media"
            }
            texts.append(text)
            files[i % 4].append(json("d\(i)", text))
        }
        files[3].append(json("boiler", "Share this page on social media\n\n"))
        for (f, lines) in files.enumerated() { try t.write("in/f\(f).jsonl", lines.joined(separator: "\n") + "\n") }
        return (exact, near)
    }

    static let recipe = """
        seed: 3
        inputs:
          - path: in/*.jsonl
        steps:
          - exact_dedup: {normalization: full}
          - minhash_dedup: {memory_mb: 1}
          - line_dedup
        output:
          path: out
        """

    @Test("the ledger adds up; every step drops what was planted; 1 and 3 threads write the same bytes")
    func ledger() throws {
        let t = try TempFolder()
        let planted = try corpus(t)
        try t.write("recipe.yaml", Self.recipe)
        var outputs: [[UInt8]] = []
        for threads in [1, 3] {
            let runner = try Job.prepare(recipePath: "\(t.path)/recipe.yaml",
                                         options: RunOptions(threads: threads, force: true, log: Log(quiet: true)))
            let outcome = try runner.run()
            let manifest = try #require(outcome.manifest)
            #expect(manifest.ledger.read == 401)
            #expect(manifest.ledger.read == manifest.ledger.written + manifest.ledger.rejected)
            #expect(manifest.stages.map(\.name) == ["read", "exact_dedup", "minhash_dedup", "line_dedup"])
            #expect(manifest.stages[1].dropped["exact_duplicate"]?.documents == planted.exact)
            #expect(manifest.stages[2].dropped["near_duplicate"]?.documents == planted.near)
            // The footer stays in the first document only; the boilerplate-only document is emptied and dropped.
            #expect(manifest.stages[3].dropped["empty_after_line_dedup"]?.documents == 1)
            let rejects = try readJSONL("\(t.path)/out/rejects/rank-00000.jsonl.zst")
            #expect(rejects.count == manifest.ledger.rejected)
            let data = try readJSONL("\(t.path)/out/data/rank-00000.jsonl.zst")
            let footers = data.filter { (string($0.value(at: ["text"])) ?? "").contains("Share this page") }
            #expect(footers.map { string($0.value(at: ["id"])) } == ["d0"])
            outputs.append(try t.read("out/data/rank-00000.jsonl.zst"))
        }
        #expect(outputs[0] == outputs[1])
    }

    @Test("parameters are checked and listed")
    func parameters() throws {
        for name in ["exact_dedup", "minhash_dedup", "line_dedup"] {
            #expect(StepRegistry.builtin.entries[name] != nil)
        }
        let node = try RecipeNode.parse(yaml: "normalization: lower")
        #expect(throws: RecipeError.self) { _ = try StepRegistry.builtin.entries["exact_dedup"]!.build(node) }
        // minhash_dedup takes the recipe's seed unless it names its own.
        let recipe = try Recipe.parse(yaml: """
            seed: 77
            inputs: [{path: in.jsonl}]
            steps: [minhash_dedup, {minhash_dedup: {seed: 5, bands: 20, rows: 5}}]
            output: {path: out}
            """, file: "recipe.yaml")
        let steps = try RecipeContext.$seed.withValue(recipe.seed) { try StepRegistry.builtin.build(recipe.steps) }
        let seeds = steps.compactMap { step -> UInt64? in
            guard case let .corpus(corpus) = step.kind, let minhash = corpus as? MinHashDedup else { return nil }
            return minhash.hasher.parameters.seed
        }
        #expect(seeds == [77, 5])
    }
}

/// Five random letters from the first `alphabet` letters.
private func fiveLetters(_ random: inout SeededRandom, alphabet: UInt64) -> String {
    var bytes: [UInt8] = []
    for _ in 0..<5 { bytes.append(UInt8(97 + random.next() % alphabet)) }
    return String(decoding: bytes, as: UTF8.self)
}
