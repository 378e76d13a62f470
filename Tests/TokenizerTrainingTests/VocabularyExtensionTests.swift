import Foundation
import ReferenceSupport
import Testing
import Tokenization
@testable import TokenizerTraining

private struct FixtureAnswer: Decodable { var fixtures: [String: String] }

private struct RealRequest: Encodable {
    var model: String
    var realBytes: Int
    enum CodingKeys: String, CodingKey { case model, realBytes = "real_bytes" }
}

private struct RealAnswer: Decodable {
    var realTexts: [String]
    enum CodingKeys: String, CodingKey { case realTexts = "real_texts" }
}

private struct EncodeRequest: Encodable {
    var load: String
    var encode: [String]
    var tokenIds: [String]
    enum CodingKeys: String, CodingKey { case load, encode, tokenIds = "token_ids" }
}

private struct EncodeAnswer: Decodable {
    var ids: [[UInt32]]
    var tokenIds: [UInt32?]
    var vocabSize: Int
    enum CodingKeys: String, CodingKey { case ids, tokenIds = "token_ids", vocabSize = "vocab_size" }
}

/// Real multilingual documents; the Chinese ones are the domain: two thirds to learn from, a third held out.
private let real = Reference.result("reference_hf.py", RealRequest(model: "qwen-2.5", realBytes: 1_500_000),
                                    as: RealAnswer.self)
private let fixtures = Reference.result("reference_hf.py", ["info": true], as: FixtureAnswer.self)

private func isChinese(_ text: String) -> Bool {
    text.unicodeScalars.filter { (0x4E00...0x9FFF).contains($0.value) }.count * 4 > text.unicodeScalars.count
}

@Suite struct VocabularyExtensionTests {
    /// Llama-3.1 (a gap of 256 added tokens before the new ids) and Qwen2.5 (added tokens right after the
    /// model's vocabulary).
    @Test(arguments: ["deepseek-r1-distill-llama-8b", "qwen-2.5"])
    func extendsWithOldIDsKeptAndEncodesAsTokenizers(model: String) throws {
        guard let texts = real.recordedValue?.realTexts, let base = fixtures.recordedValue?.fixtures[model] else { return }
        let chinese = texts.filter(isChinese)
        let english = texts.filter { !isChinese($0) }.prefix(20)
        #expect(chinese.count >= 30)
        let learn = chinese.enumerated().filter { $0.offset % 3 != 2 }.map(\.element)
        let heldOut = chinese.enumerated().filter { $0.offset % 3 == 2 }.map(\.element)

        let extender = try VocabularyExtension(base: base, newTokens: 300)
        var words = extender.wordCounter()
        for text in learn { words.add(text) }
        let extended = try extender.extend(words)
        #expect(extended.newTokens.count == 300)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-extend-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/tokenizer.json"
        try extended.write(to: path)

        // Deterministic: the same bytes again.
        var again = extender.wordCounter()
        for text in learn { again.add(text) }
        try extender.extend(again).write(to: "\(folder)/again.json")
        #expect(FileManager.default.contents(atPath: path) == FileManager.default.contents(atPath: "\(folder)/again.json"))

        // Every old token keeps its id, in the file and as tokenizers numbers the added tokens.
        let baseJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base))) as? [String: Any]
        let newJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let baseVocab = try #require((baseJSON?["model"] as? [String: Any])?["vocab"] as? [String: Int])
        let newVocab = try #require((newJSON?["model"] as? [String: Any])?["vocab"] as? [String: Int])
        #expect(baseVocab.allSatisfy { newVocab[$0.key] == $0.value })
        let added = (baseJSON?["added_tokens"] as? [[String: Any]] ?? []).compactMap { entry -> (String, UInt32)? in
            guard let content = entry["content"] as? String, let id = entry["id"] as? Int else { return nil }
            return (content, UInt32(id))
        }
        #expect(!added.isEmpty)

        let ours = try HFTokenizer.load(path: path)
        let baseTokenizer = try HFTokenizer.load(path: base)
        let probe = heldOut + Array(english)
        let reference = try Reference.ask("reference_bpe_train.py",
                                          EncodeRequest(load: path, encode: probe, tokenIds: added.map(\.0)),
                                          as: EncodeAnswer.self)
        #expect(reference.tokenIds == added.map { Optional($0.1) }, "tokenizers renumbered added tokens")
        #expect(reference.vocabSize == extended.firstNewID + 300)
        for (content, id) in added.prefix(20) { #expect(ours.tokenID(content) == id) }
        let ourIDs = probe.map { ours.encode($0) }
        for (k, pair) in zip(ourIDs, reference.ids).enumerated() where pair.0 != pair.1 {
            Issue.record("document \(k) encodes differently from tokenizers")
            break
        }
        for (text, ids) in zip(probe, ourIDs) { #expect(try ours.decodeString(ids) == text) }
        // Shorter on held-out domain text; nothing new where no new merge applies (English here).
        let before = heldOut.reduce(0) { $0 + baseTokenizer.encode($1).count }
        let after = heldOut.reduce(0) { $0 + ours.encode($1).count }
        #expect(after < before, "\(after) vs \(before) tokens")
        for text in english where ours.encode(text).contains(where: { $0 >= UInt32(extended.firstNewID) }) == false {
            #expect(ours.encode(text) == baseTokenizer.encode(text))
        }
    }

    @Test func refusesWhatItCannotExtend() throws {
        guard let fixture = fixtures.recordedValue?.fixtures["ai21-j2-unigram"] else { return }
        #expect(throws: BPETrainingError.self) { try VocabularyExtension(base: fixture, newTokens: 10) }
        guard let qwen = fixtures.recordedValue?.fixtures["qwen-2.5"] else { return }
        #expect(throws: BPETrainingError.noNewTokens) { try VocabularyExtension(base: qwen, newTokens: 0) }
    }
}
