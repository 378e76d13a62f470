import CorpusCore
import CorpusIO
import Embeddings
import Foundation

/// A retrieval index over a corpus: BM25 postings, and the documents' vectors when a model is given — the
/// retrieval half of RAG, and the lookup behind BM25Chunk ordering.
///
/// Folder layout: `index.json` (counts, BM25 parameters, model), `ids.jsonl` (`{"id", "url"}` per document, in
/// input order), `bm25.bin` (little-endian: N u64, N document lengths u32, V u64, then per word sorted by hash:
/// hash u64, n u32, n × (document u32, count u32)), and `vectors.npy` with `--model`. Held in memory when
/// searched.
public struct RetrievalIndex {
    public struct Info: Codable, Sendable, Equatable {
        public var documents: Int
        public var rejected: Int
        public var words: Int
        public var averageLength: Double
        public var k1: Double
        public var b: Double
        /// The sentence-transformers folder whose vectors are in vectors.npy, if any.
        public var model: String?
        public var dimension: Int?
    }

    public struct Hit: Sendable, Equatable {
        public var document: Int
        public var id: String
        public var url: String?
        public var score: Double
    }

    public let info: Info
    public let bm25: BM25Index
    public let ids: [(id: String, url: String?)]
    public let vectors: [Float]?

    /// Builds the index of a JSONL corpus into `folder`; records that are not documents go to
    /// `folder/rejects.jsonl.zst`.
    @discardableResult
    public static func build(input: String, fields: DocumentFields = DocumentFields(), folder: String,
                             model: String? = nil, threads: Int = defaultThreadCount(), log: Log = Log()) throws -> Info
    {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var index = BM25Index()
        let idsFile = try OutputFile(path: "\(folder)/ids.jsonl", compression: Compression.none)
        var rejects = try RejectsSink(path: "\(folder)/rejects.jsonl.zst", enabled: true)
        var ledger = Ledger()
        var writer = JSONWriter(capacity: 1 << 16)
        var reader = DocumentReader(file: InputFile(path: input, kind: .jsonl, fields: fields), options: ReadOptions())
        let counts = try reader.forEachDocument(rejects: &rejects) { document, _ in
            index.add(document.text)
            writer.idLine(document)
            ledger.written += 1
            if writer.bytes.count >= 1 << 16 {
                try idsFile.write(writer.bytes)
                writer.bytes.removeAll(keepingCapacity: true)
            }
        }
        ledger.read += counts.read
        ledger.rejected += counts.rejected
        try idsFile.write(writer.bytes)
        try idsFile.commit()
        try rejects.finish()
        try ledger.check()

        var bytes: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { put(v) }
        func u32(_ v: UInt32) { put(v) }
        u64(UInt64(index.count))
        for length in index.lengths { u32(length) }
        u64(UInt64(index.postings.count))
        for word in index.postings.keys.sorted() {
            let list = index.postings[word] ?? []
            u64(word)
            u32(UInt32(list.count))
            for p in list {
                u32(p.document)
                u32(p.count)
            }
        }
        try OutputFile.atomicWrite(path: "\(folder)/bm25.bin", contents: bytes)

        var dimension: Int?
        if let model {
            let report = try EmbedJob.run(EmbedOptions(model: .sentenceEncoder(folder: model), input: input,
                                                       fields: fields, output: "\(folder)/vectors.npy", threads: threads),
                                          log: log)
            dimension = report.dimension
            // The embed job's own ids and rejects duplicate the index's.
            try? FileManager.default.removeItem(atPath: "\(folder)/vectors.ids.jsonl")
            try? FileManager.default.removeItem(atPath: "\(folder)/vectors.npy.rejects.jsonl.zst")
        }
        let info = Info(documents: index.count, rejected: ledger.rejected, words: index.postings.count,
                        averageLength: index.averageLength, k1: index.k1, b: index.b, model: model, dimension: dimension)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try OutputFile.atomicWrite(path: "\(folder)/index.json", contents: Array(try encoder.encode(info)) + [0x0A])
        log.info("index of \(info.documents) documents, \(info.words) distinct words → \(folder)")
        return info
    }

    /// Loads an index folder.
    public init(folder: String) throws {
        guard let data = FileManager.default.contents(atPath: "\(folder)/index.json") else {
            throw IOError.cannotOpen(path: "\(folder)/index.json", reason: "not an index folder (ptk index build)")
        }
        info = try JSONDecoder().decode(Info.self, from: data)
        guard let raw = FileManager.default.contents(atPath: "\(folder)/bm25.bin") else {
            throw IOError.cannotOpen(path: "\(folder)/bm25.bin", reason: "missing")
        }
        let bytes = [UInt8](raw)
        var at = 0
        /// The next little-endian integer of the file.
        func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let width = MemoryLayout<T>.size
            guard at + width <= bytes.count else {
                throw IOError.cannotOpen(path: "\(folder)/bm25.bin", reason: "truncated")
            }
            let v = bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
            at += width
            return v
        }
        func u64() throws -> UInt64 { try read(UInt64.self) }
        func u32() throws -> UInt32 { try read(UInt32.self) }
        let n = Int(try u64())
        var lengths: [UInt32] = []
        lengths.reserveCapacity(n)
        for _ in 0..<n { lengths.append(try u32()) }
        let words = Int(try u64())
        var postings: [UInt64: [BM25Index.Posting]] = [:]
        postings.reserveCapacity(words)
        for _ in 0..<words {
            let word = try u64()
            let count = Int(try u32())
            var list: [BM25Index.Posting] = []
            list.reserveCapacity(count)
            for _ in 0..<count { list.append(BM25Index.Posting(document: try u32(), count: try u32())) }
            postings[word] = list
        }
        bm25 = BM25Index(postings: postings, lengths: lengths)
        var ids: [(String, String?)] = []
        let text = try String(contentsOfFile: "\(folder)/ids.jsonl", encoding: .utf8)
        for line in text.split(separator: "\n") where !line.isEmpty {
            let value = try JSONParser.parse(String(line))
            ids.append((value.string(at: ["id"]) ?? "", value.string(at: ["url"])))
        }
        self.ids = ids
        vectors = info.model == nil ? nil : try NPY.read(path: "\(folder)/vectors.npy").values
    }

    /// The top `k` documents for a query: BM25, or with `encoder` the inner product of its vector with the
    /// documents' (the index must hold vectors of the same model).
    public func search(_ query: String, k: Int, encoder: SentenceEncoder? = nil) -> [Hit] {
        search([query], k: k, encoder: encoder, threads: 1).first ?? []
    }

    /// The top `k` documents of each query, in query order. With `encoder`, the queries are embedded in one
    /// batch and scored against the documents' vectors by blocked matrix products (`NearestNeighbors.search`).
    public func search(_ queries: [String], k: Int, encoder: SentenceEncoder? = nil, threads: Int) -> [[Hit]] {
        func hit(_ document: Int, _ score: Double) -> Hit {
            Hit(document: document, id: ids[document].id, url: ids[document].url, score: score)
        }
        if let encoder, let vectors, let d = info.dimension {
            let q = encoder.embed(queries, threads: threads)
            let graph = NearestNeighbors.search(q, count: queries.count, base: vectors, baseCount: ids.count,
                                                dimension: d, k: k, threads: threads)
            return (0..<queries.count).map { row in
                zip(graph.neighbors(of: row), graph.scores(of: row)).compactMap { i, score in
                    i < 0 ? nil : hit(Int(i), Double(score))
                }
            }
        }
        let bm25 = self.bm25
        let found = orderedParallelMap(count: queries.count, threads: threads) { bm25.search(queries[$0], k: k) }
        return found.map { list in list.map { hit($0.document, $0.score) } }
    }
}
