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
        let tokens = try #require(answer.tokens), words = try #require(answer.words)
        let sentences = try #require(answer.sentences)
        var sameTokens = 0, sameWords = 0, sameSentences = 0
        var shown = 0
        for (k, doc) in docs.enumerated() {
            var text = doc.text
            let mine: [String] = text.withUTF8 { b in
                tokenizer.tokenize(b).map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) }
            }
            let count = text.withUTF8 { tokenizer.sentenceCount($0) }
            if mine == tokens[k] { sameTokens += 1 } else if shown < 25 {
                shown += 1
                let i = Array(zip(mine, tokens[k])).firstIndex { $0.0 != $0.1 } ?? min(mine.count, tokens[k].count)
                print("token difference in \(doc.id) at \(i): ours \(mine[max(0, i - 3)..<min(mine.count, i + 4)]) spaCy \(tokens[k][max(0, i - 3)..<min(tokens[k].count, i + 4)])")
            }
            if tokenizer.words(doc.text) == words[k] { sameWords += 1 }
            if count == sentences[k] { sameSentences += 1 } else if shown < 25 {
                shown += 1
                print("sentence count difference in \(doc.id): ours \(count), spaCy \(sentences[k])")
            }
        }
        let n = Double(docs.count)
        print("spaCy tokenizer: \(docs.count) documents; identical tokens \(sameTokens) (\(100 * Double(sameTokens) / n)%), words \(sameWords), sentence counts \(sameSentences)")
        #expect(Double(sameTokens) / n >= 0.995)
        #expect(Double(sameSentences) / n >= 0.995)
    }

    @Test("contractions, abbreviations, URLs, emoticons and infixes split as spaCy splits them")
    func knownCases() throws {
        let tokenizer = try SpacyWordTokenizer.english.get()
        #expect(tokenizer.words("Hello, world! It's e.g. http://x.com/a?b=1 don't  U.S.A. 3.5km (test)...")
            == ["Hello", ",", "world", "!", "It", "'s", "e.g.", "http://x.com/a?b=1", "do", "n't", "U.S.A.", "3.5", "km",
                "(", "test", ")", "..."])
        #expect(tokenizer.words("well-known") == ["well", "-", "known"])
        #expect(tokenizer.words("") == [])
    }
}
