import CorpusCore
import CorpusIO
import Foundation
import Packing
import Tokenization

/// Loads a recipe file and turns it into a ready `Runner`: recipe decoded and checked, inputs expanded,
/// stages built, tokenizer loaded, and the `select:` block and the corpus steps' pre-passes run (last, so that
/// every recipe problem is reported before any document is read).
public enum Job {
    public static func prepare(recipePath: String, options: RunOptions, registry: StepRegistry = .builtin) throws
        -> Runner
    {
        let absolute = recipePath.hasPrefix("/")
            ? recipePath : FileManager.default.currentDirectoryPath + "/" + recipePath
        let folder = (absolute as NSString).deletingLastPathComponent
        let recipe = try Recipe.load(path: recipePath)
        return try prepare(recipe: recipe, recipeFile: recipePath, folder: folder, options: options, registry: registry)
    }

    /// A runner for a recipe built in code (`ptk pack`); relative paths are taken from `folder`.
    public static func prepare(recipe: Recipe, recipeFile: String, folder: String, options: RunOptions,
                               registry: StepRegistry = .builtin) throws -> Runner
    {
        let steps = try RecipeContext.$seed.withValue(recipe.seed) { try registry.build(recipe.steps) }
        var files = try InputResolver(baseFolder: folder).resolve(recipe.inputs)
        let resolved = recipe.resolvingPaths(relativeTo: folder)
        if let order = resolved.order, options.shard.worldSize > 1 {
            throw RecipeError.invalidValue(
                at: order.location,
                message: "order: needs every cleaned document at once, and this job has \(options.shard.worldSize) "
                    + "tasks: run it as one task (no --tasks), or order each task's output with ptk embed and ptk order")
        }
        var tokenizer: (any TokenEncoder)?
        var pack: PackContext?
        if let spec = resolved.output.tokenizer {
            do {
                let encoder = try TokenizerFile.load(path: spec.path, encoding: spec.encoding)
                tokenizer = encoder
                if let packSpec = resolved.output.pack {
                    let tokens = try choosePackTokens(encoder: encoder, tokenizerPath: spec.path, eos: packSpec.eos,
                                                      bos: packSpec.bos, pad: packSpec.pad)
                    for note in tokens.notes { options.log.info(note, ["event": "pack_tokens"]) }
                    pack = try PackContext(spec: packSpec, encoder: encoder, tokens: tokens, seed: recipe.seed,
                                           tokenizerPath: spec.path)
                }
            } catch {
                throw RecipeError.invalidValue(at: spec.location, message: "\(error)")
            }
        }
        // The selection runs last: every recipe problem above is reported before it reads a document.
        if let select = resolved.select {
            files = try SelectionStep.run(select, recipe: resolved, files: files, options: options)
        }
        // Corpus steps (dedup) read the inputs once each before the run; not for a task completed before, which
        // the runner skips without reading anything.
        let taskDone = !options.force
            && FileManager.default.fileExists(atPath: "\(resolved.output.path)/ranks/\(options.shard.fileStem).done")
        let stages = taskDone
            ? steps.compactMap(\.stage)
            : try CorpusPass.resolve(steps, files: files, reader: resolved.reader, outputFolder: resolved.output.path,
                                     options: options)
        return Runner(recipe: resolved, recipeFile: recipeFile, files: files, stages: stages, options: options,
                      tokenizer: tokenizer, pack: pack)
    }
}
