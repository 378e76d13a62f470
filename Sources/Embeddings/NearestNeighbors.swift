import COpenBLAS
import CorpusCore

/// The k nearest neighbours of every row of a matrix by inner product (cosine on normalized rows), self excluded.
///
/// Exact search by blocked matrix products: a block of `queryBlock` query rows times a block of `baseBlock` base
/// rows is one sgemm into a bounded scratch matrix, and each query keeps its k best in a small sorted list. Memory
/// is the vectors plus queryBlock × baseBlock floats per thread, whatever N. Query blocks are spread over the
/// threads (single-threaded BLAS each); the result does not depend on the thread count. Ties are broken by the
/// smaller index.
public struct NeighborGraph: Sendable, Equatable {
    public let count: Int
    public let k: Int
    /// neighbors[i * k + j]: the j-th nearest of row i (−1 when N ≤ j + 1).
    public var neighbors: [Int32]
    public var scores: [Float]

    /// A graph from its rows: `neighbors` and `scores` hold `count × k` entries, each row best first.
    public init(count: Int, k: Int, neighbors: [Int32], scores: [Float]) {
        self.count = count
        self.k = k
        self.neighbors = neighbors
        self.scores = scores
    }

    public func neighbors(of row: Int) -> ArraySlice<Int32> { neighbors[row * k..<(row + 1) * k] }
    public func scores(of row: Int) -> ArraySlice<Float> { scores[row * k..<(row + 1) * k] }
}

public enum NearestNeighbors {
    /// Exact top-k of `vectors` ([count, dimension] row-major) against itself.
    public static func exact(_ vectors: [Float], count: Int, dimension: Int, k: Int, threads: Int = 1,
                             queryBlock: Int = 512, baseBlock: Int = 4096) -> NeighborGraph
    {
        let blocks = (count + queryBlock - 1) / queryBlock
        openblas_set_num_threads(1)
        let parts = orderedParallelMap(count: blocks, threads: threads) { b -> (ids: [Int32], scores: [Float]) in
            let first = b * queryBlock, rows = min(queryBlock, count - first)
            var best = [TopK](repeating: TopK(k: k), count: rows)
            var scratch = [Float](repeating: 0, count: rows * baseBlock)
            vectors.withUnsafeBufferPointer { v in
                guard let base = v.baseAddress else { return }
                var start = 0
                while start < count {
                    let columns = min(baseBlock, count - start)
                    scratch.withUnsafeMutableBufferPointer { s in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(columns), Int32(dimension),
                                    1, base + first * dimension, Int32(dimension), base + start * dimension,
                                    Int32(dimension), 0, s.baseAddress, Int32(columns))
                    }
                    for r in 0..<rows {
                        let query = first + r
                        for c in 0..<columns where start + c != query {
                            best[r].offer(scratch[r * columns + c], Int32(start + c))
                        }
                    }
                    start += columns
                }
            }
            var ids: [Int32] = [], scores: [Float] = []
            ids.reserveCapacity(rows * k)
            scores.reserveCapacity(rows * k)
            for list in best {
                ids += list.ids + [Int32](repeating: -1, count: k - list.ids.count)
                scores += list.scores + [Float](repeating: -.infinity, count: k - list.scores.count)
            }
            return (ids, scores)
        }
        return NeighborGraph(count: count, k: k, neighbors: parts.flatMap(\.ids), scores: parts.flatMap(\.scores))
    }

    /// The plain O(N² d) search, for tests.
    public static func bruteForce(_ vectors: [Float], count: Int, dimension: Int, k: Int) -> NeighborGraph {
        var ids: [Int32] = [], scores: [Float] = []
        for i in 0..<count {
            var list = TopK(k: k)
            for j in 0..<count where j != i {
                var dot: Float = 0
                for t in 0..<dimension { dot += vectors[i * dimension + t] * vectors[j * dimension + t] }
                list.offer(dot, Int32(j))
            }
            ids += list.ids + [Int32](repeating: -1, count: k - list.ids.count)
            scores += list.scores + [Float](repeating: -.infinity, count: k - list.scores.count)
        }
        return NeighborGraph(count: count, k: k, neighbors: ids, scores: scores)
    }
}

/// The k best (score, id) pairs seen, sorted by score descending then id ascending. Insertion into a sorted
/// array: k is small (10–50), and most offers lose against the current k-th at once.
public struct TopK: Sendable {
    public let k: Int
    public private(set) var scores: [Float] = []
    public private(set) var ids: [Int32] = []

    public init(k: Int) {
        self.k = k
        scores.reserveCapacity(k)
        ids.reserveCapacity(k)
    }

    @inline(__always) static func better(_ s: Float, _ i: Int32, than t: Float, _ j: Int32) -> Bool {
        s > t || (s == t && i < j)
    }

    public mutating func offer(_ score: Float, _ id: Int32) {
        guard k > 0 else { return }
        if scores.count == k {
            guard let lastScore = scores.last, let lastID = ids.last,
                  Self.better(score, id, than: lastScore, lastID) else { return }
            scores.removeLast()
            ids.removeLast()
        }
        var at = scores.count
        while at > 0, Self.better(score, id, than: scores[at - 1], ids[at - 1]) { at -= 1 }
        scores.insert(score, at: at)
        ids.insert(id, at: at)
    }
}
