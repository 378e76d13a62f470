import CorpusCore
import Foundation
import Tokenization

/// The pre-tokenizer a trained byte-level BPE tokenizer uses, and writes into its tokenizer.json.
///
/// `gpt2` is `tokenizers`' `ByteLevel(use_regex=true)` (GPT-2's pattern); `llama3` is Llama 3's `Split` regex
/// (Isolated) followed by `ByteLevel(use_regex=false)`. Both run the project's hand-written scanners
/// (`PreTokenizerPattern.gpt2` and `.llama3`), which equal the regexes on every input.
///
/// ```swift
/// BPEPretokenizer.llama3.scanner   // PreTokenizerPattern.llama3
/// ```
public enum BPEPretokenizer: String, Sendable, CaseIterable {
    case gpt2, llama3

    /// The scanner that cuts text into pre-tokens.
    public var scanner: PreTokenizerPattern {
        switch self {
        case .gpt2: .gpt2
        case .llama3: .llama3
        }
    }
}

/// How often each distinct pre-token ("word") occurs in a corpus: the input of `BPETrainer`.
///
/// Text is fed one document at a time (or a batch of documents on several threads); only the distinct
/// pre-tokens and their counts are kept, so memory grows with the vocabulary of the corpus, not its size.
/// Pre-tokens are raw UTF-8 bytes: byte-level BPE maps each byte to one alphabet character, so counting bytes
/// counts exactly what `tokenizers` counts after its ByteLevel step.
///
/// ```swift
/// var counts = BPEWordCounts(pretokenizer: .gpt2)
/// counts.add("a cat, a cat")
/// counts.total      // 5: "a", " cat", ",", " a", " cat"
/// counts.distinct   // 4
/// ```
///
/// - Complexity: O(text length) per document, plus one hash lookup per pre-token.
public struct BPEWordCounts: Sendable {
    /// The pre-tokenizer that cut the documents.
    public let pretokenizer: BPEPretokenizer
    /// The distinct pre-tokens and their counts.
    private(set) var table = WordTable()
    /// Pre-tokens counted in all (with repeats).
    public private(set) var total = 0
    /// Documents counted.
    public private(set) var documents = 0

    public init(pretokenizer: BPEPretokenizer) {
        self.pretokenizer = pretokenizer
    }

    /// The number of distinct pre-tokens.
    public var distinct: Int { table.count }

    /// Count of each distinct pre-token (a copy: for tests and small corpora).
    public var counts: [[UInt8]: Int] {
        var result: [[UInt8]: Int] = [:]
        for entry in 0..<table.count { result[Array(table.word(entry))] = table.counts[entry] }
        return result
    }

    /// Counts the pre-tokens of one document.
    public mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { add(utf8: $0) }
    }

    /// Counts the pre-tokens of one document given as UTF-8.
    public mutating func add(utf8 buffer: UnsafeBufferPointer<UInt8>) {
        documents += 1
        pretokenizer.scanner.forEachPiece(buffer) { range in
            table.add(UnsafeBufferPointer(rebasing: buffer[range]), count: 1)
            total += 1
        }
    }

    /// Adds every count of `other` (cut with the same pre-tokenizer) to these.
    public mutating func merge(_ other: BPEWordCounts) {
        if table.count == 0 {
            table = other.table
        } else {
            table.merge(other.table)
        }
        total += other.total
        documents += other.documents
    }

    /// Counts a batch of documents on up to `threads` threads: each thread counts a contiguous chunk into its
    /// own table, and the tables are summed. The sums do not depend on the split, so the result is the same for
    /// every thread count.
    public mutating func add(batch texts: [String], threads: Int) {
        let chunks = max(1, min(threads, texts.count))
        let pretokenizer = self.pretokenizer
        let parts = orderedParallelMap(count: chunks, threads: chunks) { c in
            var part = BPEWordCounts(pretokenizer: pretokenizer)
            for i in (texts.count * c / chunks)..<(texts.count * (c + 1) / chunks) { part.add(texts[i]) }
            return part
        }
        for part in parts { merge(part) }
    }
}
