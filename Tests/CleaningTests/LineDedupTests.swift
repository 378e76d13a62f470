import Cleaning
import CorpusCore
import CorpusIO
import Foundation
import Testing

@Suite("Line dedup")
struct LineDedupTests {
    func corpus(_ scratch: DedupScratch) throws -> [InputFile] {
        let a = try scratch.writeJSONL("a.jsonl", [
            ("a1", "Home | About | Contact\nFirst article text.\nShared footer © 2024"),
            ("a2", "Home | About | Contact\nSecond article.\n\nShared footer © 2024\n"),
        ])
        let b = try scratch.writeJSONL("b.jsonl", [
            ("b1", "Home | About | Contact\r\nThird article.\r\nShared footer © 2024"),
            ("b2", "  Home | About | Contact  \nShared footer © 2024"),
            ("b3", "Unique text only."),
        ])
        return [a, b]
    }

    @Test("lines in more than one document are removed except in the first; emptied documents are dropped")
    func keepFirst() throws {
        let scratch = try DedupScratch()
        let outcome = try runCorpusStep(LineDedup(), files: try corpus(scratch), folder: try scratch.folder("w"),
                                        threads: 2)
        #expect(outcome.drops == ["b2": LineDedup.reason])
        #expect(outcome.details["b2"] == "all 2 lines occur in more than 1 documents")
        // a1 is first with both repeated lines: untouched.
        #expect(outcome.texts["a1"] == nil)
        #expect(outcome.texts["a2"] == "Second article.\n\n")
        #expect(outcome.texts["b1"] == "Third article.\r")
        #expect(outcome.texts["b3"] == nil)
    }

    @Test("without keep_first every occurrence goes; max_documents raises the bar")
    func options() throws {
        let scratch = try DedupScratch()
        let files = try corpus(scratch)
        let all = try runCorpusStep(LineDedup(keepFirst: false), files: files, folder: try scratch.folder("w1"),
                                    threads: 1)
        #expect(all.texts["a1"] == "First article text.")
        #expect(Set(all.drops.keys) == ["b2"])
        let lenient = try runCorpusStep(LineDedup(maxDocuments: 4), files: files, folder: try scratch.folder("w2"),
                                        threads: 1)
        // The header is in 4 documents (not more than 4), the footer in 4: nothing is removed.
        #expect(lenient.texts.isEmpty && lenient.drops.isEmpty)
        let three = try runCorpusStep(LineDedup(maxDocuments: 3, keepFirst: false), files: files,
                                      folder: try scratch.folder("w3"), threads: 1)
        #expect(three.texts["b1"] == "Third article.\r")
    }

    @Test("paragraph unit")
    func paragraphs() throws {
        let scratch = try DedupScratch()
        let a = try scratch.writeJSONL("a.jsonl", [
            ("a1", "Intro one.\n\nCookie notice\nline two\n\nBody one."),
            ("a2", "Intro two.\n\n\nCookie notice\nline two\n\nBody two."),
        ])
        let outcome = try runCorpusStep(LineDedup(unit: .paragraphs), files: [a], folder: try scratch.folder("w"),
                                        threads: 1)
        #expect(outcome.texts == ["a2": "Intro two.\n\nBody two."])
    }

    @Test("spilled runs give the same result as memory; 1 and 3 threads agree")
    func spilled() throws {
        let scratch = try DedupScratch()
        var random = SeededRandom(seed: 3)
        var files: [InputFile] = []
        for f in 0..<4 {
            var docs: [(id: String, text: String)] = []
            for i in 0..<800 {
                var lines: [String] = []
                for _ in 0..<8 {
                    // A quarter of the lines come from a small pool, so they repeat across documents.
                    lines.append(random.next() % 4 == 0 ? "boiler \(letterWord(Int(random.next() % 300)))"
                                                         : randomText(&random, words: 6))
                }
                docs.append(("f\(f)-\(i)", lines.joined(separator: "\n")))
            }
            files.append(try scratch.writeJSONL("in/\(f).jsonl", docs))
        }
        let memory = try runCorpusStep(LineDedup(), files: files, folder: try scratch.folder("m"), threads: 1)
        let folder = try scratch.folder("s")
        let spilled = try runCorpusStep(LineDedup(memoryBytes: 1), files: files, folder: folder, threads: 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".run") }.count >= 3)
        #expect(memory == spilled)
        #expect(memory.texts.count > 2000)
    }
}
