import CorpusCore
import CorpusIO
import Embeddings
import Foundation

/// `ptk bench knn`: exact top-k neighbours of N synthetic unit vectors (clustered, like real embeddings) by ptk's
/// blocked sgemm search against faiss IndexFlatIP and IndexIVFFlat on the same vectors and threads, in the same
/// run; ptk's IVF index (`IVFIndex`, same nlist and nprobe) against faiss IndexIVFFlat, both with recall@k against
/// ptk exact over all rows; peak resident memory of both processes. ptk's ids must equal faiss flat's up to ties.
/// Then the ICLM ordering time on a random k-regular graph of `orderDocuments` documents.
public struct KNNBenchmark {
    public var torchPython: String
    public var documents: Int
    public var dimension: Int
    public var k: Int
    public var threads: Int
    public var orderDocuments: Int
    public var folder: String

    public init(torchPython: String, documents: Int, dimension: Int = 384, k: Int = 10, threads: Int,
                orderDocuments: Int = 1_000_000, folder: String)
    {
        self.torchPython = torchPython
        self.documents = max(2, documents)
        self.dimension = max(1, dimension)
        self.k = max(1, k)
        self.threads = max(1, threads)
        self.orderDocuments = max(2, orderDocuments)
        self.folder = folder
    }

    /// Clustered unit vectors: √N centres, each row a centre plus noise.
    static func vectors(count: Int, dimension: Int, seed: UInt64) -> [Float] {
        NearestNeighbors.clusteredVectors(count: count, dimension: dimension,
                                          centres: max(1, Int(Double(count).squareRoot())), noise: 0.8, seed: seed,
                                          stream: "bench/knn")
    }

    public func run(progress: (String) -> Void) throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: folder) }
        progress("\(documents) × \(dimension) clustered unit vectors …")
        let x = Self.vectors(count: documents, dimension: dimension, seed: 1)
        let path = "\(folder)/vectors.npy"
        let writer = try NPY.Writer(path: path, columns: dimension)
        try writer.append(x)
        try writer.finish()
        progress("ptk exact, \(threads) threads …")
        var start = Date()
        let graph = NearestNeighbors.exact(x, count: documents, dimension: dimension, k: k, threads: threads)
        let ours = Date().timeIntervalSince(start)
        let exactPeak = peakResidentBytes()
        let nlist = max(1, Int(4 * Double(documents).squareRoot()))
        let nprobe = 32
        progress("ptk IVF (nlist \(nlist), nprobe \(nprobe)), \(threads) threads …")
        start = Date()
        let index = IVFIndex(x, count: documents, dimension: dimension, nlist: nlist, threads: threads)
        let ptkTrain = Date().timeIntervalSince(start)
        start = Date()
        let approximate = index.searchSelf(k: k, nprobe: nprobe, threads: threads)
        let ptkSearch = Date().timeIntervalSince(start)
        let ivfPeak = peakResidentBytes()
        start = Date()
        let sampledRecall = NearestNeighbors.recall(approximate, vectors: x, count: documents, dimension: dimension,
                                                    sample: 1000, threads: threads)
        let recallSeconds = Date().timeIntervalSince(start)
        progress("faiss flat and IVF (nlist \(nlist), nprobe \(nprobe)), \(threads) threads …")
        let reference = try runBenchScript(
            python: torchPython, script: "bench_knn.py",
            request: "{\"npy\": \"\(path)\", \"k\": \(k), \"threads\": \(threads), \"nlist\": \(nlist), \"nprobe\": \(nprobe)}")
        guard let flat = reference.number(at: ["flat_seconds"]), let train = reference.number(at: ["ivf_train_seconds"]),
              let ivfSearch = reference.number(at: ["ivf_search_seconds"]),
              case let .array(flatRows)? = reference.value(at: ["flat_ids"]),
              case let .array(ivfRows)? = reference.value(at: ["ivf_ids"])
        else { throw RunError.stageFailed(file: "bench knn", underlying: "reference failed") }
        func ids(_ row: JSONValue) -> [Int] {
            guard case let .array(values) = row else { return [] }
            return values.compactMap { if case let .number(t) = $0 { Int(t) } else { nil } }
        }
        var sameAsFlat = 0, ivfHits = 0, ptkHits = 0
        for i in 0..<documents {
            let exact = graph.neighbors(of: i).map(Int.init)
            if exact == ids(flatRows[i]) { sameAsFlat += 1 }
            ivfHits += Set(exact).intersection(ids(ivfRows[i])).count
            ptkHits += Set(exact).intersection(approximate.neighbors(of: i).map(Int.init)).count
        }
        guard Double(sameAsFlat) >= 0.99 * Double(documents) else {
            throw RunError.stageFailed(file: "bench knn", underlying: "only \(sameAsFlat) of \(documents) rows equal faiss flat")
        }
        let recall = Double(ivfHits) / Double(documents * k)
        let ptkRecall = Double(ptkHits) / Double(documents * k)

        progress("ICLM order of \(orderDocuments) documents (random \(k)-regular graph) …")
        var rng = SeededRandom(seed: 2, stream: "bench/order")
        var neighbors = [Int32](repeating: 0, count: orderDocuments * k)
        var scores = [Float](repeating: 0, count: orderDocuments * k)
        for i in 0..<orderDocuments {
            for j in 0..<k {
                neighbors[i * k + j] = Int32(rng.next() % UInt64(orderDocuments))
                scores[i * k + j] = 1 - Float(j) * 0.01
            }
        }
        let random = NeighborGraph(count: orderDocuments, k: k, neighbors: neighbors, scores: scores)
        start = Date()
        let order = SemanticOrder.order(random, method: .paper)
        let orderSeconds = Date().timeIntervalSince(start)
        guard order.count == orderDocuments else { throw RunError.stageFailed(file: "bench knn", underlying: "order lost documents") }

        var table = "ptk bench knn: \(documents) × \(dimension) float32, top \(k), \(threads) threads; \(sameAsFlat) of "
            + "\(documents) rows equal faiss flat (the rest differ by ties)\n\n"
        table += "| search | seconds | vs ptk exact |\n|---|---|---|\n"
        table += String(format: "| ptk exact (blocked sgemm) | %.2f | 1.00× |\n", ours)
        table += String(format: "| faiss IndexFlatIP | %.2f | %.2f× %@ |\n", flat, flat >= ours ? flat / ours : ours / flat,
                        flat >= ours ? "slower" : "faster")
        table += String(format: "| ptk IVF nlist %d nprobe %d (train+add %.2f s) | %.2f | recall@%d %.3f |\n",
                        index.nlist, nprobe, ptkTrain, ptkSearch, k, ptkRecall)
        table += String(format: "| faiss IVFFlat nlist %d nprobe %d (train+add %.2f s) | %.2f | recall@%d %.3f |\n",
                        nlist, nprobe, train, ivfSearch, k, recall)
        table += String(format: "\nptk IVF recall@%d on 1,000 sampled rows (as `ptk order` reports it): %.3f, %.2f s\n",
                        k, sampledRecall, recallSeconds)
        table += String(format: "peak RSS (getrusage): ptk after exact %.0f MiB, after IVF %.0f MiB (vectors %.0f MiB); "
                        + "faiss process %@\n", Double(exactPeak) / 1_048_576, Double(ivfPeak) / 1_048_576,
                        Double(documents * dimension * 4) / 1_048_576,
                        reference.number(at: ["peak_rss_kb"]).map { String(format: "%.0f MiB", $0 / 1024) } ?? "?")
        table += String(format: "\nICLM order (paper) of %d documents: %.2f s\n", orderDocuments, orderSeconds)
        if let versions = reference.value(at: ["versions"]) { table += "reference: \(versions.jsonText)\n" }
        return table
    }
}
