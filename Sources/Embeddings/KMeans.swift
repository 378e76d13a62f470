import COpenBLAS
import CorpusCore

/// Spherical k-means on normalized rows: centroids start at `clusters` distinct rows drawn with the seed, each
/// round assigns every row to its most similar centroid (one sgemm per block of rows; ties to the smaller
/// cluster) and moves each centroid to the normalized mean of its rows (an empty cluster keeps its centroid).
public enum KMeans {
    public static func assign(_ vectors: [Float], count: Int, dimension: Int, clusters: Int, iterations: Int = 10,
                              seed: UInt64 = 0, threads: Int = 1) -> [Int]
    {
        train(vectors, count: count, dimension: dimension, clusters: clusters, iterations: iterations, seed: seed,
              threads: threads).assignment.map(Int.init)
    }

    /// The centroids ([clusters, dimension] row-major, unit rows except where a cluster never had a row) and the
    /// cluster of every row after the last round. `clusters` is clamped to 1…count; nothing for count 0.
    public static func train(_ vectors: [Float], count: Int, dimension: Int, clusters: Int, iterations: Int = 10,
                             seed: UInt64 = 0, threads: Int = 1) -> (centroids: [Float], clusters: Int, assignment: [Int32])
    {
        let c = max(1, min(clusters, count))
        guard count > 0 else { return ([], 0, []) }
        var rng = SeededRandom(seed: seed, stream: "kmeans/init")
        var pool = Array(0..<count)
        for i in 0..<c {
            let j = i + Int(rng.next() % UInt64(count - i))
            pool.swapAt(i, j)
        }
        var centroids = [Float](repeating: 0, count: c * dimension)
        for (k, row) in pool.prefix(c).enumerated() {
            for j in 0..<dimension { centroids[k * dimension + j] = vectors[row * dimension + j] }
        }
        var assignment = [Int32](repeating: 0, count: count)
        for _ in 0..<max(1, iterations) {
            assignment = nearest(vectors, count: count, dimension: dimension, centroids: centroids, clusters: c,
                                 threads: threads)
            var sums = [Float](repeating: 0, count: c * dimension)
            var sizes = [Int](repeating: 0, count: c)
            for i in 0..<count {
                let k = Int(assignment[i])
                sizes[k] += 1
                for j in 0..<dimension { sums[k * dimension + j] += vectors[i * dimension + j] }
            }
            for k in 0..<c where sizes[k] > 0 {
                var norm: Float = 0
                for j in 0..<dimension { norm += sums[k * dimension + j] * sums[k * dimension + j] }
                let inverse = 1 / max(norm.squareRoot(), 1e-12)
                for j in 0..<dimension { centroids[k * dimension + j] = sums[k * dimension + j] * inverse }
            }
        }
        return (centroids, c, assignment)
    }

    /// The most similar of `clusters` centroids for every row (ties to the smaller cluster): one sgemm per block
    /// of 2,048 rows (fewer above 2,048 clusters: 4M scores, 16 MB), blocks spread over the threads.
    public static func nearest(_ vectors: [Float], count: Int, dimension: Int, centroids: [Float], clusters c: Int,
                               threads: Int = 1) -> [Int32]
    {
        guard count > 0, c > 0 else { return [Int32](repeating: 0, count: max(0, count)) }
        openblas_set_num_threads(1)
        let block = c > 2048 ? max(256, (1 << 22) / c) : 2048
        let parts = orderedParallelMap(count: (count + block - 1) / block, threads: threads) { b -> [Int32] in
            let first = b * block, rows = min(block, count - first)
            let scores = centroidScores(vectors, first: first, rows: rows, dimension: dimension, centroids: centroids,
                                        clusters: c)
            return (0..<rows).map { r in
                var best = 0
                for k in 1..<c where scores[r * c + k] > scores[r * c + best] { best = k }
                return Int32(best)
            }
        }
        return parts.flatMap { $0 }
    }

    /// The inner products of rows first..<first + rows with every centroid: [rows, clusters] row-major, one sgemm
    /// (single-threaded BLAS: the callers spread blocks over the threads).
    static func centroidScores(_ vectors: [Float], first: Int, rows: Int, dimension: Int, centroids: [Float],
                               clusters: Int) -> [Float]
    {
        var scores = [Float](repeating: 0, count: rows * clusters)
        vectors.withUnsafeBufferPointer { v in
            centroids.withUnsafeBufferPointer { cp in
                scores.withUnsafeMutableBufferPointer { s in
                    guard let base = v.baseAddress, rows > 0, clusters > 0 else { return }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(clusters), Int32(dimension),
                                1, base + first * dimension, Int32(dimension), cp.baseAddress, Int32(dimension), 0,
                                s.baseAddress, Int32(clusters))
                }
            }
        }
        return scores
    }
}
