import CorpusCore
import CorpusIO
import Foundation
import ReferenceSupport
import Shards
import Testing
@testable import Pipeline

/// What scripts/reference_megatron.py answers.
private struct MegatronAnswer: Decodable {
    var documents_compared: Int
    var windows: Int
    var mismatch_count: Int
    var mismatches: [String]
    var megatron_core_version: String?
}

private struct MegatronRequest: Encodable {
    struct Text: Encodable { var text: String }
    var folder: String
    var tokenizer: String
    var documents: [Text]
}

private struct FixtureAnswer: Decodable {
    var fixtures: [String: String]?
    var real_texts: [String]?
}

/// Real multilingual text (the Debian Reference in five languages, Chinese fortunes) plus hard strings, and
/// tokenizer.json files from the reference venv; nil with an issue recorded when the venvs are missing.
private let packFixtures: (qwen: String, llama: String, minilm: String, texts: [String])? = {
    do {
        let hf = try Reference.ask("reference_hf.py", ["info": true], as: FixtureAnswer.self)
        let real = try Reference.ask("reference_hf.py", ["model": "qwen-2.5", "real_bytes": 400_000] as [String: AnyEncodable],
                                     as: FixtureAnswer.self)
        let wordpiece = try Reference.ask("reference_wordpiece.py", ["info": true], as: FixtureAnswer.self)
        guard let qwen = hf.fixtures?["qwen-2.5"], let llama = hf.fixtures?["deepseek-r1-distill-llama-8b"],
              let minilm = wordpiece.fixtures?["all-minilm-l6-v2"], let texts = real.real_texts
        else { return nil }
        let hard = ["<|endoftext|> is text", "  leading spaces", "emoji 👩‍👩‍👧 ZWJ", "e\u{301}\u{301}", "ไทย", "a\r\n\r\nb",
                    String(repeating: "9", count: 5000), String(repeating: "长", count: 3000)]
        return (qwen, llama, minilm, texts + hard)
    } catch {
        return nil
    }
}()

/// Any JSON scalar, for ad-hoc requests.
private enum AnyEncodable: Encodable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String), int(Int)
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .string(s): try c.encode(s)
        case let .int(i): try c.encode(i)
        }
    }
}

@Suite("Packed shards read by megatron-core")
struct MegatronReferenceTests {
    @Test("IndexedDataset reads back the reference tokenizer's ids, in the documented order",
          arguments: [("concat", "qwen"), ("docmask", "llama"), ("bestfit", "qwen"), ("pad", "minilm"),
                      ("bestfit-meco", "llama"), ("concat", "minilm"), ("concat-shuffle", "qwen"),
                      ("docmask-shuffle", "minilm")])
    func megatronReadsOurShards(strategy: String, model: String) throws {
        guard let fixtures = packFixtures else {
            Issue.record("reference venv missing: run ./scripts/test.sh")
            return
        }
        guard let torchPython = Reference.torchPython().path else {
            Issue.record("torch venv missing: run ./scripts/test.sh (scripts/torch-venv.sh)")
            return
        }
        let tokenizer = ["qwen": fixtures.qwen, "llama": fixtures.llama, "minilm": fixtures.minilm][model] ?? ""
        let t = try TempFolder()
        var rng = SeededRandom(seed: 5)
        let urls = ["https://zh.wikipedia.org/wiki/长江", "http://docs.example.com/x", "no url", ""]
        let lines = fixtures.texts.enumerated().map { i, text -> String in
            var o = JSONObject()
            o.append("id", .string("doc-\(i)"))
            o.append("text", .string(text))
            let url = urls[Int(rng.next() % UInt64(urls.count))]
            if !url.isEmpty { o.append("url", .string(url)) }
            var w = JSONWriter()
            w.value(.object(o))
            return w.string
        }
        try t.write("in/a.jsonl", lines[..<(lines.count / 2)].joined(separator: "\n") + "\n")
        try t.write("in/b.jsonl", lines[(lines.count / 2)...].joined(separator: "\n") + "\n")
        let meco = strategy.hasSuffix("-meco")
        let shuffle = strategy.hasSuffix("-shuffle")
        let base = strategy.split(separator: "-").first.map(String.init) ?? strategy
        let recipe = """
            seed: 3
            inputs:
              - path: in
            output:
              path: out
              tokenizer:
                path: \(tokenizer)
              pack:
                strategy: \(base)
                seq_len: 512
                max_shard_bytes: 256KiB
            \(meco ? "    bos: auto\n    meco: {cooldown_share: 0.2}\n" : "")\(shuffle ? "    shuffle_windows: true\n" : "")
            """
        _ = try runRecipe(recipe, in: t, threads: 2)
        let folder = "\(t.path)/out"
        let manifest = try PackManifest.read(from: folder)
        #expect(manifest.documents.packed == fixtures.texts.count)
        #expect(manifest.dtype == (model == "minilm" ? .uint16 : .int32))
        #expect(ShardVerifier.verify(folder: folder).ok)

        let request = MegatronRequest(folder: folder, tokenizer: tokenizer,
                                      documents: fixtures.texts.map { MegatronRequest.Text(text: $0) })
        let answer = try Reference.ask("reference_megatron.py", request, as: MegatronAnswer.self, python: torchPython)
        #expect(answer.documents_compared == fixtures.texts.count)
        #expect(answer.windows == manifest.sets.train.windows + manifest.sets.cooldown.windows)
        #expect(answer.mismatch_count == 0, "\(answer.mismatches)")
    }
}
