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

    /// How many documents to choose.
    public let count: Int
    public let mode: Mode
    private var random: SeededRandom
    /// A min-heap on (key, −index) of the best `count` offers so far.
    private var heap: [(key: Double, index: Int)] = []

    public init(count: Int, mode: Mode) {
        self.count = max(0, count)
        self.mode = mode
        switch mode {
        case .topK: random = SeededRandom(seed: 0)
        case .gumbel(let seed): random = SeededRandom(seed: seed, stream: "dsir/gumbel")
        }
    }

    /// A standard Gumbel draw, −log(−log u) with u uniform in (0, 1) (the midpoint of one of 2^53 cells).
    static func gumbel(_ random: inout SeededRandom) -> Double {
        let u = (Double(random.next() >> 11) + 0.5) * 0x1.0p-53
        return -Foundation.log(-Foundation.log(u))
    }

    /// `a` ranks below `b`: a smaller key, or the same key and a larger index.
    @inline(__always)
    private static func below(_ a: (key: Double, index: Int), _ b: (key: Double, index: Int)) -> Bool {
        a.key < b.key || (a.key == b.key && a.index > b.index)
    }

    /// Offers one eligible document (skip ineligible ones: they take no random draw). A NaN weight is never
    /// chosen.
    ///
    /// - Complexity: O(log k).
    public mutating func offer(index: Int, logWeight: Double) {
        var key = logWeight
        if case .gumbel = mode { key += ImportanceResampler.gumbel(&random) }
        guard count > 0, !key.isNaN else { return }
        let entry = (key: key, index: index)
        if heap.count < count {
            heap.append(entry)
            siftUp(heap.count - 1)
        } else if ImportanceResampler.below(heap[0], entry) {
            heap[0] = entry
            siftDown(0)
        }
    }

    /// The chosen indices, ascending (fewer than `count` when fewer documents were offered).
    public func chosen() -> [Int] { heap.map(\.index).sorted() }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard ImportanceResampler.below(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, ImportanceResampler.below(heap[left + 1], heap[left]) { smallest = left + 1 }
            guard ImportanceResampler.below(heap[smallest], heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
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
