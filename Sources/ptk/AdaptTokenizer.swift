import ArgumentParser
import CorpusIO
import Foundation
import Pipeline
import Selection
import Tokenization

extension AdaptationChoice: ExpressibleByArgument {}

struct AdaptTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapt-tokenizer",
        abstract: "Adapt a tokenizer to a target for DSIR token features (Chang et al. 2024: granular vocabulary).",
        discussion: """
            Merges the target's frequent words and multi-word units (and character n-grams of scripts without \
            spaces) into the base vocabulary, then prunes it in geometric steps while a Unigram model re-segments \
            the target, and writes the vocabulary of fewest bits per character (VOLT's entropy per length) at or below \
            --vocab-size as a \
            Unigram tokenizer.json (Metaspace, split false: pieces may span words). Prints one row per step and \
            writes OUTPUT.report.json. Use it with `ptk select --features tokens --tokenizer OUTPUT`.
            """)

    @Option(help: "Base tokenizer (tokenizer.json, .model, .tiktoken).")
    var base: String

    @Option(help: "Target JSONL file (plain, .gz or .zst); repeat for several.")
    var target: [String]

    @Option(help: "The adapted tokenizer.json to write.")
    var output: String

    @Option(help: "Size limit of the adapted vocabulary (every piece counted: <unk> and 256 byte pieces too).")
    var vocabSize: Int

    @Option(help: "Multi-word units of up to this many words.")
    var maxWords = 3

    @Option(help: "Task units seen fewer times are not merged.")
    var minCount = 5

    @Option(help: "At most this many task units (the most frequent) are merged.")
    var taskVocab = 10_000

    @Option(help: "Geometric pruning steps from the merged size down to --vocab-size.")
    var steps = 8

    @Option(help: "Further steps from --vocab-size down to half of it, among which the marginal utility chooses.")
    var stepsBelow = 4

    @Option(help: "Choice among the steps at or below --vocab-size: entropy (fewest bits per character) or muv.")
    var choose = AdaptationChoice.entropy

    @Option(help: "Viterbi re-estimations after each pruning.")
    var emIterations = 1

    @Option(help: "The most distinct task units held while counting (past it the rarest are dropped).")
    var maxUnits = 20_000_000

    @Option(help: "Threads for the segmentation passes (the result does not depend on it).")
    var threads: Int = defaultThreadCount()

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @OptionGroup var logOptions: LogOptions

    func validate() throws {
        guard !target.isEmpty else { throw ValidationError("give at least one --target") }
        guard vocabSize >= 1 else { throw ValidationError("--vocab-size must be 1 or more") }
        guard maxWords >= 1, maxWords <= 16 else { throw ValidationError("--max-words must be in 1...16") }
        guard minCount >= 1 else { throw ValidationError("--min-count must be 1 or more") }
        guard taskVocab >= 0 else { throw ValidationError("--task-vocab must be 0 or more") }
        guard steps >= 1, steps <= 1000 else { throw ValidationError("--steps must be in 1...1000") }
        guard stepsBelow >= 0, stepsBelow <= 1000 else { throw ValidationError("--steps-below must be in 0...1000") }
        guard threads >= 1, threads <= 1024 else { throw ValidationError("--threads must be in 1...1024") }
        guard maxUnits >= 2 else { throw ValidationError("--max-units must be 2 or more") }
        guard emIterations >= 0, emIterations <= 100 else {
            throw ValidationError("--em-iterations must be in 0...100")
        }
    }

    func run() throws {
        let log = logOptions.log
        do {
            let started = Date()
            let encoder = try TokenizerFile.load(path: base, encoding: nil)
            let pieces = TokenizerAdaptation.basePieces(of: encoder)
            let texts = JSONLTexts(paths: target, textField: textField.split(separator: ".").map(String.init))
            let options = TokenizerAdaptationOptions(
                vocabSize: vocabSize, maxWords: maxWords, minCount: minCount, taskVocab: taskVocab, steps: steps,
                stepsBelow: stepsBelow, emIterations: emIterations, choice: choose,
                maxUnits: maxUnits, threads: threads)
            print(AdaptationReport.header)
            let result = try TokenizerAdaptation.adapt(base: pieces, target: texts, options: options) { row in
                print(AdaptationReport.line(row))
            }
            let file = try OutputFile(path: output)
            try file.write(result.tokenizer.json())
            try file.commit()
            let report = try OutputFile(path: output + ".report.json")
            try report.write(AdaptationReport.json(result, base: base, targets: target, options: options))
            try report.commit()
            let chosen = result.steps[result.chosen]
            log.info("""
                step \(chosen.step) chosen: \(chosen.size) pieces, \(String(format: "%.3f", chosen.meanTokenLength)) \
                characters per token, \(result.multiWordInFinal) multi-word pieces, \(result.taskInFinal) task units; \
                \(texts.rejected) target records rejected → \(output); \
                \(String(format: "%.1f", Date().timeIntervalSince(started))) s
                """)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}
