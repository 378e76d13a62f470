import ArgumentParser
import Cleaning
import CorpusCore
import CorpusIO
import Foundation
import Pipeline

struct Decontaminate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every n-gram overlap of documents with evaluation sets (changes nothing).",
        discussion: """
            Words are normalized as the decontaminate step does (lowercase, punctuation removed, Han and kana \
            characters one word each). Each line of the report is one overlapping n-gram position: document id, \
            input file and line, evaluation file, line and id, the normalized n-gram, and the byte offset and \
            length of the overlap in the document's text (UTF-8).

            With --index (a retrieval index of the corpus, ptk index build) instead of --input, every evaluation \
            record is a query: its top --k documents by BM25, or with --vector by the cosine of the index's \
            embeddings, which finds paraphrases that share no n-gram. Each line is one candidate: evaluation file, \
            line and id, rank, document, id, url and score; --min-score keeps the close ones.
            """)

    @Option(name: .customLong("eval"), parsing: .singleValue, help: "An evaluation set (JSONL); repeatable.")
    var evalFiles: [String]

    @Option(parsing: .upToNextOption, help: "Fields of an evaluation record joined into its text.")
    var fields: [String] = ["text"]

    @Option(help: "Field naming an evaluation record.")
    var idField = "id"

    @Option(help: "Words per n-gram.")
    var n = 13

    @Option(parsing: .singleValue, help: "A training file (JSONL, plain/.gz/.zst); repeatable.")
    var input: [String] = []

    @Option(help: "A retrieval index of the training corpus (ptk index build), searched with every evaluation record.")
    var index: String?

    @Option(help: "With --index: documents per evaluation record.")
    var k = 5

    @Flag(help: "With --index: rank by the index's sentence embeddings (built with --model) instead of BM25.")
    var vector = false

    @Option(help: "With --index: report only candidates scoring at least this (cosine with --vector, else BM25).")
    var minScore: Double?

    @Option(help: "With --index: threads.")
    var threads = defaultThreadCount()

    @Option(help: "Dotted path of the training documents' text field.")
    var textField = "text"

    @Option(help: "Where the matches go (JSONL).")
    var report: String

    @OptionGroup var logging: LogOptions

    func validate() throws {
        if index == nil, input.isEmpty { throw ValidationError("give the training files (--input) or their index (--index)") }
        if index != nil, !input.isEmpty { throw ValidationError("--input and --index exclude each other") }
        if index == nil, vector || minScore != nil { throw ValidationError("--vector and --min-score need --index") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
    }

    func run() throws {
        let log = logging.log
        if let index {
            do {
                let found = try RetrievalDecontamination.run(
                    index: index, evalFiles: evalFiles, fields: fields, idField: idField, k: k, vector: vector,
                    minScore: minScore, report: report, threads: threads)
                log.info("\(found.records) evaluation records, \(found.candidates) candidates"
                         + (minScore.map { " scoring at least \($0)" } ?? "") + " → \(report)")
            } catch {
                throw reportFailure(error, log: log)
            }
            return
        }
        do {
            let index = try EvalIndex.load(files: evalFiles, fields: fields, idField: idField, n: n)
            log.info("\(index.records.count) evaluation records, \(index.ngramCount) distinct \(n)-grams"
                     + (index.shortRecords > 0 ? " (\(index.shortRecords) records shorter than \(n) words)" : ""))
            let out = try OutputFile(path: report)
            var documents = 0, contaminated = 0, matches = 0
            for (k, path) in input.enumerated() {
                var file = InputFile(path: path, kind: .jsonl,
                                     fields: DocumentFields(text: textField.split(separator: ".").map(String.init)))
                file.index = k
                var reader = DocumentReader(file: file, options: ReadOptions())
                var failure: (any Error)?
                let problem = try reader.forEach { event in
                    guard case let .document(doc, _) = event, failure == nil else { return }
                    documents += 1
                    let found = index.matches(in: doc.text)
                    if !found.isEmpty { contaminated += 1 }
                    for m in found {
                        matches += 1
                        var w = JSONWriter(capacity: 256)
                        w.raw("{\"document\":")
                        w.string(doc.id)
                        w.raw(",\"input\":")
                        w.string(path)
                        w.rawBytes(Array(",\"line\":\(doc.origin?.line ?? 0),\"eval_file\":".utf8))
                        w.string(m.record.file)
                        w.rawBytes(Array(",\"eval_line\":\(m.record.line),\"eval_id\":".utf8))
                        w.string(m.record.id)
                        w.raw(",\"ngram\":")
                        w.string(m.ngram)
                        w.rawBytes(Array(",\"offset\":\(m.bytes.lowerBound),\"length\":\(m.bytes.count)}\n".utf8))
                        do { try out.write(w.bytes) } catch { failure = error }
                    }
                }
                if let failure { throw failure }
                if let problem { throw problem }
            }
            try out.commit()
            log.info("\(documents) documents, \(contaminated) with an overlap, \(matches) overlapping \(n)-grams → \(report)")
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}
