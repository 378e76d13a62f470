import Foundation
import ReferenceSupport
import Testing

@testable import Cleaning

/// The word tokenizer against spaCy 3.8.18's blank English tokenizer and sentencizer, as datatrove 0.10.1 calls
/// them (scripts/reference_datatrove.py), token for token on the filter corpus.
@Suite struct SpacyWordTokenizerTests {
    static let documents: [FilterReferenceCorpus.Doc] = (try? FilterReferenceCorpus.all()) ?? []
    static let reference = Reference.result(
        "reference_datatrove.py", DatatroveRequest(documents: documents, filters: [], tokenize: true),
        as: DatatroveAnswer.self)

    @Test("tokens, words and sentence counts equal spaCy's on real multilingual and synthetic documents")
    func tokensEqualSpacy() throws {
        let tokenizer = try SpacyWordTokenizer.english.get()
        let docs = Self.documents
        #expect(docs.count >= 3000, "\(docs.count) documents")
        guard let answer = Self.reference.recordedValue else { return }
        let tokens = try #require(answer.tokens)
        let words = try #require(answer.words)
        let sentences = try #require(answer.sentences)
        var sameTokens = 0
        var sameWords = 0
        var sameSentences = 0
        var shown = 0
        for (k, doc) in docs.enumerated() {
            var text = doc.text
            let mine: [String] = text.withUTF8 { b in
                tokenizer.tokenize(b).map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) }
            }
            let count = text.withUTF8 { tokenizer.sentenceCount($0) }
            if mine == tokens[k] {
                sameTokens += 1
            } else if shown < 25 {
                shown += 1
                let i = Array(zip(mine, tokens[k])).firstIndex { $0.0 != $0.1 } ?? min(mine.count, tokens[k].count)
                print(
                    "token difference in \(doc.id) at \(i): ours \(mine[max(0, i - 3)..<min(mine.count, i + 4)]) spaCy \(tokens[k][max(0, i - 3)..<min(tokens[k].count, i + 4)])"
                )
            }
            if tokenizer.words(doc.text) == words[k] { sameWords += 1 }
            if count == sentences[k] {
                sameSentences += 1
            } else if shown < 25 {
                shown += 1
                print("sentence count difference in \(doc.id): ours \(count), spaCy \(sentences[k])")
            }
        }
        let n = Double(docs.count)
        print(
            "spaCy tokenizer: \(docs.count) documents; identical tokens \(sameTokens) (\(100 * Double(sameTokens) / n)%), words \(sameWords), sentence counts \(sameSentences)"
        )
        #expect(Double(sameTokens) / n >= 0.995)
        #expect(Double(sameSentences) / n >= 0.995)
    }

    @Test("contractions, abbreviations, URLs, emoticons and infixes split as spaCy splits them")
    func knownCases() throws {
        let tokenizer = try SpacyWordTokenizer.english.get()
        #expect(
            tokenizer.words("Hello, world! It's e.g. http://x.com/a?b=1 don't  U.S.A. 3.5km (test)...")
                == [
                    "Hello", ",", "world", "!", "It", "'s", "e.g.", "http://x.com/a?b=1", "do", "n't", "U.S.A.", "3.5",
                    "km",
                    "(", "test", ")", "...",
                ])
        #expect(tokenizer.words("well-known") == ["well", "-", "known"])
        #expect(tokenizer.words("") == [])
    }
}

/// Random strings of pieces that exercise every tokenizer rule, against spaCy token for token.
@Suite struct SpacyWordTokenizerRandomTests {
    static let pieces = [
        "the", "Don't", "dont", "can't", "I'm", "e.g.", "U.S.", "a.m.", "Mr.", ":)", ":-(", "<3", "o.O", "(", ")", "[",
        "]", "\"", "'", "''", "``", "'s", "’s", "...", "…", "....", "..", ".", ",", ";", ":", "!", "?", "¿", "¡", "-",
        "–",
        "—", "--", "---", "+", "5", "3.5", "10km", "20°C", "$", "US$", "€", "£5", "%", "50%", "#", "@", "&", "*", "/",
        "\\", "=", "<", ">", "^", "~", "`", "http://example.com/a?b=1", "www.debian.org", "me@x.org", "192.168.0.1",
        "example.com", "well-known", "co-op", "Hello", "world", "ABC", "abc", "Größe", "été", "l'été", "naïve", "日本語",
        "中文", "。", "、", "「", "」", "（", "）", "«", "»", "„", "“", "”", "‘", "’", "♥", "😀", "©", "®", "°", "§",
        "C++", "\\n", "\\t", "<space>", "i.e.", "vs.", "Inc.", "1990s", "'90s", "y'all", "gonna", "Let's", "ain't",
        "o'clock", "rock'n'roll", "ma'am", "St.", "Jan.", "x.Y", "a/b", "a:b", "a=b", "1+1", "2*3", "3^4", "5-6",
    ]
    static let separators = ["", "", "", " ", " ", " ", "  ", "\n", "\t", "\u{a0}", "\r\n", " \n "]

    static let texts: [String] = {
        var random = SplitMix(seed: 99)
        return (0..<4000).map { _ in
            (0..<(1 + random.next(12))).map { _ in
                pieces[random.next(pieces.count)] + separators[random.next(separators.count)]
            }.joined()
        }
    }()

    static let reference = Reference.result(
        "reference_datatrove.py",
        DatatroveRequest(
            documents: texts.enumerated().map { .init(id: "\($0.offset)", text: $0.element) },
            filters: [], tokenize: true),
        as: DatatroveAnswer.self)

    @Test("random strings of contractions, abbreviations, emoticons, URLs, units, quotes and CJK punctuation")
    func randomPieces() throws {
        let tokenizer = try SpacyWordTokenizer.english.get()
        guard let answer = Self.reference.recordedValue else { return }
        let tokens = try #require(answer.tokens)
        let sentences = try #require(answer.sentences)
        var same = 0
        var sameSentences = 0
        var shown = 0
        for (k, text) in Self.texts.enumerated() {
            var copy = text
            let mine: [String] = copy.withUTF8 { b in
                tokenizer.tokenize(b).map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) }
            }
            if mine == tokens[k] {
                same += 1
            } else if shown < 30 {
                shown += 1
                print("differs on \(text.debugDescription): ours \(mine), spaCy \(tokens[k])")
            }
            if copy.withUTF8({ tokenizer.sentenceCount($0) }) == sentences[k] { sameSentences += 1 }
        }
        print("random pieces: \(Self.texts.count) strings; identical tokens \(same), sentence counts \(sameSentences)")
        #expect(same == Self.texts.count)
        #expect(sameSentences == Self.texts.count)
    }
}
