import Foundation
import Testing

@Suite("ptk decontaminate")
struct DecontaminateCLITests {
    @Test("--input lists n-gram overlaps; --index lists the closest documents; the two modes are checked")
    func modes() throws {
        let s = try Scratch()
        let quoted = "the quick brown fox jumps over the lazy dog while the farmer counts sheep in the field"
        try s.write("docs.jsonl", """
            {"id":"a","text":"Intro. \(quoted). Outro.","url":"https://a.org/1"}
            {"id":"b","text":"Stock markets rose on Tuesday as bond yields fell."}

            """)
        try s.write("eval.jsonl", "{\"id\":\"e1\",\"question\":\"\(quoted)\"}\n")
        let ngrams = try PTK.run(["decontaminate", "--eval", "eval.jsonl", "--fields", "question", "--input", "docs.jsonl",
                                  "--report", "ngrams.jsonl", "--quiet"], in: s.path)
        #expect(ngrams.status == 0, "\(ngrams.stderr)")
        let overlaps = try String(contentsOfFile: "\(s.path)/ngrams.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(overlaps.count == 17 - 13 + 1 && overlaps.allSatisfy { $0.contains("\"document\":\"a\"") })

        let build = try PTK.run(["index", "build", "--input", "docs.jsonl", "--output", "index", "--quiet"], in: s.path)
        #expect(build.status == 0, "\(build.stderr)")
        let retrieval = try PTK.run(["decontaminate", "--eval", "eval.jsonl", "--fields", "question", "--index", "index",
                                     "--k", "1", "--report", "candidates.jsonl", "--quiet"], in: s.path)
        #expect(retrieval.status == 0, "\(retrieval.stderr)")
        let candidates = try String(contentsOfFile: "\(s.path)/candidates.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(candidates.count == 1)
        #expect(candidates.first.map { $0.contains("\"eval_id\":\"e1\"") && $0.contains("\"id\":\"a\"")
            && $0.contains("\"url\":\"https://a.org/1\"") && $0.contains("\"method\":\"bm25\"") } == true)

        for bad in [["--report", "r.jsonl"], ["--input", "docs.jsonl", "--index", "index", "--report", "r.jsonl"],
                    ["--input", "docs.jsonl", "--vector", "--report", "r.jsonl"]]
        {
            let r = try PTK.run(["decontaminate", "--eval", "eval.jsonl"] + bad, in: s.path)
            #expect(r.status != 0 && r.stderr.contains("--"), "\(bad): \(r.stderr)")
        }
        let noVectors = try PTK.run(["decontaminate", "--eval", "eval.jsonl", "--fields", "question", "--index", "index",
                                     "--vector", "--report", "r.jsonl", "--quiet"], in: s.path)
        #expect(noVectors.status != 0 && noVectors.stderr.contains("--model"), "\(noVectors.stderr)")
    }
}
