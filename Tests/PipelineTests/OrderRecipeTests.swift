import CorpusCore
import CorpusIO
import Embeddings
import Foundation
import Shards
import Testing
@testable import Pipeline

@Suite("Recipe order: block")
struct OrderRecipeTests {
    /// 160 documents from four topics over two files, 8 exact copies of earlier ones, 6 too short for the
    /// `length` step, and a broken record: 175 records.
    func corpus(_ t: TempFolder) throws -> (ids: [String], records: Int) {
        let topics = SemanticJobTests.topics.prefix(4)
        var rng = SeededRandom(seed: 9, stream: "order-recipe-test")
        var lines: [String] = []
        var texts: [String] = []
        var ids: [String] = []
        for i in 0..<174 {
            let text: String
            if i >= 160 && i < 168 {
                text = texts[Int(rng.next() % UInt64(texts.count))]
            } else if i >= 168 {
                text = "too short"
            } else {
                let topic = Array(topics[Int(rng.next() % 4)])
                text = (0..<30).map { _ in topic[Int(rng.next() % UInt64(topic.count))] }.joined(separator: " ")
            }
            texts.append(text)
            ids.append("d\(i)")
            lines.append("{\"id\":\"d\(i)\",\"text\":\"\(text)\",\"url\":\"https://x.org/\(i)\"}")
        }
        lines.insert("{\"id\":\"broken\",\"text\":", at: 40)
        try t.write("in/a.jsonl", lines[..<90].joined(separator: "\n") + "\n")
        try t.write("in/b.jsonl", lines[90...].joined(separator: "\n") + "\n")
        return (ids, lines.count)
    }

    static let orderBlock = """
        order:
          method: iclm
          embeddings: lexical
          dimension: 256
          k: 10
          duplicate_threshold: 0.999
        """

    func recipe(order: Bool, seed: Int = 4, output: String = "") -> String {
        """
        seed: \(seed)
        inputs:
          - path: in
        steps:
          - length: {min_words: 3}
        \(order ? Self.orderBlock : "")
        output:
          path: out
          format: jsonl
        \(output)
        """
    }

    func ids(_ path: String) throws -> [String] {
        try readJSONL(path).compactMap { string($0.value(at: ["id"])) }
    }

    @Test("every record is written or rejected, near duplicates as order rejects, the order is OrderJob's")
    func orderBlockMatchesOrderJob() throws {
        let t = try TempFolder()
        let (all, records) = try corpus(t)
        let outcome = try runRecipe(recipe(order: true), in: t, threads: 2)
        let manifest = try #require(outcome.manifest)
        #expect(manifest.ledger.read == records)
        #expect(manifest.ledger.written + manifest.ledger.rejected == manifest.ledger.read)
        let written = try ids("\(t.path)/out/data/rank-00000.jsonl")
        let rejects = try readJSONL("\(t.path)/out/rejects/rank-00000.jsonl.zst")
        #expect(written.count == manifest.ledger.written && rejects.count == manifest.ledger.rejected)
        let rejectedIDs = rejects.compactMap { string($0.value(at: ["id"])) }
        #expect(Set(written).count == written.count)
        #expect(Set(written).union(rejectedIDs).subtracting(["broken"]) == Set(all), "every document written or rejected")
        #expect(Set(written).isDisjoint(with: rejectedIDs))
        let near = rejects.filter { string($0.value(at: ["reason"])) == "near_duplicate" }
        #expect(near.count >= 8 && near.allSatisfy { string($0.value(at: ["stage"])) == "order" })
        let order = try #require(manifest.stages.first { $0.name == "order" })
        #expect(order.dropped["near_duplicate"]?.documents == near.count)
        #expect(order.isBalanced && order.kept.documents == written.count)
        #expect(t.exists("out/order/embeddings.npy") && t.exists("out/order/embeddings.ids.jsonl"))
        #expect(t.exists("out/order/complete"))

        // The same steps without order:, then ptk embed + ptk order by hand on its output: the same bytes.
        let plain = try TempFolder()
        _ = try corpus(plain)
        try runRecipe(recipe(order: false), in: plain, threads: 2)
        let cleaned = "\(plain.path)/out/data/rank-00000.jsonl"
        _ = try EmbedJob.run(EmbedOptions(model: .lexical(dimension: 256), input: cleaned, output: "\(plain.path)/e.npy",
                                          threads: 2, seed: 4), log: Log(quiet: true))
        let report = try OrderJob.run(OrderOptions(input: cleaned, embeddings: "\(plain.path)/e.npy",
                                                   output: "\(plain.path)/ordered.jsonl", method: .iclm, k: 10,
                                                   duplicateThreshold: 0.999, seed: 4, threads: 2),
                                      log: Log(quiet: true))
        #expect(report.nearDuplicates == near.count)
        #expect(try plain.read("ordered.jsonl") == t.read("out/data/rank-00000.jsonl"))
        #expect(try plain.read("e.npy") == t.read("out/order/embeddings.npy"))
        let inputOrder = try ids(cleaned).filter(Set(written).contains)
        #expect(written != inputOrder, "the order is not the input order")
    }

    @Test("the same recipe writes the same bytes for any thread count")
    func deterministic() throws {
        var folders: [[[UInt8]]] = []
        for threads in [1, 3] {
            let t = try TempFolder()
            _ = try corpus(t)
            try runRecipe(recipe(order: true), in: t, threads: threads)
            folders.append([try t.read("out/manifest.json"), try t.read("out/data/rank-00000.jsonl"),
                            try t.read("out/order/embeddings.npy"), try t.read("out/order/report.json")])
        }
        #expect(folders[0] == folders[1])
    }

    @Test("order then pack: the documents file follows the order, windows shuffled, the books balance")
    func orderThenPack() throws {
        let t = try TempFolder()
        _ = try corpus(t)
        try t.write("toy/tokenizer.json", toyTokenizerJSON(addedTokens: ["<|endoftext|>"]))
        try runRecipe(recipe(order: true), in: t)
        let expected = try ids("\(t.path)/out/data/rank-00000.jsonl")

        let packed = try TempFolder()
        _ = try corpus(packed)
        try packed.write("toy/tokenizer.json", toyTokenizerJSON(addedTokens: ["<|endoftext|>"]))
        let pack = """
              tokenizer: {path: toy/tokenizer.json}
              pack: {strategy: concat, seq_len: 64, max_shard_bytes: 2KiB, shuffle_windows: true}
            """
        try runRecipe(recipe(order: true, output: pack), in: packed)
        let folder = "\(packed.path)/out"
        let manifest = try PackManifest.read(from: folder)
        #expect(manifest.shuffleWindows == true)
        #expect(manifest.documents.packed + manifest.documents.rejected == manifest.documents.read)
        #expect(manifest.ledger.written + manifest.ledger.rejected == manifest.ledger.read)
        #expect(try ids("\(folder)/documents/rank-00000.jsonl.zst") == expected)
        let report = ShardVerifier.verify(folder: folder)
        #expect(report.ok, "\(report.problems)")
        #expect(manifest.sets.train.shards.count > 1)
        // Token ids without packing: the same documents in the same order.
        let ids = try TempFolder()
        _ = try corpus(ids)
        try ids.write("toy/tokenizer.json", toyTokenizerJSON(addedTokens: ["<|endoftext|>"]))
        let outcome = try runRecipe(recipe(order: true, output: "  tokenizer: {path: toy/tokenizer.json}\n"), in: ids)
        #expect(try self.ids("\(ids.path)/out/data/rank-00000.jsonl") == expected)
        #expect((outcome.manifest?.tokens ?? 0) > 0)
        #expect(outcome.manifest.map { $0.ledger.written + $0.ledger.rejected == $0.ledger.read } == true)
    }

    @Test("a run that fails after ordering reuses the order on the re-run and writes what an uninterrupted run writes")
    func interruptedRunReusesOrder() throws {
        let pack = """
              tokenizer: {path: toy/tokenizer.json}
              pack: {strategy: concat, seq_len: 64, shuffle_windows: true}
            """
        let t = try TempFolder()
        _ = try corpus(t)
        try t.write("toy/tokenizer.json", toyTokenizerJSON(addedTokens: ["<|endoftext|>"]))
        try t.write("out/train", "a file where the train folder goes")
        #expect(throws: (any Error).self) { try runRecipe(recipe(order: true, output: pack), in: t) }
        #expect(t.exists("out/order/complete") && !t.exists("out/ranks/rank-00000.done"))
        let npy = try t.read("out/order/embeddings.npy")
        // Were the order made again, the .npy would be rewritten: replace it to see that it is not.
        try t.write("out/order/embeddings.npy", [UInt8](repeating: 0, count: 8))
        try FileManager.default.removeItem(atPath: "\(t.path)/out/train")
        try runRecipe(recipe(order: true, output: pack), in: t)
        #expect(try t.read("out/order/embeddings.npy") == [UInt8](repeating: 0, count: 8), "the order was reused")

        let fresh = try TempFolder()
        _ = try corpus(fresh)
        try fresh.write("toy/tokenizer.json", toyTokenizerJSON(addedTokens: ["<|endoftext|>"]))
        try runRecipe(recipe(order: true, output: pack), in: fresh)
        #expect(try t.read("out/manifest.json") == fresh.read("out/manifest.json"))
        #expect(try fresh.read("out/order/embeddings.npy") == npy)
    }

    @Test("recipe errors: an unknown key, bad embeddings, bestfit, several tasks")
    func recipeErrors() throws {
        let t = try TempFolder()
        _ = try corpus(t)
        let unknown = recipe(order: true).replacingOccurrences(of: "  k: 10", with: "  kk: 10")
        #expect {
            try runRecipe(unknown, in: t)
        } throws: { error in
            guard case let .unknownKey(key, at, _)? = error as? RecipeError else { return false }
            return key == "kk" && at.path.hasPrefix("order")
        }
        let bert = recipe(order: true).replacingOccurrences(of: "embeddings: lexical", with: "embeddings: bert")
        #expect(throws: RecipeError.self) { try runRecipe(bert, in: t) }
        let both = recipe(order: true).replacingOccurrences(of: "  dimension: 256", with: "  model: m")
        #expect(throws: RecipeError.self) { try runRecipe(both, in: t) }
        let method = recipe(order: true).replacingOccurrences(of: "method: iclm", with: "method: iclm-cap")
        #expect(throws: RecipeError.self) { try runRecipe(method, in: t) }
        try t.write("toy/tokenizer.json", toyTokenizerJSON(addedTokens: ["<|endoftext|>"]))
        let bestfit = recipe(order: true, output: """
              tokenizer: {path: toy/tokenizer.json}
              pack: {strategy: bestfit, seq_len: 64}
            """)
        #expect(throws: RecipeError.self) { try runRecipe(bestfit, in: t) }
        #expect(throws: RecipeError.self) {
            try runRecipe(recipe(order: true), in: t, shard: try ShardIndex(rank: 0, worldSize: 2))
        }
        #expect(!t.exists("out/data"), "nothing was read")
    }
}
