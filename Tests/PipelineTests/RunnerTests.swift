import CorpusCore
import CorpusIO
import Foundation
import Testing
@testable import Pipeline

@Suite("Runner")
struct RunnerTests {
    static let recipe = """
        seed: 7
        inputs:
          - path: in/*.jsonl*
            url_field: meta.url
            source: web
        steps:
          - trim: {}
          - length: {min_words: 3}
        output:
          path: out
        """

    /// Several files in every format, with every kind of bad record.
    func makeCorpus(_ t: TempFolder) throws {
        var good: [String] = []
        for i in 0..<300 {
            good.append("{\"id\":\"d\(i)\",\"text\":\"document number \(i) has some words  \\n\\n\\n\\nend\",\"meta\":{\"url\":\"https://x\(i % 7).org/p\"}}")
        }
        try t.write("in/a.jsonl", good[0..<100].joined(separator: "\n") + "\n")
        try t.writeCompressed("in/b.jsonl.gz", Array(good[100..<200]))
        try t.writeCompressed("in/c.jsonl.zst", Array(good[200..<300]) + ["{\"id\":\"short\",\"text\":\"two words\"}"])
        var bad: [UInt8] = []
        bad += Array("{\"id\":\"m\",\"text\":\"unterminated}\n".utf8)                         // malformed JSON
        bad += Array("{\"id\":\"u\",\"text\":\"caf".utf8) + [0xE9] + Array(" crème brûlée now\"}\n".utf8) // bad UTF-8
        bad += Array("{\"id\":\"x\",\"body\":\"no text field\"}\n".utf8)                       // missing text
        bad += Array("{\"id\":\"e\",\"text\":\"\"}\n".utf8)                                    // empty
        bad += Array("\n   \n".utf8)                                                           // blank lines: not records
        bad += Array("{\"id\":\"big\",\"text\":\"\(String(repeating: "w ", count: 3000))\"}\n".utf8) // too large
        bad += Array("{\"id\":\"ok\",\"text\":\"still read after the bad ones\"}".utf8)          // no final newline
        try t.write("in/d.jsonl", bad)
        try t.write("in/empty.jsonl", "")
    }

    var recipeWithLimit: String { Self.recipe.replacingOccurrences(of: "steps:", with: "reader:\n  max_record_bytes: 4KiB\nsteps:") }

    @Test("the ledger adds up and every rejected record is in the rejects file with its reason, file and line")
    func ledgerAndRejects() throws {
        let t = try TempFolder()
        try makeCorpus(t)
        let outcome = try runRecipe(recipeWithLimit, in: t)
        let manifest = try #require(outcome.manifest)
        #expect(manifest.ledger == Ledger(read: 307, written: 301, rejected: 6))
        let read = try #require(manifest.stages.first)
        #expect(read.name == "read")
        #expect(read.dropped.mapValues(\.documents) == [
            "malformed_json": 1, "invalid_utf8": 1, "missing_text": 1, "empty_text": 1, "record_too_large": 1,
        ])
        #expect(manifest.stages.map(\.name) == ["read", "trim", "length"])
        #expect(manifest.stages[1].changed == 300)
        #expect(manifest.stages[2].dropped["too_few_words"]?.documents == 1)
        for stage in manifest.stages { #expect(stage.isBalanced, "\(stage.name)") }

        let rejects = try readJSONL("\(t.path)/out/rejects/rank-00000.jsonl.zst")
        #expect(rejects.count == 6)
        let byID = Dictionary(uniqueKeysWithValues: rejects.map { (string($0.value(at: ["reason"])) ?? "", $0) })
        #expect(string(byID["malformed_json"]?.value(at: ["file"])) == "in/d.jsonl")
        #expect(byID["malformed_json"]?.value(at: ["line"]) == .number("1"))
        #expect(byID["invalid_utf8"]?.value(at: ["line"]) == .number("2"))
        #expect(byID["invalid_utf8"]?.value(at: ["record_base64"]) != nil)
        #expect(byID["record_too_large"]?.value(at: ["line"]) == .number("7"))
        #expect(string(byID["too_few_words"]?.value(at: ["stage"])) == "length")
        #expect(string(byID["too_few_words"]?.value(at: ["record"])) == "{\"id\":\"short\",\"text\":\"two words\"}")

        let docs = try readJSONL("\(t.path)/out/data/rank-00000.jsonl.zst")
        #expect(docs.count == 301)
        #expect(string(docs[0].value(at: ["text"])) == "document number 0 has some words\n\nend")
        #expect(string(docs[0].value(at: ["url"])) == "https://x0.org/p")
        #expect(string(docs[0].value(at: ["source"])) == "web")
        #expect(string(docs.last?.value(at: ["id"])) == "ok")
        #expect(t.exists("out/stats.json") && t.exists("out/ranks/rank-00000.done"))
        #expect(!t.exists("out/.work"))
    }

    @Test("output bytes are identical for 1 and 4 threads, and across runs", arguments: [1, 4])
    func deterministic(threads: Int) throws {
        let a = try TempFolder(), b = try TempFolder()
        try makeCorpus(a)
        try makeCorpus(b)
        try runRecipe(recipeWithLimit, in: a, threads: 1)
        try runRecipe(recipeWithLimit, in: b, threads: threads)
        for file in ["out/data/rank-00000.jsonl.zst", "out/rejects/rank-00000.jsonl.zst", "out/manifest.json",
                     "out/stats.json"]
        {
            #expect(try a.read(file) == b.read(file), "\(file) differs")
        }
    }

    @Test("invalid UTF-8 can be repaired instead of rejected")
    func replaceUTF8() throws {
        let t = try TempFolder()
        try t.write("in/a.jsonl", Array("{\"text\":\"caf".utf8) + [0xE9] + Array(" au lait tonight\"}\n".utf8))
        let outcome = try runRecipe(Self.recipe.replacingOccurrences(of: "steps:", with: "reader:\n  invalid_utf8: replace\nsteps:"), in: t)
        #expect(outcome.manifest?.ledger == Ledger(read: 1, written: 1, rejected: 0))
        let docs = try readJSONL("\(t.path)/out/data/rank-00000.jsonl.zst")
        #expect(string(docs.first?.value(at: ["text"])) == "caf\u{FFFD} au lait tonight")
        #expect(string(docs.first?.value(at: ["id"])) == "in/a.jsonl:1")
    }

    @Test("a truncated .gz or .zst keeps what was read, rejects the partial record and reports the file",
          arguments: ["gz", "zst"])
    func truncated(ext: String) throws {
        let t = try TempFolder()
        let lines = (0..<20000).map { "{\"id\":\"\($0)\",\"text\":\"number \($0) of many documents here\"}" }
        try t.writeCompressed("full.jsonl.\(ext)", lines)
        let full = try t.read("full.jsonl.\(ext)")
        try t.write("in/cut.jsonl.\(ext)", Array(full.prefix(full.count / 2)))
        let outcome = try runRecipe(Self.recipe, in: t)
        let manifest = try #require(outcome.manifest)
        #expect(manifest.inputErrors.count == 1)
        #expect(manifest.inputErrors.first?.file == "in/cut.jsonl.\(ext)")
        #expect(manifest.inputErrors.first?.error.contains("truncated") == true)
        let ledger = manifest.ledger
        #expect(ledger.read == ledger.written + ledger.rejected)
        #expect(ledger.written > 1000 && ledger.written < 20000)
        #expect(manifest.stages[0].dropped["truncated_record"]?.documents ?? 0 <= 1)
        let docs = try readJSONL("\(t.path)/out/data/rank-00000.jsonl.zst")
        #expect(docs.enumerated().allSatisfy { string($1.value(at: ["id"])) == "\($0)" })
    }

    @Test("a folder of text files: each file one document, empty files rejected")
    func textFolder() throws {
        let t = try TempFolder()
        try t.write("notes/b.txt", "second note with a few words\n")
        try t.write("notes/a.txt", "first note with a few words\r\n")
        try t.write("notes/sub/c.md", "third note with a few words")
        try t.write("notes/empty.txt", "")
        try t.write("notes/.hidden", "ignored")
        let outcome = try runRecipe("inputs:\n  - path: notes\nsteps:\n  - trim\noutput:\n  path: out\n", in: t)
        #expect(outcome.manifest?.ledger == Ledger(read: 4, written: 3, rejected: 1))
        let docs = try readJSONL("\(t.path)/out/data/rank-00000.jsonl.zst")
        #expect(docs.map { string($0.value(at: ["id"])) } == ["notes/a.txt", "notes/b.txt", "notes/sub/c.md"])
        #expect(string(docs[0].value(at: ["text"])) == "first note with a few words")
    }

    @Test("missing inputs and unmatched globs fail before any reading, naming the path")
    func missingInputs() throws {
        let t = try TempFolder()
        #expect(throws: InputError.notFound(path: "nope.jsonl", at: nil)) {
            try runRecipe("inputs:\n  - path: nope.jsonl\noutput:\n  path: out\n", in: t)
        }
        #expect(throws: InputError.noMatch(pattern: "in/*.jsonl", at: nil)) {
            try runRecipe("inputs:\n  - path: in/*.jsonl\noutput:\n  path: out\n", in: t)
        }
        #expect(!t.exists("out"))
    }

    @Test("a recipe typo names the key, its path and its line")
    func recipeTypo() throws {
        let t = try TempFolder()
        try t.write("in/a.jsonl", "{\"text\":\"x\"}\n")
        do {
            try runRecipe("inputs:\n  - path: in/a.jsonl\nsteps:\n  - length:\n      min_word: 3\noutput:\n  path: out\n", in: t)
            Issue.record("expected an error")
        } catch let error as RecipeError {
            let message = "\(error)"
            #expect(message.contains("min_word") && message.contains(":5:") && message.contains("min_words"), "\(message)")
        }
        do {
            try runRecipe("inputs:\n  - path: in/a.jsonl\nsteps:\n  - lenght: {}\noutput:\n  path: out\n", in: t)
            Issue.record("expected an error")
        } catch let error as RecipeError {
            let message = "\(error)"
            #expect(message.contains("lenght") && message.contains(":4:") && message.contains("length"), "\(message)")
        }
    }

    @Test("ranks split the files, write rank-named outputs, and the manifest appears when all are done")
    func ranks() throws {
        let single = try TempFolder(), split = try TempFolder()
        try makeCorpus(single)
        try makeCorpus(split)
        let whole = try #require(try runRecipe(recipeWithLimit, in: single).manifest)
        let r0 = try runRecipe(recipeWithLimit, in: split, shard: try ShardIndex(rank: 0, worldSize: 2))
        #expect(r0.manifest == nil)
        #expect(!split.exists("out/manifest.json"))
        let r1 = try runRecipe(recipeWithLimit, in: split, shard: try ShardIndex(rank: 1, worldSize: 2))
        let merged = try #require(r1.manifest)
        #expect(merged.ledger == whole.ledger)
        #expect(merged.stages == whole.stages)
        #expect(merged.outputs.map(\.path) == ["data/rank-00000.jsonl.zst", "data/rank-00001.jsonl.zst"])
        let ids0 = try readJSONL("\(split.path)/out/data/rank-00000.jsonl.zst").compactMap { string($0.value(at: ["id"])) }
        let ids1 = try readJSONL("\(split.path)/out/data/rank-00001.jsonl.zst").compactMap { string($0.value(at: ["id"])) }
        let all = try readJSONL("\(single.path)/out/data/rank-00000.jsonl.zst").compactMap { string($0.value(at: ["id"])) }
        #expect(Set(ids0).isDisjoint(with: ids1))
        #expect(Set(ids0 + ids1) == Set(all))
        #expect(r0.rank?.files == ["in/a.jsonl", "in/c.jsonl.zst", "in/empty.jsonl"])
    }

    @Test("a finished task is skipped on re-run; another recipe in the same folder is refused")
    func rerun() throws {
        let t = try TempFolder()
        try makeCorpus(t)
        try runRecipe(recipeWithLimit, in: t)
        let before = try t.read("out/data/rank-00000.jsonl.zst")
        let again = try runRecipe(recipeWithLimit, in: t)
        #expect(again.skipped && again.manifest != nil)
        #expect(try t.read("out/data/rank-00000.jsonl.zst") == before)
        #expect(throws: RunError.self) { try runRecipe(Self.recipe + "\nseed: 8\n".replacingOccurrences(of: "\nseed: 8\n", with: ""), in: t, name: "other.yaml") }
        let forced = try runRecipe(Self.recipe, in: t, name: "other.yaml", force: true)
        #expect(!forced.skipped)
    }

    @Test("an interrupted task resumes: committed parts are reused, the rest is processed")
    func resume() throws {
        let t = try TempFolder()
        try t.write("in/a.jsonl", "{\"id\":\"a1\",\"text\":\"first file first document\"}\n")
        try t.write("in/b.jsonl", "{\"id\":\"b1\",\"text\":\"second file first document\"}\n")
        try t.write("recipe.yaml", Self.recipe)
        let runner = try Job.prepare(recipePath: "\(t.path)/recipe.yaml", options: RunOptions(threads: 1, log: Log(quiet: true)))
        // Simulate a run killed after its first file: the part of file 0 is committed with its summary.
        try FileManager.default.createDirectory(atPath: runner.workFolder, withIntermediateDirectories: true)
        try OutputFile.atomicWrite(path: "\(runner.workFolder)/recipe.sha256", contents: Array("\(runner.recipe.recipeHash)\n".utf8))
        let report = try runner.process(runner.files[0], partStem: runner.partStem(0), progress: Progress(totalBytes: 0, log: Log(quiet: true)))
        try OutputFile.atomicWrite(path: runner.partStem(0) + ".json", contents: try encodeReport(report))
        // Change file 0 afterwards: a resumed run must not read it again.
        try t.write("in/a.jsonl", "{\"id\":\"changed\",\"text\":\"this must not appear in the output\"}\n")
        let outcome = try runner.run()
        let ids = try readJSONL("\(t.path)/out/data/rank-00000.jsonl.zst").compactMap { string($0.value(at: ["id"])) }
        #expect(ids == ["a1", "b1"])
        #expect(outcome.manifest?.ledger == Ledger(read: 2, written: 2, rejected: 0))
    }

    @Test("an unwritable output folder is a clear error and leaves no partial file")
    func unwritable() throws {
        guard getuid() != 0 else {
            // root ignores permissions; use a path under a regular file instead, which no one can create.
            let t = try TempFolder()
            try t.write("in/a.jsonl", "{\"text\":\"a few words here\"}\n")
            try t.write("blocker", "I am a file")
            #expect(throws: (any Error).self) {
                try runRecipe(Self.recipe.replacingOccurrences(of: "path: out", with: "path: blocker/out"), in: t)
            }
            #expect(!t.exists("blocker/out"))
            return
        }
        let t = try TempFolder()
        try t.write("in/a.jsonl", "{\"text\":\"a few words here\"}\n")
        try FileManager.default.createDirectory(atPath: "\(t.path)/ro", withIntermediateDirectories: true)
        chmod("\(t.path)/ro", 0o555)
        #expect(throws: (any Error).self) {
            try runRecipe(Self.recipe.replacingOccurrences(of: "path: out", with: "path: ro/out"), in: t)
        }
    }
}
