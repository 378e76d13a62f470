import CorpusCore
import CorpusIO
import Foundation
import Packing
import Shards
import Tokenization

/// `ptk bench pack`: packing throughput and padding per strategy on a real length distribution.
///
/// The documents are real text (files, or their paragraphs), tokenized once; the benchmark then draws
/// `documents` of them with replacement (seeded) — so ten million short documents need no ten million texts —
/// and packs them with every strategy: the packer alone (windows dropped), then packer and shard writer
/// (`writeDocuments` of them, written to a temporary folder and removed).
public struct PackBenchmark {
    public enum Unit: String, Sendable, CaseIterable {
        /// Each blank-line-separated paragraph (or `%`-separated fortune) is a document.
        case paragraph
        /// Each file is a document.
        case file
    }

    public var tokenizer: String
    public var encoding: String?
    public var corpus: [String]
    public var unit: Unit
    public var documents: Int
    public var writeDocuments: Int
    public var seqLen: Int
    public var folder: String
    public var threads: Int

    public init(tokenizer: String, encoding: String?, corpus: [String], unit: Unit, documents: Int,
                writeDocuments: Int, seqLen: Int, folder: String, threads: Int)
    {
        self.tokenizer = tokenizer
        self.encoding = encoding
        self.corpus = corpus
        self.unit = unit
        self.documents = max(1, documents)
        self.writeDocuments = max(0, writeDocuments)
        self.seqLen = max(2, seqLen)
        self.folder = folder
        self.threads = max(1, threads)
    }

    public func run(progress: (String) -> Void) throws -> String {
        let encoder = try TokenizerFile.load(path: tokenizer, encoding: encoding)
        let eos = try choosePackTokens(encoder: encoder, tokenizerPath: tokenizer, eos: nil, bos: nil, pad: nil).eos
        progress("reading and tokenizing \(corpus.joined(separator: ", ")) …")
        let texts = try readTexts()
        guard !texts.isEmpty else { throw PackError.invalidOption("no text found in \(corpus)") }
        let pool = encoder.encodeOrdinaryBatch(texts, threads: threads).filter { !$0.isEmpty }.map { $0 + [eos] }
        let lengths = pool.map(\.count).sorted()
        func quantile(_ q: Double) -> Int { lengths[min(lengths.count - 1, Int(q * Double(lengths.count)))] }
        var lines = [
            "corpus: \(texts.count) \(unit.rawValue)s → \(pool.count) documents; tokens per document (with EOS): "
                + "median \(quantile(0.5)), p90 \(quantile(0.9)), p99 \(quantile(0.99)), max \(lengths.last ?? 0); "
                + "\(lengths.filter { $0 > seqLen }.count) longer than \(seqLen)",
            "draw: \(documents) documents with replacement (seed 1); seq_len \(seqLen); \(threads) threads for tokenizing only",
            "",
            "| strategy | windows | padding | split documents | packer Mtok/s | packer + shards Mtok/s (\(writeDocuments) docs) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        let dtype = try TokenDType(vocabularySize: encoder.vocabularySize)
        for strategy in PackStrategy.allCases {
            progress("\(strategy.rawValue): packer …")
            var packer = makePacker(strategy, seqLen: seqLen, padID: eos)
            var rng = SeededRandom(seed: 1)
            var sink = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for ordinal in 0..<documents {
                let tokens = pool[Int(rng.next() % UInt64(pool.count))]
                try packer.add(PackDocument(ordinal: Int64(ordinal), tokens: tokens)) { sink &+= $0.tokens.count }
            }
            try packer.finish { sink &+= $0.tokens.count }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let stats = packer.stats
            var written = "–"
            if writeDocuments > 0 {
                progress("\(strategy.rawValue): packer + shard writer …")
                written = String(format: "%.0f", try timeWriting(strategy, pool: pool, eos: eos, dtype: dtype))
            }
            lines.append("| \(strategy.rawValue) | \(stats.windows) | "
                + String(format: "%.2f%%", 100 * stats.paddingShare) + " | \(stats.splitDocuments) | "
                + String(format: "%.0f", Double(stats.documentTokens) / seconds / 1e6) + " | \(written) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Document tokens per second (millions) through packer and `ShardSetWriter`, files removed afterwards.
    private func timeWriting(_ strategy: PackStrategy, pool: [[UInt32]], eos: UInt32, dtype: TokenDType) throws
        -> Double
    {
        let target = "\(folder)/pack-bench-\(strategy.rawValue)"
        try? FileManager.default.removeItem(atPath: target)
        defer { try? FileManager.default.removeItem(atPath: target) }
        var packer = makePacker(strategy, seqLen: seqLen, padID: eos)
        let writer = try ShardSetWriter(folder: target, stem: "rank-00000", seqLen: seqLen, dtype: dtype,
                                        maxShardBytes: 1 << 30)
        var rng = SeededRandom(seed: 1)
        let start = DispatchTime.now().uptimeNanoseconds
        for ordinal in 0..<writeDocuments {
            let tokens = pool[Int(rng.next() % UInt64(pool.count))]
            try packer.add(PackDocument(ordinal: Int64(ordinal), tokens: tokens)) { try writer.append($0) }
        }
        try packer.finish { try writer.append($0) }
        _ = try writer.finish()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(packer.stats.documentTokens) / seconds / 1e6
    }

    /// The texts of the corpus: regular files under the given paths (sorted), valid UTF-8 only, as files or
    /// paragraphs.
    private func readTexts() throws -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in corpus {
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw IOError.cannotOpen(path: path, reason: "no such file or folder")
            }
            if isFolder.boolValue {
                let names = (fm.enumerator(atPath: path)?.allObjects as? [String]) ?? []
                for name in names.sorted() {
                    var sub: ObjCBool = false
                    let full = "\(path)/\(name)"
                    if fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue, !name.hasPrefix(".") {
                        files.append(full)
                    }
                }
            } else {
                files.append(path)
            }
        }
        var texts: [String] = []
        for file in files {
            guard let data = fm.contents(atPath: file), let text = String(validating: Array(data), as: UTF8.self)
            else { continue }
            switch unit {
            case .file:
                if !text.isEmpty { texts.append(text) }
            case .paragraph:
                var current: [Substring] = []
                for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                    let blank = line.allSatisfy(\.isWhitespace) || line == "%"
                    if blank {
                        if !current.isEmpty { texts.append(current.joined(separator: "\n")) }
                        current.removeAll()
                    } else {
                        current.append(line)
                    }
                }
                if !current.isEmpty { texts.append(current.joined(separator: "\n")) }
            }
        }
        return texts
    }
}
