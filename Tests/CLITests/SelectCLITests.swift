import Foundation
import Testing

@Suite("ptk select")
struct SelectCLITests {
    /// A pool of cat documents (c0…c4), market documents (m0…m4) and one short cat document, interleaved.
    private static func corpus(_ s: Scratch) throws -> [String] {
        let cats = "the cat sat on the mat and the cat purred while a kitten chased the cat toy"
        let market = "stock prices fell as the market index dropped and bond yields rose on inflation data"
        var pool: [String] = []
        for i in 0..<5 {
            pool.append("{\"id\":\"c\(i)\",\"text\":\"\(cats) \(i)\",\"extra\":[1, 2.50]}")
            pool.append("{\"id\":\"m\(i)\",\"text\":\"\(market) \(i)\"}")
        }
        pool.append("{\"id\":\"short\",\"text\":\"cat cat\"}")
        try s.write("pool.jsonl", pool.joined(separator: "\n") + "\n")
        try s.write("target.jsonl", "{\"text\":\"a cat and a kitten on the mat\"}\n{\"text\":\"the cat purred\"}\n")
        return pool
    }

    @Test("top-k chooses the documents like the target, copies their records byte for byte, writes weights")
    func topK() throws {
        let s = try Scratch()
        let pool = try Self.corpus(s)
        let r = try PTK.run(["select", "--target", "target.jsonl", "--pool", "pool.jsonl", "--output", "out.jsonl",
                             "--count", "3", "--top-k", "--min-words", "5", "--weights-out", "w.jsonl"], in: s.path)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: "\(s.path)/out.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        for line in lines {
            #expect(line.hasPrefix("{\"id\":\"c"), "\(line)")
            #expect(pool.contains(String(line)), "records are copied unchanged")
        }
        let weights = try String(contentsOfFile: "\(s.path)/w.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(weights.count == pool.count)
        #expect(weights.last?.contains("\"eligible\":false") == true, "\(weights.last ?? "")")
    }

    @Test("Gumbel sampling is reproducible with a seed and never takes a short document")
    func seeded() throws {
        let s = try Scratch()
        _ = try Self.corpus(s)
        func select(_ seed: Int, _ output: String) throws -> String {
            let r = try PTK.run(["select", "--target", "target.jsonl", "--pool", "pool.jsonl", "--output", output,
                                 "--count", "10", "--seed", String(seed), "--min-words", "5", "-q"], in: s.path)
            #expect(r.status == 0, "\(r.stderr)")
            return try String(contentsOfFile: "\(s.path)/\(output)", encoding: .utf8)
        }
        let a = try select(7, "a.jsonl"), b = try select(7, "b.jsonl")
        #expect(a == b)
        #expect(a.split(separator: "\n").count == 10)
        #expect(!a.contains("\"short\""))
        let missing = try PTK.run(["select", "--target", "nope.jsonl", "--pool", "pool.jsonl", "--output", "x.jsonl",
                                   "--count", "1"], in: s.path)
        #expect(missing.status != 0)
    }

    @Test("several named targets, a token budget on token features, the KL report, and bad budgets")
    func targetsTokensReport() throws {
        let s = try Scratch()
        _ = try Self.corpus(s)
        try s.write("market.jsonl", "{\"text\":\"the market index and bond yields\"}\n")
        try s.write("tok.json", ShardsCLITests.byteTokenizerJSON())
        let r = try PTK.run(["select", "--target", "cats=target.jsonl", "--target", "market=market.jsonl",
                             "--target-share", "cats=0.5", "--target-share", "market=0.5", "--pool", "pool.jsonl",
                             "--output", "out.jsonl", "--tokens", "200", "--tokenizer", "tok.json",
                             "--features", "tokens", "--min-words", "20", "--top-k", "--report", "report.json"],
                            in: s.path)
        #expect(r.status == 0, "\(r.stderr)")
        let out = try String(contentsOfFile: "\(s.path)/out.jsonl", encoding: .utf8)
        #expect(out.contains("\"id\":\"c") && out.contains("\"id\":\"m"), "\(out)")
        let report = try String(contentsOfFile: "\(s.path)/report.json", encoding: .utf8)
        for key in ["\"kl_chosen\"", "\"kl_random\"", "\"budget_unit\" : \"tokens\"", "\"name\" : \"market\"",
                    "\"features\" : \"tokens\""] {
            #expect(report.contains(key), "\(key) in \(report)")
        }
        for bad in [["--count", "1", "--tokens", "5"], ["--tokens", "5"], ["--count", "1", "--features", "tokens"]] {
            let e = try PTK.run(["select", "--target", "target.jsonl", "--pool", "pool.jsonl", "--output", "x.jsonl"]
                                + bad, in: s.path)
            #expect(e.status != 0 && !FileManager.default.fileExists(atPath: "\(s.path)/x.jsonl"), "\(bad)")
        }
        let shares = try PTK.run(["select", "--target", "a=target.jsonl", "--target", "b=market.jsonl",
                                  "--target-share", "a=0.9", "--target-share", "b=0.3", "--pool", "pool.jsonl",
                                  "--output", "y.jsonl", "--count", "2"], in: s.path)
        #expect(shares.status == 2 && shares.stderr.contains("add up to 1"), "\(shares.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(s.path)/y.jsonl.rejects.jsonl.zst"), "checked before reading")
    }
}
