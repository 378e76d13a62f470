import Cleaning
import CorpusCore
import CorpusIO
import Embeddings
import Foundation

/// `ptk decontaminate --index`: the retrieval index of a corpus searched with every evaluation record, to find
/// the documents closest to each — by BM25, or by the cosine of sentence embeddings, which also catches
/// paraphrased or translated test items that share no 13-gram with them (the n-gram check cannot).
///
/// Report lines (JSONL), per record best first: `eval_file`, `eval_line`, `eval_id`, `rank`, `document` (row in
/// the index), `id`, `url` (when known), `score`, `method` (`bm25` or `vector`).
public enum RetrievalDecontamination {
    public struct Summary: Sendable, Equatable {
        public var records: Int
        public var candidates: Int
    }

    public static func run(index folder: String, evalFiles: [String], fields: [String], idField: String, k: Int,
                           vector: Bool, minScore: Double?, report: String, threads: Int) throws -> Summary
    {
        let index = try RetrievalIndex(folder: folder)
        var encoder: SentenceEncoder?
        if vector {
            guard let model = index.info.model else {
                throw RunError.stageFailed(file: folder, underlying: "the index has no vectors: build it with --model")
            }
            encoder = try SentenceEncoder(folder: model)
        }
        var texts: [String] = [], records: [EvalRecord] = []
        try EvalIndex.forEachRecord(files: evalFiles, fields: fields, idField: idField) { text, record in
            texts.append(text)
            records.append(record)
        }
        let hits = index.search(texts, k: k, encoder: encoder, threads: threads)
        let out = try OutputFile(path: report)
        var writer = JSONWriter(capacity: 1 << 16)
        var candidates = 0
        for (record, list) in zip(records, hits) {
            for (rank, hit) in list.enumerated() where minScore.map({ hit.score >= $0 }) ?? true {
                candidates += 1
                writer.raw("{\"eval_file\":")
                writer.string(record.file)
                writer.rawBytes(Array(",\"eval_line\":\(record.line),\"eval_id\":".utf8))
                writer.string(record.id)
                writer.rawBytes(Array(",\"rank\":\(rank + 1),\"document\":\(hit.document),\"id\":".utf8))
                writer.string(hit.id)
                if let url = hit.url {
                    writer.raw(",\"url\":")
                    writer.string(url)
                }
                let score = String(format: "%.6f", hit.score), method = vector ? "vector" : "bm25"
                writer.rawBytes(Array(",\"score\":\(score),\"method\":\"\(method)\"}\n".utf8))
                if writer.bytes.count >= 1 << 16 {
                    try out.write(writer.bytes)
                    writer.bytes.removeAll(keepingCapacity: true)
                }
            }
        }
        try out.write(writer.bytes)
        try out.commit()
        return Summary(records: records.count, candidates: candidates)
    }
}
