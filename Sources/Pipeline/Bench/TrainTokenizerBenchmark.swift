import CorpusCore
import CorpusIO
import Foundation
import TokenizerTraining

/// `ptk bench train-tokenizer`: byte-level BPE training time of ptk against Hugging Face `tokenizers`' BpeTrainer
/// and karpathy's `rustbpe`, on the same files and vocabulary size, in the same run.
///
/// Each file is one document (as `ptk train-tokenizer` reads a .txt input). Every side is timed from the
/// documents in memory to the trained merges (pre-tokenizing and counting included), best of `repeats`. ptk's
/// merges must equal `tokenizers`', or the benchmark fails: a fast wrong answer is not a result. `rustbpe`
/// breaks ties its own way, so only its vocabulary size is shown.
///
/// ```swift
/// let table = try TrainTokenizerBenchmark(corpus: ["a.txt"], vocabSize: 8000, pretokenizer: .gpt2,
///                                         python: ".venv/bin/python", threads: 2, repeats: 3).run { print($0) }
/// ```
public struct TrainTokenizerBenchmark {
    public var corpus: [String]
    public var vocabSize: Int
    public var pretokenizer: BPEPretokenizer
    public var python: String
    public var threads: Int
    public var repeats: Int

    public init(corpus: [String], vocabSize: Int, pretokenizer: BPEPretokenizer, python: String, threads: Int,
                repeats: Int)
    {
        self.corpus = corpus
        self.vocabSize = vocabSize
        self.pretokenizer = pretokenizer
        self.python = python
        self.threads = max(1, threads)
        self.repeats = max(1, repeats)
    }

    /// The files of `corpus`: files as given, folders by their regular files sorted by name.
    func files() throws -> [String] {
        let fm = FileManager.default
        var files: [String] = []
        for path in corpus {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw RunError.stageFailed(file: path, underlying: "no such file or folder")
            }
            if isDirectory.boolValue {
                for name in try fm.contentsOfDirectory(atPath: path).sorted() where !name.hasPrefix(".") {
                    files.append((path as NSString).appendingPathComponent(name))
                }
            } else {
                files.append(path)
            }
        }
        return files
    }

    public func run(progress: (String) -> Void) throws -> String {
        let paths = try files()
        var texts: [String] = []
        for path in paths {
            var reader = DocumentReader(file: InputFile(path: path, kind: .text), options: ReadOptions())
            let problem = try reader.forEach { event in
                switch event {
                case let .document(document, _): texts.append(document.text)
                case let .rejected(problem, _, _):
                    throw RunError.stageFailed(file: path, underlying: "\(problem.reason): \(problem.detail)")
                }
            }
            if let problem { throw problem }
        }
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        let trainer = BPETrainer(options: BPETrainerOptions(vocabSize: vocabSize))
        try trainer.validate()

        var model: TrainedBPE?
        var distinct = 0, words = 0
        func train(threads: Int) throws -> Double {
            try bestOfTimings(repeats) {
                var counts = BPEWordCounts(pretokenizer: pretokenizer)
                counts.add(batch: texts, threads: threads)
                model = try trainer.train(counts)
                distinct = counts.distinct
                words = counts.total
            }
        }
        progress("ptk, 1 thread …")
        let ours1 = try train(threads: 1)
        progress("ptk, \(threads) threads …")
        let oursN = try train(threads: threads)
        guard let model else { throw RunError.stageFailed(file: "bench train-tokenizer", underlying: "no model") }

        progress("tokenizers and rustbpe (Python), \(threads) threads …")
        var request = JSONWriter()
        request.raw("{\"files\":[")
        for (i, path) in paths.enumerated() {
            if i > 0 { request.raw(",") }
            request.string(path)
        }
        request.raw("],\"vocab_size\":")
        request.integer(UInt32(clamping: vocabSize))
        request.raw(",\"pattern\":")
        request.string(pretokenizer.rawValue)
        request.raw(",\"threads\":")
        request.integer(UInt32(clamping: threads))
        request.raw(",\"repeats\":")
        request.integer(UInt32(clamping: repeats))
        request.raw("}")
        let reference = try runBenchScript(python: python, script: "bench_bpe_train.py",
                                           request: String(decoding: request.bytes, as: UTF8.self))
        guard case let .array(hfMerges)? = reference.value(at: ["hf_merges"]),
              let hf = reference.number(at: ["hf_seconds"]), let rust = reference.number(at: ["rustbpe_seconds"]),
              let rustVocab = reference.number(at: ["rustbpe_vocab_size"]).map({ Int($0) })
        else {
            throw RunError.stageFailed(file: "bench train-tokenizer", underlying: "no answer from the references")
        }
        let theirs = hfMerges.map { merge -> [String] in
            guard case let .array(parts) = merge else { return [] }
            return parts.map { if case let .string(s) = $0 { s } else { "" } }
        }
        guard theirs == model.mergeStrings.map({ [$0.0, $0.1] }) else {
            throw RunError.stageFailed(file: "bench train-tokenizer",
                                       underlying: "ptk's merges differ from tokenizers' (\(model.merges.count) "
                                           + "against \(theirs.count))")
        }
        let hfVersion = reference.string(at: ["hf_version"]) ?? "?"
        let rustVersion = reference.string(at: ["rustbpe_version"]) ?? "?"
        let mb = Double(bytes) / 1e6
        var table = "\(IOBenchmark.machineDescription())\n\n"
        table += "corpus: \(paths.count) files, \(formatBytes(bytes)) of text, \(words) \(pretokenizer.rawValue) "
            + "pre-tokens (\(distinct) distinct); vocabulary \(vocabSize): \(model.merges.count) merges, equal to "
            + "tokenizers' (\(model.reusedTokenCount) merges made an existing token, \(model.repeatedPairCount) "
            + "repeated a pair; rustbpe: vocabulary \(rustVocab))\n\n"
        table += "| trainer | threads | seconds | MB/s | ptk (\(threads) threads) faster by |\n"
        table += "|---|---:|---:|---:|---:|\n"
        for (name, count, seconds) in [("ptk", 1, ours1), ("ptk", threads, oursN),
                                       ("tokenizers \(hfVersion) BpeTrainer", threads, hf),
                                       ("rustbpe \(rustVersion)", threads, rust)]
        {
            table += "| \(name) | \(count) | \(formatFixed(seconds, digits: 3)) "
                + "| \(formatFixed(mb / seconds, digits: 2)) "
                + "| \(formatFixed(seconds / oursN, digits: 2))× |\n"
        }
        return table
    }
}
