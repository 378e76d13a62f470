import CorpusIO

/// What reading the training inputs gave: documents counted, records rejected, and the first reasons.
///
/// ```swift
/// let report = try counts.add(files: [InputFile(path: "corpus.jsonl.zst", kind: .jsonl)], threads: 8)
/// if report.rejected > 0 { print("\(report.rejected) records rejected, e.g. \(report.examples[0])") }
/// ```
public struct BPEInputReport: Sendable, Equatable {
    /// Documents whose text was counted.
    public var documents = 0
    /// Records that were not documents (malformed JSON, invalid UTF-8, no text field, …).
    public var rejected = 0
    /// Rejected records by reason (`RecordProblem.reason`).
    public var rejectedByReason: [String: Int] = [:]
    /// Up to five rejections as "file:reason: detail", in reading order.
    public var examples: [String] = []

    public init() {}
}

extension BPEWordCounts {
    /// Counts the pre-tokens of every document of `files`, in order, `batchBytes` of text at a time on `threads`
    /// threads. Only the current batch of text is held, besides the counts.
    ///
    /// A record that is not a document is counted in the report and skipped (training on the rest is still
    /// exact for what was read); a file that cannot be opened or read to its end throws instead, since a
    /// tokenizer trained on part of a corpus should not look like one trained on all of it.
    ///
    /// - Throws: `IOError` when a file cannot be opened or is truncated or corrupt.
    /// - Complexity: O(total text), with memory O(distinct pre-tokens + batchBytes).
    public mutating func add(
        files: [InputFile], options: ReadOptions = ReadOptions(), threads: Int, batchBytes: Int = 16 << 20
    ) throws -> BPEInputReport {
        try readTextBatches(files: files, options: options, batchBytes: batchBytes) { add(batch: $0, threads: threads) }
    }
}

/// Reads the documents of `files` in order and hands their texts to `body` about `batchBytes` at a time; records
/// that are not documents are counted in the report and skipped; a file that cannot be read to its end throws.
///
/// - Throws: `IOError` when a file cannot be opened or is truncated or corrupt.
func readTextBatches(files: [InputFile], options: ReadOptions, batchBytes: Int,
                     _ body: ([String]) throws -> Void) throws -> BPEInputReport {
    var report = BPEInputReport()
    var batch: [String] = []
    var bytes = 0
    for file in files {
        var reader = DocumentReader(file: file, options: options)
        let problem = try reader.forEach { event in
            switch event {
            case let .document(document, _):
                report.documents += 1
                bytes += document.text.utf8.count
                batch.append(document.text)
                if bytes >= batchBytes {
                    try body(batch)
                    batch.removeAll(keepingCapacity: true)
                    bytes = 0
                }
            case let .rejected(problem, _, _):
                report.rejected += 1
                report.rejectedByReason[problem.reason, default: 0] += 1
                if report.examples.count < 5 {
                    report.examples.append("\(file.displayPath):\(problem.reason): \(problem.detail)")
                }
            }
        }
        if let problem { throw problem }
    }
    if !batch.isEmpty { try body(batch) }
    return report
}
