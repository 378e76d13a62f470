import Cleaning
import CorpusCore
import CorpusIO
import Foundation
import Testing

@Suite("MinHash dedup")
struct MinHashTests {
    static let similarities: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]

    /// Pairs of documents whose word sets have an exact Jaccard similarity s: with a union of 200 distinct words,
    /// the pair shares k = 200·s of them and each has (200 − k)/2 of its own. Every pair has its own words, so
    /// documents of different pairs share none. Words are letters only (digit runs are normalized to `0`).
    static func plantedPairs(_ scratch: DedupScratch, pairsPerBucket: Int) throws -> [InputFile] {
        var random = SeededRandom(seed: 11)
        var files: [[(id: String, text: String)]] = [[], [], []]
        var pair = 0
        for s in similarities {
            let shared = Int((200 * s).rounded())
            let own = (200 - shared) / 2
            for _ in 0..<pairsPerBucket {
                let prefix = letterWord(pair) + "q"
                let common = (0..<shared).map { letterWord($0, prefix: prefix) }
                let a = common + (0..<own).map { letterWord(shared + $0, prefix: prefix) }
                let b = common + (0..<own).map { letterWord(shared + own + $0, prefix: prefix) }
                let file = Int(random.next() % 3)
                files[file].append(("p\(pair)-a-\(s)", a.shuffled(using: &random).joined(separator: " ")))
                files[(file + 1) % 3].append(("p\(pair)-b-\(s)", b.shuffled(using: &random).joined(separator: " ")))
                pair += 1
            }
        }
        return try files.enumerated().map { try scratch.writeJSONL("in/f\($0).jsonl", $1) }
    }

    @Test("detection rate per similarity bucket follows 1 − (1 − s^r)^b within 4 binomial sigmas")
    func detectionRate() throws {
        let scratch = try DedupScratch()
        let perBucket = 150
        let files = try Self.plantedPairs(scratch, pairsPerBucket: perBucket)
        let parameters = MinHashParameters(ngram: 1, bands: 14, rows: 8, seed: 5)
        let outcome = try runCorpusStep(MinHashDedup(parameters: parameters), files: files,
                                        folder: try scratch.folder("w"), threads: 2)
        for s in Self.similarities {
            let detected = outcome.drops.keys.filter { $0.hasSuffix("-\(s)") }.count
            let p = parameters.collisionProbability(s)
            let mean = Double(perBucket) * p
            let sigma = (Double(perBucket) * p * (1 - p)).squareRoot()
            #expect(abs(Double(detected) - mean) <= 4 * sigma + 0.5,
                    "s = \(s): \(detected) of \(perBucket) pairs found, expected \(mean) ± \(sigma)")
        }
        // A detected pair drops exactly one document, never both.
        let pairs = outcome.drops.keys.map { $0.split(separator: "-")[0] }
        #expect(Set(pairs).count == pairs.count)
        #expect(Set(outcome.drops.values) == [MinHashDedup.reason])
    }

    @Test("signature agreement estimates Jaccard; a verification threshold removes low pairs")
    func threshold() throws {
        let scratch = try DedupScratch()
        let files = try Self.plantedPairs(scratch, pairsPerBucket: 40)
        let parameters = MinHashParameters(ngram: 1, bands: 20, rows: 3, seed: 5)
        let loose = try runCorpusStep(MinHashDedup(parameters: parameters), files: files,
                                      folder: try scratch.folder("a"), threads: 2)
        let strict = try runCorpusStep(MinHashDedup(parameters: parameters, threshold: 0.75), files: files,
                                       folder: try scratch.folder("b"), threads: 2)
        func found(_ o: StepOutcome, _ s: Double) -> Int { o.drops.keys.filter { $0.hasSuffix("-\(s)") }.count }
        // 20 × 3 finds most pairs at s = 0.4 (p = 0.72); the 0.75 threshold keeps only pairs estimated that high.
        #expect(found(loose, 0.4) > 15)
        #expect(found(strict, 0.4) == 0)
        #expect(found(strict, 0.95) == found(loose, 0.95))
        #expect(found(strict, 0.9) >= 38)

        let hasher = MinHasher(MinHashParameters(bands: 16, rows: 16, seed: 1))
        let a = try #require(hasher.signature(shingles: (0..<1000).map { UInt64($0) }))
        let b = try #require(hasher.signature(shingles: (300..<1300).map { UInt64($0) }))
        let j = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { MinHasher.estimatedJaccard(pa, $0) } }
        // Exact Jaccard 700 / 1300 = 0.538; 256 hashes give a standard error of about 0.031.
        #expect(abs(j - 700.0 / 1300.0) < 4 * 0.032)
    }

    /// Real-looking documents with near-duplicate edits (a few words changed) and exact copies.
    static func editedCorpus(_ scratch: DedupScratch, documents: Int) throws -> [InputFile] {
        var random = SeededRandom(seed: 21)
        var files: [[(id: String, text: String)]] = [[], [], [], []]
        var texts: [String] = []
        for i in 0..<documents {
            var text: String
            if i % 4 == 3, !texts.isEmpty {
                var words = texts[Int(random.next() % UInt64(texts.count))].split(separator: " ").map(String.init)
                for _ in 0..<2 { words[Int(random.next() % UInt64(words.count))] = "edited" }
                text = words.joined(separator: " ")
            } else {
                text = randomText(&random, words: 80 + Int(random.next() % 80))
            }
            texts.append(text)
            files[i % 4].append(("d\(i)", text))
        }
        return try files.enumerated().map { try scratch.writeJSONL("in/f\($0).jsonl", $1) }
    }

    @Test("word 5-grams find lightly edited copies; spilled runs equal memory; 1 and 3 threads agree")
    func spilledAndThreads() throws {
        let scratch = try DedupScratch()
        let files = try Self.editedCorpus(scratch, documents: 2000)
        let memory = try runCorpusStep(MinHashDedup(), files: files, folder: try scratch.folder("m"), threads: 1)
        let folder = try scratch.folder("s")
        let spilled = try runCorpusStep(MinHashDedup(memoryBytes: 1), files: files, folder: folder, threads: 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".run") }.count
            >= 14 * 3)
        #expect(memory == spilled)
        // 500 edited copies (2 of ~120 words changed: Jaccard of 5-grams ≈ 0.85, p ≈ 0.98).
        #expect(memory.drops.count >= 470 && memory.drops.count <= 510)
        let threeThreads = try runCorpusStep(MinHashDedup(), files: files, folder: try scratch.folder("t"), threads: 3)
        #expect(threeThreads == memory)
    }

    @Test("the multi-task form (signatures, buckets, clusters, filter) removes what the recipe step removes")
    func stages() throws {
        let scratch = try DedupScratch()
        let files = try Self.editedCorpus(scratch, documents: 1200)
        for threshold in [nil, 0.7] as [Double?] {
            let parameters = MinHashParameters(seed: 9)
            let step = try runCorpusStep(MinHashDedup(parameters: parameters, threshold: threshold), files: files,
                                         folder: try scratch.folder("step"), threads: 2)
            let folder = try scratch.folder("stages")
            for rank in 0..<3 {
                try MinHashStages.signatures(files: files, options: ReadOptions(), rank: rank, worldSize: 3,
                                             folder: folder, parameters: parameters, keepSignatures: threshold != nil,
                                             memoryBytes: 1)
            }
            for task in 0..<4 {
                try MinHashStages.buckets(folder: folder, task: task, tasks: 4, parameters: parameters,
                                          threshold: threshold)
            }
            try MinHashStages.clusters(folder: folder, parameters: parameters)
            let output = try scratch.folder("out")
            var removed: [String: String] = [:]
            var kept = 0
            for rank in 0..<2 {
                let counts = try MinHashStages.filter(files: files, options: ReadOptions(), rank: rank, worldSize: 2,
                                                      folder: folder, output: output)
                kept += counts.kept
                let text = try String(contentsOfFile: "\(output)/removed-rank-0000\(rank).jsonl", encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let value = try JSONParser.parse(String(line))
                    guard case let .string(id)? = value.value(at: ["id"]),
                          case let .string(detail)? = value.value(at: ["detail"]) else { continue }
                    removed[id] = detail
                }
            }
            #expect(removed == step.details)
            #expect(kept + removed.count == 1200)
            #expect(removed.count > 250)
        }
    }

    @Test("real multilingual text: copies with the last tenth cut and a line added are found, in every language")
    func realText() throws {
        let scratch = try DedupScratch()
        var random = SeededRandom(seed: 13)
        var files: [InputFile] = []
        var planted = Set<String>()
        var originals = 0
        for language in ["en", "de", "fr", "ja", "zh-cn"] {
            let documents = Array(try realDocuments("debian-reference.\(language).txt").prefix(60))
            #expect(documents.count == 60)
            var docs: [(id: String, text: String)] = documents.enumerated().map { ("\(language)-\($0)", $1) }
            originals += docs.count
            for i in 0..<20 {
                let source = documents[Int(random.next() % UInt64(documents.count))]
                let cut = source.prefix(source.count * 9 / 10)
                let id = "\(language)-copy-\(i)"
                docs.append((id, "Copied from the reference:\n" + cut))
                planted.insert(id)
            }
            files.append(try scratch.writeJSONL("in/\(language).jsonl", docs))
        }
        let outcome = try runCorpusStep(MinHashDedup(), files: files, folder: try scratch.folder("w"), threads: 2)
        let dropped = Set(outcome.drops.keys)
        // A copy keeps 90% of its source's text, but its 5-gram Jaccard can be lower when the cut tail holds more
        // than its share of distinct shingles (tables of contents repeat "0.0.0" shingles). Measured: 99 of 100.
        let found = planted.intersection(dropped).count
        #expect(found >= 95, "missed: \(planted.subtracting(dropped).sorted())")
        let originalsDropped = dropped.subtracting(planted)
        #expect(originalsDropped.count <= originals / 50, "originals dropped: \(originalsDropped.sorted())")
    }
}

/// Documents of about 2,000 characters cut at paragraph breaks from a file of the multilingual corpus
/// (scripts/multilingual-corpus.sh: $PTK_CORPUS_DIR, else ~/.cache/ptk/multilingual-corpus). A missing corpus
/// throws: the test fails, it is not skipped.
func realDocuments(_ file: String) throws -> [String] { try MultilingualCorpus.documents(file: file) }
