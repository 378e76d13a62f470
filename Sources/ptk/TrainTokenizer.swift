import ArgumentParser
import CorpusCore
import CorpusIO
import Foundation
import Pipeline
import TokenizerTraining

extension BPEPretokenizer: ExpressibleByArgument {}

/// Text to learn from: JSONL files (by name: .jsonl, .json, .ndjson, optionally .gz / .zst) or plain text files,
/// each of those one document.
struct TextInputOptions: ParsableArguments {
    @Option(parsing: .upToNextOption, help: "Text: JSONL or plain text files (plain, .gz or .zst).")
    var input: [String]

    @Option(help: "Dotted path of the text field in JSONL input.")
    var textField = "text"

    func files() -> [InputFile] {
        var fields = DocumentFields()
        fields.text = textField.split(separator: ".").map(String.init)
        return input.map { InputFile(path: $0, kind: TrainTokenizer.isJSONL($0) ? .jsonl : .text, fields: fields) }
    }
}

struct TrainTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-tokenizer",
        abstract: "Train a byte-level BPE tokenizer (the merges HF tokenizers' BpeTrainer learns) → tokenizer.json.",
        discussion: """
            Inputs ending in .jsonl / .json / .ndjson (optionally .gz / .zst) are JSONL, one document a line \
            (text at --text-field); any other file is one document. Special tokens get the first ids, then the \
            256 byte tokens, then the merges. Records that are not documents are counted and reported on stderr.
            """)

    @OptionGroup var corpus: TextInputOptions

    @Option(help: "The tokenizer.json to write.")
    var output: String

    @Option(help: "Vocabulary size, special tokens and the 256 byte tokens included.")
    var vocabSize: Int

    @Option(help: "Pre-tokenizer: gpt2 (ByteLevel with GPT-2's regex) or llama3 (Llama 3's Split regex).")
    var pattern: BPEPretokenizer = .gpt2

    @Option(help: "A special token (repeatable; ids in the order given).")
    var specialToken: [String] = []

    @Option(help: "Pairs seen fewer times than this are not merged.")
    var minFrequency = 0

    @Option(help: "Worker threads for counting (default: all cores).")
    var threads: Int = defaultThreadCount()

    @OptionGroup var logging: LogOptions

    func run() throws {
        let log = logging.log
        do {
            let options = BPETrainerOptions(vocabSize: vocabSize, minFrequency: minFrequency,
                                            specialTokens: specialToken)
            let trainer = BPETrainer(options: options)
            try trainer.validate()
            let files = corpus.files()
            let clock = ContinuousClock()
            let start = clock.now
            var counts = BPEWordCounts(pretokenizer: pattern)
            let report = try counts.add(files: files, threads: max(1, threads))
            let counted = clock.now
            if report.rejected > 0 {
                let reasons = report.rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                log.warning("\(report.rejected) records rejected (\(reasons.joined(separator: ", "))), e.g. "
                            + report.examples.joined(separator: "; "))
            }
            if counts.total == 0 { log.warning("no text in the input: the tokenizer has no merges") }
            let model = try trainer.train(counts)
            let trained = clock.now
            try model.writeTokenizerJSON(to: output)
            func seconds(_ d: Duration) -> String { String(format: "%.2f", Double(d.components.seconds)
                + Double(d.components.attoseconds) / 1e18) }
            log.info("\(report.documents) documents, \(counts.total) words counted, \(counts.distinct) distinct "
                     + "(\(seconds(counted - start)) s); \(model.merges.count) merges learned "
                     + "(\(seconds(trained - counted)) s); vocabulary \(model.vocab.count) → \(output)")
            if model.reusedTokenCount > 0 {
                log.info("\(model.reusedTokenCount) merges made a token that already existed; "
                         + "\(model.repeatedPairCount) merged a pair again (listed once, at its later rank)")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: log)
        }
    }

    /// JSONL by name: .jsonl, .json or .ndjson, before an optional .gz / .zst / .zstd.
    static func isJSONL(_ path: String) -> Bool {
        var name = (path as NSString).lastPathComponent.lowercased()
        for suffix in [".gz", ".zst", ".zstd"] where name.hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count))
        }
        return name.hasSuffix(".jsonl") || name.hasSuffix(".json") || name.hasSuffix(".ndjson")
    }
}

struct ExtendTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extend-tokenizer",
        abstract: "Append BPE tokens learned from domain text to a byte-level BPE tokenizer.json (old ids unchanged).",
        discussion: """
            The domain text is cut into words by the base tokenizer's own pre-tokenizer and each word starts from             the base tokenization; merges are then learned as `ptk train-tokenizer` learns them, until             --new-tokens tokens are new. New tokens get the ids after every id the base uses; the new merges are             appended after the base's, so text encodes to the base tokens and then the new merges apply. For             continual pretraining (e.g. Chinese tokens for a Llama-3-style tokenizer): the model's embedding             matrix must grow to the new vocabulary size, printed at the end.
            """)

    @Option(help: "The base tokenizer.json (byte-level BPE: Llama-3, Qwen, GPT-2 style).")
    var base: String

    @OptionGroup var corpus: TextInputOptions

    @Option(help: "The extended tokenizer.json to write.")
    var output: String

    @Option(help: "How many tokens to add.")
    var newTokens: Int

    @Option(help: "Pairs seen fewer times than this are not merged.")
    var minFrequency = 2

    @Option(help: "Worker threads for pre-tokenizing (default: all cores).")
    var threads: Int = defaultThreadCount()

    @OptionGroup var logging: LogOptions

    func run() throws {
        let log = logging.log
        do {
            let extension_ = try VocabularyExtension(base: base, newTokens: newTokens, minFrequency: minFrequency)
            let files = corpus.files()
            let (words, report) = try extension_.countWords(files: files, threads: max(1, threads))
            if report.rejected > 0 {
                log.warning("\(report.rejected) records rejected, e.g. " + report.examples.joined(separator: "; "))
            }
            let extended = try extension_.extend(words)
            try extended.write(to: output)
            log.info("\(report.documents) documents, \(words.counts.count) distinct words; "
                     + "\(extended.newTokens.count) new tokens (ids \(extended.firstNewID)…"
                     + "\(extended.firstNewID + extended.newTokens.count - 1)), \(extended.merges.count) merges appended "
                     + "→ \(output); vocabulary size now \(extended.firstNewID + extended.newTokens.count)")
            if extended.newTokens.count < newTokens {
                log.warning("only \(extended.newTokens.count) pairs were seen at least \(minFrequency) times")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}

struct BenchTrainTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-tokenizer",
        abstract: "BPE training time against HF tokenizers' BpeTrainer and rustbpe (needs the reference venv).")

    @Option(parsing: .upToNextOption, help: "Text files or folders of them; each file is one document.")
    var corpus: [String]

    @Option(help: "Vocabulary size (no special tokens).")
    var vocabSize: Int

    @Option(help: "Pre-tokenizer: gpt2 or llama3.")
    var pattern: BPEPretokenizer = .gpt2

    @OptionGroup var reference: BenchReferenceOptions

    @Option(help: "Timed repetitions (the best is reported).")
    var repeats = 3

    func run() throws {
        try reference.printTable { progress in
            try TrainTokenizerBenchmark(corpus: corpus, vocabSize: vocabSize, pretokenizer: pattern,
                                        python: reference.python, threads: reference.threads, repeats: repeats)
                .run(progress: progress)
        }
    }
}
