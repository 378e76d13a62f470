import CorpusCore
import CorpusIO
import Foundation
import Packing
import Shards
import Testing
import Tokenization
@testable import Pipeline

/// A small corpus over three files: short and long documents, urls good, bad and missing, an empty text and a
/// broken record.
private func writePackCorpus(_ t: TempFolder) throws -> [(id: String, text: String, url: String?)] {
    var rng = SeededRandom(seed: 3)
    let words = ["the", "river", "长江", "données", "🙂", "fox", "  ", "\n", "<|endoftext|>", "a"]
    var documents: [(id: String, text: String, url: String?)] = []
    for f in 0..<3 {
        var lines: [String] = []
        for i in 0..<40 {
            let count = [1, 5, 30, 120, 400][Int(rng.next() % 5)]
            // A word first: a text of spaces only is `empty_text` to the reader.
            let text = "w " + (0..<count).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ")
            let url: String? = [nil, "https://Site\(i % 4).example.org/p/\(i)", "not a url"][Int(rng.next() % 3)]
            var o = JSONObject()
            o.append("id", .string("f\(f)-\(i)"))
            o.append("text", .string(text))
            if let url { o.append("url", .string(url)) }
            var w = JSONWriter()
            w.value(.object(o))
            lines.append(w.string)
            documents.append(("f\(f)-\(i)", text, url))
        }
        lines.append(#"{"id": "empty", "text": ""}"#)
        lines.append("{broken")
        try t.write("in/\(f).jsonl", lines.joined(separator: "\n") + "\n")
    }
    try t.write("toy/tokenizer.json", toyTokenizerJSON(addedTokens: ["<|endoftext|>", "<s>"]))
    return documents
}

private func packRecipe(strategy: String, seqLen: Int, meco: Bool = false, extra: String = "") -> String {
    """
    seed: 11
    inputs:
      - path: in
    output:
      path: out
      tokenizer:
        path: toy/tokenizer.json
      pack:
        strategy: \(strategy)
        seq_len: \(seqLen)
        max_shard_bytes: 4KiB
    \(meco ? "    meco: {cooldown_share: 0.25}\n" : "")\(extra)
    """
}

/// Every window of every shard of `set`, in shard order.
private func readWindows(_ folder: String, set: String) throws -> [PackedWindow] {
    let manifest = try PackManifest.read(from: folder)
    let summary = set == "train" ? manifest.sets.train : manifest.sets.cooldown
    var windows: [PackedWindow] = []
    for shard in summary.shards {
        let reader = try ShardReader(prefix: "\(folder)/\(set)/\(shard.prefix)", seqLen: manifest.seqLen)
        for i in 0..<reader.windowCount { windows.append(try reader.window(i)) }
    }
    return windows
}

@Suite("Runner with output.pack")
struct PackRunTests {
    @Test("every strategy: documents come back from the shards as encode_ordinary ids + EOS, in input order",
          arguments: ["concat", "docmask", "bestfit", "pad"])
    func documentsComeBack(strategy: String) throws {
        let t = try TempFolder()
        let documents = try writePackCorpus(t)
        let outcome = try runRecipe(packRecipe(strategy: strategy, seqLen: 64), in: t, threads: 2)
        #expect(outcome.manifest != nil)
        let folder = "\(t.path)/out"
        let encoder = try TokenizerFile.load(path: "\(t.path)/toy/tokenizer.json", encoding: nil)
        let manifest = try PackManifest.read(from: folder)
        #expect(manifest.eosId == 257 && manifest.dtype == .uint16 && manifest.strategy == strategy)
        #expect(manifest.attention == (strategy == "concat" ? "causal" : "document"))
        #expect(manifest.ledger.read == 126 && manifest.documents.packed == 120 && manifest.ledger.rejected == 6)
        #expect(manifest.sets.train.shards.count > 1, "4 KiB shards roll over")

        var rebuilt: [Int64: [UInt32]] = [:]
        for window in try readWindows(folder, set: "train") {
            for s in 0..<window.segmentCount where window.segments[2 * s] >= 0 {
                let ordinal = window.segments[2 * s]
                #expect(rebuilt[ordinal, default: []].count == Int(window.segments[2 * s + 1]))
                rebuilt[ordinal, default: []] += window.tokens[Int(window.cuSeqlens[s])..<Int(window.cuSeqlens[s + 1])]
            }
        }
        // Ordinals follow input order: files in order, lines in order (empty and broken records rejected).
        #expect(rebuilt.count == documents.count)
        for (ordinal, document) in documents.enumerated() {
            #expect(rebuilt[Int64(ordinal)] == encoder.encodeOrdinary(document.text) + [257], "\(document.id)")
        }
        let lines = try readJSONL("\(folder)/documents/rank-00000.jsonl.zst")
        #expect(lines.map { string($0.value(at: ["id"])) } == documents.map(\.id))

        let report = ShardVerifier.verify(folder: folder)
        #expect(report.ok, "\(report.problems)")
    }

    @Test("the same recipe writes the same bytes for any thread count")
    func deterministic() throws {
        var manifests: [[UInt8]] = []
        for threads in [1, 3] {
            let t = try TempFolder()
            _ = try writePackCorpus(t)
            _ = try runRecipe(packRecipe(strategy: "bestfit", seqLen: 48, meco: true), in: t, threads: threads)
            // The manifest holds the sha256 of every file: equal manifests, equal folders.
            manifests.append(try t.read("out/manifest.json"))
        }
        #expect(manifests[0] == manifests[1])
    }

    @Test("shuffle_windows: the same windows in a seeded order, every part of a window together; same seed, same bytes")
    func shuffleWindows() throws {
        func run(seed: Int, shuffle: Bool, threads: Int = 2, meco: Bool = false) throws -> (TempFolder, PackManifest) {
            let t = try TempFolder()
            _ = try writePackCorpus(t)
            let recipe = packRecipe(strategy: "concat", seqLen: 32, meco: meco,
                                    extra: shuffle ? "    shuffle_windows: true\n" : "")
                .replacingOccurrences(of: "seed: 11", with: "seed: \(seed)")
            _ = try runRecipe(recipe, in: t, threads: threads)
            return (t, try PackManifest.read(from: "\(t.path)/out"))
        }
        func key(_ w: PackedWindow) -> String { "\(w.tokens)|\(w.lossMask)|\(w.cuSeqlens)|\(w.segments)" }
        func windows(_ t: TempFolder, set: String = "train") throws -> [String] {
            try readWindows("\(t.path)/out", set: set).map(key)
        }
        let (plain, plainManifest) = try run(seed: 11, shuffle: false)
        let (shuffled, manifest) = try run(seed: 11, shuffle: true)
        let (again, _) = try run(seed: 11, shuffle: true, threads: 1)
        let (other, _) = try run(seed: 12, shuffle: true)
        let base = try windows(plain), a = try windows(shuffled), b = try windows(again), c = try windows(other)
        #expect(base.count > 20 && plainManifest.sets.train.shards.count > 1)
        #expect(a.sorted() == base.sorted() && c.sorted() == base.sorted(), "the same windows")
        #expect(a != base && c != a, "in another order for each seed")
        let bytesA = try shuffled.read("out/manifest.json"), bytesB = try again.read("out/manifest.json")
        #expect(a == b && bytesA == bytesB, "the same seed, the same bytes, any thread count")
        #expect(manifest.shuffleWindows == true && plainManifest.shuffleWindows == nil)
        #expect(manifest.sets.train.windows == plainManifest.sets.train.windows)
        #expect(manifest.sets.train.shards.map(\.windows) == plainManifest.sets.train.shards.map(\.windows))
        #expect(manifest.sets.train.lossTokens == plainManifest.sets.train.lossTokens)
        let plainText = String(decoding: try plain.read("out/manifest.json"), as: UTF8.self)
        #expect(!plainText.contains("shuffle_windows"))
        let report = ShardVerifier.verify(folder: "\(shuffled.path)/out")
        #expect(report.ok, "\(report.problems)")

        // Both sets shuffled with MeCo's cooldown set.
        let (mecoPlain, _) = try run(seed: 11, shuffle: false, meco: true)
        let (mecoShuffled, _) = try run(seed: 11, shuffle: true, meco: true)
        for set in ["train", "cooldown"] {
            let x = try windows(mecoPlain, set: set), y = try windows(mecoShuffled, set: set)
            #expect(x.sorted() == y.sorted() && x != y, "\(set)")
        }
        #expect(ShardVerifier.verify(folder: "\(mecoShuffled.path)/out").ok)
    }

    @Test("MeCo: masked URL prefix on train documents with a url that parses, none in the cooldown set")
    func meco() throws {
        let t = try TempFolder()
        let documents = try writePackCorpus(t)
        _ = try runRecipe(packRecipe(strategy: "docmask", seqLen: 64, meco: true, extra: "    bos: <s>\n"), in: t)
        let folder = "\(t.path)/out"
        let encoder = try TokenizerFile.load(path: "\(t.path)/toy/tokenizer.json", encoding: nil)
        let manifest = try PackManifest.read(from: folder)
        let meco = try #require(manifest.meco)
        let lines = try readJSONL("\(folder)/documents/rank-00000.jsonl.zst")
        let cooldown = lines.filter { string($0.value(at: ["set"])) == "cooldown" }.count
        #expect(meco.cooldownDocuments == cooldown && cooldown > 10 && cooldown < 50)
        #expect(meco.documentsWithPrefix + meco.documentsWithoutUrl + meco.documentsBadUrl + cooldown == 120)
        #expect(manifest.bosId == 258)

        for set in ["train", "cooldown"] {
            var rebuilt: [Int64: (tokens: [UInt32], mask: [UInt8])] = [:]
            for window in try readWindows(folder, set: set) {
                for s in 0..<window.segmentCount where window.segments[2 * s] >= 0 {
                    let range = Int(window.cuSeqlens[s])..<Int(window.cuSeqlens[s + 1])
                    rebuilt[window.segments[2 * s], default: ([], [])].tokens += window.tokens[range]
                    rebuilt[window.segments[2 * s], default: ([], [])].mask += window.lossMask[range]
                }
            }
            for (ordinal, (tokens, mask)) in rebuilt {
                let document = documents[Int(ordinal)]
                let text = encoder.encodeOrdinary(document.text) + [257]
                var prefix: [UInt32] = [258]
                if set == "train", let url = document.url, let host = URLHost.host(of: url) {
                    prefix += encoder.encodeOrdinary("URL: \(host)\n\n")
                }
                #expect(tokens == prefix + text, "\(set) \(document.id)")
                #expect(mask == [UInt8](repeating: 0, count: prefix.count) + [UInt8](repeating: 1, count: text.count))
            }
        }
        #expect(ShardVerifier.verify(folder: folder).ok)
    }

    @Test("a failure while publishing leaves no shards and no manifest; the re-run completes from the parts")
    func interruptedRunCompletes() throws {
        let t = try TempFolder()
        _ = try writePackCorpus(t)
        try t.write("out/train", "a file where the train folder goes")
        #expect(throws: (any Error).self) { try runRecipe(packRecipe(strategy: "pad", seqLen: 32), in: t) }
        #expect(!t.exists("out/manifest.json") && !t.exists("out/ranks/rank-00000.done"))
        #expect(!t.exists("out/cooldown"))
        try FileManager.default.removeItem(atPath: "\(t.path)/out/train")
        let outcome = try runRecipe(packRecipe(strategy: "pad", seqLen: 32), in: t)
        #expect(outcome.manifest != nil)
        #expect(ShardVerifier.verify(folder: "\(t.path)/out").ok)

        let fresh = try TempFolder()
        _ = try writePackCorpus(fresh)
        _ = try runRecipe(packRecipe(strategy: "pad", seqLen: 32), in: fresh)
        #expect(try t.read("out/manifest.json") == fresh.read("out/manifest.json"), "same bytes as an uninterrupted run")
    }

    @Test("recipe errors: pack without a tokenizer, an unknown EOS, a template without {url}")
    func recipeErrors() throws {
        let t = try TempFolder()
        _ = try writePackCorpus(t)
        let noTokenizer = "inputs:\n  - path: in\noutput:\n  path: out\n  pack: {strategy: concat, seq_len: 8}\n"
        #expect(throws: RecipeError.self) { try runRecipe(noTokenizer, in: t) }
        #expect(throws: RecipeError.self) { try runRecipe(packRecipe(strategy: "concat", seqLen: 8, extra: "    eos: <nope>\n"), in: t) }
        #expect(throws: RecipeError.self) { try runRecipe(packRecipe(strategy: "best", seqLen: 8), in: t) }
        let badTemplate = packRecipe(strategy: "concat", seqLen: 8, extra: "    meco: {template: \"no placeholder\"}\n")
        #expect(throws: RecipeError.self) { try runRecipe(badTemplate, in: t) }
    }

    @Test("a vocabulary beyond int32 is refused before anything is read")
    func vocabularyTooLarge() throws {
        struct Huge: TokenEncoder {
            func encodeOrdinary(_ text: String) -> [UInt32] { [] }
            func decode(_ ids: [UInt32]) throws(TokenizerError) -> [UInt8] { [] }
            func decodeString(_ ids: [UInt32]) throws(TokenizerError) -> String { "" }
            var vocabularySize: Int { 1 << 32 }
            func tokenID(_ content: String) -> UInt32? { 0 }
        }
        let t = try TempFolder()
        try t.write("t.json", "{}")
        #expect(throws: ShardError.vocabularyTooLarge(1 << 32)) {
            try PackContext(spec: PackSpec(strategy: .concat, seqLen: 8), encoder: Huge(),
                            tokens: PackTokens(eos: 0, bos: nil, pad: 0), seed: 0, tokenizerPath: "\(t.path)/t.json")
        }
    }
}
