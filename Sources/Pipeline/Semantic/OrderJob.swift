import CorpusCore
import CorpusIO
import Embeddings
import Foundation
import Tokenization

/// `ptk order`: reorders a JSONL corpus so that related documents are neighbours (In-Context Pretraining), given
/// one vector per document (`ptk embed`, or any .npy whose rows follow the readable documents of the input).
///
/// 1. The records are read once; each is copied to a scratch file (memory: 16 bytes of offsets per document).
/// 2. kNN by inner product: exact (`NearestNeighbors.exact`) up to `exactLimit` documents, an IVF index beyond
///    (`IVFIndex`: `nlist` lists, `nprobe` probed), its recall@k against exact measured on a sample of documents.
/// 3. Near duplicates (cosine ≥ threshold with an earlier kept document) go to the rejects file
///    (`stage: order`, `reason: near_duplicate`, the kept document named in the detail).
/// 4. The order: the ICLM path (`iclm`, the paper's; `iclm-capped`, chains of at most 21 with short chains
///    merged), or `random` (seeded) and `input` for comparison.
/// 5. The records are written unchanged in that order. Pack the result with `ptk pack --strategy concat` (which
///    keeps the order); trainers shuffle the windows (Megatron's sample index does, with its own seed).
///
/// `--report` measures the method's effect without training: documents are laid end to end in windows of
/// `windowTokens` tokens, and the mean cosine of document pairs sharing a window is given for the input,
/// random and chosen orders.
public struct OrderOptions: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case iclm, iclmCapped = "iclm-capped", cluster, bm25chunk, random, input
    }

    public var input: String
    public var fields: DocumentFields
    public var embeddings: String
    public var output: String
    public var method: Method
    public var k: Int
    /// Cosine at or above which a document is a near duplicate of an earlier one; nil keeps all.
    public var duplicateThreshold: Float?
    public var maxChain: Int
    public var minChain: Int
    public var seed: UInt64
    public var threads: Int
    public var reportPath: String?
    public var windowTokens: Int
    /// Counts tokens for the windows (text + 1 for EOS, as `ptk pack --strategy concat` lays them); without one,
    /// a document's tokens are its UTF-8 bytes / 4 + 1.
    public var tokenizer: (any TokenEncoder)?
    /// `cluster`: documents per k-means cluster (clusters = N / this).
    public var clusterSize: Int = 64
    /// `cluster`: no two documents sharing a window may have a cosine above this (seed 000's leakage guard).
    public var leakageThreshold: Float = 0.9
    /// `bm25chunk`: documents in the buffer the BM25 matches are drawn from.
    public var bufferDocuments: Int = 1024
    /// How neighbours are found: exact, IVF, or auto (exact up to `exactLimit` documents, IVF beyond).
    public enum Search: String, Sendable, CaseIterable { case exact, ivf, auto }
    public var search: Search = .auto
    public var exactLimit: Int = 1_000_000
    /// IVF lists (nil: 4√N) and lists probed per document.
    public var nlist: Int?
    public var nprobe: Int = 32
    /// IVF: documents whose exact neighbours are computed to measure the recall.
    public var recallSample: Int = 1000

    public init(input: String, fields: DocumentFields = DocumentFields(), embeddings: String, output: String,
                method: Method = .iclm, k: Int = 20, duplicateThreshold: Float? = 0.95, maxChain: Int = 21,
                minChain: Int = 3, seed: UInt64 = 0, threads: Int = defaultThreadCount(), reportPath: String? = nil,
                windowTokens: Int = 2048, tokenizer: (any TokenEncoder)? = nil)
    {
        self.input = input
        self.fields = fields
        self.embeddings = embeddings
        self.output = output
        self.method = method
        self.k = k
        self.duplicateThreshold = duplicateThreshold
        self.maxChain = maxChain
        self.minChain = minChain
        self.seed = seed
        self.threads = threads
        self.reportPath = reportPath
        self.windowTokens = windowTokens
        self.tokenizer = tokenizer
    }
}

public struct OrderReport: Codable, Sendable {
    public struct WindowSimilarity: Codable, Sendable {
        public var order: String
        public var windows: Int
        public var pairs: Int
        public var meanCosine: Double
    }

    public var read: Int
    public var written: Int
    public var rejected: Int
    public var nearDuplicates: Int
    public var method: String
    public var k: Int
    public var chains: Int
    public var seconds: Double
    public var windowTokens: Int
    public var similarity: [WindowSimilarity]
    /// exact or ivf.
    public var search: String = "exact"
    public var nlist: Int?
    public var nprobe: Int?
    /// IVF: recall@k against exact neighbours on `recallQueries` sampled documents.
    public var recall: Double?
    public var recallQueries: Int?
}

public enum OrderError: Error, CustomStringConvertible {
    case rowCount(embeddings: String, rows: Int, documents: Int)

    public var description: String {
        switch self {
        case let .rowCount(embeddings, rows, documents):
            "\(embeddings) has \(rows) rows but the input has \(documents) readable documents: embed the same file"
        }
    }
}

public enum OrderJob {
    public static func run(_ options: OrderOptions, log: Log = Log()) throws -> OrderReport {
        let started = Date()
        let (rows, dimension, vectors) = try NPY.read(path: options.embeddings)
        let scratchPath = options.output + ".records.tmp-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratchPath) }
        guard FileManager.default.createFile(atPath: scratchPath, contents: nil),
              let scratch = FileHandle(forUpdatingAtPath: scratchPath)
        else { throw IOError.cannotOpen(path: scratchPath, reason: "cannot create the scratch file") }
        defer { try? scratch.close() }
        var rejects = try RejectsSink(path: options.output + ".rejects.jsonl.zst", enabled: true)
        var ledger = Ledger()
        var offsets: [UInt64] = [0]
        var ids: [String] = []
        var tokens: [Int] = []
        var batch: [UInt8] = []
        var bm25 = BM25Index()
        var queryWords: [[UInt64]] = []
        var reader = DocumentReader(file: InputFile(path: options.input, kind: .jsonl, fields: options.fields),
                                    options: ReadOptions())
        let counts = try reader.forEachDocument(rejects: &rejects) { document, record in
            batch.append(contentsOf: record)
            batch.append(0x0A)
            offsets.append(offsets[offsets.count - 1] + UInt64(record.count + 1))
            ids.append(document.id)
            tokens.append((options.tokenizer.map { $0.encodeOrdinary(document.text).count }
                           ?? document.byteCount / 4) + 1)
            if options.method == .bm25chunk {
                bm25.add(document.text)
                // A query is the document's first 256 distinct words.
                var seen = Set<UInt64>()
                queryWords.append(BM25Index.words(document.text).filter { seen.insert($0).inserted }.prefix(256).map { $0 })
            }
            if batch.count >= 1 << 20 {
                try scratch.write(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        ledger.read += counts.read
        ledger.rejected += counts.rejected
        let problem = counts.problem
        try scratch.write(contentsOf: batch)
        if let problem { log.warning("\(problem)") }
        let count = ids.count
        guard rows == count else { throw OrderError.rowCount(embeddings: options.embeddings, rows: rows, documents: count) }

        let k = min(options.k, max(count - 1, 0))
        let graph: NeighborGraph
        var ivf: (nlist: Int, nprobe: Int, recall: Double, queries: Int)?
        // The graph serves the ICLM path and near-duplicate removal; without them (input, random, cluster and
        // bm25chunk orders with duplicate_threshold 0, or a recipe that wants only the embeddings) no search runs.
        let needsGraph = options.method == .iclm || options.method == .iclmCapped || options.duplicateThreshold != nil
        if !needsGraph {
            graph = NeighborGraph(count: count, k: 0, neighbors: [], scores: [])
        } else if options.search == .ivf || (options.search == .auto && count > options.exactLimit) {
            let searchStarted = Date()
            let index = IVFIndex(vectors, count: count, dimension: dimension, nlist: options.nlist, seed: options.seed,
                                 threads: options.threads)
            let probes = max(1, min(options.nprobe, index.nlist))
            graph = index.searchSelf(k: k, nprobe: probes, threads: options.threads)
            let searchSeconds = Date().timeIntervalSince(searchStarted)
            let queries = min(max(1, options.recallSample), count)
            let recall = NearestNeighbors.recall(graph, vectors: vectors, count: count, dimension: dimension,
                                                 sample: queries, seed: options.seed, threads: options.threads)
            ivf = (index.nlist, probes, recall, queries)
            log.info(String(format: "IVF kNN (nlist %d, nprobe %d) in %.1f s; recall@%d %.4f against exact on %d sampled documents",
                            index.nlist, probes, searchSeconds, k, recall, queries))
        } else {
            graph = NearestNeighbors.exact(vectors, count: count, dimension: dimension, k: k, threads: options.threads)
        }
        var excluded = [Bool](repeating: false, count: count)
        var keptFor: [Int: Int] = [:]
        if let threshold = options.duplicateThreshold {
            (excluded, keptFor) = SemanticOrder.nearDuplicates(graph, threshold: threshold)
        }
        let order: [Int]
        var chains = 0
        switch options.method {
        case .iclm, .iclmCapped:
            let method: SemanticOrder.Method = options.method == .iclm
                ? .paper : .capped(maxChain: options.maxChain, minChain: options.minChain)
            let c = SemanticOrder.chains(graph, method: method, excluded: excluded)
            chains = c.count
            order = c.flatMap { $0 }
        case .cluster:
            let kept = (0..<count).filter { !excluded[$0] }
            let clusters = max(1, kept.count / max(1, options.clusterSize))
            var keptVectors = [Float]()
            keptVectors.reserveCapacity(kept.count * dimension)
            for i in kept { keptVectors += vectors[i * dimension..<(i + 1) * dimension] }
            let assignment = KMeans.assign(keptVectors, count: kept.count, dimension: dimension, clusters: clusters,
                                           seed: options.seed, threads: options.threads)
            // Clusters in the order of their first document; documents in input order within a cluster.
            var members: [Int: [Int]] = [:]
            var firstSeen: [Int] = []
            for (position, cluster) in assignment.enumerated() {
                if members[cluster] == nil { firstSeen.append(cluster) }
                members[cluster, default: []].append(kept[position])
            }
            chains = firstSeen.count
            order = guardedWindows(firstSeen.flatMap { members[$0] ?? [] }, tokens: tokens, vectors: vectors,
                                   dimension: dimension, windowTokens: options.windowTokens,
                                   threshold: options.leakageThreshold)
        case .bm25chunk:
            order = bm25Chunks((0..<count).filter { !excluded[$0] }, index: bm25, queries: queryWords, tokens: tokens,
                               windowTokens: options.windowTokens, buffer: options.bufferDocuments)
        case .random:
            order = seededShuffle((0..<count).filter { !excluded[$0] }, seed: options.seed)
        case .input:
            order = (0..<count).filter { !excluded[$0] }
        }

        func record(_ i: Int) throws -> [UInt8] {
            try scratch.seek(toOffset: offsets[i])
            return Array(try scratch.read(upToCount: Int(offsets[i + 1] - offsets[i])) ?? Data())
        }
        for i in 0..<count where excluded[i] {
            guard let kept = keptFor[i] else { continue }
            var line = try record(i)
            if line.last == 0x0A { line.removeLast() }
            let cosine = dot(vectors, i, kept, dimension)
            ledger.rejected += 1
            try rejects.write(RejectEntry(id: ids[i], origin: nil, stage: "order", reason: "near_duplicate",
                                          detail: String(format: "cosine %.4f with %@", cosine, ids[kept]), record: line))
        }
        let out = try OutputFile(path: options.output)
        var pending: [UInt8] = []
        for i in order {
            pending += try record(i)
            ledger.written += 1
            if pending.count >= 1 << 20 {
                try out.write(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        try out.write(pending)
        try ledger.check()
        try out.commit()
        try rejects.finish()

        var similarity: [OrderReport.WindowSimilarity] = []
        if options.reportPath != nil {
            let kept = (0..<count).filter { !excluded[$0] }
            for (name, o) in [("input", kept), ("random", seededShuffle(kept, seed: options.seed)),
                              (options.method.rawValue, order)] where !similarity.contains(where: { $0.order == name })
            {
                similarity.append(windowSimilarity(name, order: o, tokens: tokens, vectors: vectors, dimension: dimension,
                                                   windowTokens: options.windowTokens))
            }
        }
        var report = OrderReport(read: ledger.read, written: ledger.written, rejected: ledger.rejected,
                                 nearDuplicates: keptFor.count, method: options.method.rawValue, k: graph.k,
                                 chains: chains, seconds: Date().timeIntervalSince(started),
                                 windowTokens: options.windowTokens, similarity: similarity)
        if let ivf {
            report.search = "ivf"
            report.nlist = ivf.nlist
            report.nprobe = ivf.nprobe
            report.recall = ivf.recall
            report.recallQueries = ivf.queries
        }
        if let path = options.reportPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.atomicWrite(path: path, contents: Array(try encoder.encode(report)) + [0x0A])
        }
        log.info(String(format: "%d documents ordered (%@, k %d, %d chains), %d near duplicates removed, in %.1f s → %@",
                        report.written, report.method, graph.k, chains, report.nearDuplicates, report.seconds,
                        options.output))
        return report
    }

    /// Lays `sequence` into windows of `windowTokens`, deferring a document that has a cosine above `threshold`
    /// with a document already in the current window; deferred documents are tried first at every later place
    /// (the 64 oldest), and any left at the end are appended.
    static func guardedWindows(_ sequence: [Int], tokens: [Int], vectors: [Float], dimension: Int, windowTokens: Int,
                               threshold: Float) -> [Int]
    {
        var order: [Int] = []
        order.reserveCapacity(sequence.count)
        var pending: [Int] = []
        var members: [Int] = []
        var used = 0
        var next = 0
        let size = max(1, windowTokens)
        func fits(_ doc: Int) -> Bool { members.allSatisfy { dot(vectors, $0, doc, dimension) <= threshold } }
        func place(_ doc: Int) {
            order.append(doc)
            members.append(doc)
            used += tokens[doc]
            while used >= size {  // the window is full; a document that goes on belongs to the next one too
                used -= size
                members = used > 0 ? [doc] : []
            }
        }
        while next < sequence.count || !pending.isEmpty {
            if let k = pending.prefix(64).firstIndex(where: fits) {
                place(pending.remove(at: k))
            } else if next < sequence.count {
                let doc = sequence[next]
                next += 1
                if fits(doc) { place(doc) } else { pending.append(doc) }
            } else {
                place(pending.removeFirst())
            }
        }
        return order
    }

    /// BM25Chunk (Zhao et al. 2024): from a buffer of the next `buffer` unused documents, the first is a window's
    /// query; its best BM25 match in the buffer follows, then that document's best match, until the window is
    /// full; then the next unused document starts the next window.
    static func bm25Chunks(_ kept: [Int], index: BM25Index, queries: [[UInt64]], tokens: [Int], windowTokens: Int,
                           buffer: Int) -> [Int]
    {
        var used = [Bool](repeating: true, count: index.count)
        for i in kept { used[i] = false }
        var inBuffer = [Bool](repeating: false, count: index.count)
        var order: [Int] = []
        var cursor = 0  // next document of `kept` to enter the buffer
        var buffered = 0
        func refill() {
            while buffered < max(1, buffer), cursor < kept.count {
                inBuffer[kept[cursor]] = true
                cursor += 1
                buffered += 1
            }
        }
        func take(_ doc: Int) {
            used[doc] = true
            inBuffer[doc] = false
            buffered -= 1
            order.append(doc)
        }
        var start = 0
        while true {
            refill()
            while start < kept.count, used[kept[start]] { start += 1 }
            guard start < kept.count else { break }
            var current = kept[start]
            take(current)
            var filled = tokens[current]
            while filled < windowTokens {
                refill()
                let best = index.search(words: queries[current], k: 1) { inBuffer[$0] && !used[$0] }.first
                guard let match = best?.document else { break }
                take(match)
                filled += tokens[match]
                current = match
            }
        }
        return order
    }

    /// Documents laid end to end in windows of `windowTokens`; every document touching a window belongs to it.
    /// The mean cosine over all pairs of distinct documents sharing a window.
    static func windowSimilarity(_ name: String, order: [Int], tokens: [Int], vectors: [Float], dimension: Int,
                                 windowTokens: Int) -> OrderReport.WindowSimilarity
    {
        var windows = 0, pairs = 0
        var sum = 0.0
        var members: [Int] = []
        var used = 0  // tokens of the current window filled so far
        func close() {
            if !members.isEmpty { windows += 1 }
            for a in 0..<members.count {
                for b in (a + 1)..<members.count {
                    sum += Double(dot(vectors, members[a], members[b], dimension))
                    pairs += 1
                }
            }
        }
        let size = max(1, windowTokens)
        for doc in order {
            var left = tokens[doc]
            while left > 0 {
                if members.last != doc { members.append(doc) }
                let take = min(left, size - used)
                used += take
                left -= take
                if used == size {  // the window is full; a document that goes on is re-added to the next one
                    close()
                    members = []
                    used = 0
                }
            }
        }
        close()
        return .init(order: name, windows: windows, pairs: pairs, meanCosine: pairs == 0 ? 0 : sum / Double(pairs))
    }

    static func dot(_ v: [Float], _ a: Int, _ b: Int, _ d: Int) -> Float {
        var s: Float = 0
        for j in 0..<d { s += v[a * d + j] * v[b * d + j] }
        return s
    }

    /// Fisher–Yates with our seeded generator (the standard library's shuffle may change between versions).
    static func seededShuffle(_ items: [Int], seed: UInt64) -> [Int] {
        var rng = SeededRandom(seed: seed, stream: "order/random")
        var a = items
        guard a.count > 1 else { return a }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
        return a
    }
}
