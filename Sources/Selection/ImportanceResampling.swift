import CorpusCore
import Foundation

/// Chooses k documents by their log importance weights: deterministic top-k, or Gumbel top-k (sampling k without
/// replacement with probability ∝ w), streaming with O(k) memory.
///
/// Reference: `DSIR.resample` of `data-selection` 1.0.3 (`top_k=True`: the k largest log weights; otherwise the
/// k largest of log w + Gumbel noise, Kool et al. 2019 "Stochastic Beams and Where to Find Them"). The reference
/// draws its noise from NumPy's global generator without a seed; ours comes from `SeededRandom`, one draw per
/// offered document in order, so the same seed and the same weights give the same choice on every machine.
/// Ties are broken by the lower index.
///
/// ```swift
/// var chooser = ImportanceResampler(count: 2, mode: .gumbel(seed: 7))
/// for (i, w) in [0.1, 2.0, -1.0, 0.5].enumerated() { chooser.offer(index: i, logWeight: w) }
/// chooser.chosen()   // two indices, ascending
/// ```
public struct ImportanceResampler: Sendable {
    public enum Mode: Sendable, Equatable {
        /// The k largest log weights.
        case topK
        /// The k largest of log w + Gumbel(0, 1) noise.
        case gumbel(seed: UInt64)
    }

    /// How much to choose.
    public enum Budget: Sendable, Equatable {
        /// This many documents.
        case documents(Int)
        /// Documents in key order until their tokens reach this many: the document that crosses the budget is
        /// included, so the total is at least the budget (less only when the pool runs out) and exceeds it by
        /// less than that one document.
        case tokens(Int)
    }

    public let budget: Budget
    public let mode: Mode
    private var random: SeededRandom
    /// The best offers so far, the lowest (smallest key, then largest index) on top.
    private var heap = BinaryHeap<Candidate>()
    /// The tokens of the documents in `heap`.
    private var heldTokens = 0

    /// One offered document.
    public struct Candidate: Sendable, Equatable, HeapOrdered {
        public static func heapAbove(_ a: Candidate, _ b: Candidate) -> Bool { ImportanceResampler.below(a, b) }

        /// log w, plus the noise in Gumbel mode.
        public var key: Double
        public var index: Int
        public var tokens: Int
    }

    /// - Parameter stream: the name of the random stream (independent streams for several targets).
    public init(budget: Budget, mode: Mode, stream: String = "dsir/gumbel") {
        switch budget {
        case .documents(let n): self.budget = .documents(max(0, n))
        case .tokens(let n): self.budget = .tokens(max(0, n))
        }
        self.mode = mode
        switch mode {
        case .topK: random = SeededRandom(seed: 0)
        case .gumbel(let seed): random = SeededRandom(seed: seed, stream: stream)
        }
    }

    public init(count: Int, mode: Mode) { self.init(budget: .documents(count), mode: mode) }

    /// A standard Gumbel draw, −log(−log u) with u uniform in (0, 1) (the midpoint of one of 2^53 cells).
    static func gumbel(_ random: inout SeededRandom) -> Double {
        let u = (Double(random.next() >> 11) + 0.5) * 0x1.0p-53
        return -Foundation.log(-Foundation.log(u))
    }

    /// `a` ranks below `b`: a smaller key, or the same key and a larger index.
    @inline(__always)
    private static func below(_ a: Candidate, _ b: Candidate) -> Bool {
        a.key < b.key || (a.key == b.key && a.index > b.index)
    }

    /// Offers one eligible document (skip ineligible ones: they take no random draw). A NaN weight is never
    /// chosen. `tokens` matters only for a token budget.
    ///
    /// - Complexity: O(log k) for k documents held.
    public mutating func offer(index: Int, logWeight: Double, tokens: Int = 1) {
        var key = logWeight
        if case .gumbel = mode { key += ImportanceResampler.gumbel(&random) }
        guard !key.isNaN else { return }
        let entry = Candidate(key: key, index: index, tokens: tokens)
        switch budget {
        case .documents(let count):
            guard count > 0 else { return }
            if heap.count < count {
                push(entry)
            } else if let lowest = heap.top, ImportanceResampler.below(lowest, entry) {
                heldTokens += entry.tokens - lowest.tokens
                heap.replaceTop(entry)
            }
        case .tokens(let limit):
            guard limit > 0 else { return }
            if heldTokens >= limit, let lowest = heap.top, !ImportanceResampler.below(lowest, entry) { return }
            push(entry)
            // Drop the lowest while the others still reach the budget without it.
            while heap.count > 1, let lowest = heap.top, heldTokens - lowest.tokens >= limit {
                heldTokens -= lowest.tokens
                heap.popTop()
            }
        }
    }

    /// The chosen indices, ascending (fewer, or fewer tokens, than the budget when the pool ran out).
    public func chosen() -> [Int] { heap.elements.map(\.index).sorted() }

    /// The chosen documents, best first.
    public func ranked() -> [Candidate] {
        heap.elements.sorted { ImportanceResampler.below($1, $0) }
    }

    /// The tokens of the chosen documents (their count, for a document budget offered with tokens 1).
    public var chosenTokens: Int { heldTokens }

    private mutating func push(_ entry: Candidate) {
        heap.push(entry)
        heldTokens += entry.tokens
    }

    /// Chooses among `weights` (ineligible ones skipped) in one call.
    public static func choose(_ weights: [DSIRWeight], count: Int, mode: Mode) -> [Int] {
        var chooser = ImportanceResampler(count: count, mode: mode)
        for (index, weight) in weights.enumerated() where weight.eligible {
            chooser.offer(index: index, logWeight: weight.logWeight)
        }
        return chooser.chosen()
    }
}
