import CorpusCore
@testable import Embeddings
import Foundation
import ReferenceSupport
import Testing

/// Random unit vectors, with some exact and near copies so that ties and near duplicates occur.
func randomVectors(count: Int, dimension: Int, seed: UInt64) -> [Float] {
    var rng = SeededRandom(seed: seed, stream: "vectors")
    var v = [Float](repeating: 0, count: count * dimension)
    for i in 0..<count {
        if i > 4, rng.next() % 10 == 0 {  // a copy of an earlier row, sometimes slightly moved
            let source = Int(rng.next() % UInt64(i))
            for j in 0..<dimension { v[i * dimension + j] = v[source * dimension + j] }
            if rng.next() % 2 == 0 { v[i * dimension + Int(rng.next() % UInt64(dimension))] += 0.05 }
        } else {
            for j in 0..<dimension { v[i * dimension + j] = Float(Double(rng.next() % 2_000_001) / 1_000_000 - 1) }
        }
        var norm: Float = 0
        for j in 0..<dimension { norm += v[i * dimension + j] * v[i * dimension + j] }
        let inverse = 1 / max(norm.squareRoot(), 1e-12)
        for j in 0..<dimension { v[i * dimension + j] *= inverse }
    }
    return v
}

/// Whether two top-k lists agree up to ties: the scores rank by rank agree within `eps`, and the ids scoring
/// clearly above the k-th score (by more than `eps`) are the same set.
func sameUpToTies(_ a: [Int], _ aScores: [Double], _ b: [Int], _ bScores: [Double], eps: Double = 1e-5) -> Bool {
    guard a.count == b.count, aScores.count == bScores.count else { return false }
    for (x, y) in zip(aScores, bScores) where abs(x - y) > eps { return false }
    guard let kth = aScores.last else { return true }
    let clearA = Set(zip(a, aScores).filter { $0.1 > kth + eps }.map(\.0))
    let clearB = Set(zip(b, bScores).filter { $0.1 > kth + eps }.map(\.0))
    return clearA == clearB
}

private struct KNNRequest: Encodable {
    let npy: String
    let k: Int
}
private struct KNNAnswer: Decodable {
    let ids: [[Int]]
    let scores: [[Double]]
    let shape: [Int]
}

@Suite("Nearest neighbours")
struct NeighborTests {
    @Test("blocked exact search equals the brute-force oracle, for any block size and thread count",
          arguments: [(37, 1, 5, 16), (200, 3, 7, 64), (513, 2, 10, 100)])
    func blockedEqualsBruteForce(count: Int, threads: Int, queryBlock: Int, baseBlock: Int) {
        let d = 24
        let v = randomVectors(count: count, dimension: d, seed: UInt64(count))
        let oracle = NearestNeighbors.bruteForce(v, count: count, dimension: d, k: 8)
        let fast = NearestNeighbors.exact(v, count: count, dimension: d, k: 8, threads: threads,
                                          queryBlock: queryBlock, baseBlock: baseBlock)
        var exactRows = 0
        for i in 0..<count {
            let a = fast.neighbors(of: i).map(Int.init), b = oracle.neighbors(of: i).map(Int.init)
            if a == b { exactRows += 1 }
            #expect(sameUpToTies(a, fast.scores(of: i).map(Double.init), b, oracle.scores(of: i).map(Double.init)),
                    "row \(i)")
            #expect(!a.contains(i), "row \(i) lists itself")
        }
        // Only rows with copied vectors (exact ties, summed in another order by sgemm) may differ in order.
        #expect(exactRows >= count * 8 / 10)
    }

    @Test("TopK.scan keeps the same list as offering every score in turn (ties, skips, any length)")
    func scanEqualsOffers() {
        var rng = SeededRandom(seed: 11, stream: "scan")
        for trial in 0..<300 {
            let k = 1 + Int(rng.next() % 12), count = Int(rng.next() % 70)
            // Scores on a coarse grid, so that ties with the k-th are common.
            let row = (0..<count).map { _ in Float(Int(rng.next() % 9)) / 4 }
            let first = Int(rng.next() % 1000), skip = trial % 3 == 0 ? -1 : first + Int(rng.next() % UInt64(max(count, 1)))
            var a = TopK(k: k), b = TopK(k: k)
            // A list that already holds some ids from an earlier block (smaller ids win ties against the scan's).
            for j in 0..<Int(rng.next() % 6) {
                a.offer(Float(Int(rng.next() % 9)) / 4, Int32(j))
                b.offer(a.scores.last ?? 0, Int32(j))
            }
            b = a
            row.withUnsafeBufferPointer { p in
                if let base = p.baseAddress { a.scan(base, count: count, firstID: first, skipping: skip) }
            }
            for (j, score) in row.enumerated() where first + j != skip { b.offer(score, Int32(first + j)) }
            #expect(a.ids == b.ids && a.scores == b.scores, "trial \(trial)")
        }
    }

    @Test("search of other vectors against a base equals the brute-force scores, nothing excluded")
    func queriesAgainstBase() {
        let d = 16
        let base = randomVectors(count: 300, dimension: d, seed: 21), queries = randomVectors(count: 40, dimension: d, seed: 22)
        let g = NearestNeighbors.search(queries, count: 40, base: base, baseCount: 300, dimension: d, k: 6, threads: 2,
                                        queryBlock: 7, baseBlock: 50)
        for q in 0..<40 {
            var oracle = TopK(k: 6)
            for i in 0..<300 {
                var dot: Float = 0
                for t in 0..<d { dot += queries[q * d + t] * base[i * d + t] }
                oracle.offer(dot, Int32(i))
            }
            #expect(sameUpToTies(g.neighbors(of: q).map(Int.init), g.scores(of: q).map(Double.init),
                                 oracle.ids.map(Int.init), oracle.scores.map(Double.init)), "query \(q)")
        }
        // A query equal to a base row finds that row first.
        let copy = Array(base[5 * d..<6 * d])
        #expect(NearestNeighbors.search(copy, count: 1, base: base, baseCount: 300, dimension: d, k: 1).neighbors[0] == 5)
    }

    @Test("fewer rows than k: missing neighbours are -1")
    func tiny() {
        let v = randomVectors(count: 3, dimension: 4, seed: 1)
        let g = NearestNeighbors.exact(v, count: 3, dimension: 4, k: 5)
        #expect(g.neighbors(of: 0).filter { $0 >= 0 }.count == 2)
        #expect(g.neighbors(of: 0).suffix(3).allSatisfy { $0 == -1 })
    }

    @Test("exact top-k equals faiss IndexFlatIP on the same vectors, ties aside; numpy reads our .npy")
    func matchesFaiss() throws {
        let (torch, looked) = Reference.torchPython()
        guard let torch else {
            Issue.record("torch venv missing at \(looked): run ./scripts/test.sh")
            return
        }
        let count = 3_000, d = 64, k = 10
        let v = randomVectors(count: count, dimension: d, seed: 7)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ptk-knn-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let writer = try NPY.Writer(path: "\(folder)/v.npy", columns: d)
        try writer.append(Array(v[0..<1000 * d]))
        try writer.append(Array(v[(1000 * d)...]))
        try writer.finish()
        let back = try NPY.read(path: "\(folder)/v.npy")
        #expect(back.rows == count && back.columns == d && back.values == v)
        let reference = try Reference.ask("reference_knn.py", KNNRequest(npy: "\(folder)/v.npy", k: k), as: KNNAnswer.self,
                                          python: torch)
        #expect(reference.shape == [count, d])
        let graph = NearestNeighbors.exact(v, count: count, dimension: d, k: k, threads: 2, queryBlock: 256, baseBlock: 1024)
        var differing = 0
        for i in 0..<count {
            let ours = graph.neighbors(of: i).map(Int.init)
            let theirs = reference.ids[i]
            if ours == theirs { continue }
            #expect(sameUpToTies(ours, graph.scores(of: i).map(Double.init), theirs, reference.scores[i]), "row \(i)")
            differing += 1
        }
        print("kNN: \(count) rows compared with faiss, \(differing) differ only by tied scores")
    }
}

@Suite("In-Context Pretraining order")
struct SemanticOrderTests {
    func graph(_ count: Int, seed: UInt64, k: Int = 6) -> NeighborGraph {
        NearestNeighbors.bruteForce(randomVectors(count: count, dimension: 12, seed: seed), count: count, dimension: 12, k: k)
    }

    @Test("every document appears exactly once, in every method", arguments: [1, 2, 17, 150, 401])
    func permutation(count: Int) {
        let g = graph(count, seed: UInt64(count))
        for method in [SemanticOrder.Method.paper, .capped(maxChain: 21, minChain: 3), .capped(maxChain: 4, minChain: 1)] {
            let order = SemanticOrder.order(g, method: method)
            #expect(order.sorted() == Array(0..<count), "\(method)")
        }
        let (excluded, keptFor) = SemanticOrder.nearDuplicates(g, threshold: 0.99)
        let order = SemanticOrder.order(g, method: .paper, excluded: excluded)
        #expect(order.sorted() == (0..<count).filter { !excluded[$0] })
        for (dup, kept) in keptFor { #expect(kept < dup && !excluded[kept]) }
    }

    @Test("the paper's walk: each step is the most similar unvisited neighbour, else a jump to a minimum-degree start")
    func paperRule() {
        let g = graph(300, seed: 3)
        let degree = SemanticOrder.inDegrees(g)
        let chains = SemanticOrder.chains(g, method: .paper)
        var visited = Set<Int>()
        for chain in chains {
            let start = chain[0]
            let unvisited = (0..<g.count).filter { !visited.contains($0) }
            let minimum = unvisited.min { (degree[$0], $0) < (degree[$1], $1) }
            #expect(start == minimum)
            visited.insert(start)
            for (a, b) in zip(chain, chain.dropFirst()) {
                let expected = g.neighbors(of: a).first { $0 >= 0 && !visited.contains(Int($0)) }
                #expect(expected.map(Int.init) == b)
                visited.insert(b)
            }
            // The chain ended because no neighbour of its last document was unvisited.
            if let last = chain.last {
                #expect(!g.neighbors(of: last).contains { $0 >= 0 && !visited.contains(Int($0)) })
            }
        }
    }

    @Test("capped chains hold at most maxChain documents before short chains are merged")
    func capped() {
        let g = graph(400, seed: 9)
        let raw = SemanticOrder.chains(g, method: .capped(maxChain: 21, minChain: 1))
        #expect(raw.allSatisfy { $0.count <= 21 })
        let merged = SemanticOrder.chains(g, method: .capped(maxChain: 21, minChain: 3))
        #expect(merged.count <= raw.count)
        #expect(merged.flatMap { $0 }.sorted() == Array(0..<400))
    }

    @Test("related documents end up closer than in input order")
    func neighboursAdjacent() {
        let g = graph(500, seed: 11)
        let order = SemanticOrder.order(g, method: .paper)
        func meanAdjacent(_ o: [Int]) -> Double {
            var sum = 0.0
            for (a, b) in zip(o, o.dropFirst()) {
                if let j = g.neighbors(of: a).firstIndex(of: Int32(b)) { sum += Double(g.scores[j]) }
            }
            return sum / Double(o.count - 1)
        }
        #expect(meanAdjacent(order) > 5 * max(meanAdjacent(Array(0..<500)), 0.001))
    }
}
