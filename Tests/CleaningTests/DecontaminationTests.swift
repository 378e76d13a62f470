import Cleaning
import CorpusCore
import Foundation
import Testing

private let question = "Which planet in our solar system has the longest day, measured in Earth hours, and why is it so slow?"
private let answer = "Venus rotates backwards very slowly."

private func index(n: Int = 13, _ texts: [String] = [question + " " + answer]) throws -> EvalIndex {
    var idx = try EvalIndex(n: n)
    for (k, t) in texts.enumerated() { idx.add(t, record: EvalRecord(file: "eval.jsonl", line: k + 1, id: "q\(k)")) }
    return idx
}

private func filler(_ words: Int, seed: Int = 0) -> String {
    let vocabulary = ["river", "stone", "market", "yellow", "quiet", "engine", "garden", "paper", "window", "cloud",
                      "bridge", "silver", "orange", "letter", "winter", "candle"]
    return (0..<words).map { vocabulary[($0 * 7 + seed) % vocabulary.count] }.joined(separator: " ")
}

@Suite struct DecontaminationTests {
    @Test("normalization: case, punctuation, whitespace, CJK characters")
    func normalization() {
        let w = OverlapWords("  Hello,   WORLD!\tdon't  U.S.A. — (x) Straße ÉTÉ 日本語 abc中def 42% ")
        #expect((0..<w.count).map(w.string)
            == ["hello", "world", "dont", "usa", "x", "straße", "été", "日", "本", "語", "abc", "中", "def", "42"])
        let text = "  Hello,   WORLD!"
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[w.spans[0]], as: UTF8.self) == "Hello,")
        #expect(String(decoding: bytes[w.spans[1]], as: UTF8.self) == "WORLD!")
    }

    @Test("a planted 13-gram is found with its eval record, n-gram and byte offset")
    func planted() throws {
        let idx = try index()
        let planted = "which planet in our solar system has the longest day measured in earth"
        let doc = filler(40) + " WHICH planet, in our SOLAR system -- has the longest   day; measured in Earth\n" + filler(30)
        let ms = idx.matches(in: doc)
        #expect(ms.count == 1)
        let m = try #require(ms.first)
        #expect(m.ngram == planted)
        #expect(m.record == EvalRecord(file: "eval.jsonl", line: 1, id: "q0"))
        let bytes = Array(doc.utf8)
        #expect(String(decoding: bytes[m.bytes], as: UTF8.self)
            == "WHICH planet, in our SOLAR system -- has the longest   day; measured in Earth")
    }

    @Test("n-grams run across fields; 12 shared words are not a 13-gram; n = 12 finds them")
    func boundaries() throws {
        let across = "measured in earth hours and why is it so slow venus rotates backwards"
        #expect(try index().matches(in: filler(20) + " " + across + " " + filler(20)).count == 1)
        let twelve = "which planet in our solar system has the longest day measured in"
        let doc = filler(20) + " " + twelve + " " + filler(20, seed: 3)
        #expect(try index().matches(in: doc).isEmpty)
        #expect(try index(n: 12).matches(in: doc).count == 1)
        #expect(try index().matches(in: filler(200)).isEmpty)
    }

    @Test("short records add nothing and are counted")
    func short() throws {
        let idx = try index(["too short to ever match"])
        #expect(idx.shortRecords == 1 && idx.ngramCount == 0)
        #expect(idx.matches(in: "too short to ever match").isEmpty)
    }

    @Test("drop: eval_overlap with file, line, id and the n-gram")
    func drop() throws {
        let filter = DecontaminationFilter(index: try index())
        let doc = Document(id: "d", text: filler(10) + " " + question + " " + filler(10))
        #expect(filter.evaluate(doc) == .drop(
            reason: "eval_overlap",
            detail: "eval.jsonl:1 id=q0 \"which planet in our solar system has the longest day measured in earth\""))
        #expect(filter.evaluate(Document(id: "e", text: filler(300))) == .keep)
    }

    @Test("cut: the span and its margin go, long pieces stay, short pieces and shredded documents go")
    func cut() throws {
        let idx = try index()
        let before = filler(100), after = filler(100, seed: 5)
        var doc = Document(id: "d", text: before + " " + question + " " + after)
        let cut = DecontaminationCut(index: idx, margin: 50, minPiece: 100, maxPieces: 10)
        #expect(cut.apply(to: &doc) == .keep)
        let pieces = doc.text.components(separatedBy: "\n\n")
        #expect(pieces.count == 2)
        #expect(before.hasPrefix(pieces[0]) && pieces[0].count >= before.count - 60 && pieces[0].count < before.count - 45)
        #expect(after.hasSuffix(pieces[1]) && pieces[1].count >= after.count - 60 && pieces[1].count < after.count - 45)
        #expect(idx.matches(in: doc.text).isEmpty)
        #expect(!doc.text.contains("planet"))
        // A piece shorter than min_piece is removed; nothing left → drop.
        var small = Document(id: "s", text: "short intro. " + question + " short outro.")
        guard case let .drop(reason, _) = cut.apply(to: &small) else {
            Issue.record("expected a drop")
            return
        }
        #expect(reason == "eval_overlap")
        // More than max_pieces pieces → drop.
        let shredded = (0..<4).map { _ in filler(60) + " " + question }.joined(separator: " ") + " " + filler(60)
        var many = Document(id: "m", text: shredded)
        let strict = DecontaminationCut(index: idx, margin: 10, minPiece: 10, maxPieces: 3)
        guard case .drop = strict.apply(to: &many) else {
            Issue.record("expected a drop")
            return
        }
        var clean = Document(id: "c", text: filler(50))
        #expect(cut.apply(to: &clean) == .keep && clean.text == filler(50))
    }

    @Test("evaluation sets load from JSONL fields (question + choices + answer), ids from the id field")
    func load() throws {
        let path = NSTemporaryDirectory() + "ptk-eval-\(getpid()).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = [
            #"{"id": "a1", "question": "Which planet in our solar system has the longest day, measured", "choices": ["in Earth hours", "x"], "answer": "Venus"}"#,
            #"{"question": "no id here but a question long enough to hold thirteen words of text for sure"}"#,
            #"{"other": "nothing"}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let idx = try EvalIndex.load(files: [path], fields: ["question", "choices", "answer"])
        #expect(idx.records.map(\.id) == ["a1", "line 2"])
        let m = idx.matches(in: "the question was: which planet in our solar system has the longest day measured in earth hours")
        #expect(m.first?.record.id == "a1" && m.first?.record.line == 1)
        #expect(throws: DecontaminationError.self) { try EvalIndex.load(files: [path], fields: ["missing"]) }
    }
}
