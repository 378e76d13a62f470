import CorpusCore
import CorpusIO
import Foundation
import Selection

/// `ptk bench select`: DSIR selection by ptk against `data-selection` 1.0.3 (p-lambda/dsir) on the same pool and
/// target, in the same run.
///
/// The pool is about `megabytes` MB of real documents (scripts/reference_corpus.py: the Debian Reference in five
/// languages, Chinese fortunes, Python source); the target is its Japanese documents. Both sides fit, weigh
/// every pool document and choose the top k. ptk's log weights must equal the reference's (relative error below
/// 1e-6) and its top k the reference's, or the benchmark fails: a fast wrong answer is not a result.
public struct SelectBenchmark {
    public var python: String
    public var megabytes: Int
    public var threads: Int
    public var folder: String
    public var k: Int

    public init(python: String, megabytes: Int, threads: Int, folder: String, k: Int = 100) {
        self.python = python
        self.megabytes = max(1, megabytes)
        self.threads = max(1, threads)
        self.folder = folder
        self.k = k
    }

    public func run(progress: (String) -> Void) throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: folder) }
        let pool = "\(folder)/pool.jsonl", target = "\(folder)/target.jsonl"
        progress("writing about \(megabytes) MB of real documents …")
        let corpus = try runBenchScript(
            python: python, script: "bench_dsir.py",
            request: "{\"prepare\": {\"pool\": \"\(pool)\", \"target\": \"\(target)\", \"bytes\": \(megabytes * 1_000_000)}}")
        guard let documents = corpus.number(at: ["documents"]), let bytes = corpus.number(at: ["bytes"]),
              let targetDocuments = corpus.number(at: ["target_documents"])
        else { throw RunError.stageFailed(file: "bench select", underlying: "corpus: \(corpus.jsonText)") }

        func ours(_ hashing: DSIRHashing, threads: Int) throws -> (SelectionReport, String) {
            let weights = "\(folder)/weights-\(hashing.rawValue)-\(threads).jsonl"
            let options = SelectionOptions(
                targets: [SelectionTarget(name: "ja", paths: [target])], pool: [pool],
                output: "\(folder)/chosen-\(hashing.rawValue)-\(threads).jsonl", budget: .documents(k), topK: true,
                featurizer: try DSIRFeaturizer(hashing: hashing), weightsOut: weights, threads: threads)
            var best: SelectionReport? = nil
            for _ in 0..<3 {
                let report = try SelectionJob(options: options).run(log: Log(quiet: true))
                if best.map({ report.seconds < $0.seconds }) ?? true { best = report }
            }
            guard let best else { throw RunError.stageFailed(file: "bench select", underlying: "no run") }
            return (best, weights)
        }
        progress("ptk, 1 thread …")
        let (ours1, weightsFile) = try ours(.sha256, threads: 1)
        progress("ptk, \(threads) threads …")
        let (oursN, _) = try ours(.sha256, threads: threads)
        progress("ptk --hashing fast, \(threads) threads …")
        let (fastN, _) = try ours(.fast, threads: threads)

        progress("data-selection (Python), 1 process and \(threads) …")
        let reference = try runBenchScript(
            python: python, script: "bench_dsir.py",
            request: "{\"pool\": \"\(pool)\", \"target\": \"\(target)\", \"threads\": \(threads), \"k\": \(k)}")
        guard case let .array(refWeights)? = reference.value(at: ["log_weights"]),
              case let .array(refTop)? = reference.value(at: ["top_k"]),
              let fit1 = reference.number(at: ["fit_1"]), let weigh1 = reference.number(at: ["weights_1"]),
              let resample1 = reference.number(at: ["resample_1"])
        else { throw RunError.stageFailed(file: "bench select", underlying: "reference failed") }

        // Exactness first. ptk's reader rejects records with empty text (the reference weighs them 0 and never
        // chooses them), so the weights are compared by id.
        var ourWeights: [(id: Int, weight: Double)] = []
        var ourChosen: [String] = []
        try readLines(weightsFile) { line in
            let value = try JSONParser.parse(line)
            ourWeights.append((Int(value.string(at: ["id"]) ?? "") ?? -1, value.number(at: ["log_weight"]) ?? .nan))
        }
        try readLines("\(folder)/chosen-sha256-1.jsonl") { line in
            ourChosen.append(try JSONParser.parse(line).string(at: ["id"]) ?? "?")
        }
        let expected = refWeights.map { value -> Double in
            if case let .number(text) = value { return Double(text) ?? .nan }
            return .nan
        }
        let topK = refTop.compactMap { value -> String? in
            if case let .string(text) = value { return text }
            return nil
        }
        let error = ourWeights.map { id, a -> Double in
            guard expected.indices.contains(id) else { return .infinity }
            let b = expected[id]
            return b == 0 ? (a == 0 ? 0 : .infinity) : abs(a - b) / abs(b)
        }.max() ?? .infinity
        guard ourWeights.count + ours1.rejected == expected.count, error < 1e-6, ourChosen.sorted() == topK.sorted()
        else {
            throw RunError.stageFailed(
                file: "bench select",
                underlying: "ptk disagrees with data-selection: \(ourWeights.count) + \(ours1.rejected) rejected vs "
                    + "\(expected.count) weights, max relative error \(error), top-k equal: "
                    + "\(ourChosen.sorted() == topK.sorted())")
        }

        let mb = bytes / 1e6
        let versions = reference.value(at: ["versions"])?.jsonText ?? "?"
        var table = "\(IOBenchmark.machineDescription())\n\n"
        table += "pool: \(Int(documents)) real documents, \(formatFixed(mb, digits: 1)) MB; target: "
            + "\(Int(targetDocuments)) Japanese documents; top \(k); 10,000 buckets, unigrams + bigrams. "
            + "Reference: \(versions). ptk's log weights equal the reference's (max relative error "
            + "\(String(format: "%.1e", error))) and so does its top \(k); \(ours1.rejected) records with empty text, "
            + "which ptk's reader rejects and the reference weighs 0, are not compared.\n\n"
        table += "| pass | ptk 1 thread s | ptk \(threads) threads s | ptk fast hashing, \(threads) threads s | "
            + "data-selection 1 process s | ptk / data-selection, 1 thread | ptk / data-selection, \(threads) threads |\n"
        table += "|---|---:|---:|---:|---:|---:|---:|\n"
        func row(_ name: String, _ a: Double, _ b: Double, _ c: Double, _ ref: Double) {
            table += "| \(name) | \(formatFixed(a, digits: 3)) | \(formatFixed(b, digits: 3)) | "
                + "\(formatFixed(c, digits: 3)) | \(formatFixed(ref, digits: 3)) | \(formatFixed(ref / a, digits: 1))× | "
                + "\(formatFixed(ref / b, digits: 1))× |\n"
        }
        func pass(_ report: SelectionReport, _ name: String) -> Double { report.passSeconds[name] ?? .nan }
        row("fit (target + raw distributions)", pass(ours1, "fit"), pass(oursN, "fit"), pass(fastN, "fit"), fit1)
        row("importance weights (every pool document)", pass(ours1, "weigh"), pass(oursN, "weigh"),
            pass(fastN, "weigh"), weigh1)
        row("choose + copy (reference: resample top-k)", pass(ours1, "choose") + pass(ours1, "copy"),
            pass(oursN, "choose") + pass(oursN, "copy"), pass(fastN, "choose") + pass(fastN, "copy"), resample1)
        row("whole selection", ours1.seconds, oursN.seconds, fastN.seconds, fit1 + weigh1 + resample1)
        table += "\nImportance weights: ptk \(formatFixed(documents / pass(ours1, "weigh"), digits: 0)) docs/s "
            + "(1 thread), \(formatFixed(documents / pass(oursN, "weigh"), digits: 0)) docs/s (\(threads) threads); "
            + "data-selection \(formatFixed(documents / weigh1, digits: 1)) docs/s (1 process).\n"
        if let n = reference.number(at: ["weights_n"]) {
            table += "data-selection with \(threads) processes: weights \(formatFixed(n, digits: 3)) s.\n"
        } else if let why = reference.string(at: ["error_n"]) {
            table += "data-selection with \(threads) processes did not run: \(why).\n"
        }
        return table
    }
}
