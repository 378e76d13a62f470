import CorpusCore
import CorpusIO
import Foundation
import ReferenceSupport
import Testing

@testable import Tokenization

// SentencePieceModel (.model files, BPE and Unigram) checked against sentencepiece 0.2.3 through
// scripts/reference_sentencepiece.py in the reference venv (scripts/reference-venv.sh). The .model files are the
// mistral-common and ai21-tokenizer packages' data files; nothing is committed. A missing venv fails the tests.

// MARK: - Reference plumbing

private struct SPRequest: Encodable {
    var info: Bool?
    var model: String?
    var texts: [String]?
    var stdlib_bytes: Int?
}

private struct SPAnswer: Decodable {
    var fixtures: [String: String]?
    var sentencepiece_version: String?
    var ids: [[UInt32]]?
    var decoded: [String]?
    var normalized: [String]?
    var stdlib_texts: [String]?
    var stdlib_ids: [[UInt32]]?
    var stdlib_decoded: [String]?
}

private func askSP(_ request: SPRequest) throws -> SPAnswer {
    try Reference.ask("reference_sentencepiece.py", request, as: SPAnswer.self)
}

/// The script's info answer, once per test process.
private let spInfo = Reference.result("reference_sentencepiece.py", SPRequest(info: true), as: SPAnswer.self)

/// The fixture path of `name`, or nil after recording an issue (a missing venv fails the test).
private func spFixture(_ name: String) -> String? {
    switch spInfo {
    case .success(let info):
        guard let path = info.fixtures?[name] else {
            Issue.record("reference_sentencepiece.py gave no fixture for \(name)")
            return nil
        }
        return path
    case .failure(let problem):
        Issue.record(Comment(rawValue: problem.description))
        return nil
    }
}

/// Loaded models, once per process (the Unigram fixture has 262k pieces).
private final class ModelCache: @unchecked Sendable {
    private let lock = NSLock()
    private var models: [String: SentencePieceModel] = [:]

    func model(_ path: String) throws -> SentencePieceModel {
        lock.lock()
        defer { lock.unlock() }
        if let found = models[path] { return found }
        let loaded = try SentencePieceModel.load(path: path)
        models[path] = loaded
        return loaded
    }
}

private let modelCache = ModelCache()

/// Compares ids and decodings with the reference document by document; records at most 5 differences each.
private func compare(
    _ label: String, _ model: SentencePieceModel, texts: [String], ids: [[UInt32]], decoded: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(ids.count == texts.count && decoded.count == texts.count, sourceLocation: sourceLocation)
    var idMismatches = 0, decodeMismatches = 0
    for (index, text) in texts.enumerated() where index < ids.count && index < decoded.count {
        let ours = model.encodeOrdinary(text)
        if ours != ids[index] {
            idMismatches += 1
            if idMismatches <= 5 {
                Issue.record(Comment(rawValue: "\(label): document \(index) \(String(text.prefix(80)).debugDescription) "
                    + "ids differ: ours \(ours.prefix(40)) reference \(ids[index].prefix(40))"),
                    sourceLocation: sourceLocation)
            }
        }
        let ourDecoding = try model.decodeString(ids[index])
        if ourDecoding != decoded[index] || Array(ourDecoding.utf8) != Array(decoded[index].utf8) {
            decodeMismatches += 1
            if decodeMismatches <= 5 {
                Issue.record(Comment(rawValue: "\(label): document \(index) decode differs: ours "
                    + "\(String(ourDecoding.prefix(80)).debugDescription) reference "
                    + "\(String(decoded[index].prefix(80)).debugDescription)"), sourceLocation: sourceLocation)
            }
        }
    }
    #expect(idMismatches == 0, "\(label): \(idMismatches) of \(texts.count) documents differ", sourceLocation: sourceLocation)
    #expect(decodeMismatches == 0, "\(label): \(decodeMismatches) decodings differ", sourceLocation: sourceLocation)
}

// MARK: - Texts

private let spAdversarialTexts: [String] = [
    "", " ", "  ", "Hello world", " leading space", "   three leading", "trailing   ", "tab\there", "a\r\nb\r\n\r\n",
    "\n\n\n", " \n \n", "line\n  indented\n", String(repeating: " ", count: 300) + "x",
    String(repeating: " ", count: 1000), String(repeating: "9", count: 257), "1234567 89,000.5", "x1y22z333",
    String(repeating: "a", count: 3000), String(repeating: "ab", count: 700), String(repeating: "\n", count: 200),
    "👨‍👩‍👧‍👦 family 👩🏽‍💻 coder 🏳️‍🌈", "e\u{301}te\u{301} café cafe\u{301} Å Å", "a\u{308}\u{304}\u{323}",
    "ภาษาไทยเป็นภาษาที่มีวรรณยุกต์", "हिन्दी देवनागरी लिपि में", "العربية لغة جميلة ١٢٣", "中文字符测试，日本語のテキスト。한국어",
    "<s>", "</s>", "<s>hello</s>", "<unk>", "< s>", "<s >", "<<s>>", "<0x41>", "<0x0A>x", "[INST] hi [/INST]",
    "[REFERENCE_DOC_3] doc", "<|newline|>x", "<|reserved_0|>", "▁", "▁▁x", "x▁", "a ▁ b", " ⁇ ", "\u{2047}",
    "ＡＢＣ１２３ ｈｅｌｌｏ", "ﬁ ﬀ ℌ ① Ⅻ ㍻ ㌀", "\u{FEFF}bom", "\u{FFFD}", "🙂🙃", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "a\u{200D}b\u{200C}c",
    "Ḁḁ ǅ ǈ", "\u{0}\u{1}\u{1F}\u{7F}", "\u{85}\u{A0}\u{2028}\u{3000}x", "a\u{00A0}\u{00A0}b", "x\u{200B}y",
    "\u{3000}\u{3000}lead", "trail\u{3000}", "$$$ %%% ^^^ ...!!! ???", "don't DON'T", "I'm you're",
    "\u{10FFFF}\u{E000}\u{F8FF}", "𠀀𪛖", "각 각", "Ω Ω K K Å", "(a, b)", ",,,", "(((", "x,y",
]

/// `randomTexts` over pools with SentencePiece's own traps (`<s>`, `▁`, fullwidth forms, ligatures, U+2047).
private func spRandomTexts(count: Int, seed: UInt64) -> [String] {
    randomTexts(count: count, seed: seed, pools: [
        Array("abcXYZ019 '\n\r\t.,!?<>|()[]".unicodeScalars), Array("éü\u{301}\u{308}ßĞ".unicodeScalars),
        Array("中文日本語한국ไทยहि".unicodeScalars), Array("👍🏽\u{200D}🙂".unicodeScalars),
        Array(" \u{A0}\u{3000}\u{2029}  ".unicodeScalars), Array("<s>/▁ＡＢ①ﬁ\u{2047}".unicodeScalars),
    ])
}

private let fixtureNames = ["mistral-v1", "mistral-v3", "ai21-j2"]

// MARK: - Reference tests

@Suite("SentencePiece .model against sentencepiece")
struct SentencePieceReferenceTests {
    @Test(arguments: fixtureNames)
    func syntheticTextsMatch(_ name: String) throws {
        guard let path = spFixture(name) else { return }
        let model = try modelCache.model(path)
        let texts = spAdversarialTexts + spRandomTexts(count: 400, seed: 23)
        let answer = try askSP(SPRequest(model: path, texts: texts))
        try compare(name, model, texts: texts, ids: answer.ids ?? [], decoded: answer.decoded ?? [])
        for (index, text) in texts.enumerated() where index < (answer.normalized?.count ?? 0) {
            let ours = model.normalizer.normalize(Array(text.utf8))
            #expect(ours == Array((answer.normalized?[index] ?? "").utf8), "\(name): normalized \(text.debugDescription)")
        }
        print("SentencePiece \(name): \(texts.count) synthetic documents compared")
    }

    @Test(arguments: fixtureNames)
    func realTextMatches(_ name: String) throws {
        guard let path = spFixture(name) else { return }
        let model = try modelCache.model(path)
        let answer = try askSP(SPRequest(model: path, stdlib_bytes: 1_000_000))
        let texts = answer.stdlib_texts ?? []
        #expect(texts.count > 20)
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        guard model.isUnigram else {
            try compare(name, model, texts: texts, ids: answer.stdlib_ids ?? [], decoded: answer.stdlib_decoded ?? [])
            print("SentencePiece \(name): \(texts.count) stdlib documents (\(bytes) bytes) compared")
            return
        }
        // Unigram: whole files (tens of thousands of tokens, path scores past -1e5, where the wheel rebases its
        // sums; see UnigramModel.rebaseThreshold), and the same text in chunks of at most 4 KB.
        try compare(name, model, texts: texts, ids: answer.stdlib_ids ?? [], decoded: answer.stdlib_decoded ?? [])
        let chunks = texts.flatMap { chunked($0, limit: 4096) }
        let chunkAnswer = try askSP(SPRequest(model: path, texts: chunks))
        try compare(name, model, texts: chunks, ids: chunkAnswer.ids ?? [], decoded: chunkAnswer.decoded ?? [])
        print("SentencePiece \(name): \(texts.count) stdlib documents and \(chunks.count) chunks (\(bytes) bytes)",
              "compared")
    }

    /// Splits text at line ends into chunks of at most about `limit` UTF-8 bytes.
    private func chunked(_ text: String, limit: Int) -> [String] {
        var chunks: [String] = [], current = "", size = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if size + line.utf8.count + 1 > limit, !current.isEmpty {
                chunks.append(current)
                current = ""
                size = 0
            }
            current += line + "\n"
            size += line.utf8.count + 1
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }

    /// Variants of the fixtures written by the test, for normalizer options the shipped files leave off.
    @Test(arguments: [
        ("mistral-v1", "nmt_nfkc charsmap, remove_extra_whitespaces"),
        ("mistral-v3", "no dummy prefix, treat_whitespace_as_suffix"),
        ("ai21-j2", "dummy prefix, remove_extra_whitespaces"),
    ])
    func variantsMatch(_ name: String, _ variant: String) throws {
        guard let path = spFixture(name), let j2 = spFixture("ai21-j2") else { return }
        var proto = try Ptk_Sentencepiece_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: path)))
        switch name {
        case "mistral-v1":
            let charsmapSource = try Ptk_Sentencepiece_ModelProto(
                serializedBytes: Data(contentsOf: URL(fileURLWithPath: j2)))
            proto.normalizerSpec.precompiledCharsmap = charsmapSource.normalizerSpec.precompiledCharsmap
            proto.normalizerSpec.removeExtraWhitespaces = true
        case "mistral-v3":
            proto.normalizerSpec.addDummyPrefix = true
            proto.trainerSpec.treatWhitespaceAsSuffix = true
        default:
            proto.normalizerSpec.addDummyPrefix = true
            proto.normalizerSpec.removeExtraWhitespaces = true
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-sp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("\(name)-variant.model")
        try proto.serializedData().write(to: file)
        let model = try SentencePieceModel.load(path: file.path)
        let texts = spAdversarialTexts + spRandomTexts(count: 200, seed: 31)
        let answer = try askSP(SPRequest(model: file.path, texts: texts))
        try compare("\(name) (\(variant))", model, texts: texts, ids: answer.ids ?? [], decoded: answer.decoded ?? [])
        print("SentencePiece \(name) variant (\(variant)): \(texts.count) documents compared")
    }

    @Test func goldenIDs() throws {
        guard let v1 = spFixture("mistral-v1"), let j2 = spFixture("ai21-j2") else { return }
        let bpe = try modelCache.model(v1)
        #expect(!bpe.isUnigram)
        #expect(bpe.encodeOrdinary("Hello world <s> </s> ▁x  ab") == [22557, 1526, 523, 28713, 28767, 1867, 28713, 28767,
                                                                 28705, 1318, 28705, 534])
        let unigram = try modelCache.model(j2)
        #expect(unigram.isUnigram)
        #expect(unigram.encodeOrdinary("Ｈｅｌｌｏ  world ①") == [54723, 1264, 1754, 1264, 1333])
        #expect(try unigram.decodeString([54723, 1264, 1754, 1264, 1333]) == "Hello  world 1")
        #expect(throws: TokenizerError.unknownTokenID(999_999)) { try bpe.decode([999_999]) }
    }

    @Test func tokenizerFileOpensModels() throws {
        guard let v1 = spFixture("mistral-v1") else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-sp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("tokenizer.model")
        try FileManager.default.copyItem(atPath: v1, toPath: copy.path)
        let encoder = try TokenizerFile.load(path: copy.path, encoding: nil)
        #expect(encoder is SentencePieceModel)
        #expect(encoder.encodeOrdinary("Hello world") == [22557, 1526])
        // A tiktoken rank file named .model (as Llama 3's tokenizer.model) goes to the tiktoken loader.
        if let cl100k = try Reference.cl100kPath() {
            let renamed = directory.appendingPathComponent("cl100k_base.model")
            try FileManager.default.copyItem(atPath: cl100k, toPath: renamed.path)
            let tiktoken = try TokenizerFile.load(path: renamed.path, encoding: nil)
            #expect(tiktoken is TiktokenEncoding)
        } else {
            Issue.record("no cl100k_base.tiktoken fixture")
        }
    }
}

// MARK: - Malformed files

@Suite("SentencePiece malformed models")
struct SentencePieceMalformedTests {
    private func write(_ bytes: [UInt8], _ name: String) throws -> (path: String, cleanup: () -> Void) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-sp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return (file.path, { try? FileManager.default.removeItem(at: directory) })
    }

    private func expectMalformed(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (path, cleanup) = try write(bytes, "broken.model")
        defer { cleanup() }
        do {
            _ = try TokenizerFile.load(path: path, encoding: nil)
            Issue.record("loaded a malformed model", sourceLocation: sourceLocation)
        } catch {
            guard case .malformedModel(let reported, _) = error else {
                Issue.record("expected malformedModel, got \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(reported == path, sourceLocation: sourceLocation)
        }
    }

    @Test func garbageAndEmptyFilesAreTypedErrors() throws {
        try expectMalformed([])  // parses as an empty ModelProto: no unknown piece
        try expectMalformed(Array("this is not a protobuf at all\n".utf8))
        try expectMalformed([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        var generator = SplitMix64(state: 5)
        for _ in 0..<50 {
            let bytes = (0..<Int.random(in: 1...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let (path, cleanup) = try write(bytes, "random.model")
            defer { cleanup() }
            #expect(throws: TokenizerError.self) { _ = try SentencePieceModel.load(path: path) }
        }
    }

    @Test func truncatedFixtureIsATypedError() throws {
        guard let v1 = spFixture("mistral-v1") else { return }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: v1)))
        try expectMalformed(Array(bytes.prefix(bytes.count / 2)))
    }

    @Test func invalidPiecesAreTypedErrors() throws {
        func model(_ pieces: [(String, Ptk_Sentencepiece_ModelProto.SentencePiece.TypeEnum)], byteFallback: Bool = false)
            throws -> [UInt8] {
            var proto = Ptk_Sentencepiece_ModelProto()
            proto.trainerSpec.modelType = .bpe
            proto.trainerSpec.byteFallback = byteFallback
            proto.pieces = pieces.map { piece, type in
                var entry = Ptk_Sentencepiece_ModelProto.SentencePiece()
                entry.piece = Data(piece.utf8)
                entry.type = type
                return entry
            }
            return try [UInt8](proto.serializedData())
        }
        try expectMalformed(try model([("a", .normal)]))  // no unknown piece
        try expectMalformed(try model([("<unk>", .unknown), ("a", .normal), ("a", .normal)]))  // duplicate
        try expectMalformed(try model([("<unk>", .unknown), ("<0x41>", .byte)]))  // byte piece, no fallback
        try expectMalformed(try model([("<unk>", .unknown), ("<0x41>", .byte)], byteFallback: true))  // 255 missing
        try expectMalformed(try model([("<unk>", .unknown), ("", .normal)]))  // empty piece
        let fine = try model([("<unk>", .unknown), ("a", .normal), ("▁", .normal)])
        let (path, cleanup) = try write(fine, "tiny.model")
        defer { cleanup() }
        let tiny = try SentencePieceModel.load(path: path)
        #expect(tiny.encodeOrdinary("a b") == [2, 1, 2, 0])  // ▁ a ▁ (b unknown)
        #expect(try tiny.decodeString([2, 1, 2, 0]) == "a  \u{2047} ")
    }

    @Test func tiktokenSniff() {
        #expect(TokenizerFile.looksLikeTiktoken(head: Array("IQ== 0\nIg== 1\n".utf8)))
        #expect(TokenizerFile.looksLikeTiktoken(head: Array("IQ== 0".utf8)))
        #expect(!TokenizerFile.looksLikeTiktoken(head: [0x0A, 0x0B, 0x0A, 0x05]))
        #expect(!TokenizerFile.looksLikeTiktoken(head: Array("IQ==  0\n".utf8)))
        #expect(!TokenizerFile.looksLikeTiktoken(head: Array("IQ== x\n".utf8)))
    }
}

// MARK: - Fast paths against the oracles

@Suite("SentencePiece Unigram and BPE oracles")
struct SentencePieceOracleTests {
    /// A random vocabulary over a small alphabet (with multi-byte characters), some user-defined and unused pieces.
    private func randomPieces(_ generator: inout SplitMix64) -> [UnigramModel.Piece] {
        let alphabet: [String] = ["a", "b", "c", "▁", "é", "中"]
        var pieces = [UnigramModel.Piece(bytes: Array("<unk>".utf8), score: 0, type: .unknown)]
        var seen = Set<[UInt8]>()
        for _ in 0..<40 {
            let length = Int.random(in: 1...4, using: &generator)
            let text = (0..<length).map { _ in alphabet[Int.random(in: 0..<(alphabet.count - 1), using: &generator)] }
                .joined()
            let bytes = Array(text.utf8)
            guard seen.insert(bytes).inserted else { continue }
            let roll = Int.random(in: 0..<20, using: &generator)
            let type: SentencePieceType = roll == 0 ? .userDefined : roll == 1 ? .unused : .normal
            // Scores on a coarse grid make ties common, which is where the tie rules matter.
            let score = -Float(Int.random(in: 0...12, using: &generator)) / 2
            pieces.append(UnigramModel.Piece(bytes: bytes, score: score, type: type))
        }
        return pieces
    }

    private func randomText(_ generator: inout SplitMix64, length: Int) -> [UInt8] {
        let alphabet: [String] = ["a", "b", "c", "▁", "é", "中"]
        return Array((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
            .joined().utf8)
    }

    @Test func unigramEqualsReference() throws {
        var generator = SplitMix64(state: 11)
        var compared = 0
        for _ in 0..<60 {
            let pieces = randomPieces(&generator)
            let model = try UnigramModel(pieces: pieces, unknownID: 0, byteFallback: false)
            for _ in 0..<30 {
                let text = randomText(&generator, length: Int.random(in: 0...40, using: &generator))
                let fast = model.segment(text), slow = model.segmentReference(text)
                #expect(fast.map { [$0.start, $0.end, Int($0.id)] } == slow.map { [$0.start, $0.end, Int($0.id)] },
                        "\(String(decoding: text, as: UTF8.self).debugDescription)")
                #expect(model.encode(text) == model.encodeReference(text))
                compared += 1
            }
            // Scores scaled up so that a few hundred bytes pass `rebaseThreshold` (-1e5), several times.
            let scaled = pieces.map { UnigramModel.Piece(bytes: $0.bytes, score: $0.score * 3001.7, type: $0.type) }
            let loud = try UnigramModel(pieces: scaled, unknownID: 0, byteFallback: false)
            let text = randomText(&generator, length: 400)
            let fast = loud.segment(text), slow = loud.segmentReference(text)
            #expect(fast.map { [$0.start, $0.end, Int($0.id)] } == slow.map { [$0.start, $0.end, Int($0.id)] })
            compared += 1
        }
        print("Unigram fast vs reference: \(compared) texts")
    }

    @Test func bpeHeapEqualsReference() throws {
        var generator = SplitMix64(state: 13)
        for round in 0..<60 {
            let pieces = randomPieces(&generator).map { piece in
                // Unused pieces resegment by where they were queued, which the oracle cannot follow exactly.
                UnigramModel.Piece(bytes: piece.bytes, score: piece.score, type: piece.type == .unused ? .normal : piece.type)
            }
            let bpe = try SentencePieceScoreBPE(pieces: pieces.map(\.bytes), scores: pieces.map(\.score),
                                           types: pieces.map(\.type), unknownID: 0, byteFallback: false)
            for _ in 0..<20 {
                let length = round % 10 == 0 ? Int.random(in: 100...300, using: &generator)
                    : Int.random(in: 0...40, using: &generator)
                let text = randomText(&generator, length: length)
                #expect(bpe.encode(text) == bpe.encodeReference(text), "\(String(decoding: text, as: UTF8.self))")
            }
        }
    }

    @Test func bpeLongRunsOnFixture() throws {
        guard let v1 = spFixture("mistral-v1") else { return }
        let model = try modelCache.model(v1)
        guard case .bpe(let bpe) = model.algorithm else {
            Issue.record("mistral-v1 is not BPE")
            return
        }
        for text in [String(repeating: "a", count: 600), String(repeating: " ", count: 500),
                     String(repeating: "9", count: 400), String(repeating: "ab ", count: 200)] {
            let normalized = model.normalizer.normalize(Array(text.utf8))
            #expect(bpe.encode(normalized) == bpe.encodeReference(normalized))
        }
        let clock = ContinuousClock()
        let long = String(repeating: "a", count: 200_000)
        let elapsed = clock.measure { _ = model.encodeOrdinary(long) }
        #expect(elapsed < .seconds(20), "200k identical characters took \(elapsed)")
    }
}

// MARK: - Charsmap

@Suite("Precompiled charsmap")
struct PrecompiledCharsmapTests {
    @Test func nmtNFKCRules() throws {
        guard let j2 = spFixture("ai21-j2") else { return }
        let proto = try Ptk_Sentencepiece_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: j2)))
        let charsmap = try PrecompiledCharsmap(blob: [UInt8](proto.normalizerSpec.precompiledCharsmap))
        let match = charsmap.longestPrefix(Array("①x".utf8), at: 0)
        #expect(match.map { Array($0.replacement) } == Array("1".utf8))
        #expect(match?.length == 3)
        #expect(charsmap.longestPrefix(Array("abc".utf8), at: 0) == nil)
        #expect(charsmap.normalize(Array("ｈｅｌｌｏ ﬁ".utf8)) == Array("hello fi".utf8))
        #expect(charsmap.normalize([0x61, 0xFF, 0x62]) == [0x61, 0xEF, 0xBF, 0xBD, 0x62])  // invalid byte → U+FFFD
    }

    @Test func brokenBlobsAreErrors() {
        #expect(throws: TokenizerError.self) { try PrecompiledCharsmap(blob: [1, 0]) }
        #expect(throws: TokenizerError.self) { try PrecompiledCharsmap(blob: [0xFF, 0xFF, 0, 0, 1, 2, 3]) }
        // A header that fits but a trie of garbage: lookups end instead of trapping.
        var generator = SplitMix64(state: 3)
        for _ in 0..<50 {
            var blob: [UInt8] = [16, 0, 0, 0]
            blob += (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
            guard let charsmap = try? PrecompiledCharsmap(blob: blob) else { continue }
            _ = charsmap.normalize((0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
    }
}

// MARK: - Word-by-word Unigram (the per-thread word cache)

/// Real multilingual documents (scripts/multilingual-corpus.sh) and strings that stress the word cuts.
func unigramWordTexts() throws -> [String] {
    var texts: [String] = []
    for file in ["debian-reference.en.txt", "debian-reference.de.txt", "debian-reference.fr.txt",
                 "debian-reference.ja.txt", "debian-reference.zh-cn.txt", "fortunes-zh-tang300.txt"] {
        texts += try MultilingualCorpus.documents(file: file).prefix(40)
    }
    let repeated = String(repeating: "the cat and the dog and the cat ", count: 200)
    texts += [
        repeated, repeated + repeated, String(repeating: " ", count: 50) + "x" + String(repeating: " ", count: 7) + "y",
        String(repeating: "nospacesatallinthisverylongword", count: 20), String(repeating: "中文没有空格的句子。", count: 40),
        "👨‍👩‍👧‍👦 family 👩🏽‍💻 coder 🏳️‍🌈 " + String(repeating: "🙂 🙃 ", count: 30), "▁", "▁▁x", "x▁", "a▁b▁▁c▁▁▁d",
        "word▁word ▁word▁ ▁▁ ▁", String(repeating: "a ▁ b ", count: 50), "$$$ $$ $ $$$$ $$$$$", "<s> </s> <unk> <0x41>",
        String(repeating: "x", count: 5000), String(repeating: "ab ", count: 3000),
        String(repeating: "unknown \u{10FFFF}\u{E000} chars ", count: 20),
    ]
    return texts
}

@Suite("SentencePiece Unigram word by word equals the whole-text Viterbi", .serialized)
struct UnigramWordCacheTests {
    /// A random vocabulary where "▁" starts pieces (runs of it too), and with `multiWord` also comes after
    /// letters inside them (pieces across word cuts, as j2's "▁in▁the").
    private func wordPieces(_ generator: inout SplitMix64, scale: Float, grid: Bool, multiWord: Bool)
        -> [UnigramModel.Piece] {
        let letters: [String] = multiWord ? ["a", "b", "c", "é", "中", "▁"] : ["a", "b", "c", "é", "中"]
        var pieces = [UnigramModel.Piece(bytes: Array("<unk>".utf8), score: 0, type: .unknown)]
        var seen = Set<[UInt8]>()
        for _ in 0..<60 {
            let spaces = Int.random(in: 0...4, using: &generator) == 0 ? Int.random(in: 1...3, using: &generator) : 0
            let length = Int.random(in: (spaces == 0 ? 1 : 0)...4, using: &generator)
            let text = String(repeating: "▁", count: spaces)
                + (0..<length).map { _ in letters[Int.random(in: 0..<letters.count, using: &generator)] }.joined()
            let bytes = Array(text.utf8)
            guard seen.insert(bytes).inserted else { continue }
            let roll = Int.random(in: 0..<25, using: &generator)
            let type: SentencePieceType = roll == 0 ? .userDefined : roll == 1 ? .unused : .normal
            let raw = grid ? Float(Int.random(in: 0...12, using: &generator)) / 2
                : Float.random(in: 0...6, using: &generator)
            pieces.append(UnigramModel.Piece(bytes: bytes, score: -raw * scale, type: type))
        }
        return pieces
    }

    private func wordText(_ generator: inout SplitMix64, length: Int) -> [UInt8] {
        let alphabet: [String] = ["a", "b", "c", "▁", "é", "中", "ü"]
        return Array((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
            .joined().utf8)
    }

    @Test func randomVocabulariesAndTexts() throws {
        var generator = SplitMix64(state: 29)
        var compared = 0, rebasing = 0
        for round in 0..<120 {
            // Coarse grids make exact ties (non-robust words); scale 150 passes rebaseThreshold in long texts.
            let scale: Float = round % 3 == 2 ? 150 : 1
            let pieces = wordPieces(&generator, scale: scale, grid: round % 2 == 0, multiWord: round % 4 >= 2)
            let model = try UnigramModel(pieces: pieces, unknownID: 0, byteFallback: false)
            let byWords = model.canSegmentByWord, spanned = model.spans != nil
            #expect(byWords == !spanned, "word by word exact exactly when no piece spans a cut")
            #expect(model.segmentsByWord == (byWords && UnigramModel.segmentByWordWhereExact))
            let cache = WordCache<UnigramModel.UnigramWord>(owner: WordCacheOwner(), limit: 64)
            for _ in 0..<20 {
                let text = wordText(&generator, length: Int.random(in: 0...(scale > 1 ? 3000 : 60), using: &generator))
                var ids: [UInt32] = []
                model.encodeByWords(text, cache: cache, into: &ids)
                #expect(ids == model.encodeWhole(text), "\(String(decoding: text, as: UTF8.self).prefix(200))")
                if scale > 1 { rebasing += 1 }
                compared += 1
            }
        }
        print("Unigram by words vs whole text: \(compared) texts (\(rebasing) with large scores)")
    }

    @Test func j2OnRealText() throws {
        guard let path = spFixture("ai21-j2") else { return }
        let model = try modelCache.model(path)
        guard case .unigram(let unigram) = model.algorithm else {
            Issue.record("j2 is not Unigram")
            return
        }
        // The double-array trie on the real vocabulary: every piece's exact lookup as in the hash trie it replaced.
        let searchable = unigram.pieceBytes.indices.filter { unigram.types[$0].isInPieceTable }
            .map { (bytes: unigram.pieceBytes[$0], id: Int32($0)) }
        let reference = HashPieceTrie(pieces: searchable)
        #expect(unigram.trie.nodeCount == reference.nodeCount)
        let lookupsDiffer = searchable.filter { unigram.trie.id(of: $0.bytes[...]) != reference.id(of: $0.bytes[...]) }
        #expect(lookupsDiffer.isEmpty)
        print("j2 trie: \(searchable.count) pieces, \(unigram.trie.nodeCount) nodes, \(unigram.trie.unitCount) units")
        // j2 has multi-word pieces (▁in▁the): `encode` keeps the whole-text Viterbi, `encodeByWords` is tested here.
        let byWords = unigram.canSegmentByWord, multiWord = unigram.spans != nil
        #expect(!byWords && multiWord)
        let texts = try unigramWordTexts() + spAdversarialTexts + spRandomTexts(count: 300, seed: 31)
        #expect(texts.count > 200)
        // Twice through one cache: the second pass hits the entries the first one made.
        var differing = 0
        let cache = WordCache<UnigramModel.UnigramWord>(owner: WordCacheOwner(), limit: 100_000)
        for pass in 0..<2 {
            for text in texts {
                let normalized = model.normalizer.normalize(Array(text.utf8))
                let whole = unigram.encodeWhole(normalized)
                var byWords: [UInt32] = []
                unigram.encodeByWords(normalized, cache: cache, into: &byWords)
                if byWords != whole || model.encodeOrdinary(text) != whole {
                    differing += 1
                    if differing <= 5 { Issue.record("pass \(pass): \(String(text.prefix(80)).debugDescription) differs") }
                }
            }
        }
        // The same with a tiny cache (emptied every few words).
        let small = WordCache<UnigramModel.UnigramWord>(owner: WordCacheOwner(), limit: 3)
        for text in texts {
            let normalized = model.normalizer.normalize(Array(text.utf8))
            var byWords: [UInt32] = []
            unigram.encodeByWords(normalized, cache: small, into: &byWords)
            if byWords != unigram.encodeWhole(normalized) { differing += 1 }
        }
        #expect(differing == 0)
        print("j2 by words vs whole text: \(texts.count) texts, three passes")
    }
}
