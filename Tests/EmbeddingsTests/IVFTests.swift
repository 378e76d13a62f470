import CorpusCore
@testable import Embeddings
import Foundation
import Testing

func clusteredVectors(count: Int, dimension: Int, centres: Int, noise: Float, seed: UInt64) -> [Float] {
    NearestNeighbors.clusteredVectors(count: count, dimension: dimension, centres: centres, noise: noise, seed: seed)
}

@Suite("IVF nearest neighbours")
struct IVFTests {
    @Test("nprobe = nlist is an exact search: equal to exact up to ties, self never listed")
    func allListsIsExact() {
        let count = 600, d = 24, k = 8
        let v = randomVectors(count: count, dimension: d, seed: 21)
        let exact = NearestNeighbors.exact(v, count: count, dimension: d, k: k)
        let index = IVFIndex(v, count: count, dimension: d, nlist: 20, seed: 3)
        #expect(index.nlist == 20)
        let ivf = index.searchSelf(k: k, nprobe: 20, queryBlock: 50)
        for i in 0..<count {
            let a = ivf.neighbors(of: i).map(Int.init), b = exact.neighbors(of: i).map(Int.init)
            #expect(sameUpToTies(a, ivf.scores(of: i).map(Double.init), b, exact.scores(of: i).map(Double.init)),
                    "row \(i)")
            #expect(!a.contains(i), "row \(i) lists itself")
        }
        #expect(NearestNeighbors.recall(ivf, vectors: v, count: count, dimension: d, sample: 200) == 1)
    }

    @Test("clustered data, nprobe 16 of 4√N lists: recall@10 ≥ 0.95 (sampled and over all rows); nprobe 1 is worse")
    func recallIsHigh() {
        let count = 3000, d = 32, k = 10
        let v = clusteredVectors(count: count, dimension: d, centres: 60, noise: 1.0, seed: 5)
        let index = IVFIndex(v, count: count, dimension: d, threads: 2)
        let ivf = index.searchSelf(k: k, nprobe: 16, threads: 2)
        #expect(ivf.count == count && ivf.k == k)
        let sampled = NearestNeighbors.recall(ivf, vectors: v, count: count, dimension: d, sample: 500, threads: 2)
        let exact = NearestNeighbors.exact(v, count: count, dimension: d, k: k, threads: 2)
        func fullRecall(_ g: NeighborGraph) -> Double {
            var hits = 0
            for i in 0..<count { hits += Set(g.neighbors(of: i)).intersection(exact.neighbors(of: i)).count }
            return Double(hits) / Double(count * k)
        }
        for i in 0..<count { #expect(!ivf.neighbors(of: i).contains(Int32(i)), "row \(i) lists itself") }
        let full = fullRecall(ivf)
        let one = fullRecall(index.searchSelf(k: k, nprobe: 1, threads: 2))
        print("IVF recall@10 (nlist \(index.nlist)): nprobe 16 sampled \(sampled), all rows \(full); nprobe 1 \(one)")
        #expect(sampled >= 0.95)
        #expect(full >= 0.95)
        #expect(abs(sampled - full) < 0.03)
        #expect(one < full - 0.05)
    }

    @Test("the same graph for 1 and 2 threads and any query block; a training sample smaller than N")
    func deterministic() {
        let count = 1500, d = 16, k = 6
        let v = clusteredVectors(count: count, dimension: d, centres: 30, noise: 0.7, seed: 8)
        let one = IVFIndex(v, count: count, dimension: d, nlist: 40, sample: 600, seed: 9, threads: 1)
        let two = IVFIndex(v, count: count, dimension: d, nlist: 40, sample: 600, seed: 9, threads: 2)
        #expect(one.centroids == two.centroids && one.ids == two.ids && one.offsets == two.offsets)
        let a = one.searchSelf(k: k, nprobe: 5, threads: 1, queryBlock: 128)
        let b = two.searchSelf(k: k, nprobe: 5, threads: 2, queryBlock: 128)
        let c = two.searchSelf(k: k, nprobe: 5, threads: 3, queryBlock: 128, baseBlock: 7)
        #expect(a == b)
        #expect(a.neighbors == c.neighbors)
        let other = IVFIndex(v, count: count, dimension: d, nlist: 40, sample: 600, seed: 10)
        #expect(other.centroids != one.centroids)
    }

    @Test("every row is in exactly one list, the list of its most similar centroid")
    func listsPartitionRows() {
        let count = 1000, d = 12
        let v = clusteredVectors(count: count, dimension: d, centres: 20, noise: 0.8, seed: 2)
        let index = IVFIndex(v, count: count, dimension: d, nlist: 31, sample: 400, seed: 1)
        #expect(index.offsets.count == index.nlist + 1 && index.offsets.first == 0 && index.offsets.last == count)
        #expect(zip(index.offsets, index.offsets.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(index.ids.map(Int.init).sorted() == Array(0..<count))
        for l in 0..<index.nlist {
            let rows = index.list(l)
            #expect(zip(rows, rows.dropFirst()).allSatisfy { $0 < $1 })
            for row in rows.map(Int.init) {
                let scores = (0..<index.nlist).map { c in
                    (0..<d).reduce(Float(0)) { $0 + v[row * d + $1] * index.centroids[c * d + $1] }
                }
                let best = scores.max() ?? 0
                #expect(scores[l] >= best - 1e-5, "row \(row) in list \(l)")
            }
        }
    }

    @Test("fewer rows than k, one row, no rows, more lists asked than rows")
    func edgeCases() {
        let v = randomVectors(count: 3, dimension: 4, seed: 1)
        let g = NearestNeighbors.ivf(v, count: 3, dimension: 4, k: 5, nlist: 10, nprobe: 50)
        #expect(g.count == 3 && g.k == 5)
        for i in 0..<3 {
            #expect(g.neighbors(of: i).filter { $0 >= 0 }.count == 2)
            #expect(g.neighbors(of: i).suffix(3).allSatisfy { $0 == -1 })
            #expect(!g.neighbors(of: i).contains(Int32(i)))
        }
        let single = NearestNeighbors.ivf(Array(v[0..<4]), count: 1, dimension: 4, k: 2)
        #expect(single.neighbors == [-1, -1])
        let empty = NearestNeighbors.ivf([], count: 0, dimension: 4, k: 3)
        #expect(empty.count == 0 && empty.neighbors.isEmpty)
        let none = NearestNeighbors.ivf(v, count: 3, dimension: 4, k: 0)
        #expect(none.neighbors.isEmpty)
        #expect(NearestNeighbors.recall(g, vectors: v, count: 3, dimension: 4) == 1)
    }
}
