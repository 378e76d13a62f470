import COpenBLAS
import CorpusCore
import Foundation

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
        blockedTopK(queryCount: count, base: vectors, baseCount: count, dimension: dimension, k: k, threads: threads,
                    queryBlock: queryBlock, baseBlock: baseBlock,
                    gather: { range in Array(vectors[range.lowerBound * dimension..<range.upperBound * dimension]) },
                    excluded: { $0 })
    }

    /// Exact top-k (self excluded) of the given rows only, against all rows: graph row i is `rows[i]`.
    public static func exact(rows: [Int], of vectors: [Float], count: Int, dimension d: Int, k: Int, threads: Int = 1,
                             queryBlock: Int = 512, baseBlock: Int = 4096) -> NeighborGraph
    {
        blockedTopK(queryCount: rows.count, base: vectors, baseCount: count, dimension: d, k: k, threads: threads,
                    queryBlock: queryBlock, baseBlock: baseBlock,
                    gather: { range in
                        var gathered = [Float]()
                        gathered.reserveCapacity(range.count * d)
                        for q in rows[range] { gathered += vectors[q * d..<(q + 1) * d] }
                        return gathered
                    },
                    excluded: { rows[$0] })
    }

    /// Exact top-k of other vectors (`queries`, [count, dimension]) against `base` ([baseCount, dimension]):
    /// nothing excluded. Graph row i is query i.
    public static func search(_ queries: [Float], count: Int, base: [Float], baseCount: Int, dimension: Int, k: Int,
                              threads: Int = 1, queryBlock: Int = 512, baseBlock: Int = 4096) -> NeighborGraph
    {
        blockedTopK(queryCount: count, base: base, baseCount: baseCount, dimension: dimension, k: k, threads: threads,
                    queryBlock: queryBlock, baseBlock: baseBlock,
                    gather: { range in Array(queries[range.lowerBound * dimension..<range.upperBound * dimension]) },
                    excluded: { _ in -1 })
    }

    /// The search behind the three above. Queries go in blocks of `queryBlock` (spread over the threads,
    /// single-threaded BLAS each); `gather` gives a block's vectors, `excluded(q)` the base row query q must not
    /// return (−1 for none). Each block times each `baseBlock` base rows is one sgemm into a bounded scratch
    /// matrix; each query keeps its k best (`TopK`). Memory per thread: queryBlock × (d + baseBlock) floats.
    static func blockedTopK(queryCount: Int, base vectors: [Float], baseCount: Int, dimension d: Int, k: Int,
                            threads: Int, queryBlock: Int, baseBlock: Int,
                            gather: @Sendable (Range<Int>) -> [Float], excluded: @Sendable (Int) -> Int) -> NeighborGraph
    {
        let block = max(1, queryBlock), baseBlock = max(1, baseBlock), k = max(0, k)
        openblas_set_num_threads(1)
        let parts = orderedParallelMap(count: (queryCount + block - 1) / block, threads: threads)
        { b -> (ids: [Int32], scores: [Float]) in
            let range = (b * block)..<min(queryCount, (b + 1) * block)
            let m = range.count
            let gathered = gather(range)
            var best = [TopK](repeating: TopK(k: k), count: m)
            var scratch = [Float](repeating: 0, count: m * baseBlock)
            vectors.withUnsafeBufferPointer { v in
                guard let base = v.baseAddress, k > 0 else { return }
                var start = 0
                while start < baseCount {
                    let columns = min(baseBlock, baseCount - start)
                    gathered.withUnsafeBufferPointer { g in
                        scratch.withUnsafeMutableBufferPointer { s in
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(columns), Int32(d), 1,
                                        g.baseAddress, Int32(d), base + start * d, Int32(d), 0, s.baseAddress,
                                        Int32(columns))
                        }
                    }
                    scratch.withUnsafeBufferPointer { s in
                        guard let sb = s.baseAddress else { return }
                        for t in 0..<m {
                            best[t].scan(sb + t * columns, count: columns, firstID: start,
                                         skipping: excluded(range.lowerBound + t))
                        }
                    }
                    start += columns
                }
            }
            return TopK.rows(best)
        }
        return NeighborGraph(count: queryCount, k: k, neighbors: parts.flatMap(\.ids), scores: parts.flatMap(\.scores))
    }

    /// Clustered unit vectors for tests and benchmarks: `centres` gaussian centres, each row a centre plus
    /// `noise` × gaussian noise, normalized (like embeddings, which gather around topics).
    public static func clusteredVectors(count: Int, dimension: Int, centres: Int, noise: Float, seed: UInt64,
                                        stream: String = "clustered") -> [Float]
    {
        var rng = SeededRandom(seed: seed, stream: stream)
        func gaussian() -> Float {
            let u = max(rng.nextUnit(), 1e-12), v = rng.nextUnit()
            return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
        }
        let c = (0..<max(1, centres) * dimension).map { _ in gaussian() }
        var x = [Float](repeating: 0, count: count * dimension)
        for i in 0..<count {
            let centre = Int(rng.next() % UInt64(max(1, centres)))
            var norm: Float = 0
            for j in 0..<dimension {
                let value = c[centre * dimension + j] + noise * gaussian()
                x[i * dimension + j] = value
                norm += value * value
            }
            let inverse = 1 / max(norm.squareRoot(), 1e-12)
            for j in 0..<dimension { x[i * dimension + j] *= inverse }
        }
        return x
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

    /// The lists as graph rows of k entries each, missing ones −1 and −∞.
    public static func rows(_ lists: [TopK]) -> (ids: [Int32], scores: [Float]) {
        var ids: [Int32] = [], scores: [Float] = []
        for list in lists {
            ids += list.ids + [Int32](repeating: -1, count: list.k - list.ids.count)
            scores += list.scores + [Float](repeating: -.infinity, count: list.k - list.scores.count)
        }
        return (ids, scores)
    }

    /// The score an offer must reach to enter the list (−∞ until it holds k).
    @inline(__always) public var threshold: Float { scores.count == k && k > 0 ? scores[k - 1] : -.infinity }

    /// Offers `count` consecutive scores, ids `firstID`, `firstID + 1`, … (`skipping` one id, or −1 for none).
    ///
    /// Nearly all of N² scores lose against the current k-th: eight are compared with it at once, and only a
    /// group holding a contender is offered lane by lane. (A plain `offer` per score was about half the time of
    /// an exact kNN at 100k documents.) Same list as offering each score in turn, except that NaN is never kept.
    public mutating func scan(_ row: UnsafePointer<Float>, count: Int, firstID: Int, skipping: Int) {
        guard k > 0 else { return }
        let whole = count & ~7
        var c = 0
        while c < whole {
            let v = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self)
            let limit = threshold
            // Any lane ≥ the threshold: a max over the lanes by halves (no generic call).
            let h = SIMD4<Float>(v[0], v[1], v[2], v[3]), l = SIMD4<Float>(v[4], v[5], v[6], v[7])
            let m4 = h.replacing(with: l, where: l .> h)
            let m = Swift.max(Swift.max(m4[0], m4[1]), Swift.max(m4[2], m4[3]))
            if m >= limit {
                for lane in 0..<8 where v[lane] >= threshold && c + lane + firstID != skipping {
                    offer(v[lane], Int32(firstID + c + lane))
                }
            }
            c += 8
        }
        while c < count {
            if row[c] >= threshold, firstID + c != skipping { offer(row[c], Int32(firstID + c)) }
            c += 1
        }
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
