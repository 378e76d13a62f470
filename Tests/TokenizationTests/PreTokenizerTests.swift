import CorpusCore
import Foundation
import ReferenceSupport
import Testing

import Tokenization

// MARK: - Helpers

/// The package root, from this file's path (Tests/TokenizationTests/PreTokenizerTests.swift).
private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The reference venv's python (ReferenceSupport).
private func referencePython() -> (path: String?, looked: String) { Reference.python() }

/// One request to scripts/reference_pretokenize.py.
private struct ReferenceRequest: Encodable {
    var patterns: [String]
    var texts: [String]?
    var corpus: Int?
    var engine: String?
}

/// The script's answer: the regexes it used and, per pattern, each text's flattened [start, end] byte offsets.
private struct ReferenceOutput: Decodable {
    var regex_version: String
    var python_unicodedata: String
    var regexes: [String: String]
    var splits: [String: [[Int]]]
    var texts: [String]?
}

/// Runs scripts/reference_pretokenize.py with `request` on stdin; nil (after recording an issue) without a venv.
private func runReference(_ request: ReferenceRequest) throws -> ReferenceOutput? {
    let (found, looked) = referencePython()
    guard let python = found else {
        Issue.record(
            "reference venv missing: run ./scripts/test.sh (or scripts/reference-venv.sh); no python at \(looked)")
        return nil
    }
    let input = FileManager.default.temporaryDirectory
        .appendingPathComponent("ptk-pretokenize-\(UUID().uuidString).json")
    try JSONEncoder().encode(request).write(to: input)
    defer { try? FileManager.default.removeItem(at: input) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [packageRoot.appendingPathComponent("scripts/reference_pretokenize.py").path]
    process.standardInput = try FileHandle(forReadingFrom: input)
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "reference_pretokenize.py failed (its stderr is above)")
    return try JSONDecoder().decode(ReferenceOutput.self, from: data)
}

/// The scanner's ranges for `text`, flattened like the script's.
private func flatSplit(_ pattern: PreTokenizerPattern, _ bytes: [UInt8]) -> [Int] {
    bytes.withUnsafeBufferPointer { buffer in
        pattern.split(buffer).flatMap { [$0.lowerBound, $0.upperBound] }
    }
}

/// Whether flattened ranges cover `count` bytes exactly, in order, with no empty range.
private func coversExactly(_ flat: [Int], count: Int) -> Bool {
    var position = 0
    for index in stride(from: 0, to: flat.count - 1, by: 2) {
        guard flat[index] == position, flat[index + 1] > position else { return false }
        position = flat[index + 1]
    }
    return position == count && flat.count % 2 == 0
}

/// The pieces of `bytes` named by flattened ranges, escaped for a readable failure message.
private func describe(_ flat: [Int], _ bytes: [UInt8]) -> String {
    let pieces = stride(from: 0, to: flat.count - 1, by: 2).map { index -> String in
        let slice = bytes[Swift.max(0, flat[index])..<Swift.min(bytes.count, flat[index + 1])]
        return String(decoding: slice, as: UTF8.self).unicodeScalars
            .map { (0x20..<0x7F).contains($0.value) ? String($0) : "\\u{\(String($0.value, radix: 16))}" }
            .joined()
    }
    return "[" + pieces.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
}

/// Compares every finished pattern's split of every text with the reference; returns texts and bytes compared.
@discardableResult
private func compare(
    texts: [String], with output: ReferenceOutput, label: String
) -> (texts: Int, bytes: Int) {
    var bytesCompared = 0
    for pattern in PreTokenizerPattern.allCases {
        guard let reference = output.splits[pattern.rawValue] else {
            Issue.record("\(label): no reference splits for \(pattern.rawValue)")
            continue
        }
        #expect(reference.count == texts.count, "\(label) \(pattern.rawValue): reference count")
        var mismatches = 0
        for (text, expected) in zip(texts, reference) {
            let bytes = Array(text.utf8)
            let actual = flatSplit(pattern, bytes)
            #expect(coversExactly(actual, count: bytes.count), "\(pattern.rawValue) ranges do not cover the text")
            #expect(coversExactly(expected, count: bytes.count), "\(pattern.rawValue) reference has a gap")
            if actual != expected {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("""
                        \(label) \(pattern.rawValue): \(describe([0, bytes.count], bytes))
                          scanner:   \(describe(actual, bytes))
                          reference: \(describe(expected, bytes))
                        """)
                }
            }
            bytesCompared += bytes.count
        }
        #expect(mismatches == 0, "\(label) \(pattern.rawValue): \(mismatches) of \(texts.count) texts differ")
    }
    return (texts.count, bytesCompared / PreTokenizerPattern.allCases.count)
}

private let allPatternNames = PreTokenizerPattern.allCases.map(\.rawValue)

// MARK: - Inputs

/// Hand-picked strings around every trap of the patterns.
private let adversarialStrings: [String] = [
    "", " ", "  ", "\n", "\r\n", "\r", "\n\n", "\r\n\r\n", " \n", "\n ", " \n ", "\t", "\t\t\n\t",
    "Hello world", "Hello, world!", " Hello", "  Hello", "   Hello  ", "Hello   ", "Hello\n", "Hello \n",
    "Hello\n\n", "Hello\n \n", "Hello\r\n", "a \n\n b", "a\n\n\nb", "a  \n  b", "x\t\ty", "x \t y",
    "'s 'S 'll 'LL 'Ll don't DON'T we're WE'RE I've I'M you'd they'll", "'ſ 'ſa Aſ's 'K 'k", "''s", "'''", "'",
    "'x 's'", "it's", "IT'S", "Ünïcödé's", "ÉCOLE'S", "<|endoftext|>", "<|endoftext|> <|fim_prefix|>",
    "1234567", "12 345 6789", " 1234", "1,234.56", "١٢٣٤٥", "²³¹ ½ ⅓ Ⅻ", "3.14159", "a1b22c333d4444",
    "\u{00A0}", "a\u{00A0}b", "\u{00A0}\u{00A0}x", "\u{2028}", "a\u{2028}b", "\u{2029}", "a\u{0085}b",
    "\u{0085}\n", "\u{1C}\u{1D}\u{1E}\u{1F}", "a\u{1C}b\u{1F} c", "\u{0B}\u{0C}", "a\u{0B}b\u{0C}c",
    "\u{3000}日本\u{3000}", "\u{200B}zero\u{200B}width", "\u{FEFF}bom",
    "👩‍👩‍👧‍👦", "👍🏽", "🇺🇸🇫🇷", "a👩‍💻b", " 😀😀 ", "😀's",
    "e\u{0301}", "\u{0301}", "\u{0301}abc", " \u{0301}", ".\u{0301}", "a\u{0301}\u{0302}b", "A\u{0301}BC",
    "ภาษาไทย ง่าย", "สวัสดีครับ", "हिन्दी भाषा", "नमस्ते", "العربية لغة", "مرحبا بالعالم",
    "中文字符", "日本語のテキスト", "한국어 텍스트", "한글", "Ελληνικά Σσς", "Русский ТЕКСТ",
    "mixed中文and english", "HelloWorld", "helloWorld", "HELLOworld", "ǅungla ǅUNGLA", "ʰʲ", "ᾼ ᾳ",
    "CamelCaseString", "XMLHttpRequest", "iPhone", "MacOS", "a/b/c", "path/to/file\n/next",
    "x.\n/", "://", " //", "!!\n\n", " !!\n\n", "?\r\n", "...\n\n\n", "--  --", "(\n)",
    "\n\n\n   ", "   \n\n\n", "abc   ", "abc\t\t", "abc \u{00A0}", "abc\n\u{2028}", "end\u{0085}",
    "def f(x):\n    return x  # comment\n\n\n", "{\n  \"key\": [1, 2, 3]\n}\r\n",
    String(repeating: " ", count: 100) + "x", String(repeating: "\t", count: 50),
    String(repeating: "\n", count: 40) + "y", String(repeating: "9", count: 50),
    String(repeating: "ab ", count: 30) + "\n",
]

/// Fragments for random strings: one scalar each, except a few multi-scalar sequences.
private let randomAlphabet: [String] = [
    "a", "b", "Z", "Q", "s", "S", "t", "T", "l", "L", "v", "e", "E", "r", "m", "d", "ſ", "K",
    "'", "'", "\"", " ", " ", " ", "\t", "\n", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}",
    "\u{1C}", "\u{1D}", "\u{1E}", "\u{1F}", "\u{85}", "\u{A0}", "\u{2028}", "\u{2029}", "\u{3000}", "\u{2009}",
    "\u{200B}", "\u{200D}", "\u{FEFF}", "\u{0}", "\u{7F}",
    "0", "1", "7", "9", "١", "३", "²", "½", "Ⅻ", "〇",
    ".", ",", "!", "?", "/", "/", "-", "_", "<", "|", ">", "(", "#", "€", "©",
    "é", "É", "ß", "ǅ", "ʰ", "Σ", "σ", "ж", "Ж",
    "\u{0301}", "\u{0308}", "\u{093E}", "\u{0E31}", "\u{20DD}", "\u{0903}",
    "ค", "น", "ह", "ि", "ع", "ر", "中", "文", "한", "ㄱ", "あ", "ア", "ー",
    "😀", "👍🏽", "👩‍👧", "🇺🇸", "\u{E000}", "\u{10FFFD}", "\u{1F600}", "\u{20000}", "\u{1D400}", "\u{1E900}",
]

/// A small alphabet dense in o200k's letter classes (Lu, Ll, Lt, Lm, Lo, Mn, Mc) and contractions.
private let wordAlphabet: [String] = [
    "A", "b", "ǅ", "ʰ", "中", "\u{0301}", "\u{0903}", "'", "s", "S", "ſ", "t", "L", "l", " ", ".", "/", "\n", "1",
]

/// Seeded random strings of 0–60 fragments from `alphabet`.
private func randomStrings(count: Int, from alphabet: [String] = randomAlphabet, stream: String = "random")
    -> [String]
{
    var random = SeededRandom(seed: 20_250_601, stream: "pretokenizer/" + stream)
    return (0..<count).map { _ in
        let length = Int(random.next() % 61)
        return (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined()
    }
}

// MARK: - Against the reference

/// Every pattern against the `regex` module (scripts/reference_pretokenize.py), and llama3 / qwen2 also against
/// Hugging Face tokenizers' own Split pre-tokenizer (Oniguruma).
@Suite(.serialized) struct PreTokenizerReferenceTests {
    @Test func regexesAreTheReferenceLibrarys() throws {
        guard let output = try runReference(ReferenceRequest(patterns: allPatternNames, texts: [])) else { return }
        for pattern in PreTokenizerPattern.allCases {
            #expect(output.regexes[pattern.rawValue] == pattern.regex, "\(pattern.rawValue)")
        }
        print("PreTokenizer reference: regex \(output.regex_version), unicodedata \(output.python_unicodedata)")
    }

    @Test func adversarialStringsMatch() throws {
        guard let output = try runReference(ReferenceRequest(patterns: allPatternNames, texts: adversarialStrings))
        else { return }
        compare(texts: adversarialStrings, with: output, label: "adversarial")
    }

    @Test func randomStringsMatch() throws {
        let texts = randomStrings(count: 4000) + randomStrings(count: 2000, from: wordAlphabet, stream: "words")
        guard let output = try runReference(ReferenceRequest(patterns: allPatternNames, texts: texts)) else { return }
        let counted = compare(texts: texts, with: output, label: "random")
        print("PreTokenizer random: \(counted.texts) texts, \(counted.bytes) bytes per pattern")
    }

    @Test func llamaAndQwenMatchHuggingFaceTokenizers() throws {
        let texts = adversarialStrings + randomStrings(count: 1000)
        let request = ReferenceRequest(patterns: ["llama3", "qwen2"], texts: texts, engine: "tokenizers")
        guard let output = try runReference(request) else { return }
        for name in ["llama3", "qwen2"] {
            guard let pattern = PreTokenizerPattern(rawValue: name), let reference = output.splits[name] else {
                Issue.record("no tokenizers splits for \(name)")
                continue
            }
            let differing = zip(texts, reference).filter { flatSplit(pattern, Array($0.0.utf8)) != $0.1 }.map(\.0)
            #expect(differing.isEmpty, "\(name): \(differing.count) differ from tokenizers: \(differing.prefix(3))")
        }
    }

    @Test func realTextMatches() throws {
        guard let output = try runReference(ReferenceRequest(patterns: allPatternNames, corpus: 200)) else { return }
        let texts = try #require(output.texts)
        #expect(texts.count >= 100, "the reference corpus is too small")
        let counted = compare(texts: texts, with: output, label: "corpus")
        print("PreTokenizer corpus: \(counted.texts) documents, \(counted.bytes) bytes per pattern")

        // Speed sanity (not an assertion; only release builds say anything).
        let documents = texts.map { Array($0.utf8) }
        for pattern in PreTokenizerPattern.allCases {
            let clock = ContinuousClock()
            var pieces = 0
            let elapsed = clock.measure {
                for document in documents {
                    document.withUnsafeBufferPointer { pattern.forEachPiece($0) { _ in pieces += 1 } }
                }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let rate = Double(counted.bytes) / 1e6 / Swift.max(seconds, 1e-9)
            print("PreTokenizer speed \(pattern.rawValue): \(String(format: "%.1f", rate)) MB/s, \(pieces) pieces")
        }
    }
}

// MARK: - Hand-checked

/// Splits `text` into its pieces as strings.
private func pieces(_ pattern: PreTokenizerPattern, _ text: String) -> [String] {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { buffer in
        pattern.split(buffer).map { String(decoding: bytes[$0], as: UTF8.self) }
    }
}

/// Known splits that need no reference venv.
@Suite struct PreTokenizerExampleTests {
    @Test func cl100kSplitsWordsDigitsAndSpaces() {
        #expect(pieces(.cl100k, "Hello world's 1234567  \n\n x") == [
            "Hello", " world", "'s", " ", "123", "456", "7", "  \n\n", " x",
        ])
        #expect(pieces(.cl100k, "end  \n ") == ["end", "  \n "])
        #expect(pieces(.cl100k, "'S 'ſ") == ["'S", " '", "ſ"])
    }

    @Test func llama3AndQwen2DifferInDigits() {
        #expect(pieces(.llama3, "1234567") == ["123", "456", "7"])
        #expect(pieces(.qwen2, "12 3") == ["1", "2", " ", "3"])
        #expect(pieces(.llama3, "end  \n ") == ["end", "  \n", " "])
    }

    @Test func gpt2ContractionsAreCaseSensitive() {
        #expect(pieces(.gpt2, "don't DON'T") == ["don", "'t", " DON", "'", "T"])
        #expect(pieces(.gpt2, "a   b") == ["a", "  ", " b"])
    }

    @Test func o200kSplitsCamelCaseAndKeepsContractions() {
        #expect(pieces(.o200k, "HelloWorld don't XMLHttp") == ["Hello", "World", " don't", " XMLHttp"])
        #expect(pieces(.o200k, "a/b\n/") == ["a", "/b", "\n", "/"])
        #expect(pieces(.o200k, "a.\n/b") == ["a", ".\n/", "b"])
    }

    @Test func crlfIsTwoScalarsNotOneCharacter() {
        #expect(pieces(.cl100k, "a\r\n\r\nb") == ["a", "\r\n\r\n", "b"])
        #expect(pieces(.cl100k, "a.\r\nb") == ["a", ".\r\n", "b"])
    }

    @Test func invalidUTF8IsCoveredByteByByte() {
        let bytes: [UInt8] = [0x61, 0xFF, 0xC3, 0x20, 0xE2, 0x82, 0x62, 0xF0, 0x9F, 0x98]
        for pattern in PreTokenizerPattern.allCases {
            let flat = flatSplit(pattern, bytes)
            #expect(coversExactly(flat, count: bytes.count), "\(pattern.rawValue)")
        }
    }

    @Test func emptyTextHasNoPieces() {
        for pattern in PreTokenizerPattern.allCases {
            #expect(flatSplit(pattern, []).isEmpty)
        }
    }
}
