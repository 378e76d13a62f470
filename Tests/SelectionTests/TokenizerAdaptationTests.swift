import CorpusCore
import CorpusIO
import Foundation
import ReferenceSupport
import Testing
import Tokenization
@testable import Selection

/// Random text over a word list, with `phrase` planted every `every` words (0: never).
private func plantedTexts(seed: UInt64, documents: Int, words: Int, vocabulary: [String], phrase: String = "",
                          every: Int = 0) -> [String] {
    var random = SeededRandom(seed: seed)
    return (0..<documents).map { _ in
        var out: [String] = []
        for w in 0..<words {
            if every > 0, w % every == every - 1 {
                out.append(phrase)
            } else {
                out.append(vocabulary[Int(random.next() % UInt64(vocabulary.count))])
            }
        }
        return out.joined(separator: " ") + "."
    }
}

private let generalWords = ["the", "of", "and", "to", "in", "is", "was", "for", "on", "with", "as", "by", "at", "from",
                            "city", "team", "game", "music", "film", "road", "river", "school", "house", "season",
                            "new", "york", "state", "park", "old", "town"]

@Suite struct TokenizerAdaptationTests {
    @Test("the schedule is geometric, reaches the limit exactly, goes on below it and respects the floor")
    func schedule() {
        #expect(TokenizerAdaptation.schedule(start: 1000, limit: 100, steps: 2, below: 1, floor: 10) == [316, 100, 50])
        #expect(TokenizerAdaptation.schedule(start: 1000, limit: 100, steps: 2, below: 1, floor: 80) == [316, 100, 80])
        #expect(TokenizerAdaptation.schedule(start: 1000, limit: 100, steps: 3, below: 0, floor: 10) == [464, 215, 100])
        #expect(TokenizerAdaptation.schedule(start: 90, limit: 100, steps: 3, below: 2, floor: 10) == [64, 45])
        #expect(TokenizerAdaptation.schedule(start: 100, limit: 100, steps: 3, below: 0, floor: 10) == [])
    }

    @Test("normalization is Metaspace's: spaces become ▁ and a ▁ starts the text")
    func normalize() {
        #expect(String(decoding: TokenizerAdaptation.normalize("New York  x"), as: UTF8.self) == "▁New▁York▁▁x")
        #expect(String(decoding: TokenizerAdaptation.normalize(" a"), as: UTF8.self) == "▁a")
        #expect(TokenizerAdaptation.normalize("").isEmpty)
    }

    @Test("task units: words with their ▁, multi-word units of up to max-words, character n-grams without spaces")
    func units() {
        var counter = UnitCounter(maxWords: 2, unspacedGram: 3)
        counter.add(TokenizerAdaptation.normalize("New York, 日本語"))
        let units = Set(counter.units.keys.map { String(decoding: $0, as: UTF8.self) })
        #expect(units == ["▁New", "▁York", "▁New▁York", "日本", "本語", "日本語"])
        #expect(TokenizerAdaptation.wordCount(Array("▁New▁York".utf8)) == 2)
        #expect(TokenizerAdaptation.wordCount(Array("▁the".utf8)) == 1)
        #expect(TokenizerAdaptation.wordCount(Array("▁▁".utf8)) == 0)
    }

    @Test("a bounded unit table drops the rarest units and still finds a frequent phrase")
    func boundedUnits() throws {
        var counter = UnitCounter(maxWords: 3, unspacedGram: 4, maxUnits: 50)
        for text in plantedTexts(seed: 5, documents: 20, words: 40, vocabulary: generalWords,
                                 phrase: "Golden Gate Bridge", every: 5) {
            counter.add(TokenizerAdaptation.normalize(text))
            #expect(counter.units.count <= 50)
        }
        #expect(counter.prunes > 0 && counter.floor >= 1)
        #expect(counter.units[Array("▁Golden▁Gate▁Bridge".utf8)] != nil, "\(counter.units.count) units left")
    }

    @Test("a phrase repeated in the target becomes one piece; the table and the choice follow the formulas")
    func plantedPhrase() throws {
        let texts = plantedTexts(seed: 7, documents: 60, words: 80, vocabulary: generalWords,
                                 phrase: "Golden Gate Bridge", every: 9)
        let base = ["▁the", "▁of", "▁and", "▁in", "er", "▁Go", "ate"].map { Array($0.utf8) }
        let options = TokenizerAdaptationOptions(vocabSize: 300, minCount: 5, taskVocab: 500, steps: 3, stepsBelow: 2)
        let result = try TokenizerAdaptation.adapt(base: base, target: InMemoryTexts(texts), options: options)
        let tokenizer = try result.tokenizer.tokenizer()
        let phrase = try #require(tokenizer.tokenID("▁Golden▁Gate▁Bridge"), "\(result.tokenizer.pieces.prefix(40))")
        #expect(tokenizer.encodeOrdinary("Golden Gate Bridge") == [phrase])
        #expect(result.multiWordInFinal >= 1)
        #expect(result.tokenizer.pieces.count == result.steps[result.chosen].size)

        // The table: sizes strictly fall, the limit is met exactly, each row's numbers are its formulas.
        let rows = result.steps
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.size > $1.size })
        #expect(rows.contains { $0.size == 300 })
        for (index, row) in rows.enumerated() {
            #expect(abs(row.meanTokenLength - Double(row.characters) / Double(row.tokens)) < 1e-12)
            #expect(abs(row.utility - row.entropy / row.meanTokenLength) < 1e-12)
            #expect(row.entropy >= 0 && row.entropy <= log2(Double(row.size)) + 1e-9)
            if index + 1 < rows.count {
                let next = rows[index + 1]
                let muv = (next.utility - row.utility) / Double(row.size - next.size)
                #expect(abs((row.marginalUtility ?? .nan) - muv) < 1e-15)
            } else {
                #expect(row.marginalUtility == nil)
            }
        }
        // Not a theorem (Viterbi maximizes likelihood, not length), but what pruning should do on this target:
        // after step 1, removing pieces never makes the segmentation shorter.
        #expect(zip(rows.dropFirst(), rows.dropFirst(2)).allSatisfy { $0.tokens <= $1.tokens }, "\(rows.map(\.tokens))")
        // The choice: the lowest H_v at or below the limit.
        let eligible = rows.filter { $0.size <= 300 }
        #expect(rows[result.chosen].size <= 300)
        #expect(rows[result.chosen].utility == eligible.map(\.utility).min())
        #expect(TokenizerAdaptation.choose(rows, limit: 300, by: .entropy) == result.chosen)
        let byMUV = TokenizerAdaptation.choose(rows, limit: 300, by: .marginalUtility)
        #expect(rows[byMUV].marginalUtility == eligible.compactMap(\.marginalUtility).max())
    }

    @Test("base pieces: WordPiece entries in ▁ form, added tokens and byte pieces left out")
    func basePieces() throws {
        let json = """
            {"version": "1.0", "added_tokens": [{"id": 0, "content": "[UNK]", "special": true}],
             "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null,
             "decoder": null, "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
             "max_input_chars_per_word": 100, "vocab": {"[UNK]": 0, "the": 1, "##ing": 2, "<0x41>": 3, "##": 4}}}
            """
        let wordPiece = try HFTokenizer(json: Data(json.utf8), path: "(test)")
        #expect(TokenizerAdaptation.basePieces(of: wordPiece).map { String(decoding: $0, as: UTF8.self) }
                == ["▁the", "ing", "▁##"])
    }

    @Test("the same input gives the same bytes: tokenizer and report, on any number of threads")
    func deterministic() throws {
        let texts = plantedTexts(seed: 3, documents: 30, words: 60, vocabulary: generalWords,
                                 phrase: "ein kleines Haus", every: 7)
        let base = ["▁the", "▁of", "ing", "▁Haus", "▁kl"].map { Array($0.utf8) }
        let options = TokenizerAdaptationOptions(vocabSize: 290, minCount: 3, steps: 2, stepsBelow: 1)
        let first = try TokenizerAdaptation.adapt(base: base, target: InMemoryTexts(texts), options: options)
        let second = try TokenizerAdaptation.adapt(base: base, target: InMemoryTexts(texts), options: options)
        #expect(first.tokenizer.json() == second.tokenizer.json())
        #expect(AdaptationReport.json(first, base: "b", targets: ["t"], options: options)
                == AdaptationReport.json(second, base: "b", targets: ["t"], options: options))
        #expect(first == second)
        var threaded = options
        threaded.threads = 3
        let third = try TokenizerAdaptation.adapt(base: base, target: InMemoryTexts(texts), options: threaded)
        #expect(third == first, "the thread count does not change the result")
    }

    @Test("a limit below the target's characters is a typed error; so is an empty target")
    func errors() {
        let texts = InMemoryTexts(["abc def"])
        #expect(throws: TokenizerAdaptationError.vocabularyTooSmall(requested: 100, required: 257 + 7)) {
            try TokenizerAdaptation.adapt(base: [], target: texts, options: .init(vocabSize: 100))
        }
        #expect(throws: TokenizerAdaptationError.emptyTarget) {
            try TokenizerAdaptation.adapt(base: [], target: InMemoryTexts(["", ""]), options: .init(vocabSize: 400))
        }
        #expect(throws: TokenizerAdaptationError.invalidParameter(name: "maxWords", value: "0")) {
            try TokenizerAdaptation.adapt(base: [], target: texts, options: .init(vocabSize: 400, maxWords: 0))
        }
    }

    @Test("JSONL targets stream from files and count rejected records")
    func jsonlTexts() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-adapt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("t.jsonl").path
        try Data("{\"text\":\"a b\"}\n{\"body\":1}\n{\"text\":\"c\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        let texts = JSONLTexts(paths: [path])
        var seen: [String] = []
        try texts.forEachText { seen.append($0) }
        #expect(seen == ["a b", "c"])
        #expect(texts.rejected == 1)
    }

    @Test("DSIR with the adapted tokenizer chooses a planted domain at least as precisely as words")
    func dsirPlanted() throws {
        let medical = ["patient", "clinical", "dose", "therapy", "tumor", "cardiac", "renal", "trial", "symptom",
                       "insulin", "lesion", "chronic", "acute", "infection", "biopsy", "serum"]
        let mixed = generalWords + medical.prefix(4)
        var random = SeededRandom(seed: 11)
        func document(_ domain: Bool) -> String {
            (0..<120).map { _ -> String in
                let r = random.next() % 10
                if domain, r < 3 { return "blood pressure test" }
                let list = domain && r < 6 ? medical : mixed
                return list[Int(random.next() % UInt64(list.count))]
            }.joined(separator: " ")
        }
        var pool: [(text: String, domain: Bool)] = (0..<400).map { _ in (document(false), false) }
        pool += (0..<20).map { _ in (document(true), true) }
        shuffle(&pool, &random)
        let target = (0..<30).map { _ in document(true) }

        let adapted = try TokenizerAdaptation.adapt(
            base: [], target: InMemoryTexts(target),
            options: .init(vocabSize: 320, minCount: 3, steps: 2, stepsBelow: 0)).tokenizer.tokenizer()
        let byTokens = try plantedPrecision(pool: pool, target: target, DSIRFeaturizer(tokenizer: adapted))
        let byWords = try plantedPrecision(pool: pool, target: target, DSIRFeaturizer())
        #expect(byTokens >= byWords, "tokens \(byTokens), words \(byWords)")
        #expect(byTokens >= 0.9)
    }

    @Test("DSIR with the adapted tokenizer finds a planted domain in text without spaces, where words cannot")
    func dsirPlantedUnspaced() throws {
        let common = Array("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质")
        let domain = ["血压", "心脏", "药物", "诊断", "病人", "治疗", "医院", "手术"]
        var random = SeededRandom(seed: 21)
        func document(_ inDomain: Bool) -> String {
            var text = ""
            for sentence in 0..<8 {
                for _ in 0..<12 {
                    if inDomain, random.next() % 4 == 0 {
                        text += domain[Int(random.next() % UInt64(domain.count))]
                    } else {
                        text.unicodeScalars.append(common[Int(random.next() % UInt64(common.count))].unicodeScalars
                            .first ?? "的")
                    }
                }
                text += sentence % 2 == 0 ? "，" : "。"
            }
            return text
        }
        var pool: [(text: String, domain: Bool)] = (0..<300).map { _ in (document(false), false) }
        pool += (0..<20).map { _ in (document(true), true) }
        shuffle(&pool, &random)
        let target = (0..<30).map { _ in document(true) }
        let adapted = try TokenizerAdaptation.adapt(
            base: [], target: InMemoryTexts(target),
            options: .init(vocabSize: 800, minCount: 3, steps: 2, stepsBelow: 0)).tokenizer.tokenizer()
        let byTokens = try plantedPrecision(pool: pool, target: target, DSIRFeaturizer(tokenizer: adapted))
        let byWords = try plantedPrecision(pool: pool, target: target, DSIRFeaturizer())
        // Measured: tokens 0.85, words 0.1 (WordPunct makes each clause one word, seen once).
        #expect(byTokens >= 0.8 && byTokens >= byWords + 0.5, "tokens \(byTokens), words \(byWords)")
        #expect(adapted.tokenID("血压") != nil, "a planted word is one piece")
    }
}

/// Reads the multilingual corpus of scripts/multilingual-corpus.sh ($PTK_CORPUS_DIR, else
/// ~/.cache/ptk/multilingual-corpus): documents of about 2,000 characters cut at paragraph breaks.
private func corpusDocuments(_ file: String) throws -> [String] { try MultilingualCorpus.documents(file: file) }

private struct AdaptedInfo: Decodable {
    let qwen: String
}

private struct AdaptedRequest: Encodable {
    let path: String
    let texts: [String]
}

private struct AdaptedAnswer: Decodable {
    let ids: [[UInt32]]
}

@Suite struct TokenizerAdaptationReferenceTests {
    @Test("base pieces of a .tiktoken file: byte-level ranks back to text, spaces as ▁, invalid UTF-8 left out")
    func tiktokenBase() throws {
        let path = try #require(try Reference.cl100kPath(), "cl100k_base.tiktoken fixture")
        let cl100k = try TokenizerFile.loadTiktoken(path: path, encoding: "cl100k_base")
        let pieces = TokenizerAdaptation.basePieces(of: cl100k)
        let set = Set(pieces)
        #expect(set.contains(Array("▁the".utf8)) && set.contains(Array("ing".utf8)))
        #expect(pieces.allSatisfy { String(validating: $0, as: UTF8.self) != nil && !$0.contains(0x20) })
        #expect(pieces.count > 90_000 && pieces.count < 100_256, "\(pieces.count)")
    }

    @Test("HF tokenizers loads the adapted tokenizer.json (Qwen2.5 base, ja/zh/en target), ptk's ids on held-out text")
    func hfAgrees() throws {
        let info = try Reference.result("reference_adapted.py", ["info": true], as: AdaptedInfo.self).get()
        let qwen = try HFTokenizer.load(path: info.qwen)
        let qwenPieces = Set(TokenizerAdaptation.basePieces(of: qwen))
        #expect(qwenPieces.contains(Array("▁the".utf8)) && qwenPieces.contains(Array("日本".utf8)))
        #expect(!qwenPieces.contains(Array("<|endoftext|>".utf8)), "added tokens are left out")
        var train: [String] = [], held: [String] = []
        for file in ["debian-reference.ja.txt", "debian-reference.zh-cn.txt", "debian-reference.en.txt"] {
            let documents = try corpusDocuments(file)
            train += documents.prefix(25)
            held += documents.suffix(4)
        }
        held += ["New York City 😀 عربى ελληνικά <0x41> <unk> ▁▁ tab\there", " leading space", "", "\n\n"]
        let result = try TokenizerAdaptation.adapt(
            base: TokenizerAdaptation.basePieces(of: qwen), target: InMemoryTexts(train),
            options: .init(vocabSize: 6000, steps: 2, stepsBelow: 1))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-adapt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("adapted.json").path
        try Data(result.tokenizer.json()).write(to: URL(fileURLWithPath: path))
        let ours = try HFTokenizer.load(path: path)
        let answer = try Reference.result("reference_adapted.py", AdaptedRequest(path: path, texts: held),
                                          as: AdaptedAnswer.self).get()
        #expect(answer.ids.count == held.count)
        for (index, text) in held.enumerated() where index < answer.ids.count {
            #expect(ours.encodeOrdinary(text) == answer.ids[index], "text \(index): \(text.prefix(80))")
        }
        // Round trip through the decoder for text that the vocabulary covers.
        #expect(try ours.decodeString(ours.encodeOrdinary("日本語 and New York")) == "日本語 and New York")
        #expect(result.steps[result.chosen].size <= 6000)
        #expect(result.multiWordInFinal > 0)
    }
}

/// The share of planted documents among the 20 that DSIR ranks highest (top-k, ties to the lower index).
private func plantedPrecision(pool: [(text: String, domain: Bool)], target: [String],
                              _ featurizer: DSIRFeaturizer) throws -> Double {
    let dsir = try DSIR.fit(target: target, raw: pool.map(\.text), featurizer: featurizer, minimumWords: 0)
    let weights = pool.map { dsir.weigh($0.text).logWeight }
    let top = weights.indices.sorted { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }.prefix(20)
    return Double(top.filter { pool[$0].domain }.count) / 20
}

/// A seeded Fisher–Yates shuffle.
private func shuffle<T>(_ items: inout [T], _ random: inout SeededRandom) {
    for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, Int(random.next() % UInt64(i + 1))) }
}
