import Foundation
import ReferenceSupport
import Testing
import Tokenization

@testable import TokenizerTraining

// BPETrainer against Hugging Face tokenizers 0.23.3's BpeTrainer through scripts/reference_bpe_train.py in the
// reference venv (scripts/reference-venv.sh), on real multilingual text (scripts/multilingual-corpus.sh, through
// reference_corpus.real_texts). A missing venv or corpus fails the tests.

struct TrainConfig: Codable, Sendable, CustomTestStringConvertible {
    var pattern: String
    var vocab_size: Int
    var min_frequency: Int
    var special_tokens: [String]

    var testDescription: String {
        "\(pattern) vocab \(vocab_size) min \(min_frequency) specials \(special_tokens.count)"
    }
}

private struct TrainRequest: Encodable {
    var real_bytes: Int?
    var configs: [TrainConfig]?
    var load: String?
    var encode: [String]?
}

private struct TrainResult: Decodable {
    var vocab: [String: UInt32]
    var merges: [[String]]
    var json: String
    var seconds: Double
}

private struct TrainAnswer: Decodable {
    var train_texts: [String]?
    var held_out_texts: [String]?
    var results: [TrainResult]?
    var ids: [[UInt32]]?
}

private let trainConfigs = [
    TrainConfig(pattern: "gpt2", vocab_size: 3000, min_frequency: 0, special_tokens: []),
    TrainConfig(pattern: "llama3", vocab_size: 5000, min_frequency: 0,
                special_tokens: ["<|begin_of_text|>", "<|end_of_text|>"]),
    TrainConfig(pattern: "gpt2", vocab_size: 4000, min_frequency: 40, special_tokens: ["<|endoftext|>"]),
    TrainConfig(pattern: "llama3", vocab_size: 2000, min_frequency: 2, special_tokens: ["<pad>", "<unk>", "<pad>"]),
]

/// The reference's training, once per test process: about 2 MB of real documents, all configurations.
private let trained = Reference.result(
    "reference_bpe_train.py", TrainRequest(real_bytes: 2_000_000, configs: trainConfigs), as: TrainAnswer.self)

@Suite struct BPETrainerReferenceTests {
    /// Our merges, vocabulary and tokenizer.json equal `tokenizers`' exactly; `tokenizers` loads our file and
    /// encodes held-out documents to the ids ptk's own loader gives.
    @Test(arguments: trainConfigs.indices) func equalsHFTokenizers(index: Int) throws {
        let answer: TrainAnswer
        switch trained {
        case .success(let value): answer = value
        case .failure(let problem):
            Issue.record(Comment(rawValue: problem.description))
            return
        }
        let config = trainConfigs[index]
        guard let texts = answer.train_texts, let heldOut = answer.held_out_texts, let results = answer.results,
            let pretokenizer = BPEPretokenizer(rawValue: config.pattern)
        else {
            Issue.record("reference_bpe_train.py gave no texts or results")
            return
        }
        let theirs = results[index]
        var counts = BPEWordCounts(pretokenizer: pretokenizer)
        counts.add(batch: texts, threads: 2)
        let start = Date()
        let model = try BPETrainer(options: BPETrainerOptions(
            vocabSize: config.vocab_size, minFrequency: config.min_frequency, specialTokens: config.special_tokens)
        ).train(counts)
        print("\(config.testDescription): \(texts.count) documents, \(counts.distinct) distinct words, "
              + "\(model.merges.count) merges in \(Date().timeIntervalSince(start)) s (tokenizers \(theirs.seconds) s)")

        var ourVocab: [String: UInt32] = [:]
        for (id, token) in model.vocab.enumerated() { ourVocab[token] = UInt32(id) }
        #expect(ourVocab.count == model.vocab.count)
        #expect(ourVocab == theirs.vocab)
        let ourMerges = model.mergeStrings.map { [$0.0, $0.1] }
        #expect(ourMerges.count == theirs.merges.count)
        if let first = zip(ourMerges, theirs.merges).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            Issue.record("merge \(first.offset) differs: ours \(first.element.0) tokenizers \(first.element.1)")
        }
        #expect(String(decoding: model.tokenizerJSON(), as: UTF8.self) == theirs.json)

        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ptk-bpe-reference-\(index)-\(ProcessInfo.processInfo.processIdentifier).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.writeTokenizerJSON(to: path)
        let ours = try HFTokenizer.load(path: path)
        let reference = try Reference.ask(
            "reference_bpe_train.py", TrainRequest(load: path, encode: heldOut), as: TrainAnswer.self)
        let ourIDs = heldOut.map { ours.encode($0) }
        #expect(ourIDs.count == reference.ids?.count)
        for (k, pair) in zip(ourIDs, reference.ids ?? []).enumerated() where pair.0 != pair.1 {
            Issue.record("held-out document \(k) encodes differently")
            break
        }
        for (text, ids) in zip(heldOut, ourIDs).prefix(5) { #expect(try ours.decodeString(ids) == text) }
    }
}
