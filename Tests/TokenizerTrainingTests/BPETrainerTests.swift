import CorpusCore
import Foundation
import Testing
import Tokenization

@testable import TokenizerTraining

// BPETrainer against its plain reference (BPEReferenceTrainer) on random corpora, and its edge cases.

/// Words from `alphabet` joined by spaces (so the GPT-2 pattern cuts them back into words and " words").
private func randomDocument(_ random: inout SplitMix64, alphabet: [String], words: Int) -> String {
    var parts: [String] = []
    for _ in 0..<words {
        let length = 1 + Int(random.next() % 7)
        parts.append((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined())
    }
    return parts.joined(separator: " ")
}

@Suite struct BPETrainerTests {
    @Test func docExample() throws {
        var counts = BPEWordCounts(pretokenizer: .gpt2)
        counts.add("low lower lowest")
        let model = try BPETrainer(options: BPETrainerOptions(vocabSize: 260)).train(counts)
        #expect(model.mergeStrings.map { [$0.0, $0.1] } == [["l", "o"], ["lo", "w"], ["Ġ", "low"], ["Ġlow", "e"]])
        #expect(model.vocab.count == 260)
    }

    @Test func wordCounts() {
        var counts = BPEWordCounts(pretokenizer: .gpt2)
        counts.add("a cat, a cat")
        #expect(counts.total == 5)
        #expect(counts.distinct == 4)
        #expect(counts.counts[Array(" cat".utf8)] == 2)
        var batch = BPEWordCounts(pretokenizer: .gpt2)
        batch.add(batch: ["a cat, a cat", "a cat", "x"], threads: 3)
        var serial = BPEWordCounts(pretokenizer: .gpt2)
        for text in ["a cat, a cat", "a cat", "x"] { serial.add(text) }
        #expect(batch.counts == serial.counts)
        #expect(batch.total == serial.total && batch.documents == 3)
    }

    @Test func referenceMergeExamples() {
        #expect(BPEReferenceTrainer.merge([1, 1, 1], BPEMerge(left: 1, right: 1), into: 9) == [9, 1])
        #expect(BPEReferenceTrainer.merge([1, 2, 3, 1, 2], BPEMerge(left: 1, right: 2), into: 4) == [4, 3, 4])
    }

    /// Overlapping pairs: "aaa" merges (a, a) once, leaving (aa, a); "aaaa" becomes (aa, aa).
    @Test func overlappingPairs() throws {
        var counts = BPEWordCounts(pretokenizer: .gpt2)
        counts.add("aaa")
        let three = try BPETrainer(options: BPETrainerOptions(vocabSize: 300)).train(counts)
        #expect(three.mergeStrings.map { [$0.0, $0.1] } == [["a", "a"], ["aa", "a"]])
        var four = BPEWordCounts(pretokenizer: .gpt2)
        four.add("aaaa")
        let model = try BPETrainer(options: BPETrainerOptions(vocabSize: 300)).train(four)
        #expect(model.mergeStrings.map { [$0.0, $0.1] } == [["a", "a"], ["aa", "aa"]])
    }

    @Test func emptyCorpus() throws {
        let counts = BPEWordCounts(pretokenizer: .llama3)
        let model = try BPETrainer(options: BPETrainerOptions(vocabSize: 1000, specialTokens: ["<s>", "</s>", "<s>"]))
            .train(counts)
        #expect(model.vocab.count == 258)
        #expect(model.specialTokenCount == 2)
        #expect(Array(model.vocab.prefix(3)) == ["<s>", "</s>", "!"])
        #expect(model.merges.isEmpty)
    }

    @Test func settingsThatCannotTrain() {
        let counts = BPEWordCounts(pretokenizer: .gpt2)
        #expect(throws: BPETrainingError.vocabularyTooSmall(vocabSize: 257, required: 258)) {
            try BPETrainer(options: BPETrainerOptions(vocabSize: 257, specialTokens: ["<a>", "<b>"])).train(counts)
        }
        #expect(throws: BPETrainingError.emptySpecialToken(index: 1)) {
            try BPETrainer(options: BPETrainerOptions(vocabSize: 400, specialTokens: ["<a>", ""])).train(counts)
        }
        #expect(throws: BPETrainingError.negativeMinFrequency(-1)) {
            try BPETrainer(options: BPETrainerOptions(vocabSize: 400, minFrequency: -1)).train(counts)
        }
        #expect(BPETrainingError.vocabularyTooSmall(vocabSize: 257, required: 258).description.contains("258"))
    }

    /// A pair merged twice is serialized once, at its later position (as `tokenizers` writes its merges map).
    @Test func repeatedPairsSerializeAtTheirLastPosition() {
        let (p, q) = (BPEMerge(left: 1, right: 2), BPEMerge(left: 3, right: 4))
        let training: [(merge: BPEMerge, result: UInt32)] = [(p, 300), (q, 301), (p, 300), (q, 301), (p, 300)]
        #expect(TrainedBPE.serializedMerges(training) == [q, p])
    }

    /// A special token whose text a merge also makes keeps its id (the merge reuses it).
    @Test func mergeMakingASpecialToken() throws {
        var counts = BPEWordCounts(pretokenizer: .gpt2)
        counts.add("ab ab ab")
        let model = try BPETrainer(options: BPETrainerOptions(vocabSize: 300, specialTokens: ["ab"])).train(counts)
        #expect(model.trainingMerges.first?.result == 0)
        #expect(model.vocab.filter { $0 == "ab" }.count == 1)
    }

    /// The incremental trainer equals the recounting reference on random corpora, up to and including the first
    /// merge that makes an existing token (from there `tokenizers`' bookkeeping, which BPETrainer keeps, and a
    /// recount may part); entirely when no merge does.
    @Test(arguments: 0..<60) func fastEqualsReference(seed: Int) throws {
        _ = try compareWithReference(seed: seed)
    }

    /// Most random corpora are compared entirely (no merge made an existing token).
    @Test func mostComparisonsAreComplete() throws {
        let complete = try (0..<60).filter { try compareWithReference(seed: $0) }.count
        #expect(complete >= 30, "\(complete) of 60 random corpora compared entirely")
    }

    /// Trains both ways on the random corpus of `seed`; true when they were compared entirely.
    private func compareWithReference(seed: Int) throws -> Bool {
        var random = SplitMix64(state: UInt64(seed) &* 0x9E37_79B9 &+ 17)
        let alphabets = [["a", "b"], ["a", "b", "c"], ["a", "b", "c", "d", "e"], ["x", "é", "日", "y"],
                         ["p", "q", "r", "s", "t", "u", "v", "w"]]
        let alphabet = alphabets[seed % alphabets.count]
        var counts = BPEWordCounts(pretokenizer: seed % 2 == 0 ? .gpt2 : .llama3)
        let documents = 1 + Int(random.next() % 6)
        for _ in 0..<documents {
            counts.add(randomDocument(&random, alphabet: alphabet, words: 1 + Int(random.next() % 40)))
        }
        let specials = seed % 3 == 0 ? ["<|endoftext|>", "a"] : []
        let options = BPETrainerOptions(
            vocabSize: 256 + specials.count + Int(random.next() % 80), minFrequency: seed % 4 == 1 ? 2 : 0,
            specialTokens: specials)
        let fast = try BPETrainer(options: options).train(counts)
        let (reference, firstReuse) = try BPEReferenceTrainer(options: options).train(counts)
        guard let firstReuse else {
            #expect(fast == reference, "seed \(seed)")
            return true
        }
        let prefix = firstReuse + 1
        let ours: [BPEMerge] = fast.trainingMerges.prefix(prefix).map { $0.merge }
        let theirs: [BPEMerge] = reference.trainingMerges.prefix(prefix).map { $0.merge }
        #expect(ours == theirs, "seed \(seed)")
        let tokens = fast.specialTokenCount + 256 + prefix
        #expect(Array(fast.vocab.prefix(tokens)) == Array(reference.vocab.prefix(tokens)), "seed \(seed)")
        return false
    }

    /// The written tokenizer.json loads in ptk's own loader, and encodes and decodes text as trained.
    @Test(arguments: BPEPretokenizer.allCases) func writtenFileLoads(pretokenizer: BPEPretokenizer) throws {
        var counts = BPEWordCounts(pretokenizer: pretokenizer)
        let text = "The quick brown fox jumps over the lazy dog. 日本語のテキスト 1234567 "
            + "\n\n  indented\tline\r\n"
        for _ in 0..<3 { counts.add(text) }
        let model = try BPETrainer(options: BPETrainerOptions(vocabSize: 330, specialTokens: ["<|endoftext|>"]))
            .train(counts)
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ptk-bpe-\(pretokenizer)-\(ProcessInfo.processInfo.processIdentifier).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.writeTokenizerJSON(to: path)
        let loaded = try HFTokenizer.load(path: path)
        #expect(loaded.takesFastPath)
        let ids = loaded.encode(text)
        #expect(ids.count < text.utf8.count / 2)
        #expect(try loaded.decodeString(ids) == text)
        #expect(loaded.vocabularySize == 330)
        #expect(try model.tokenizerJSON() == Array(Data(contentsOf: URL(fileURLWithPath: path))))
    }
}
