import ArgumentParser
import CorpusCore
import CorpusIO
import Foundation
import Pipeline
import Selection
import Tokenization

extension DSIRHashing: ExpressibleByArgument {}

struct Select: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Choose pool documents that look like a target corpus (DSIR hashed n-gram importance resampling).",
        discussion: """
            Fits the target and raw n-gram distributions, weighs every pool document (log importance weight, \
            optionally written to --weights-out), chooses by Gumbel top-k (sampling without replacement, \
            probability ∝ weight, seeded by --seed) or by --top-k, and copies the chosen records, byte for byte, \
            to --output in pool order. The pool is streamed (memory stays flat). Documents with fewer than \
            --min-words words (tokens, with --features tokens) are never chosen. Pool records that are not \
            documents go to OUTPUT.rejects.jsonl.zst.

            Several targets: --target NAME=FILE[,FILE…] for each; each gets its --target-share of the budget, or \
            a share proportional to its size; the first target chooses first. A plain --target FILE adds FILE to \
            one target named "target".

            --features words --hashing sha256 (the default) gives the log weights of data-selection 1.0.3 \
            (p-lambda/dsir); --hashing fast counts the same n-grams with a cheaper hash. --features tokens counts \
            n-grams of the --tokenizer's ids instead (for a tokenizer adapted to the target domain).
            """)

    @Option(help: "Target: FILE (JSONL, plain, .gz or .zst), or NAME=FILE[,FILE…] for one of several targets.")
    var target: [String]

    @Option(help: "NAME=FRACTION: a target's share of the budget (give one for every target, adding up to 1).")
    var targetShare: [String] = []

    @Option(parsing: .upToNextOption, help: "Pool JSONL files to choose from.")
    var pool: [String]

    @Option(help: "Output JSONL (.gz / .zst by extension): the chosen records.")
    var output: String

    @Option(help: "How many documents to choose.")
    var count: Int?

    @Option(help: "Choose documents until their tokens (counted with --tokenizer, no EOS) reach this many.")
    var tokens: Int?

    @Option(help: "Seed of the Gumbel noise.")
    var seed: UInt64 = 0

    @Flag(help: "Take the documents with the largest weights instead of sampling.")
    var topK = false

    @Option(help: "Write one line per pool document: {\"id\", \"log_weight\", \"words\", \"eligible\"} (JSONL).")
    var weightsOut: String?

    @Option(help: "Write one line per chosen record, in pool order: {\"id\", \"target\"} (JSONL): which target chose it.")
    var choicesOut: String?

    @Option(help: "Write a JSON report: counts per target, and KL(target ‖ chosen) against KL(target ‖ random sample).")
    var report: String?

    @Option(help: "Hash buckets.")
    var buckets = 10_000

    @Option(help: "n-grams up to this length are counted.")
    var ngrams = 2

    @Option(help: "words: lowercased WordPunct words (the reference's); tokens: the --tokenizer's ids.")
    var features = "words"

    @Option(help: "How word n-grams become buckets: sha256 (the reference's) or fast.")
    var hashing = DSIRHashing.sha256

    @Option(help: "Tokenizer file (tokenizer.json, .model, .tiktoken) for --features tokens and --tokens.")
    var tokenizer: String?

    @Option(help: "Documents with fewer words are never chosen.")
    var minWords = 100

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @Option(help: "Threads.")
    var threads: Int = defaultThreadCount()

    @OptionGroup var logOptions: LogOptions

    func validate() throws {
        guard (count == nil) != (tokens == nil) else { throw ValidationError("give one of --count and --tokens") }
        guard (count ?? 0) >= 0, (tokens ?? 0) >= 0 else { throw ValidationError("the budget must be 0 or more") }
        guard !pool.isEmpty else { throw ValidationError("give at least one --pool file") }
        guard !target.isEmpty else { throw ValidationError("give at least one --target") }
        guard buckets >= 1, buckets <= 1 << 40 else { throw ValidationError("--buckets must be in 1...2^40") }
        guard ngrams >= 1, ngrams <= 8 else { throw ValidationError("--ngrams must be in 1...8") }
        guard minWords >= 0 else { throw ValidationError("--min-words must be 0 or more") }
        guard threads >= 1 else { throw ValidationError("--threads must be 1 or more") }
        guard ["words", "tokens"].contains(features) else { throw ValidationError("--features is words or tokens") }
        if features == "tokens" || tokens != nil, tokenizer == nil {
            throw ValidationError("--features tokens and --tokens need --tokenizer")
        }
    }

    /// The targets from `--target` and `--target-share`.
    func targets() throws -> [SelectionTarget] {
        var plain: [String] = []
        var named: [SelectionTarget] = []
        for entry in target {
            if let eq = entry.firstIndex(of: "="), !FileManager.default.fileExists(atPath: entry) {
                let name = String(entry[..<eq])
                let paths = entry[entry.index(after: eq)...].split(separator: ",").map(String.init)
                guard !name.isEmpty, !paths.isEmpty else { throw ValidationError("bad --target \(entry)") }
                guard !named.contains(where: { $0.name == name }) else {
                    throw ValidationError("target \(name) is given twice")
                }
                named.append(SelectionTarget(name: name, paths: paths))
            } else {
                plain.append(entry)
            }
        }
        if !plain.isEmpty {
            guard !named.contains(where: { $0.name == "target" }) else {
                throw ValidationError("a target is named \"target\": name every target")
            }
            named.insert(SelectionTarget(name: "target", paths: plain), at: 0)
        }
        for entry in targetShare {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let share = Double(parts[1]), share >= 0, share <= 1 else {
                throw ValidationError("--target-share is NAME=FRACTION, got \(entry)")
            }
            guard let i = named.firstIndex(where: { $0.name == parts[0] }) else {
                throw ValidationError("--target-share names an unknown target: \(parts[0])")
            }
            named[i].share = share
        }
        return named
    }

    func run() throws {
        let log = logOptions.log
        do {
            let encoder = try tokenizer.map { try TokenizerFile.load(path: $0, encoding: nil) }
            let featurizer = try DSIRFeaturizer(numBuckets: buckets, ngrams: ngrams, hashing: hashing,
                                                tokenizer: features == "tokens" ? encoder : nil)
            var fields = DocumentFields()
            fields.text = textField.split(separator: ".").map(String.init)
            let options = SelectionOptions(
                targets: try targets(), pool: pool, output: output,
                budget: tokens.map { .tokens($0) } ?? .documents(count ?? 0), topK: topK, seed: seed,
                featurizer: featurizer, tokenCounter: encoder, minimumWords: minWords, fields: fields,
                weightsOut: weightsOut, choicesOut: choicesOut, reportOut: report, threads: threads)
            let result = try SelectionJob(options: options).run(log: log)
            let unit = result.budgetUnit
            for t in result.targets {
                var line = "target \(t.name): \(t.chosenDocuments) documents chosen"
                if let tokens = t.chosenTokens { line += ", \(tokens) tokens" }
                line += " (budget \(t.budget) \(unit))"
                if let chosen = t.klChosen, let random = t.klRandom {
                    line += String(format: "; KL(target‖chosen) %.4f, KL(target‖random) %.4f", chosen, random)
                }
                log.info(line)
            }
            log.info("""
                \(result.chosen) of \(result.read) documents chosen (\(result.eligible) eligible) → \(output); \
                \(result.rejected) rejected; \(String(format: "%.1f", result.seconds)) s
                """)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}

struct BenchSelect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "DSIR selection against data-selection 1.0.3 on the same real pool (needs the reference venv).")

    @Option(help: "Approximate size of the pool, in MB (real documents; see scripts/reference_corpus.py).")
    var megabytes = 8

    @Option(help: "Documents to choose (top-k).")
    var k = 100

    @OptionGroup var reference: BenchReferenceOptions

    func run() throws {
        try reference.printTable { progress in
            try SelectBenchmark(python: reference.python, megabytes: megabytes, threads: reference.threads,
                                folder: reference.folder, k: k).run(progress: progress)
        }
    }
}
