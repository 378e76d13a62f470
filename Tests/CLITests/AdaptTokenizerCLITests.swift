import CorpusIO
import Foundation
import Testing

@Suite("ptk adapt-tokenizer")
struct AdaptTokenizerCLITests {
    /// A tiny Unigram tokenizer.json as the base (pieces in ▁ form, as SentencePiece files spell them).
    static let base = """
        {"version": "1.0", "added_tokens": [], "normalizer": null,
         "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
         "post_processor": null, "decoder": null,
         "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": false,
                   "vocab": [["<unk>", 0.0], ["▁the", -1.0], ["▁cat", -2.0], ["at", -3.0], ["▁m", -4.0]]}}
        """

    @Test("writes the tokenizer and its report, prints the table, and ptk select uses it for token features")
    func adaptThenSelect() throws {
        let s = try Scratch()
        try s.write("base.json", Self.base)
        let target = (0..<40).map { i in
            "{\"text\":\"the cat sat on the mat near the Golden Gate Bridge \(i % 3) and the cat purred\"}"
        }
        try s.write("target.jsonl", target.joined(separator: "\n") + "\n")
        let r = try PTK.run(["adapt-tokenizer", "--base", "base.json", "--target", "target.jsonl",
                             "--output", "adapted.json", "--vocab-size", "300", "--steps", "2", "--min-count", "3"],
                            in: s.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("H_v(bits/char)"), "\(r.stdout)")
        let tokenizer = try String(contentsOfFile: "\(s.path)/adapted.json", encoding: .utf8)
        #expect(tokenizer.contains("\"type\": \"Unigram\""))
        #expect(tokenizer.contains("▁Golden▁Gate"), "the planted phrase is (in) a multi-word piece")
        let report = try JSONParser.parse(String(contentsOfFile: "\(s.path)/adapted.json.report.json", encoding: .utf8))
        guard case let .number(size)? = report.value(at: ["chosen_size"]) else {
            Issue.record("no chosen_size in the report")
            return
        }
        #expect((Int(size) ?? .max) <= 300)

        let again = try PTK.run(["adapt-tokenizer", "--base", "base.json", "--target", "target.jsonl",
                                 "--output", "again.json", "--vocab-size", "300", "--steps", "2", "--min-count", "3"],
                                in: s.path)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(FileManager.default.contents(atPath: "\(s.path)/again.json")
                == FileManager.default.contents(atPath: "\(s.path)/adapted.json"), "same bytes twice")

        let pool = (0..<6).map { i in
            i % 2 == 0 ? "{\"id\":\"c\(i)\",\"text\":\"the cat sat on the mat by the Golden Gate Bridge\"}"
                : "{\"id\":\"m\(i)\",\"text\":\"stock prices fell as the market index dropped\"}"
        }
        try s.write("pool.jsonl", pool.joined(separator: "\n") + "\n")
        let select = try PTK.run(["select", "--target", "target.jsonl", "--pool", "pool.jsonl", "--output", "out.jsonl",
                                  "--count", "3", "--top-k", "--min-words", "1", "--features", "tokens",
                                  "--tokenizer", "adapted.json"], in: s.path)
        #expect(select.status == 0, "\(select.stderr)")
        let chosen = try String(contentsOfFile: "\(s.path)/out.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(chosen.count == 3 && chosen.allSatisfy { $0.hasPrefix("{\"id\":\"c") }, "\(chosen)")
    }

    @Test("a size limit below the target's characters, or a missing target, exits 2 with a message")
    func tooSmall() throws {
        let s = try Scratch()
        try s.write("base.json", Self.base)
        try s.write("target.jsonl", "{\"text\":\"abc\"}\n")
        let r = try PTK.run(["adapt-tokenizer", "--base", "base.json", "--target", "target.jsonl",
                             "--output", "adapted.json", "--vocab-size", "10"], in: s.path)
        #expect(r.status == 2)
        #expect(r.stderr.contains("vocabulary size 10"), "\(r.stderr)")
        let missing = try PTK.run(["adapt-tokenizer", "--base", "base.json", "--target", "nothing.jsonl",
                                   "--output", "adapted.json", "--vocab-size", "1000"], in: s.path)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read target nothing.jsonl"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(s.path)/adapted.json"), "nothing is written on failure")
    }
}
