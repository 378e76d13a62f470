import CorpusCore
import Foundation
import Testing
@testable import Selection

@Suite struct TokenBudgetTests {
    /// The plain rule: sort by key (larger first, lower index on ties), take until the tokens reach the budget.
    private static func reference(_ keys: [Double], _ tokens: [Int], limit: Int) -> [Int] {
        guard limit > 0 else { return [] }
        let order = keys.indices.sorted { keys[$0] > keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
        var chosen: [Int] = []
        var sum = 0
        for i in order where sum < limit {
            chosen.append(i)
            sum += tokens[i]
        }
        return chosen.sorted()
    }

    @Test func streamingTokenBudgetEqualsSortAndTake() {
        var random = SeededRandom(seed: 12)
        for round in 0..<300 {
            let n = Int(random.next() % 60)
            // Few distinct keys, so that ties happen.
            let keys = (0..<n).map { _ in Double(random.next() % 12) - 6 }
            let tokens = (0..<n).map { _ in 1 + Int(random.next() % 40) }
            let limit = Int(random.next() % 400)
            var chooser = ImportanceResampler(budget: .tokens(limit), mode: .topK)
            for i in 0..<n { chooser.offer(index: i, logWeight: keys[i], tokens: tokens[i]) }
            let expected = Self.reference(keys, tokens, limit: limit)
            #expect(chooser.chosen() == expected, "round \(round)")
            #expect(chooser.chosenTokens == expected.reduce(0) { $0 + tokens[$1] })
        }
    }

    @Test func workspaceWeightsEqualThePlainWeightsUpToRounding() throws {
        let words = ["cat", "dog", "Σ", "日本語", "naïve", "!", "42"]
        var texts: [String] = []
        for i in 0..<200 {
            var parts: [String] = []
            for j in 0..<(i % 50 + 1) { parts.append(words[(i * 7 + j * 3) % 7]) }
            texts.append(parts.joined(separator: i % 3 == 0 ? " " : ", "))
        }
        for hashing in DSIRHashing.allCases {
            let featurizer = try DSIRFeaturizer(numBuckets: 301, hashing: hashing)
            let dsir = try DSIR.fit(target: texts.prefix(40), raw: texts, featurizer: featurizer, minimumWords: 3)
            var workspace = DSIRWorkspace(featurizer: featurizer)
            for text in texts {
                let plain = dsir.weigh(text), fast = dsir.weigh(text, in: &workspace)
                #expect(plain.words == fast.words && plain.eligible == fast.eligible)
                #expect(abs(plain.logWeight - fast.logWeight) <= 1e-12 * max(1, abs(plain.logWeight)), "\(text)")
            }
        }
    }
}
