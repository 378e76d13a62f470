import CorpusCore
import CorpusIO
import Foundation
import Tokenization

/// `ptk bench tokenize`: encode MB/s of ptk against tiktoken, and optionally HF `tokenizers` (tokenizer.json
/// files) and `sentencepiece` (.model files), on the same documents, in the same run.
///
/// The corpus is the demo generator's (English web pages with Chinese and Russian ones mixed in, as JSONL);
/// both sides encode every document's text, 1 thread and all threads, best of three. The token totals must
/// agree, or the benchmark fails: a fast wrong answer is not a result.
public struct TokenizeBenchmark {
    public var tokenizer: String
    public var encoding: String?
    /// HF tokenizer.json files to time against `tokenizers` as well.
    public var hfTokenizers: [String]
    /// SentencePiece .model files to time against `sentencepiece` as well.
    public var sentencePieceModels: [String]
    public var python: String
    public var megabytes: Int
    public var threads: Int
    public var folder: String

    public init(tokenizer: String, encoding: String?, hfTokenizers: [String] = [], sentencePieceModels: [String] = [],
                python: String, megabytes: Int, threads: Int, folder: String)
    {
        self.tokenizer = tokenizer
        self.encoding = encoding
        self.hfTokenizers = hfTokenizers
        self.sentencePieceModels = sentencePieceModels
        self.python = python
        self.megabytes = max(1, megabytes)
        self.threads = max(1, threads)
        self.folder = folder
    }

    public func run(progress: (String) -> Void) throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: folder) }
        let enc = try TokenizerFile.loadTiktoken(path: tokenizer, encoding: encoding)  // tiktoken's own format

        progress("generating about \(megabytes) MB of documents …")
        let documents = max(1, megabytes * 1_000_000 / 1_000)
        _ = try DemoCorpus(seed: 11, documents: documents).write(to: folder)
        var texts: [String] = []
        for name in ["web-000", "web-001", "web-002", "web-003"] {
            var reader = DocumentReader(file: InputFile(path: "\(folder)/corpus/\(name).jsonl.zst", kind: .jsonl),
                                        options: ReadOptions())
            try reader.forEach { if case let .document(d, _) = $0 { texts.append(d.text) } }
        }
        let jsonl = "\(folder)/texts.jsonl"
        let out = try OutputFile(path: jsonl, compression: Compression.none)
        var writer = JSONWriter(capacity: 1 << 20)
        for t in texts {
            writer.raw("{\"text\":")
            writer.string(t)
            writer.raw("}\n")
        }
        try out.write(writer.bytes)
        try out.commit()
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        let mb = Double(bytes) / 1e6

        progress("ptk, 1 thread …")
        var tokens = 0
        let ours1 = try best {
            tokens = 0
            for t in texts { tokens += enc.encodeOrdinary(t).count }
        }
        progress("ptk, \(threads) threads …")
        let oursN = try best { _ = enc.encodeOrdinaryBatch(texts, threads: threads) }

        progress("tiktoken (Python), 1 and \(threads) threads …")
        let reference = try runReference(script: "bench_tiktoken.py",
                                         request: "{\"jsonl\": \"\(jsonl)\", \"threads\": \(threads)}")
        guard case let .number(refTokens)? = reference.value(at: ["tokens"]), Int(refTokens) == tokens,
              case let .number(ref1Text)? = reference.value(at: ["seconds_1"]), let ref1 = Double(ref1Text),
              case let .number(refNText)? = reference.value(at: ["seconds_n"]), let refN = Double(refNText)
        else {
            throw RunError.stageFailed(file: "bench tokenize",
                                       underlying: "tiktoken disagrees or failed: \(reference.jsonText) vs \(tokens) tokens")
        }
        let version = string(reference.value(at: ["version"])) ?? "?"
        var table = "\(IOBenchmark.machineDescription())\n\n"
        table += "corpus: \(texts.count) documents, \(formatBytes(bytes)) of text, \(tokens) tokens "
            + "(cl100k_base; both sides agree)\n\n"
        table += "| measure | ptk s | ptk MB/s | tiktoken \(version) s | tiktoken MB/s | ptk / tiktoken |\n"
        table += "|---|---:|---:|---:|---:|---:|\n"
        for (name, ours, ref) in [("encode_ordinary, 1 thread", ours1, ref1),
                                  ("encode_ordinary, \(threads) threads", oursN, refN)]
        {
            table += "| \(name) | \(formatFixed(ours, digits: 3)) | \(formatFixed(mb / ours, digits: 1)) | "
                + "\(formatFixed(ref, digits: 3)) | \(formatFixed(mb / ref, digits: 1)) | "
                + "\(formatFixed(ref / ours, digits: 2))× |\n"
        }
        for path in hfTokenizers {
            table += try referenceRows(
                path, encoder: try HFTokenizer.load(path: path), kind: "tokenizer.json", script: "bench_hf.py",
                library: "tokenizers", texts: texts, jsonl: jsonl, mb: mb, progress: progress)
        }
        for path in sentencePieceModels {
            table += try referenceRows(
                path, encoder: try SentencePieceModel.load(path: path), kind: "SentencePiece .model",
                script: "bench_sentencepiece.py", library: "sentencepiece", texts: texts, jsonl: jsonl, mb: mb,
                progress: progress)
        }
        return table
    }

    /// Rows for one tokenizer file: ptk against the reference library (`script`) on the same texts.
    private func referenceRows(
        _ path: String, encoder: any TokenEncoder, kind: String, script: String, library: String, texts: [String],
        jsonl: String, mb: Double, progress: (String) -> Void
    ) throws -> String {
        let url = URL(fileURLWithPath: path)
        let name = kind == "tokenizer.json" ? url.deletingLastPathComponent().lastPathComponent : url.lastPathComponent
        progress("ptk \(name) \(kind), 1 and \(threads) threads …")
        var tokens = 0
        let ours1 = try best {
            tokens = 0
            for t in texts { tokens += encoder.encodeOrdinary(t).count }
        }
        let oursN = try best { _ = encoder.encodeOrdinaryBatch(texts, threads: threads) }
        progress("\(library) (Python), 1 and \(threads) threads …")
        let reference = try runReference(
            script: script,
            request: "{\"jsonl\": \"\(jsonl)\", \"tokenizer\": \"\(path)\", \"threads\": \(threads)}")
        guard case let .number(refTokens)? = reference.value(at: ["tokens"]), Int(refTokens) == tokens,
              case let .number(ref1Text)? = reference.value(at: ["seconds_1"]), let ref1 = Double(ref1Text),
              case let .number(refNText)? = reference.value(at: ["seconds_n"]), let refN = Double(refNText)
        else {
            throw RunError.stageFailed(file: "bench tokenize",
                                       underlying: "\(library) disagrees or failed: \(reference.jsonText) vs \(tokens) tokens")
        }
        let version = string(reference.value(at: ["version"])) ?? "?"
        var rows = "\n\(name) \(kind): \(tokens) tokens (both sides agree)\n\n"
        rows += "| measure | ptk s | ptk MB/s | \(library) \(version) s | \(library) MB/s | ptk / \(library) |\n"
        rows += "|---|---:|---:|---:|---:|---:|\n"
        let batch = library == "tokenizers" ? "encode_batch" : "encode(list, num_threads)"
        for (label, ours, ref) in [("encode, 1 thread (reference: a loop of encode)", ours1, ref1),
                                   ("encode, \(threads) threads (reference: \(batch))", oursN, refN)]
        {
            rows += "| \(label) | \(formatFixed(ours, digits: 3)) | \(formatFixed(mb / ours, digits: 1)) | "
                + "\(formatFixed(ref, digits: 3)) | \(formatFixed(mb / ref, digits: 1)) | "
                + "\(formatFixed(ref / ours, digits: 2))× |\n"
        }
        return rows
    }

    private func string(_ v: JSONValue?) -> String? {
        if case let .string(s)? = v { return s }
        return nil
    }

    private func runReference(script: String, request: String) throws -> JSONValue {
        try runBenchScript(python: python, script: script, request: request)
    }

    /// Best of three, each run from empty tokenizer caches (the reference scripts clear theirs too).
    private func best(_ body: () throws -> Void) throws -> Double {
        try bestOfTimings(3) {
            TokenizerCaches.clear()
            try body()
        }
    }
}
