import COpenBLAS
import CorpusCore

/// An inverted-file index for inner product on normalized rows (faiss's IndexIVFFlat, same idea).
///
/// `nlist` centroids are trained by spherical k-means (`KMeans.train`) on a seeded sample of the rows; every row
/// goes to the list of its most similar centroid. Lists are stored contiguously: the row ids of list l are
/// `ids[offsets[l]..<offsets[l + 1]]` (ascending) and a copy of their vectors sits at the same positions, so a
/// list is one block of a matrix product. Memory: a second copy of the vectors plus 4 bytes an id.
///
/// A search probes each query's `nprobe` most similar lists. Queries go in blocks of consecutive list positions
/// (neighbouring queries share lists); within a block, the queries probing a list are gathered and multiplied
/// against the list (one sgemm per ≤ `baseBlock` rows of it). Memory per thread: queryBlock × (nlist + d +
/// baseBlock) floats. Blocks are fixed by position, not by thread, so the result does not depend on the thread
/// count; ties are broken by the smaller index as in `NearestNeighbors.exact`.
public struct IVFIndex: Sendable {
    public let count: Int
    public let dimension: Int
    public let nlist: Int
    /// [nlist, dimension] row-major.
    public let centroids: [Float]
    /// nlist + 1 positions: list l holds positions offsets[l]..<offsets[l + 1].
    public let offsets: [Int]
    /// The row id at every position.
    public let ids: [Int32]
    /// The vectors permuted by position ([count, dimension]).
    let listVectors: [Float]

    /// 4√N lists (faiss's rule of thumb), at least 1, at most N.
    public static func defaultNList(count: Int) -> Int {
        max(1, min(count, Int((4 * Double(count).squareRoot()).rounded())))
    }

    /// Rows k-means trains on: 64 a list, at most N.
    public static func defaultSample(nlist: Int, count: Int) -> Int { min(count, 64 * max(1, nlist)) }

    /// Trains the centroids on a sample of `sample` rows drawn with `seed` and fills the lists with every row.
    public init(_ vectors: [Float], count: Int, dimension: Int, nlist: Int? = nil, sample: Int? = nil,
                iterations: Int = 10, seed: UInt64 = 0, threads: Int = 1)
    {
        self.count = max(0, count)
        self.dimension = dimension
        guard count > 0 else {
            self.nlist = 0
            centroids = []
            offsets = [0]
            ids = []
            listVectors = []
            return
        }
        let lists = max(1, min(nlist ?? Self.defaultNList(count: count), count))
        let sampled = max(lists, min(sample ?? Self.defaultSample(nlist: lists, count: count), count))
        let trained: (centroids: [Float], clusters: Int, assignment: [Int32])
        if sampled >= count {
            trained = KMeans.train(vectors, count: count, dimension: dimension, clusters: lists, iterations: iterations,
                                   seed: seed, threads: threads)
        } else {
            let rows = seededSample(count: count, size: sampled, seed: seed, stream: "ivf/sample")
            var sampleVectors = [Float]()
            sampleVectors.reserveCapacity(sampled * dimension)
            for row in rows { sampleVectors += vectors[row * dimension..<(row + 1) * dimension] }
            trained = KMeans.train(sampleVectors, count: sampled, dimension: dimension, clusters: lists,
                                   iterations: iterations, seed: seed, threads: threads)
        }
        self.nlist = trained.clusters
        centroids = trained.centroids
        let assignment = sampled >= count ? trained.assignment
            : KMeans.nearest(vectors, count: count, dimension: dimension, centroids: centroids,
                             clusters: trained.clusters, threads: threads)
        // A counting sort by list; rows keep ascending order within a list.
        var starts = [Int](repeating: 0, count: trained.clusters + 1)
        for list in assignment { starts[Int(list) + 1] += 1 }
        for l in 0..<trained.clusters { starts[l + 1] += starts[l] }
        offsets = starts
        var next = starts
        var permuted = [Int32](repeating: 0, count: count)
        var copy = [Float](repeating: 0, count: count * dimension)
        for (row, list) in assignment.enumerated() {
            let position = next[Int(list)]
            next[Int(list)] += 1
            permuted[position] = Int32(row)
            for j in 0..<dimension { copy[position * dimension + j] = vectors[row * dimension + j] }
        }
        ids = permuted
        listVectors = copy
    }

    /// The rows in list `l`.
    public func list(_ l: Int) -> ArraySlice<Int32> { ids[offsets[l]..<offsets[l + 1]] }

    /// The approximate top-k of every indexed row against the others (self excluded), probing `nprobe` lists
    /// (clamped to 1…nlist; nprobe = nlist is an exact search).
    public func searchSelf(k: Int, nprobe: Int, threads: Int = 1, queryBlock: Int = 512,
                           baseBlock: Int = 4096) -> NeighborGraph
    {
        let k = max(0, k)
        guard count > 0, nlist > 0 else { return NeighborGraph(count: count, k: k, neighbors: [], scores: []) }
        let probes = max(1, min(nprobe, nlist))
        let block = max(1, queryBlock), baseBlock = max(1, baseBlock)
        let lists = nlist, d = dimension, count = count
        let centroids = centroids, offsets = offsets, ids = ids, vectors = listVectors
        openblas_set_num_threads(1)
        let parts = orderedParallelMap(count: (count + block - 1) / block, threads: threads)
        { b -> (ids: [Int32], scores: [Float]) in
            let first = b * block, rows = min(block, count - first)
            // The nprobe best lists of every query of the block.
            var probeScores = KMeans.centroidScores(vectors, first: first, rows: rows, dimension: d,
                                                    centroids: centroids, clusters: lists)
            // Queries by probed list (counting sort; queries ascending within a list).
            var perList = [Int](repeating: 0, count: lists + 1)
            var probed = [Int32](repeating: 0, count: rows * probes)
            for r in 0..<rows {
                var top = TopK(k: probes)
                for l in 0..<lists { top.offer(probeScores[r * lists + l], Int32(l)) }
                for (j, l) in top.ids.enumerated() {
                    probed[r * probes + j] = l
                    perList[Int(l) + 1] += 1
                }
            }
            probeScores = []
            for l in 0..<lists { perList[l + 1] += perList[l] }
            var fill = perList
            var queriesByList = [Int32](repeating: 0, count: rows * probes)
            for r in 0..<rows {
                for j in 0..<probes {
                    let l = Int(probed[r * probes + j])
                    queriesByList[fill[l]] = Int32(r)
                    fill[l] += 1
                }
            }
            var best = [TopK](repeating: TopK(k: k), count: rows)
            var gathered = [Float](repeating: 0, count: rows * d)
            var scratch = [Float](repeating: 0, count: rows * baseBlock)
            vectors.withUnsafeBufferPointer { v in
                guard let base = v.baseAddress, k > 0 else { return }
                for l in 0..<lists where perList[l + 1] > perList[l] && offsets[l + 1] > offsets[l] {
                    let members = queriesByList[perList[l]..<perList[l + 1]]
                    let m = members.count
                    gathered.withUnsafeMutableBufferPointer { g in
                        guard let out = g.baseAddress else { return }
                        for (t, r) in members.enumerated() {
                            (out + t * d).update(from: base + (first + Int(r)) * d, count: d)
                        }
                    }
                    var start = offsets[l]
                    while start < offsets[l + 1] {
                        let columns = min(baseBlock, offsets[l + 1] - start)
                        gathered.withUnsafeBufferPointer { g in
                            scratch.withUnsafeMutableBufferPointer { s in
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(columns), Int32(d), 1,
                                            g.baseAddress, Int32(d), base + start * d, Int32(d), 0, s.baseAddress,
                                            Int32(columns))
                            }
                        }
                        for (t, r) in members.enumerated() {
                            let query = ids[first + Int(r)]
                            // Most scores lose against the k-th at once (as in `TopK.scan`; ids here are not consecutive).
                            var limit = best[Int(r)].threshold
                            for c in 0..<columns where scratch[t * columns + c] >= limit && ids[start + c] != query {
                                best[Int(r)].offer(scratch[t * columns + c], ids[start + c])
                                limit = best[Int(r)].threshold
                            }
                        }
                        start += columns
                    }
                }
            }
            return TopK.rows(best)
        }
        // Back from list positions to row order.
        var neighbors = [Int32](repeating: -1, count: count * k)
        var scores = [Float](repeating: -.infinity, count: count * k)
        for (b, part) in parts.enumerated() {
            let first = b * block
            for r in 0..<(part.ids.count / max(k, 1)) where k > 0 {
                let row = Int(ids[first + r])
                for j in 0..<k {
                    neighbors[row * k + j] = part.ids[r * k + j]
                    scores[row * k + j] = part.scores[r * k + j]
                }
            }
        }
        return NeighborGraph(count: count, k: k, neighbors: neighbors, scores: scores)
    }
}

extension NearestNeighbors {
    /// Approximate top-k of `vectors` against itself with an IVF index (`IVFIndex`): nlist default 4√N, centroids
    /// trained on a seeded sample (default 64 rows a list), `nprobe` lists searched per row.
    public static func ivf(_ vectors: [Float], count: Int, dimension: Int, k: Int, nlist: Int? = nil, nprobe: Int = 32,
                           sample: Int? = nil, iterations: Int = 10, seed: UInt64 = 0, threads: Int = 1) -> NeighborGraph
    {
        IVFIndex(vectors, count: count, dimension: dimension, nlist: nlist, sample: sample, iterations: iterations,
                 seed: seed, threads: threads).searchSelf(k: k, nprobe: nprobe, threads: threads)
    }

    /// Recall@k of `graph` (a top-k of every row, e.g. from `ivf`) against the exact top-k on a seeded sample of
    /// `sample` rows: the share of the exact neighbours found, where a neighbour scoring at least the exact k-th
    /// score (less `tolerance`) counts as found (a tie). 1 when there is nothing to find.
    public static func recall(_ graph: NeighborGraph, vectors: [Float], count: Int, dimension: Int, sample: Int = 1000,
                              seed: UInt64 = 0, threads: Int = 1, tolerance: Float = 1e-5) -> Double
    {
        guard count > 0, graph.k > 0, graph.count == count else { return 1 }
        let rows = seededSample(count: count, size: min(max(1, sample), count), seed: seed, stream: "knn/recall")
        let truth = exact(rows: rows, of: vectors, count: count, dimension: dimension, k: graph.k, threads: threads)
        var found = 0, wanted = 0
        for (i, row) in rows.enumerated() {
            let exactIDs = truth.neighbors(of: i).filter { $0 >= 0 }
            guard let kth = truth.scores(of: i).prefix(exactIDs.count).last else { continue }
            let want = Set(exactIDs)
            var hits = 0
            for (id, score) in zip(graph.neighbors(of: row), graph.scores(of: row)) where id >= 0 {
                if want.contains(id) || score >= kth - tolerance { hits += 1 }
            }
            found += min(hits, exactIDs.count)
            wanted += exactIDs.count
        }
        return wanted == 0 ? 1 : Double(found) / Double(wanted)
    }
}

/// `size` distinct rows of 0..<count drawn with the seed (a partial Fisher–Yates), ascending.
func seededSample(count: Int, size: Int, seed: UInt64, stream: String) -> [Int] {
    let size = max(0, min(size, count))
    guard size < count else { return Array(0..<count) }
    var rng = SeededRandom(seed: seed, stream: stream)
    var pool = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
        for i in 0..<count { buffer[i] = Int32(i) }
        initialized = count
    }
    for i in 0..<size {
        let j = i + Int(rng.next() % UInt64(count - i))
        pool.swapAt(i, j)
    }
    return pool.prefix(size).map(Int.init).sorted()
}
