import Cleaning
import CorpusCore
import CorpusIO
import Foundation
import Testing

@Suite("Exact dedup")
struct DedupExactTests {
    /// 3 files of unique documents with planted copies: exact copies, whitespace variants and case variants.
    static func corpus(_ scratch: DedupScratch, documents: Int = 1500) throws
        -> (files: [InputFile], exact: Set<String>, whitespace: Set<String>, casing: Set<String>)
    {
        var random = SeededRandom(seed: 7)
        var files: [[(id: String, text: String)]] = [[], [], []]
        var originals: [(file: Int, id: String, text: String)] = []
        var exact = Set<String>(), whitespace = Set<String>(), casing = Set<String>()
        for i in 0..<documents {
            let file = i % 3
            let text = randomText(&random, words: 20 + Int(random.next() % 40))
            let id = "d\(i)"
            files[file].append((id, text))
            originals.append((file, id, text))
            if i % 10 == 3 {
                let source = originals[i - 1]
                // A copy later in input order (a later index of this file, or a later file).
                let copy = "e\(i)"
                files[max(file, source.file)].append((copy, source.text))
                exact.insert(copy)
            } else if i % 10 == 6 {
                let source = originals[i - 2]
                let copy = "w\(i)"
                files[max(file, source.file)].append((copy, "  " + source.text.replacingOccurrences(of: " ", with: "\n \t") + "\n"))
                whitespace.insert(copy)
            } else if i % 10 == 9 {
                let source = originals[i - 4]
                let copy = "c\(i)"
                files[max(file, source.file)].append((copy, source.text.uppercased()))
                casing.insert(copy)
            }
        }
        let inputs = try files.enumerated().map { try scratch.writeJSONL("in/f\($0).jsonl", $1) }
        return (inputs, exact, whitespace, casing)
    }

    @Test("every planted copy is found, by normalization; the first in input order is kept", arguments: [
        TextNormalization.none, .whitespace, .full,
    ])
    func planted(normalization: TextNormalization) throws {
        let scratch = try DedupScratch()
        let (files, exact, whitespace, casing) = try Self.corpus(scratch)
        let outcome = try runCorpusStep(ExactDedup(normalization: normalization), files: files,
                                        folder: try scratch.folder("work"), threads: 2)
        var expected = exact
        if normalization != .none { expected.formUnion(whitespace) }
        if normalization == .full { expected.formUnion(casing) }
        #expect(Set(outcome.drops.keys) == expected)
        #expect(Set(outcome.drops.values) == [ExactDedup.reason])
        // Details name a kept document, which is never itself dropped.
        for detail in outcome.details.values { #expect(detail.hasPrefix("duplicate of in/f")) }
    }

    @Test("the kept one is the smallest origin key; detail names it")
    func keptIsFirst() throws {
        let scratch = try DedupScratch()
        let a = try scratch.writeJSONL("a.jsonl", [("a1", "one"), ("a2", "two"), ("a3", "one")])
        let b = try scratch.writeJSONL("b.jsonl", [("b1", "two"), ("b2", "three"), ("b3", "one ")])
        let outcome = try runCorpusStep(ExactDedup(), files: [a, b], folder: try scratch.folder("w"), threads: 1)
        #expect(outcome.drops == ["a3": "exact_duplicate", "b1": "exact_duplicate", "b3": "exact_duplicate"])
        #expect(outcome.details["b1"] == "duplicate of a.jsonl:2")
        #expect(outcome.details["b3"] == "duplicate of a.jsonl:1")
    }

    @Test("full normalization folds compatibility forms and case; whitespace does not")
    func compatibility() throws {
        let scratch = try DedupScratch()
        let a = try scratch.writeJSONL("a.jsonl", [("a1", "Ｐｒｅｔｒａｉｎ  ﬁle"), ("a2", "pretrain file"), ("a3", "PRETRAIN\tFILE")])
        let full = try runCorpusStep(ExactDedup(normalization: .full), files: [a], folder: try scratch.folder("f"),
                                     threads: 1)
        #expect(full.drops == ["a2": "exact_duplicate", "a3": "exact_duplicate"])
        let whitespace = try runCorpusStep(ExactDedup(), files: [a], folder: try scratch.folder("w"), threads: 1)
        #expect(whitespace.drops.isEmpty)
    }

    @Test("a tiny memory budget spills sorted runs and gives the same drops; 1 and 3 threads agree")
    func spilled() throws {
        let scratch = try DedupScratch()
        let (files, _, _, _) = try Self.corpus(scratch, documents: 12000)
        let inMemory = try runCorpusStep(ExactDedup(), files: files, folder: try scratch.folder("m"), threads: 1)
        let spilledFolder = try scratch.folder("s")
        let spilled = try runCorpusStep(ExactDedup(memoryBytes: 1), files: files, folder: spilledFolder, threads: 3)
        let runs = try FileManager.default.contentsOfDirectory(atPath: spilledFolder).filter { $0.hasSuffix(".run") }
        #expect(runs.count >= 3)
        #expect(inMemory == spilled)
        #expect(inMemory.drops.count == 2400)
    }
}
