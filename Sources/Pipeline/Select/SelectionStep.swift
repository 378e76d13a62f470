import CorpusIO
import Foundation
import Selection
import Tokenization

/// A recipe's `select:` block: DSIR selection over the recipe's inputs, run before the steps; the steps then read
/// the chosen records.
///
/// The selection is written to `OUTPUT/selection/`: `selected.jsonl.zst` (or `shards` files), `report.json`
/// (counts per target, the pool's ledger: read = chosen + not chosen + rejected) and the rejects of records that
/// are not documents. A marker holding the recipe's sha256 makes a re-run reuse it (`--force` selects again).
/// Every task of a multi-task job computes the same bytes, so tasks that select at the same time publish
/// identical files (each file is written aside and renamed).
enum SelectionStep {
    static func run(_ spec: SelectSpec, recipe: Recipe, files: [InputFile], options: RunOptions) throws -> [InputFile] {
        guard let first = files.first else { return files }
        for file in files where file.kind != .jsonl {
            throw RecipeError.invalidValue(at: spec.location,
                                           message: "selection reads JSON Lines; \(file.displayPath) is a text file")
        }
        guard files.allSatisfy({ $0.fields == first.fields }) else {
            throw RecipeError.invalidValue(at: spec.location,
                                           message: "selection needs the same text_field, id_field and url_field on every input")
        }
        let folder = "\(recipe.output.path)/selection"
        let output = "\(folder)/selected.jsonl.zst"
        let paths = SelectionJob.shardPaths(output: output, shards: spec.shards)
        let marker = "\(folder)/complete"
        let sources = Set(files.map(\.source))
        func selected() -> [InputFile] {
            paths.map {
                InputFile(path: $0, displayPath: "selection/" + ($0 as NSString).lastPathComponent, kind: .jsonl,
                          fields: first.fields, source: sources.count == 1 ? first.source : nil)
            }
        }
        if !options.force, (try? String(contentsOfFile: marker, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) == recipe.recipeHash,
            paths.allSatisfy({ FileManager.default.fileExists(atPath: $0) })
        {
            options.log.info("selection already made: \(folder)", ["event": "select_skip"])
            return selected()
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: marker)

        var encoder: (any TokenEncoder)?
        if let tokenizerSpec = spec.tokenizer ?? recipe.output.tokenizer,
           spec.features == .tokens || spec.tokens != nil
        {
            do {
                encoder = try TokenizerFile.load(path: tokenizerSpec.path, encoding: tokenizerSpec.encoding)
            } catch {
                throw RecipeError.invalidValue(at: tokenizerSpec.location, message: "\(error)")
            }
        }
        let featurizer = try DSIRFeaturizer(numBuckets: spec.buckets, ngrams: spec.ngrams, hashing: spec.hashing,
                                            tokenizer: spec.features == .tokens ? encoder : nil)
        let job = SelectionOptions(
            targets: spec.targets,
            pool: files.map(\.path), output: output,
            budget: spec.tokens.map { .tokens($0) } ?? .documents(spec.count ?? 0), topK: spec.topK,
            seed: recipe.seed, featurizer: featurizer, tokenCounter: encoder, minimumWords: spec.minWords,
            fields: first.fields, outputShards: spec.shards, choicesOut: "\(folder)/choices.jsonl.zst",
            reportOut: "\(folder)/report.json",
            threads: options.threads)
        let report = try SelectionJob(options: job).run(log: options.log)
        options.log.info("selection: \(report.chosen) of \(report.read) documents chosen (\(report.eligible) eligible, "
                         + "\(report.rejected) rejected) → \(folder)", ["event": "select", "chosen": "\(report.chosen)"])
        try OutputFile.atomicWrite(path: marker, contents: Array("\(recipe.recipeHash)\n".utf8))
        return selected()
    }
}
