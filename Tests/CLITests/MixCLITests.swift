import CorpusIO
import Foundation
import Testing

@Suite("ptk mix")
struct MixCLITests {
    /// A German target (60 documents and one broken record) and an English replay pool (500 documents) of
    /// varied lengths, and a byte-level BPE with three merges ("h e", "l l", "he ll"), so that a token count is
    /// at most the text's UTF-8 bytes and "hello" is 2 tokens.
    private static func corpus(_ s: Scratch) throws {
        var x: UInt64 = 12345
        func next(_ n: UInt64) -> Int {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return Int((x >> 33) % n)
        }
        var target = ""
        for i in 0..<60 {
            target += "{\"id\":\"t\(i)\",\"text\":\"\(String(repeating: "Guten Tag, ", count: 1 + next(40)))\"}\n"
            if i == 30 { target += "{\"id\":\"broken\",\"text\":\"no end\n" }
        }
        var replay = ""
        for i in 0..<500 {
            replay += "{\"text\": \"\(String(repeating: "hello world ", count: 1 + next(40)))\", \"id\": \"r\(i)\"}\n"
        }
        try s.write("target.jsonl", target)
        try s.write("replay.jsonl", replay)
        let merged = ShardsCLITests.byteTokenizerJSON()
            .replacingOccurrences(of: "\"vocab\": {", with: "\"vocab\": {\"he\": 256, \"ll\": 257, \"hell\": 258, ")
            .replacingOccurrences(of: "\"merges\": []", with: "\"merges\": [\"h e\", \"l l\", \"he ll\"]")
        try s.write("tok.json", merged)
    }

    private static func lines(_ path: String) throws -> [String] {
        var out: [String] = []
        var reader = DocumentReader(file: InputFile(path: path, kind: .jsonl), options: ReadOptions())
        let problem = try reader.forEach { event in
            switch event {
            case let .document(_, record), let .rejected(_, _, record):
                out.append(String(decoding: record, as: UTF8.self))
            }
        }
        #expect(problem == nil)
        return out
    }

    private static func manifest(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private static func sources(_ manifest: [String: Any]) throws -> [String: [String: Any]] {
        let list = try #require(manifest["sources"] as? [[String: Any]])
        var out: [String: [String: Any]] = [:]
        for s in list { out[s["name"] as? String ?? ""] = s }
        return out
    }

    private static func int(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? -1 }

    private static func mix(_ s: Scratch, _ extra: [String], output: String) throws -> CLIResult {
        try PTK.run(["mix", "--tokenizer", "tok.json", "--source", "target=target.jsonl",
                     "--source", "replay=replay.jsonl", "--output", output, "-q"] + extra, in: s.path)
    }

    typealias CLIResult = PTK.Result

    @Test("replay 25%: token-exact accounting recounted by ptk tokenize, realized share within half a document")
    func replayShare() throws {
        let s = try Scratch()
        try Self.corpus(s)
        let r = try Self.mix(s, ["--share", "replay=25%", "--threads", "1"], output: "out")
        #expect(r.status == 0, "\(r.stderr)")
        let manifest = try Self.manifest("\(s.path)/out/manifest.json")
        let sources = try Self.sources(manifest)
        let target = try #require(sources["target"]), replay = try #require(sources["replay"])

        // Recount the output with the tokenizer: one line of ids per document, in output order.
        let t = try PTK.run(["tokenize", "--tokenizer", "tok.json", "--input", "out/mix.jsonl.zst",
                             "--output", "ids.jsonl"], in: s.path)
        #expect(t.status == 0, "\(t.stderr)")
        var recount: [Character: Int] = [:]
        var order = ""
        for line in try Self.lines("\(s.path)/ids.jsonl") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try #require(object["id"] as? String), ids = try #require(object["ids"] as? [Int])
            let kind = try #require(id.first)
            recount[kind, default: 0] += ids.count
            order.append(kind)
        }
        #expect(recount["t"] == Self.int(target["tokens_chosen"]))
        #expect(recount["r"] == Self.int(replay["tokens_chosen"]))
        let hello = try PTK.run(["encode", "--tokenizer", "tok.json", "hello"], in: s.path)
        #expect(hello.stdout == "[258, 111]\n", "the merges apply: \(hello.stdout) \(hello.stderr)")
        let output = try #require(manifest["output"] as? [String: Any])
        let total = Self.int(output["tokens"])
        #expect(total == (recount["t"] ?? 0) + (recount["r"] ?? 0))
        #expect(Self.int(output["documents"]) == order.count)

        // The target is taken whole; the replay share is 0.25 within half a document (≤ 480 bytes) of the
        // budget: |realized − 0.25| ≤ 0.75 · (240 + 0.5) / total.
        #expect(Self.int(target["tokens_chosen"]) == Self.int(target["tokens_available"]))
        let realized = try #require(replay["share_realized"] as? Double)
        #expect(abs(realized - 0.25) <= 0.75 * 240.5 / Double(total), "\(realized)")
        #expect(abs(Self.int(replay["budget_gap"])) <= 240)

        // Sources are spread through the file: each half of the output holds replay documents.
        let half = order.count / 2
        #expect(order.prefix(half).contains("r") && order.suffix(half).contains("r"), "\(order)")

        // The books: read = chosen + not chosen + rejected, per source; the broken record is in the rejects.
        for source in [target, replay] {
            #expect(Self.int(source["documents_read"]) == Self.int(source["documents_chosen"])
                    + Self.int(source["documents_not_chosen"]) + Self.int(source["documents_rejected"]))
        }
        #expect(Self.int(target["documents_read"]) == 61 && Self.int(target["documents_rejected"]) == 1)
        #expect(Self.int(replay["documents_read"]) == 500 && Self.int(replay["documents_rejected"]) == 0)
        let rejects = try Self.lines("\(s.path)/out/rejects.jsonl.zst")
        #expect(rejects.count == 1 && rejects.first?.contains("\"line\":32") == true, "\(rejects)")

        // Records are copied byte for byte.
        let replayLines = Set(try Self.lines("\(s.path)/replay.jsonl"))
        let mixed = try Self.lines("\(s.path)/out/mix.jsonl.zst")
        #expect(mixed.filter { $0.contains("\"id\": \"r") }.allSatisfy(replayLines.contains))
        let tokenizer = try #require(manifest["tokenizer"] as? [String: Any])
        #expect(tokenizer["sha256"] as? String == (try sha256(ofFile: "\(s.path)/tok.json")))
        #expect(output["sha256"] as? String == (try sha256(ofFile: "\(s.path)/out/mix.jsonl.zst")))
    }

    @Test("the same seed gives identical bytes on 1 and 3 threads; another seed another choice")
    func determinism() throws {
        let s = try Scratch()
        try Self.corpus(s)
        for (threads, output) in [("1", "a"), ("3", "b")] {
            let r = try Self.mix(s, ["--share", "replay=0.05", "--seed", "7", "--threads", threads], output: output)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let c = try Self.mix(s, ["--share", "replay=0.05", "--seed", "8"], output: "c")
        #expect(c.status == 0, "\(c.stderr)")
        func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: "\(s.path)/\(path)")) }
        #expect(try bytes("a/mix.jsonl.zst") == bytes("b/mix.jsonl.zst"))
        #expect(try bytes("a/manifest.json") == bytes("b/manifest.json"))
        #expect(try bytes("a/mix.jsonl.zst") != bytes("c/mix.jsonl.zst"))

        // --count-all tokenizes the whole replay pool: the same choice, and its tokens_available.
        let d = try Self.mix(s, ["--share", "replay=0.05", "--seed", "7", "--count-all"], output: "d")
        #expect(d.status == 0, "\(d.stderr)")
        #expect(try bytes("a/mix.jsonl.zst") == bytes("d/mix.jsonl.zst"))
        let sampled = try #require(try Self.sources(try Self.manifest("\(s.path)/a/manifest.json"))["replay"])
        let counted = try #require(try Self.sources(try Self.manifest("\(s.path)/d/manifest.json"))["replay"])
        #expect(sampled["tokens_available"] == nil && Self.int(sampled["documents_tokenized"]) < 500)
        #expect(Self.int(counted["tokens_available"]) > 0 && Self.int(counted["documents_tokenized"]) == 500)
    }

    @Test("--total-tokens: every source its share of N; bad shares and short sources are clear errors")
    func totalTokens() throws {
        let s = try Scratch()
        try Self.corpus(s)
        let ok = try Self.mix(s, ["--share", "target=0.4", "--share", "replay=0.6", "--total-tokens", "10000",
                                  "--count-eos"], output: "t")
        #expect(ok.status == 0, "\(ok.stderr)")
        let sources = try Self.sources(try Self.manifest("\(s.path)/t/manifest.json"))
        #expect(Self.int(sources["target"]?["budget_tokens"]) == 4_000)
        #expect(Self.int(sources["replay"]?["budget_tokens"]) == 6_000)
        for name in ["target", "replay"] {
            #expect(abs(Self.int(sources[name]?["budget_gap"])) <= 241, "\(name)")
        }

        let sum = try Self.mix(s, ["--share", "target=0.4", "--share", "replay=0.5", "--total-tokens", "10000"],
                               output: "x")
        #expect(sum.status == 2 && sum.stderr.contains("must add up to 1"), "\(sum.stderr)")
        let missing = try Self.mix(s, ["--share", "replay=0.5", "--total-tokens", "10000"], output: "x")
        #expect(missing.status == 2 && missing.stderr.contains("'target' has none"), "\(missing.stderr)")
        let unknown = try Self.mix(s, ["--share", "web=0.5"], output: "x")
        #expect(unknown.status != 0 && unknown.stderr.contains("no --source named 'web'"), "\(unknown.stderr)")

        let short = try Self.mix(s, ["--share", "target=0.5", "--share", "replay=0.5", "--total-tokens", "100000"],
                                 output: "x")
        #expect(short.status == 2 && short.stderr.contains("fewer than its budget"), "\(short.stderr)")
        for leftover in ["manifest.json", "mix.jsonl.zst", "rejects.jsonl.zst", ".mix-work"] {
            #expect(!FileManager.default.fileExists(atPath: "\(s.path)/x/\(leftover)"), "\(leftover)")
        }
        let allowed = try Self.mix(s, ["--share", "target=0.5", "--share", "replay=0.5", "--total-tokens", "100000",
                                       "--allow-short"], output: "y")
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let shortSources = try Self.sources(try Self.manifest("\(s.path)/y/manifest.json"))
        let target = try #require(shortSources["target"])
        #expect(target["short"] as? Bool == true)
        #expect(Self.int(target["tokens_chosen"]) == Self.int(target["tokens_available"]))
        #expect(Self.int(target["documents_not_chosen"]) == 0)
    }

    @Test("--count-eos counts one more token per document")
    func countEOS() throws {
        let s = try Scratch()
        try Self.corpus(s)
        #expect(try Self.mix(s, ["--share", "replay=0.25"], output: "a").status == 0)
        #expect(try Self.mix(s, ["--share", "replay=0.25", "--count-eos"], output: "b").status == 0)
        let a = try #require(try Self.sources(try Self.manifest("\(s.path)/a/manifest.json"))["target"])
        let b = try #require(try Self.sources(try Self.manifest("\(s.path)/b/manifest.json"))["target"])
        #expect(Self.int(b["tokens_available"]) == Self.int(a["tokens_available"]) + 60)
    }

    @Test("a source of several files (a list, a glob, gzip) is one source: positions run over its files")
    func severalFiles() throws {
        let s = try Scratch()
        try Self.corpus(s)
        let split = try PTK.runShell("""
            mkdir -p parts && head -n 200 replay.jsonl > parts/a.jsonl && tail -n +201 replay.jsonl > parts/b.jsonl \
            && gzip parts/b.jsonl && head -n 10 target.jsonl > t1.jsonl && tail -n +11 target.jsonl > t2.jsonl
            """, in: s.path)
        #expect(split.status == 0, "\(split.stderr)")
        let one = try PTK.run(["mix", "--tokenizer", "tok.json", "--source", "target=target.jsonl",
                               "--source", "replay=replay.jsonl", "--share", "replay=0.25", "--output", "one", "-q"],
                              in: s.path)
        let many = try PTK.run(["mix", "--tokenizer", "tok.json", "--source", "target=t1.jsonl,t2.jsonl",
                                "--source", "replay=parts/*", "--share", "replay=0.25", "--output", "many", "-q"],
                               in: s.path)
        #expect(one.status == 0 && many.status == 0, "\(one.stderr)\(many.stderr)")
        // The same documents in the same order: the same choice and the same output.
        #expect(try Self.lines("\(s.path)/one/mix.jsonl.zst") == Self.lines("\(s.path)/many/mix.jsonl.zst"))
        let sources = try Self.sources(try Self.manifest("\(s.path)/many/manifest.json"))
        let files = try #require(sources["replay"]?["files"] as? [[String: Any]])
        #expect(files.compactMap { $0["path"] as? String } == ["parts/a.jsonl", "parts/b.jsonl.gz"])
        #expect(Self.int(sources["target"]?["documents_read"]) == 61)
    }
}
