import CorpusCore
import CorpusIO
import Embeddings
import Foundation

/// `ptk embed`: one vector per document of a JSONL corpus, in input order.
///
/// Writes `OUTPUT` (.npy, float32 [N, d]), `OUTPUT.ids.jsonl` (one `{"id", "url"}` a line, row by row) and
/// `OUTPUT.rejects.jsonl.zst` (records that are not documents, with their reason): read = rows + rejected.
/// Documents are embedded in chunks, so memory holds one chunk of texts and the finished rows go to disk.
public struct EmbedOptions: Sendable {
    public enum Model: Sendable {
        /// A sentence-transformers folder (config.json, model.safetensors, tokenizer.json, pooling config).
        case sentenceEncoder(folder: String)
        /// Hashed TF-IDF vectors of this dimension (two passes over the input).
        case lexical(dimension: Int)
    }

    public var model: Model
    public var input: String
    public var fields: DocumentFields
    public var output: String
    public var threads: Int
    public var chunk: Int
    public var seed: UInt64

    public init(model: Model, input: String, fields: DocumentFields = DocumentFields(), output: String,
                threads: Int = defaultThreadCount(), chunk: Int = 4096, seed: UInt64 = 0)
    {
        self.model = model
        self.input = input
        self.fields = fields
        self.output = output
        self.threads = threads
        self.chunk = max(1, chunk)
        self.seed = seed
    }
}

public struct EmbedReport: Codable, Sendable, Equatable {
    public var read: Int
    public var embedded: Int
    public var rejected: Int
    public var dimension: Int
    public var model: String
    public var seconds: Double
}

public enum EmbedJob {
    public static func run(_ options: EmbedOptions, log: Log = Log()) throws -> EmbedReport {
        let started = Date()
        let file = InputFile(path: options.input, kind: .jsonl, fields: options.fields)
        let encode: ([String]) -> [Float]
        let dimension: Int
        let modelName: String
        switch options.model {
        case let .sentenceEncoder(folder):
            let encoder = try SentenceEncoder(folder: folder)
            dimension = encoder.dimension
            modelName = (folder as NSString).lastPathComponent
            encode = { encoder.embed($0, threads: options.threads) }
        case let .lexical(size):
            var vectorizer = LexicalVectorizer(dimension: size, seed: options.seed)
            var reader = DocumentReader(file: file, options: ReadOptions())
            _ = try reader.forEach { event in
                if case let .document(document, _) = event { vectorizer.observe(document.text) }
            }
            let fitted = vectorizer
            dimension = size
            modelName = "lexical-tfidf-\(size)"
            encode = { texts in
                orderedParallelMap(count: texts.count, threads: options.threads) { fitted.vector(texts[$0]) }.flatMap { $0 }
            }
        }
        let writer = try NPY.Writer(path: options.output, columns: dimension)
        let idsFile = try OutputFile(path: idsPath(options.output), compression: Compression.none)
        var rejects = try RejectsSink(path: options.output + ".rejects.jsonl.zst", enabled: true)
        var ledger = Ledger()
        var texts: [String] = []
        var ids = JSONWriter(capacity: 1 << 16)
        func flush() throws {
            guard !texts.isEmpty else { return }
            try writer.append(encode(texts))
            try idsFile.write(ids.bytes)
            ledger.written += texts.count
            texts.removeAll(keepingCapacity: true)
            ids.bytes.removeAll(keepingCapacity: true)
        }
        var reader = DocumentReader(file: file, options: ReadOptions())
        let counts = try reader.forEachDocument(rejects: &rejects) { document, _ in
            texts.append(document.text)
            ids.idLine(document)
            if texts.count >= options.chunk { try flush() }
        }
        ledger.read += counts.read
        ledger.rejected += counts.rejected
        let problem = counts.problem
        try flush()
        try ledger.check()
        try writer.finish()
        try idsFile.commit()
        try rejects.finish()
        if let problem { log.warning("\(problem)") }
        let report = EmbedReport(read: ledger.read, embedded: ledger.written, rejected: ledger.rejected,
                                 dimension: dimension, model: modelName, seconds: Date().timeIntervalSince(started))
        log.info(String(format: "%d documents embedded (%d dimensions, %@) in %.1f s → %@; %d rejected",
                        report.embedded, dimension, modelName, report.seconds, options.output, report.rejected))
        return report
    }

    /// `EMB.npy` → `EMB.ids.jsonl`.
    public static func idsPath(_ npy: String) -> String {
        (npy.hasSuffix(".npy") ? String(npy.dropLast(4)) : npy) + ".ids.jsonl"
    }
}

extension JSONWriter {
    /// `{"id": …, "url": …}` and a newline: one line of an ids file (`emb.ids.jsonl`, an index's `ids.jsonl`).
    mutating func idLine(_ document: Document) {
        raw("{\"id\":")
        string(document.id)
        if let url = document.metadata.url {
            raw(",\"url\":")
            string(url)
        }
        raw("}\n")
    }
}
