import CorpusCore
import Foundation
import ReferenceSupport
import Testing

@testable import Tokenization

// Single tokenizer.json components checked against tokenizers 0.23.3 through scripts/reference_hf_components.py:
// Split with every behavior, added tokens with lstrip / rstrip / single_word / normalized, and the category
// scanners of the DeepSeek-V3 family against the PCRE2 fallback.

private struct ComponentRequest: Encodable {
    struct SplitSpec: Encodable {
        let pattern: String, regex: Bool, behavior: String, invert: Bool, texts: [String]
    }
    struct AddedSpec: Encodable {
        struct Token: Encodable {
            let content: String, special: Bool, lstrip: Bool, rstrip: Bool, single_word: Bool, normalized: Bool
        }
        let model: String, tokens: [Token], texts: [String], save_to: String
    }
    var split: SplitSpec?
    var added: AddedSpec?
}

private struct ComponentAnswer: Decodable {
    struct Added: Decodable { let path: String, ids: [[UInt32]] }
    var split: [[String]]?
    var added: Added?
}

/// Scalars that every Unicode version since 14 classifies alike (PCRE2 10.42 knows Unicode 14).
private func oldUnicodeTexts(count: Int, seed: UInt64) -> [String] {
    var generator = SplitMix64(state: seed)
    let pool = Array(("abcXYZ019 '\"\n\r\t.,!?<>|-_~`@#$%^&*()[]{}\\/:;=+ éü\u{301}\u{308}ßĞ中文日本語한국ไทยहि١٢"
        + "ひらがなカタカナー龥㐀\u{A0}\u{3000}\u{2029}\u{85}¼Ⅻ①€∑©™😀👍🏽\u{200D}\u{FE0F}《》、。").unicodeScalars)
    return (0..<count).map { _ in
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...50, using: &generator) {
            text.append(pool[Int.random(in: 0..<pool.count, using: &generator)])
        }
        return String(text)
    }
}

@Suite("HF tokenizer.json components against tokenizers 0.23.3", .serialized)
struct HFComponentReferenceTests {
    private let texts = adversarialTexts + randomTexts(count: 150, seed: 5) + [
        "ababab", "abab ab  ba", "  a  b  ", "x1y22z333 4444", "--a--", "aa", "",
    ]

    @Test(arguments: [("ab", false), (" ", false), (#"\s+"#, true), (#"\p{N}"#, true), ("b+", true)])
    func splitBehaviors(pattern: String, isRegex: Bool) throws {
        for behavior in ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"] {
            for invert in [false, true] {
                let request = ComponentRequest(split: .init(
                    pattern: pattern, regex: isRegex, behavior: behavior, invert: invert, texts: texts))
                let theirs = try Reference.ask("reference_hf_components.py", request, as: ComponentAnswer.self)
                    .split ?? []
                let split = HFSplit(
                    pattern: isRegex ? .matcher(try HFRegex(pattern: pattern)) : .literal(Array(pattern.utf8)),
                    behavior: try #require(HFSplit.Behavior(rawValue: behavior)), invert: invert)
                #expect(theirs.count == texts.count)
                var differences = 0
                for (text, expected) in zip(texts, theirs) {
                    let ours = split.preTokenize([Array(text.utf8)]).map { String(decoding: $0, as: UTF8.self) }
                    if ours != expected {
                        differences += 1
                        if differences <= 3 {
                            let message = "\(pattern) \(behavior) invert \(invert): \(text.debugDescription): "
                                + "ours \(ours) reference \(expected)"
                            Issue.record(Comment(rawValue: message))
                        }
                    }
                }
                #expect(differences == 0)
            }
        }
    }

    @Test func addedTokenFlags() throws {
        typealias Token = ComponentRequest.AddedSpec.Token
        let tokens = [
            Token(content: "<x>", special: false, lstrip: true, rstrip: false, single_word: false, normalized: false),
            Token(content: "</y>", special: false, lstrip: false, rstrip: true, single_word: false, normalized: false),
            Token(content: "<z>", special: false, lstrip: true, rstrip: true, single_word: false, normalized: false),
            Token(content: "word", special: false, lstrip: false, rstrip: false, single_word: true, normalized: false),
            Token(content: "e\u{301}x", special: false, lstrip: false, rstrip: false, single_word: false,
                  normalized: true),
            Token(content: "nörm", special: false, lstrip: false, rstrip: false, single_word: true, normalized: true),
            Token(content: "<sp>", special: true, lstrip: true, rstrip: true, single_word: false, normalized: false),
            Token(content: "<sp>x", special: false, lstrip: false, rstrip: false, single_word: false,
                  normalized: false),
        ]
        let cases = [
            "a  <x>b", "a<x>  b</y>   c", "  <x>", "<x><x>  <x>", "word words sword word_ word. 1word",
            "é\u{301}xe\u{301}x éx", "nörm nörmal no\u{308}rm", "<sp> <x>", "<sp>x <sp>  x", " \t<z>\n\n<z>",
            "\u{3000}<x>\u{3000}</y>\u{3000}", "wordword word\u{301}", "中word中", "x <x> y </y> z <z> w",
        ] + adversarialTexts + randomTexts(count: 100, seed: 23)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-added-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let request = ComponentRequest(added: .init(
            model: "qwen-2.5", tokens: tokens, texts: cases, save_to: directory.appendingPathComponent("t.json").path))
        let answer = try #require(try Reference.ask(
            "reference_hf_components.py", request, as: ComponentAnswer.self).added)
        let tokenizer = try HFTokenizer.load(path: answer.path)
        #expect(tokenizer.addedTokens.contains { $0.lstrip && $0.rstrip && !$0.special })
        let ours = cases.map { tokenizer.encode($0) }
        #expect(compareIDs("qwen-2.5 + flagged tokens", cases, ours: ours, theirs: answer.ids) == 0)
        print("HF added-token flags: compared \(cases.count) documents")
    }
}

@Suite("Category scanners (DeepSeek-V3 Split regexes)")
struct CategoryScannerTests {
    @Test(arguments: CategoryScanner.allCases)
    func equalsPCRE2OnOldUnicode(scanner: CategoryScanner) throws {
        let regex = try HFRegex(pattern: scanner.regex)
        let texts = adversarialTexts.filter { text in text.unicodeScalars.allSatisfy { $0.value < 0x1F900 } }
            + oldUnicodeTexts(count: 3000, seed: 77)
        var differences = 0
        for text in texts {
            let bytes = Array(text.utf8)
            if scanner.matches(in: bytes) != regex.matches(in: bytes) {
                differences += 1
                if differences <= 3 {
                    let message = "\(scanner): \(text.debugDescription): ours \(scanner.matches(in: bytes)) "
                        + "PCRE2 \(regex.matches(in: bytes))"
                    Issue.record(Comment(rawValue: message))
                }
            }
        }
        #expect(differences == 0)
    }

    @Test("the category chain walk cuts the pieces the general chain walk cuts (DeepSeek-V3's three Splits)")
    func categoryChainEqualsGeneralChain() {
        let scanners: [CategoryScanner] = [.digits3, .cjkKana, .deepseekWords]
        let general = scanners.map { HFSplitPattern.matcher($0) }
        for text in adversarialTexts + oldUnicodeTexts(count: 2000, seed: 78) {
            let bytes = Array(text.utf8)
            var ours: [Range<Int>] = [], theirs: [Range<Int>] = []
            bytes.withUnsafeBufferPointer { buffer in
                scanners.withUnsafeBufferPointer { chain in
                    CategoryText.bmpFlags.withUnsafeBufferPointer { table in
                        HFTokenizer.forEachCategoryPiece(chain, level: 0, buffer, table: table, 0..<buffer.count) {
                            ours.append($0)
                        }
                    }
                }
                HFTokenizer.forEachChainPiece(general, level: 0, buffer, 0..<buffer.count) { theirs.append($0) }
            }
            #expect(ours == theirs, "\(text.debugDescription)")
        }
    }

    @Test func examples() {
        #expect(CategoryScanner.digits3.matches(in: Array("a1234".utf8)) == [1..<4, 4..<5])
        #expect(CategoryScanner.cjkKana.matches(in: Array("ab中文かなx".utf8)) == [2..<14])
        // "  \n  x": the space run up to its last line break, then one space left for ` x`... as the regex does.
        #expect(CategoryScanner.deepseekWords.matches(in: Array("  \n  x".utf8)) == [0..<3, 3..<4, 4..<6])
        #expect(CategoryScanner.deepseekWords.matches(in: Array(".abc, d".utf8)) == [0..<4, 4..<5, 5..<7])
    }
}
