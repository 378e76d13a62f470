import CorpusCore
import CorpusIO
import Foundation
import Testing

@Suite("ptk dedup minhash")
struct DedupCLITests {
    /// Three files; a third of the documents are copies of earlier ones with two words changed.
    func corpus(_ s: Scratch) throws -> [String] {
        var random = SeededRandom(seed: 4)
        var texts: [String] = []
        var files: [[String]] = [[], [], []]
        for i in 0..<600 {
            var words: [String]
            if i % 3 == 2 {
                words = texts[Int(random.next() % UInt64(texts.count))].split(separator: " ").map(String.init)
                words[Int(random.next() % UInt64(words.count))] = "changed"
                words[Int(random.next() % UInt64(words.count))] = "edited"
            } else {
                let count = 60 + Int(random.next() % 60)
                words = (0..<count).map { _ in fiveLetters(&random, alphabet: 8) }
            }
            let text = words.joined(separator: " ")
            texts.append(text)
            files[i % 3].append("{\"id\":\"d\(i)\",\"text\":\"\(text)\"}")
        }
        for (f, lines) in files.enumerated() { try s.write("in/f\(f).jsonl", lines.joined(separator: "\n") + "\n") }
        return (0..<3).map { "in/f\($0).jsonl" }
    }

    @Test("the four stages with ranks and band tasks remove what the recipe step removes")
    func stagesEqualRecipe() throws {
        let s = try Scratch()
        let inputs = try corpus(s)
        try s.write("recipe.yaml", """
            seed: 4
            inputs:
              - path: in/*.jsonl
            steps:
              - minhash_dedup: {memory_mb: 1}
            output:
              path: out
              format: jsonl
            """)
        let run = try PTK.run(["run", "recipe.yaml", "--threads", "2", "-q"], in: s.path)
        #expect(run.status == 0, "\(run.stderr)")
        var expected: [String: String] = [:]
        for value in try readLines("\(s.path)/out/rejects/rank-00000.jsonl.zst") {
            if case let .string(id)? = value.value(at: ["id"]), case let .string(detail)? = value.value(at: ["detail"]) {
                expected[id] = detail
            }
        }
        #expect(expected.count > 100)

        let options = ["--folder", "work", "--seed", "4"]
        let input = inputs.flatMap { ["--input", $0] }
        for rank in 0..<2 {
            let r = try PTK.run(["dedup", "minhash", "signatures"] + options + input
                + ["--rank", "\(rank)", "--world-size", "2"], in: s.path)
            #expect(r.status == 0, "\(r.stderr)")
        }
        for task in 0..<7 {
            let r = try PTK.run(["dedup", "minhash", "buckets"] + options + ["--task", "\(task)", "--tasks", "7"],
                                in: s.path)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let c = try PTK.run(["dedup", "minhash", "clusters"] + options, in: s.path)
        #expect(c.status == 0, "\(c.stderr)")
        var removed: [String: String] = [:]
        var kept = 0
        for rank in 0..<3 {
            let r = try PTK.run(["dedup", "minhash", "filter"] + options + input
                + ["--rank", "\(rank)", "--world-size", "3", "--output", "dedup-out"], in: s.path)
            #expect(r.status == 0, "\(r.stderr)")
            for value in try readLines("\(s.path)/dedup-out/removed-rank-0000\(rank).jsonl") {
                if case let .string(id)? = value.value(at: ["id"]),
                   case let .string(detail)? = value.value(at: ["detail"]) { removed[id] = detail }
            }
            kept += try readLines("\(s.path)/dedup-out/rank-0000\(rank).jsonl").count
        }
        #expect(removed == expected)
        #expect(kept + removed.count == 600)
    }

    func readLines(_ path: String) throws -> [JSONValue] {
        var values: [JSONValue] = []
        var framer = LineFramer(source: try openInput(path: path), maxRecordBytes: 1 << 26)
        try framer.forEachLine { line in
            if case let .record(_, bytes) = line, !bytes.isEmpty { values.append(try JSONParser.parse(bytes)) }
        }
        return values
    }
}

/// Five random letters from the first `alphabet` letters.
func fiveLetters(_ random: inout SeededRandom, alphabet: UInt64) -> String {
    var bytes: [UInt8] = []
    for _ in 0..<5 { bytes.append(UInt8(97 + random.next() % alphabet)) }
    return String(decoding: bytes, as: UTF8.self)
}
