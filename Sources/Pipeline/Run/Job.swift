import CorpusCore
import CorpusIO
import Foundation
import Tokenization

/// Loads a recipe file and turns it into a ready `Runner`: recipe decoded and checked, inputs expanded,
/// stages built. Every problem found here is reported before any document is read.
public enum Job {
    public static func prepare(recipePath: String, options: RunOptions, registry: StepRegistry = .builtin) throws
        -> Runner
    {
        let absolute = recipePath.hasPrefix("/")
            ? recipePath : FileManager.default.currentDirectoryPath + "/" + recipePath
        let folder = (absolute as NSString).deletingLastPathComponent
        let recipe = try Recipe.load(path: recipePath)
        let stages = try registry.build(recipe.steps)
        let files = try InputResolver(baseFolder: folder).resolve(recipe.inputs)
        let resolved = recipe.resolvingPaths(relativeTo: folder)
        var tokenizer: (any TokenEncoder)?
        if let spec = resolved.output.tokenizer {
            do {
                tokenizer = try TokenizerFile.load(path: spec.path, encoding: spec.encoding)
            } catch {
                throw RecipeError.invalidValue(at: spec.location, message: "\(error)")
            }
        }
        return Runner(recipe: resolved, recipeFile: recipePath, files: files, stages: stages, options: options,
                      tokenizer: tokenizer)
    }
}
