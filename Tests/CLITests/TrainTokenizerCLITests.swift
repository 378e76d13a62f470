import Foundation
import Testing

@Suite("ptk train-tokenizer")
struct TrainTokenizerCLITests {
    @Test("trains on text and JSONL inputs, reports rejected records, and writes the same file for any thread count")
    func trains() throws {
        let s = try Scratch()
        try s.write("a.txt", String(repeating: "The lower lowest low; 低い低い. ", count: 50))
        try s.write("b.jsonl", "{\"text\": \"lower and lower\"}\nnot json\n{\"meta\": {\"body\": \"x\"}}\n")
        var outputs: [Data] = []
        for threads in ["1", "2"] {
            let r = try PTK.run(["train-tokenizer", "--input", "a.txt", "b.jsonl", "--output", "tok-\(threads).json",
                                 "--vocab-size", "300", "--special-token", "<|endoftext|>", "--threads", threads],
                                in: s.path)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("2 records rejected"), "\(r.stderr)")
            #expect(r.stderr.contains("22 merges learned (") && r.stderr.contains("vocabulary 279"), "\(r.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: "\(s.path)/tok-\(threads).json")))
        }
        #expect(outputs[0] == outputs[1])
        let encoded = try PTK.run(["encode", "--tokenizer", "tok-1.json", "The lowest"], in: s.path)
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let decoded = try PTK.run(["decode", "--tokenizer", "tok-1.json", encoded.stdout], in: s.path)
        #expect(decoded.stdout == "The lowest\n")
    }

    @Test("a vocabulary smaller than the special tokens and 256 bytes fails before reading, with exit status 2")
    func vocabularyTooSmall() throws {
        let s = try Scratch()
        let r = try PTK.run(["train-tokenizer", "--input", "missing.txt", "--output", "t.json", "--vocab-size", "256",
                             "--special-token", "<s>"], in: s.path)
        #expect(r.status == 2)
        #expect(r.stderr.contains("vocabulary size 256 is smaller"), "\(r.stderr)")
        let missing = try PTK.run(["train-tokenizer", "--input", "missing.txt", "--output", "t.json",
                                   "--vocab-size", "300"], in: s.path)
        #expect(missing.status != 0)
        #expect(!FileManager.default.fileExists(atPath: "\(s.path)/t.json"))
    }

    @Test("extend-tokenizer appends tokens learned from domain text, keeps the old ids, and refuses other bases")
    func extendTokenizer() throws {
        let s = try Scratch()
        try s.write("base.json", ShardsCLITests.byteTokenizerJSON())
        let lines = (0..<200).map { "{\"text\":\"中文领域的文本 \($0 % 7) 中文领域\"}" }
        try s.write("domain.jsonl", lines.joined(separator: "\n") + "\n{\"text\": 1}\n")
        for (name, threads) in [("a.json", "1"), ("b.json", "2")] {
            let r = try PTK.run(["extend-tokenizer", "--base", "base.json", "--input", "domain.jsonl", "--output", name,
                                 "--new-tokens", "10", "--threads", threads], in: s.path)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("10 new tokens (ids 256…265)") && r.stderr.contains("1 records rejected"),
                    "\(r.stderr)")
        }
        #expect(FileManager.default.contents(atPath: "\(s.path)/a.json") == FileManager.default.contents(atPath: "\(s.path)/b.json"))
        let encoded = try PTK.run(["encode", "--tokenizer", "a.json", "中文领域"], in: s.path)
        #expect(encoded.status == 0)
        let ids = encoded.stdout.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(!ids.isEmpty && ids.count < "中文领域".utf8.count && ids.contains { $0 >= 256 }, "\(encoded.stdout)")
        let plain = try PTK.run(["encode", "--tokenizer", "a.json", "abc"], in: s.path)
        #expect(plain.stdout.contains("97") && plain.stdout.contains("99"), "\(plain.stdout)")
        let bad = try PTK.run(["extend-tokenizer", "--base", "base.json", "--input", "domain.jsonl", "--output", "c.json",
                               "--new-tokens", "0"], in: s.path)
        #expect(bad.status == 2 && bad.stderr.contains("at least one new token"), "\(bad.stderr)")
    }
}
