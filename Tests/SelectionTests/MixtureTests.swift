import CorpusCore
import CorpusIO
import Foundation
import Testing
@testable import Selection

@Suite struct MixturePlanTests {
    @Test("anchored: replay 5% (weak shift) and 25% (strong shift) of the output beside a whole target")
    func anchoredReplay() throws {
        let weak = try MixturePlan(shares: [nil, 0.05], totalTokens: nil, names: ["target", "replay"])
        #expect(try weak.budgets(available: [950, 10_000], allowShort: false) == [950, 50])
        let strong = try MixturePlan(shares: [nil, 0.25], totalTokens: nil, names: ["target", "replay"])
        #expect(try strong.budgets(available: [750, 10_000], allowShort: false) == [750, 250])
        // Two whole sources anchor together; two shared ones split the rest.
        let four = try MixturePlan(shares: [nil, 0.2, nil, 0.3], totalTokens: nil)
        #expect(try four.budgets(available: [300, 10_000, 200, 10_000], allowShort: false) == [300, 200, 200, 300])
        // Rounded to the nearest token: 100 · 0.05 / 0.95 = 5.26…
        #expect(try weak.budgets(available: [100, 10_000], allowShort: false) == [100, 5])
    }

    @Test("total mode: every source gets its share of N, and the budgets add up to N exactly")
    func totalMode() throws {
        let plan = try MixturePlan(shares: [0.75, 0.25], totalTokens: 1_000)
        #expect(try plan.budgets(available: [5_000, 5_000], allowShort: false) == [750, 250])
        let thirds = try MixturePlan(shares: [1.0 / 3, 1.0 / 3, 1.0 / 3], totalTokens: 10)
        #expect(try thirds.budgets(available: [100, 100, 100], allowShort: false) == [4, 3, 3])
        #expect(MixturePlan.apportion(total: 10, shares: [0.5, 0.25, 0.25]) == [5, 3, 2])
        for total in [1, 7, 999, 123_457] {
            let parts = MixturePlan.apportion(total: total, shares: [0.1, 0.2, 0.3, 0.4])
            #expect(parts.reduce(0, +) == total)
        }
    }

    @Test("shares that cannot describe a mixture are errors naming the problem")
    func invalidShares() {
        #expect(throws: MixtureError.sharesDoNotSumToOne(sum: 0.75)) {
            try MixturePlan(shares: [0.5, 0.25], totalTokens: 100)
        }
        #expect(throws: MixtureError.missingShare(source: "b")) {
            try MixturePlan(shares: [1.0, nil], totalTokens: 100, names: ["a", "b"])
        }
        #expect(throws: MixtureError.nothingTakenWhole) { try MixturePlan(shares: [0.5, 0.5], totalTokens: nil) }
        #expect(throws: MixtureError.sharesLeaveNoRoom(sum: 1.0)) {
            try MixturePlan(shares: [nil, 0.5, 0.5], totalTokens: nil)
        }
        #expect(throws: MixtureError.invalidShare(source: "b", share: 0)) {
            try MixturePlan(shares: [nil, 0], totalTokens: nil, names: ["a", "b"])
        }
        #expect(throws: MixtureError.invalidShare(source: "a", share: 1.5)) {
            try MixturePlan(shares: [1.5], totalTokens: 10, names: ["a"])
        }
        #expect(throws: MixtureError.duplicateSource("a")) {
            try MixturePlan(shares: [nil, 0.1], totalTokens: nil, names: ["a", "a"])
        }
        #expect(throws: MixtureError.invalidTotal(0)) { try MixturePlan(shares: [1.0], totalTokens: 0) }
        #expect(throws: MixtureError.noSources) { try MixturePlan(shares: [], totalTokens: nil) }
    }

    @Test("a source too small for its budget is an error, or taken whole with allowShort")
    func shortSource() throws {
        let plan = try MixturePlan(shares: [nil, 0.25], totalTokens: nil, names: ["target", "replay"])
        #expect(throws: MixtureError.sourceTooSmall(source: "replay", available: 100, budget: 250)) {
            try plan.budgets(available: [750, 100], allowShort: false)
        }
        #expect(try plan.budgets(available: [750, 100], allowShort: true) == [750, 100])
        #expect(throws: MixtureError.emptyAnchor) { try plan.budgets(available: [0, 100], allowShort: false) }
        let total = try MixturePlan(shares: [0.5, 0.5], totalTokens: 1_000, names: ["a", "b"])
        #expect(throws: MixtureError.sourceTooSmall(source: "a", available: 499, budget: 500)) {
            try total.budgets(available: [499, 5_000], allowShort: false)
        }
    }
}

@Suite struct BudgetSamplerTests {
    /// The rule written slowly: sort by (key, position), take the prefix whose tokens are nearest the budget
    /// (the longest that fits, plus the next one when that is strictly nearer).
    static func oracle(_ candidates: [MixtureCandidate], budget: Int) -> [Int] {
        let sorted = candidates.sorted { ($0.key, $0.position) < ($1.key, $1.position) }
        var taken: [MixtureCandidate] = []
        var sum = 0
        for c in sorted {
            if sum + c.tokens <= budget {
                taken.append(c)
                sum += c.tokens
                continue
            }
            if sum + c.tokens - budget < budget - sum { taken.append(c) }
            break
        }
        return taken.map(\.position).sorted()
    }

    @Test("the streaming sampler takes the key-order prefix nearest the budget, as the slow oracle does")
    func matchesOracle() {
        var random = SeededRandom(seed: 11)
        for round in 0..<300 {
            let count = Int(random.next() % 60)
            let base = MixtureKey.base(seed: UInt64(round), source: "replay")
            let candidates = (0..<count).map { p in
                // Some equal keys, to exercise the position tie-break, and some empty documents.
                let key = round % 5 == 0 ? random.next() % 8 : MixtureKey.key(base: base, position: p)
                return MixtureCandidate(key: key, position: p, tokens: Int(random.next() % 40))
            }
            let total = candidates.reduce(0) { $0 + $1.tokens }
            let budget = Int(random.next() % UInt64(total + 20))
            var sampler = BudgetSampler(budget: budget)
            for c in candidates { sampler.offer(c) }
            let chosen = sampler.chosen()
            #expect(chosen.map(\.position) == Self.oracle(candidates, budget: budget), "round \(round)")
            #expect(sampler.offeredTokens == total && sampler.offered == count)
            #expect(sampler.held <= chosen.count + 1, "memory: the chosen documents and one more")
            // Within half a document (the largest) of the budget, unless the source is smaller than it.
            let got = chosen.reduce(0) { $0 + $1.tokens }
            let largest = candidates.map(\.tokens).max() ?? 0
            if total >= budget { #expect(2 * abs(got - budget) <= largest, "round \(round): \(got) vs \(budget)") }
            else { #expect(got == total) }
        }
    }

    @Test("the doc-comment example")
    func example() {
        var sampler = BudgetSampler(budget: 10)
        for (i, t) in [4, 4, 4, 4].enumerated() {
            sampler.offer(MixtureCandidate(key: UInt64(i), position: i, tokens: t))
        }
        #expect(sampler.chosen().map(\.position) == [0, 1])
        var over = BudgetSampler(budget: 11)
        for (i, t) in [4, 4, 4, 4].enumerated() { over.offer(MixtureCandidate(key: UInt64(i), position: i, tokens: t)) }
        #expect(over.chosen().map(\.position) == [0, 1, 2], "12 is nearer 11 than 8")
    }

    @Test("keys depend on the seed, the source and the position only")
    func keys() {
        let a = MixtureKey.base(seed: 1, source: "replay"), b = MixtureKey.base(seed: 2, source: "replay")
        let c = MixtureKey.base(seed: 1, source: "code")
        #expect(a == MixtureKey.base(seed: 1, source: "replay"))
        #expect(a != b && a != c)
        let order = { (base: UInt64) in
            (0..<50).sorted { MixtureKey.key(base: base, position: $0) < MixtureKey.key(base: base, position: $1) }
        }
        #expect(order(a) != order(b))
        #expect(order(a) != Array(0..<50))
    }
}

@Suite struct MixtureInterleaveTests {
    @Test("every prefix of the output holds each source within its bound of its share (property)")
    func prefixesFollowShares() {
        var random = SeededRandom(seed: 5)
        for round in 0..<200 {
            let sources = 1 + Int(random.next() % 4)
            let records: [[Int]] = (0..<sources).map { _ in
                let n = Int(random.next() % 40)
                let scale = 1 + Int(random.next() % 100)
                return (0..<n).map { _ in Int(random.next() % UInt64(scale)) }
            }
            let order = MixtureInterleave.order(records)
            // Every record once, each source in its own order.
            #expect(order.count == records.reduce(0) { $0 + $1.count })
            for s in records.indices {
                #expect(order.filter { $0.source == s }.map(\.index) == Array(records[s].indices))
            }
            let totals = records.map { $0.reduce(0, +) }
            let all = totals.reduce(0, +)
            guard all > 0 else { continue }
            let longest = records.map { $0.max() ?? 0 }
            let halfLongestSum = Double(longest.reduce(0, +)) / 2
            var emitted = Array(repeating: 0, count: sources)
            var prefix = 0
            for (s, i) in order {
                emitted[s] += records[s][i]
                prefix += records[s][i]
                for j in 0..<sources {
                    let w = Double(totals[j]) / Double(all)
                    let bound = Double(longest[j]) / 2 + w * halfLongestSum + 1e-9
                    #expect(abs(Double(emitted[j]) - w * Double(prefix)) <= bound,
                            "round \(round): source \(j) at \(prefix) tokens: \(emitted[j]) vs \(w * Double(prefix))")
                }
            }
        }
    }

    @Test("equal sources alternate; a source of empty documents is spread by documents")
    func simpleOrders() {
        #expect(MixtureInterleave.order([[1, 1, 1], [1, 1, 1]]).map(\.source) == [0, 1, 0, 1, 0, 1])
        #expect(MixtureInterleave.order([[3, 3, 3, 3], [3]]).map(\.source) == [0, 0, 1, 0, 0])
        #expect(MixtureInterleave.order([[3, 3, 3], [3]]).map(\.source) == [0, 0, 1, 0], "a tie: the lower source")
        #expect(MixtureInterleave.order([[2, 2], [0, 0]]).map(\.source) == [0, 1, 0, 1])
        #expect(MixtureInterleave.order([[], [5]]).map(\.source) == [1])
    }
}

@Suite struct MixtureRunTests {
    /// A scratch folder with a target of 40 documents (one broken record) and a replay source of 400.
    final class Corpus {
        let folder: String
        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-mix-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var random = SeededRandom(seed: 3)
            var target = ""
            for i in 0..<40 {
                let text = String(repeating: "de ", count: 1 + Int(random.next() % 50))
                target += "{\"id\":\"t\(i)\",\"text\":\"\(text)\"}\n"
                if i == 20 { target += "{\"id\":\"broken\",\"text\":\n" }
            }
            var replay = ""
            for i in 0..<400 {
                let text = String(repeating: "en ", count: 1 + Int(random.next() % 50))
                replay += "{\"id\":\"r\(i)\", \"text\":\"\(text)\"}\n"
            }
            try target.write(toFile: folder + "/target.jsonl", atomically: true, encoding: .utf8)
            try replay.write(toFile: folder + "/replay.jsonl", atomically: true, encoding: .utf8)
        }
        deinit { try? FileManager.default.removeItem(atPath: folder) }

        func run(shares: [Double?], total: Int? = nil, seed: UInt64 = 0, batch: Int = 1024, output: String,
                 configure: (inout MixtureOptions) -> Void = { _ in }) throws -> MixtureManifest
        {
            var options = MixtureOptions()
            options.seed = seed
            options.totalTokens = total
            options.batchDocuments = batch
            configure(&options)
            let sources = zip(["target", "replay"], shares).map { name, share in
                let file = InputFile(path: "\(folder)/\(name).jsonl", displayPath: "\(name).jsonl", kind: .jsonl)
                return MixtureSourceSpec(name: name, files: [file], share: share)
            }
            // Bytes as tokens.
            return try MixtureRun(sources: sources, options: options) { $0.map { $0.utf8.count } }
                .run(folder: "\(folder)/\(output)")
        }

        func lines(_ path: String) throws -> [String] {
            var out: [String] = []
            let file = InputFile(path: "\(folder)/\(path)", kind: .jsonl)
            var reader = DocumentReader(file: file, options: ReadOptions())
            _ = try reader.forEach { event in
                if case let .document(_, record) = event { out.append(String(decoding: record, as: UTF8.self)) }
            }
            return out
        }
    }

    @Test("the books balance per source, the output recounts to the manifest, the broken record is rejected")
    func accounting() throws {
        let corpus = try Corpus()
        let manifest = try corpus.run(shares: [nil, 0.25], output: "a")
        for s in manifest.sources {
            #expect(s.documentsRead == s.documentsChosen + s.documentsNotChosen + s.documentsRejected, "\(s.name)")
        }
        let target = manifest.sources[0], replay = manifest.sources[1]
        #expect(target.documentsRead == 41 && target.documentsRejected == 1 && target.documentsChosen == 40)
        #expect(replay.documentsRead == 400 && replay.documentsRejected == 0)
        #expect(manifest.rejects.records == 1)
        let lines = try corpus.lines("a/mix.jsonl.zst")
        #expect(lines.count == manifest.output.documents)
        let tokens = try lines.map { line -> (String, Int) in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            return (object["id"] ?? "", (object["text"] ?? "").utf8.count)
        }
        #expect(tokens.filter { $0.0.hasPrefix("t") }.reduce(0) { $0 + $1.1 } == target.tokensChosen)
        #expect(tokens.filter { $0.0.hasPrefix("r") }.reduce(0) { $0 + $1.1 } == replay.tokensChosen)
        #expect(manifest.output.tokens == target.tokensChosen + replay.tokensChosen)
        // Realized share within half a document (≤ 150 byte tokens) of the budget.
        #expect(abs(replay.budgetGap) <= 75)
        #expect(replay.budgetTokens == Int((Double(target.tokensChosen) / 3).rounded()))
        // Records are copied byte for byte (the replay file has a space after the id's comma).
        #expect(lines.contains { $0.hasPrefix("{\"id\":\"r") && $0.contains("\", \"text\"") })
    }

    @Test("the same seed gives the same bytes whatever the batching; another seed another choice")
    func determinism() throws {
        let corpus = try Corpus()
        let a = try corpus.run(shares: [nil, 0.25], batch: 1024, output: "a")
        let b = try corpus.run(shares: [nil, 0.25], batch: 7, output: "b")
        let c = try corpus.run(shares: [nil, 0.25], seed: 9, output: "c")
        #expect(a.output.sha256 == b.output.sha256)
        let manifestA = try Data(contentsOf: URL(fileURLWithPath: corpus.folder + "/a/manifest.json"))
        let manifestB = try Data(contentsOf: URL(fileURLWithPath: corpus.folder + "/b/manifest.json"))
        #expect(manifestA == manifestB)
        #expect(a.output.sha256 != c.output.sha256)
        #expect(try corpus.lines("a/mix.jsonl.zst") != corpus.lines("c/mix.jsonl.zst"))
    }

    @Test("total mode: each source gives its share of N; a short source fails unless allowed")
    func totalMode() throws {
        let corpus = try Corpus()
        let manifest = try corpus.run(shares: [0.5, 0.5], total: 2_000, output: "t")
        #expect(manifest.sources.map(\.budgetTokens) == [1_000, 1_000])
        for s in manifest.sources { #expect(abs(s.budgetGap) <= 75, "\(s.name): \(s.budgetGap)") }
        #expect(throws: MixtureError.self) { try corpus.run(shares: [0.5, 0.5], total: 1_000_000, output: "u") }
    }

    @Test("counting only the deciding key range gives the choice of counting everything, in any number of passes")
    func keyRangePasses() throws {
        let corpus = try Corpus()
        let all = try corpus.run(shares: [nil, 0.05], output: "all") { $0.countAll = true }
        let estimated = try corpus.run(shares: [nil, 0.05], output: "estimated")
        let tiny = try corpus.run(shares: [nil, 0.05], output: "tiny") { $0.firstPassFraction = 1e-4 }
        let half = try corpus.run(shares: [nil, 0.05], output: "half") { $0.firstPassFraction = 0.5 }
        for other in [estimated, tiny, half] {
            #expect(other.output.sha256 == all.output.sha256)
            #expect(other.sources[1].documentsChosen == all.sources[1].documentsChosen)
        }
        let replay = all.sources[1]
        #expect(replay.tokensAvailable == replay.tokensCounted && replay.documentsTokenized == 400)
        #expect(estimated.sources[1].tokensAvailable == nil)
        #expect(estimated.sources[1].documentsTokenized < 100, "\(estimated.sources[1].documentsTokenized)")
        #expect(estimated.sources[1].documentsRead == 400)
        // More settings: every budget and seed gives the same choice by key ranges as by counting everything.
        for (k, setting) in [([nil, 0.01], nil), ([nil, 0.5], nil), ([0.3, 0.7], 2_000), ([0.9, 0.1], 3_000)]
            .enumerated()
        {
            for seed in [UInt64(1), 2] {
                let (shares, total): ([Double?], Int?) = setting
                let full = try corpus.run(shares: shares, total: total, seed: seed, output: "f\(k)-\(seed)") {
                    $0.countAll = true
                }
                for first in [nil, 0.001, 0.3] {
                    let ranged = try corpus.run(shares: shares, total: total, seed: seed, output: "r\(k)-\(seed)") {
                        $0.firstPassFraction = first
                    }
                    #expect(ranged.output.sha256 == full.output.sha256, "\(setting) seed \(seed) first \(first ?? -1)")
                }
            }
        }
        // A share the source cannot meet is found out by counting everything.
        #expect(throws: MixtureError.self) {
            try corpus.run(shares: [0.5, 0.5], total: 1_000_000, output: "short") { $0.firstPassFraction = 1e-3 }
        }
        let short = try corpus.run(shares: [0.5, 0.5], total: 1_000_000, output: "short") {
            $0.firstPassFraction = 1e-3
            $0.allowShort = true
        }
        #expect(short.sources.allSatisfy { $0.short && $0.tokensAvailable == $0.tokensChosen })
    }
}
