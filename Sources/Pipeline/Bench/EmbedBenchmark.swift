import CorpusCore
import CorpusIO
import Embeddings
import Foundation

/// `ptk bench embed`: documents per second of ptk's native sentence encoder against sentence-transformers (torch
/// CPU, float32) on the same real documents, on 1 thread and on N, in the same run. Every vector must match the
/// reference's to cosine ≥ 0.9999, or the benchmark fails.
public struct EmbedBenchmark {
    public var python: String
    public var torchPython: String
    public var model: String
    public var documents: Int
    public var threads: Int
    public var folder: String

    public init(python: String, torchPython: String, model: String, documents: Int, threads: Int, folder: String) {
        self.python = python
        self.torchPython = torchPython
        self.model = model
        self.documents = max(1, documents)
        self.threads = max(1, threads)
        self.folder = folder
    }

    public func run(progress: (String) -> Void) throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: folder) }
        let path = "\(folder)/docs.jsonl"
        progress("writing \(documents) real documents …")
        let prepared = try runBenchScript(python: python, script: "bench_embed.py",
                                          request: "{\"prepare\": {\"path\": \"\(path)\", \"documents\": \(documents)}}")
        guard let count = prepared.number(at: ["documents"]), let bytes = prepared.number(at: ["bytes"]) else {
            throw RunError.stageFailed(file: "bench embed", underlying: "prepare: \(prepared.jsonText)")
        }
        var texts: [String] = []
        try readLines(path) { line in texts.append(try JSONParser.parse(line).string(at: ["text"]) ?? "") }
        let encoder = try SentenceEncoder(folder: model)
        func time(_ threads: Int) -> (seconds: Double, vectors: [Float]) {
            _ = encoder.embed(Array(texts.prefix(16)), threads: threads)
            let start = Date()
            let vectors = encoder.embed(texts, threads: threads)
            return (Date().timeIntervalSince(start), vectors)
        }
        progress("ptk, 1 thread …")
        let ours1 = time(1)
        progress("ptk, \(threads) threads …")
        let oursN = time(threads)
        progress("sentence-transformers, 1 and \(threads) threads …")
        let reference = try runBenchScript(
            python: torchPython, script: "bench_embed.py",
            request: "{\"model\": \"\(model)\", \"path\": \"\(path)\", \"threads\": [1, \(threads)]}")
        guard let ref1 = reference.number(at: ["seconds", "1"]), let refN = reference.number(at: ["seconds", "\(threads)"]),
              case let .array(rows)? = reference.value(at: ["vectors"])
        else { throw RunError.stageFailed(file: "bench embed", underlying: "reference failed") }
        let d = encoder.dimension
        var worst = 1.0
        for (i, row) in rows.enumerated() {
            guard case let .array(values) = row, values.count == d else { continue }
            var dot = 0.0, a = 0.0, b = 0.0
            for j in 0..<d {
                let x = Double(oursN.vectors[i * d + j])
                guard case let .number(text) = values[j], let y = Double(text) else { continue }
                dot += x * y
                a += x * x
                b += y * y
            }
            worst = min(worst, dot / max((a * b).squareRoot(), 1e-30))
        }
        guard rows.count == texts.count, worst >= 0.9999 else {
            throw RunError.stageFailed(file: "bench embed", underlying: "vectors differ: worst cosine \(worst)")
        }
        let n = Double(count)
        var table = "ptk bench embed: \(Int(count)) documents (\(formatBytes(Int(bytes)))), \((model as NSString).lastPathComponent), "
            + "worst cosine against the reference \(String(format: "%.6f", worst))\n\n"
        table += "| threads | ptk docs/s | sentence-transformers docs/s | ratio |\n|---|---|---|---|\n"
        table += String(format: "| 1 | %.1f | %.1f | %.2f× |\n", n / ours1.seconds, n / ref1, ref1 / ours1.seconds)
        table += String(format: "| %d | %.1f | %.1f | %.2f× |\n", threads, n / oursN.seconds, n / refN, refN / oursN.seconds)
        let ourPeak = peakResidentBytes()
        table += "\npeak RSS (getrusage): ptk \(formatBytes(ourPeak))"
        if let kb = reference.number(at: ["peak_rss_kb"]) { table += ", sentence-transformers process \(formatBytes(Int(kb) * 1024))" }
        table += "\n"
        if let versions = reference.value(at: ["versions"]) { table += "\nreference: \(versions.jsonText)\n" }
        return table
    }
}
