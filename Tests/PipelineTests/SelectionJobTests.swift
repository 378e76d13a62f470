import CorpusCore
import CorpusIO
import Foundation
import Testing
import Tokenization
@testable import Pipeline
@testable import Selection

/// A pool with planted domains: 1,000 general documents, 20 medical and 20 legal ones, shuffled; and separate
/// medical and legal target documents. Words are drawn from per-domain vocabularies that share common words.
private struct PlantedPool {
    static let common = ["the", "of", "and", "to", "in", "is", "was", "for", "on", "with", "as", "by", "at", "from"]
    static let general = ["city", "team", "game", "music", "film", "road", "river", "school", "house", "season",
                          "album", "station", "village", "church", "player", "club", "league", "song", "war", "king"]
    static let medical = ["patient", "clinical", "dose", "therapy", "tumor", "cardiac", "renal", "trial", "symptom",
                          "diagnosis", "insulin", "lesion", "chronic", "acute", "mg", "infection", "biopsy", "serum"]
    static let legal = ["court", "plaintiff", "statute", "appeal", "judge", "contract", "liability", "counsel",
                        "defendant", "ruling", "tort", "jurisdiction", "verdict", "clause", "damages", "tribunal"]

    var pool: [(id: String, text: String, domain: String)] = []
    var medicalTarget: [String] = []
    var legalTarget: [String] = []

    init(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        func document(_ vocabulary: [String], words: Int) -> String {
            (0..<words).map { _ -> String in
                let r = random.next() % 10
                let list = r < 4 ? Self.common : r < 5 ? Self.general : vocabulary
                return list[Int(random.next() % UInt64(list.count))]
            }.joined(separator: " ")
        }
        var docs: [(String, String)] = []
        for _ in 0..<1000 { docs.append((document(Self.general, words: 100 + Int(random.next() % 60)), "general")) }
        for _ in 0..<20 { docs.append((document(Self.medical, words: 100 + Int(random.next() % 60)), "medical")) }
        for _ in 0..<20 { docs.append((document(Self.legal, words: 100 + Int(random.next() % 60)), "legal")) }
        for i in stride(from: docs.count - 1, to: 0, by: -1) { docs.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        pool = docs.enumerated().map { (id: "d\($0)", text: $1.0, domain: $1.1) }
        medicalTarget = (0..<30).map { _ in document(Self.medical, words: 120) }
        legalTarget = (0..<30).map { _ in document(Self.legal, words: 120) }
    }

    func write(to folder: TempFolder) throws {
        func line(_ id: String, _ text: String) -> String { "{\"id\":\"\(id)\",\"text\":\"\(text)\"}" }
        try folder.write("pool.jsonl", pool.map { line($0.id, $0.text) }.joined(separator: "\n") + "\n"
                         + "{\"id\": broken\n")
        try folder.write("medical.jsonl", medicalTarget.enumerated().map { line("m\($0)", $1) }.joined(separator: "\n"))
        try folder.write("legal.jsonl", legalTarget.enumerated().map { line("l\($0)", $1) }.joined(separator: "\n"))
    }

    func domain(of id: String) -> String? { pool.first { $0.id == id }?.domain }
}

private func chosenIDs(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
        guard case let .string(id)? = try JSONParser.parse(String(line)).value(at: ["id"]) else { return "?" }
        return id
    }
}

@Suite struct SelectionJobTests {
    @Test func plantedDomainIsFoundAndTheKLReportShowsTheReduction() throws {
        let folder = try TempFolder()
        let planted = PlantedPool(seed: 1)
        try planted.write(to: folder)
        let options = SelectionOptions(
            targets: [SelectionTarget(name: "medical", paths: ["\(folder.path)/medical.jsonl"])],
            pool: ["\(folder.path)/pool.jsonl"], output: "\(folder.path)/out.jsonl", budget: .documents(20), seed: 3,
            featurizer: try DSIRFeaturizer(), minimumWords: 50, reportOut: "\(folder.path)/report.json", threads: 2)
        let report = try SelectionJob(options: options).run(log: Log(quiet: true))
        let ids = try chosenIDs("\(folder.path)/out.jsonl")
        #expect(ids.count == 20)
        let precision = Double(ids.filter { planted.domain(of: $0) == "medical" }.count) / Double(ids.count)
        // Random would give 20 / 1040 ≈ 0.02.
        #expect(precision >= 0.9, "precision \(precision)")
        #expect(report.read == 1041 && report.rejected == 1 && report.chosen == 20 && report.notChosen == 1020)
        let target = try #require(report.targets.first)
        let kl = try #require(target.klChosen), klRandom = try #require(target.klRandom)
        #expect(kl < 0.5 * klRandom, "KL chosen \(kl), random \(klRandom)")
        #expect(report.randomSampleDocuments == 20)
        let rejects = try readJSONL("\(folder.path)/out.jsonl.rejects.jsonl.zst")
        #expect(rejects.count == 1)
    }

    @Test func severalTargetsShareTheBudgetAndTheFirstChoosesFirst() throws {
        let folder = try TempFolder()
        let planted = PlantedPool(seed: 2)
        try planted.write(to: folder)
        func run(shares: [Double?], threads: Int, output: String) throws -> SelectionReport {
            let options = SelectionOptions(
                targets: [SelectionTarget(name: "medical", paths: ["\(folder.path)/medical.jsonl"], share: shares[0]),
                          SelectionTarget(name: "legal", paths: ["\(folder.path)/legal.jsonl"], share: shares[1])],
                pool: ["\(folder.path)/pool.jsonl"], output: "\(folder.path)/\(output)", budget: .documents(31),
                topK: true, featurizer: try DSIRFeaturizer(hashing: .fast), minimumWords: 50,
                weightsOut: "\(folder.path)/\(output).w.jsonl", choicesOut: "\(folder.path)/\(output).c.jsonl",
                threads: threads)
            return try SelectionJob(options: options).run(log: Log(quiet: true))
        }
        // Equal-sized targets: 16 + 15 by largest remainder (the tie goes to the first).
        let equal = try run(shares: [nil, nil], threads: 1, output: "a.jsonl")
        #expect(equal.targets.map(\.budget) == [16, 15])
        #expect(equal.targets.map(\.chosenDocuments) == [16, 15])
        let ids = try chosenIDs("\(folder.path)/a.jsonl")
        #expect(Set(ids).count == 31)
        let choices = try readJSONL("\(folder.path)/a.jsonl.c.jsonl")
        #expect(choices.map { string($0.value(at: ["id"])) ?? "?" } == ids)
        let byTarget = Dictionary(grouping: choices) { string($0.value(at: ["target"])) ?? "?" }.mapValues(\.count)
        #expect(byTarget == ["medical": 16, "legal": 15])
        #expect(ids.filter { planted.domain(of: $0) == "medical" }.count >= 15)
        #expect(ids.filter { planted.domain(of: $0) == "legal" }.count >= 14)
        // Same bytes on 3 threads.
        _ = try run(shares: [nil, nil], threads: 3, output: "b.jsonl")
        #expect(try folder.read("a.jsonl") == folder.read("b.jsonl"))
        #expect(try folder.read("a.jsonl.w.jsonl") == folder.read("b.jsonl.w.jsonl"))
        let weights = try String(contentsOfFile: "\(folder.path)/a.jsonl.w.jsonl", encoding: .utf8)
        #expect(weights.contains("\"log_weights\":{\"medical\":"))
        // Explicit shares.
        let skewed = try run(shares: [0.8, 0.2], threads: 2, output: "c.jsonl")
        #expect(skewed.targets.map(\.budget) == [25, 6])
        #expect(throws: SelectionError.self) { try run(shares: [0.8, 0.3], threads: 1, output: "d.jsonl") }
        #expect(throws: SelectionError.self) { try run(shares: [0.8, nil], threads: 1, output: "e.jsonl") }
    }

    @Test func tokenBudgetTakesDocumentsUntilTheTokensAreReached() throws {
        let folder = try TempFolder()
        let planted = PlantedPool(seed: 4)
        try planted.write(to: folder)
        try folder.write("tokenizer.json", toyTokenizerJSON())
        let tokenizer = try TokenizerFile.load(path: "\(folder.path)/tokenizer.json", encoding: nil)
        for features in ["words", "tokens"] {
            let featurizer = try DSIRFeaturizer(tokenizer: features == "tokens" ? tokenizer : nil)
            let options = SelectionOptions(
                targets: [SelectionTarget(name: "medical", paths: ["\(folder.path)/medical.jsonl"])],
                pool: ["\(folder.path)/pool.jsonl"], output: "\(folder.path)/\(features).jsonl",
                budget: .tokens(10_000), seed: 5, featurizer: featurizer, tokenCounter: tokenizer,
                minimumWords: 50, threads: 2)
            let report = try SelectionJob(options: options).run(log: Log(quiet: true))
            let texts = try String(contentsOfFile: "\(folder.path)/\(features).jsonl", encoding: .utf8)
                .split(separator: "\n").compactMap { line -> String? in
                    guard case let .string(t)? = try JSONParser.parse(String(line)).value(at: ["text"]) else { return nil }
                    return t
                }
            let tokens = texts.map { tokenizer.encodeOrdinary($0).count }
            // At least the budget, and less than one document over it.
            #expect(tokens.reduce(0, +) >= 10_000, "\(features)")
            #expect(tokens.reduce(0, +) - (tokens.max() ?? 0) < 10_000, "\(features)")
            #expect(report.targets.first?.chosenTokens == tokens.reduce(0, +))
            #expect(report.budgetUnit == "tokens")
        }
    }

    @Test func aTokenBudgetWithoutATokenizerIsAnError() throws {
        let folder = try TempFolder()
        try PlantedPool(seed: 1).write(to: folder)
        let options = SelectionOptions(
            targets: [SelectionTarget(name: "t", paths: ["\(folder.path)/medical.jsonl"])],
            pool: ["\(folder.path)/pool.jsonl"], output: "\(folder.path)/o.jsonl", budget: .tokens(10),
            featurizer: try DSIRFeaturizer())
        #expect(throws: SelectionError.self) { try SelectionJob(options: options).run(log: Log(quiet: true)) }
        #expect(!folder.exists("o.jsonl"))
    }

    @Test func klDivergenceIsZeroForTheSameDistributionAndPositiveOtherwise() throws {
        let featurizer = try DSIRFeaturizer(numBuckets: 50)
        var a = DSIRBucketCounts(numBuckets: 50), b = DSIRBucketCounts(numBuckets: 50)
        a.add(featurizer.features("alpha beta gamma delta"))
        b.add(featurizer.features("alpha beta gamma delta"))
        let same = try #require(SelectionJob.klDivergence(a, b))
        var c = DSIRBucketCounts(numBuckets: 50)
        c.add(featurizer.features("one two three four five six"))
        let other = try #require(SelectionJob.klDivergence(a, c))
        #expect(same >= 0 && other > same)
        #expect(SelectionJob.klDivergence(DSIRBucketCounts(numBuckets: 50), a) == nil)
    }

    @Test func aRecipeSelectsBeforeItsStepsAndReusesTheSelection() throws {
        let folder = try TempFolder()
        let planted = PlantedPool(seed: 6)
        try planted.write(to: folder)
        let recipe = """
            seed: 9
            inputs:
              - path: pool.jsonl
            select:
              targets:
                - name: medical
                  path: medical.jsonl
              count: 20
              min_words: 50
              shards: 2
            output:
              path: out
              format: jsonl
            """
        for world in [1, 2] {
            let out = "out-\(world)"
            let yaml = recipe.replacingOccurrences(of: "path: out", with: "path: \(out)")
            var written = 0
            for rank in 0..<world {
                let outcome = try runRecipe(yaml, in: folder, name: "r\(world).yaml",
                                            shard: try ShardIndex(rank: rank, worldSize: world))
                written += outcome.rank?.ledger.written ?? 0
            }
            #expect(written == 20)
            #expect(folder.exists("\(out)/selection/report.json") && folder.exists("\(out)/selection/complete"))
            #expect(folder.exists("\(out)/selection/selected-00000-of-00002.jsonl.zst"))
            var ids: [String] = []
            for rank in 0..<world {
                for value in try readJSONL("\(folder.path)/\(out)/data/rank-\(String(rank).leftPadded(to: 5)).jsonl") {
                    ids.append(string(value.value(at: ["id"])) ?? "?")
                }
            }
            #expect(Set(ids).count == 20)
            #expect(ids.filter { planted.domain(of: $0) == "medical" }.count >= 18)
        }
        // The same selection whatever the number of tasks.
        #expect(try folder.read("out-1/selection/selected-00000-of-00002.jsonl.zst")
                == folder.read("out-2/selection/selected-00000-of-00002.jsonl.zst"))
        // A re-run (forced, so the steps run again) with the marker in place reuses the selection.
        let before = try folder.read("out-1/selection/report.json")
        try runRecipe(recipe.replacingOccurrences(of: "path: out", with: "path: out-1"), in: folder, name: "r1.yaml")
        #expect(try folder.read("out-1/selection/report.json") == before)
    }

    @Test(arguments: [
        ("count: 5\n  tokens: 9", "give one of 'count'"),
        ("tokens: 9", "need a tokenizer"),
        ("count: 5\n  bogus: 1", "bogus"),
        ("count: 5\n  hashing: md5", "md5"),
    ])
    func badSelectBlocksAreRecipeErrors(block: String, message: String) throws {
        let folder = try TempFolder()
        try PlantedPool(seed: 1).write(to: folder)
        let yaml = """
            inputs:
              - path: pool.jsonl
            select:
              targets:
                - path: medical.jsonl
              \(block)
            output:
              path: out
            """
        do {
            try runRecipe(yaml, in: folder)
            Issue.record("no error for \(block)")
        } catch let error as RecipeError {
            #expect("\(error)".contains(message), "\(error)")
        }
        #expect(!folder.exists("out/selection/complete"))
    }
}
