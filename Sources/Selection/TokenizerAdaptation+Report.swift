import CorpusIO
import Foundation

/// The table and JSON report of `ptk adapt-tokenizer` (deterministic: no times, no absolute paths beyond those
/// given).
///
/// ```swift
/// print(AdaptationReport.header)
/// for row in result.steps { print(AdaptationReport.line(row)) }
/// ```
public enum AdaptationReport {
    /// The table's header line.
    public static let header =
        "step      size     tokens  chars/token  entropy(bits)  H_v(bits/char)  MUV(bits/char/piece)"

    /// One table row.
    public static func line(_ row: AdaptationStep) -> String {
        let muv = row.marginalUtility.map { String(format: "%.3e", $0) } ?? "-"
        return String(format: "%4d %9d %10d %12.4f %14.4f %15.5f  ", row.step, row.size, row.tokens,
                      row.meanTokenLength, row.entropy, row.utility) + muv
    }

    /// The JSON report: options, counts, every step and the chosen one.
    ///
    /// - Complexity: O(steps).
    public static func json(_ result: TokenizerAdaptationResult, base: String, targets: [String],
                            options: TokenizerAdaptationOptions) -> [UInt8] {
        var w = JSONWriter()
        func number(_ value: Double?) {
            guard let value, value.isFinite else { return w.raw("null") }
            w.rawBytes(TokenizerAdaptation.scoreText(value).utf8)
        }
        func int(_ value: Int) { w.rawBytes(String(value).utf8) }
        w.raw("{\n  \"method\": \"granular tokenizer adaptation (Chang et al. 2024), VOLT marginal utility\",\n")
        w.raw("  \"base\": ")
        w.string(base)
        w.raw(",\n  \"targets\": [")
        for (i, t) in targets.enumerated() {
            if i > 0 { w.raw(", ") }
            w.string(t)
        }
        w.raw("],\n  \"options\": {\"vocab_size\": ")
        int(options.vocabSize)
        w.raw(", \"max_words\": ")
        int(options.maxWords)
        w.raw(", \"min_count\": ")
        int(options.minCount)
        w.raw(", \"task_vocab\": ")
        int(options.taskVocab)
        w.raw(", \"steps\": ")
        int(options.steps)
        w.raw(", \"steps_below\": ")
        int(options.stepsBelow)
        w.raw(", \"em_iterations\": ")
        int(options.emIterations)
        w.raw(", \"unspaced_gram\": ")
        int(options.unspacedGram)
        w.raw(", \"max_units\": ")
        int(options.maxUnits)
        w.raw(", \"choice\": ")
        w.string(options.choice.rawValue)
        w.raw("},\n  \"documents\": ")
        int(result.documents)
        w.raw(",\n  \"characters\": ")
        int(result.characters)
        w.raw(",\n  \"base_pieces\": ")
        int(result.basePieces)
        w.raw(",\n  \"base_usable\": ")
        int(result.baseUsable)
        w.raw(",\n  \"task_candidates\": ")
        int(result.taskCandidates)
        w.raw(",\n  \"task_merged\": ")
        int(result.taskMerged)
        w.raw(",\n  \"task_in_final\": ")
        int(result.taskInFinal)
        w.raw(",\n  \"multi_word_in_final\": ")
        int(result.multiWordInFinal)
        w.raw(",\n  \"unit_prunes\": ")
        int(result.unitPrunes)
        w.raw(",\n  \"unit_prune_floor\": ")
        int(result.unitPruneFloor)
        w.raw(",\n  \"chosen_step\": ")
        int(result.steps[result.chosen].step)
        w.raw(",\n  \"chosen_size\": ")
        int(result.steps[result.chosen].size)
        w.raw(",\n  \"steps\": [\n")
        for (i, row) in result.steps.enumerated() {
            w.raw("    {\"step\": ")
            int(row.step)
            w.raw(", \"size\": ")
            int(row.size)
            w.raw(", \"tokens\": ")
            int(row.tokens)
            w.raw(", \"characters\": ")
            int(row.characters)
            w.raw(", \"mean_token_length\": ")
            number(row.meanTokenLength)
            w.raw(", \"entropy_bits\": ")
            number(row.entropy)
            w.raw(", \"utility_bits_per_char\": ")
            number(row.utility)
            w.raw(", \"marginal_utility\": ")
            number(row.marginalUtility)
            w.raw(i + 1 < result.steps.count ? "},\n" : "}\n")
        }
        w.raw("  ]\n}\n")
        return w.bytes
    }
}
