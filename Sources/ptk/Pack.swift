import ArgumentParser
import CorpusCore
import Foundation
import Packing
import Pipeline

extension PackStrategy: ExpressibleByArgument {}
extension MeCoOptions.Variant: ExpressibleByArgument {}

struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize documents and pack them into windows: Megatron .bin/.idx shards with loss masks and "
            + "document boundaries.",
        discussion: """
            Strategies: concat (back to back, cut every --seq-len tokens), docmask (the same, attention \
            restricted to each document), bestfit (documents longer than a window split into chunks, then \
            best-fit-decreasing: least padding), pad (one document per window). The folder layout and every \
            file are described in docs/shard-format.md; `ptk verify DIR` re-checks it. This is a recipe with \
            one input and output.pack: `ptk run` takes the same settings from YAML.
            """)

    @Option(help: ArgumentHelp("Tokenizer file: tokenizer.json, SentencePiece .model or .tiktoken."))
    var tokenizer: String

    @Option(help: "Encoding of a .tiktoken file (default: from the file name).")
    var encoding: String?

    @Option(parsing: .upToNextOption, help: "Input JSONL files, folders or globs (plain, .gz or .zst).")
    var input: [String]

    @Option(help: "Output folder.")
    var output: String

    @Option(help: "Tokens per window.")
    var seqLen: Int

    @Option(help: "concat | docmask | bestfit | pad")
    var strategy: PackStrategy

    @Option(help: "End-of-document token (default: tokenizer_config.json's eos_token, else the usual names).")
    var eos: String?

    @Option(help: "BOS before each document: none (default), auto (infer), or the token.")
    var bos: String?

    @Option(help: "Padding token (default: EOS; padding is loss-masked either way).")
    var pad: String?

    @Option(help: "Largest token .bin per shard, bytes or a size such as 512MiB.")
    var maxShardBytes = "1GiB"

    @Option(help: "Tokens best-fit holds before placing them (memory bound).")
    var bestfitBufferTokens = PackSpec.defaultBestFitBufferTokens

    @Flag(help: "MeCo: prefix each document with its URL's domain (loss-masked) and write a cooldown set without.")
    var meco = false

    @Option(help: "MeCo prefix template; {url} is replaced by the variant's value.")
    var mecoTemplate = MeCoOptions().template

    @Option(help: "MeCo value: domain | full | hashed")
    var mecoVariant = MeCoOptions.Variant.domain

    @Option(help: "MeCo cooldown share of the documents, written without metadata.")
    var cooldownShare = 0.1

    @Option(help: "Dotted path of the text field.")
    var textField = "text"

    @Option(help: "Dotted path of the id field.")
    var idField = "id"

    @Option(help: "Dotted path of the url field.")
    var urlField = "url"

    @Flag(help: "Write the windows in a seeded random order (--seed); loss masks and boundaries are permuted alike.")
    var shuffleWindows = false

    @Option(help: "Seed of the cooldown draw and of --shuffle-windows.")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int = defaultThreadCount()

    @Flag(help: "Start over even if the folder holds a finished or interrupted run of the same settings.")
    var force = false

    @OptionGroup var logging: LogOptions

    func validate() throws {
        guard seqLen >= 2 else { throw ValidationError("--seq-len must be at least 2") }
        guard (0...1).contains(cooldownShare) else { throw ValidationError("--cooldown-share must be in 0…1") }
        guard mecoTemplate.contains("{url}") else { throw ValidationError("--meco-template needs '{url}'") }
        guard RecipeNode.parseByteSize(maxShardBytes) != nil else {
            throw ValidationError("--max-shard-bytes: '\(maxShardBytes)' is not a size (e.g. 1073741824, 512MiB, 2GB)")
        }
    }

    func run() throws {
        let log = logging.log
        do {
            let spec = PackSpec(
                strategy: strategy, seqLen: seqLen, eos: eos, bos: bos, pad: pad,
                maxShardBytes: RecipeNode.parseByteSize(maxShardBytes) ?? PackSpec.defaultMaxShardBytes,
                bestFitBufferTokens: bestfitBufferTokens,
                meco: meco ? MeCoOptions(template: mecoTemplate, variant: mecoVariant, cooldownShare: cooldownShare) : nil,
                shuffleWindows: shuffleWindows)
            let location = RecipeLocation(file: "<ptk pack>", path: "output.tokenizer", line: 1, column: 1)
            let inputs = input.map {
                InputSpec(path: $0, format: .auto, textField: FieldPath(parsing: textField),
                          idField: FieldPath(parsing: idField), urlField: FieldPath(parsing: urlField))
            }
            // The settings are the recipe: the same command on the same input resumes or skips; other settings
            // in the same folder are refused (as for `ptk run`).
            let canonical = spec.canonicalDescription + "\nseed=\(seed)\ninputs=\(input.joined(separator: ","))"
                + "\ntext_field=\(textField)\nid_field=\(idField)\nurl_field=\(urlField)\ntokenizer=\(tokenizer)"
                + "\nencoding=\(encoding ?? "")"
            let recipe = Recipe(
                name: "ptk pack", seed: seed, inputs: inputs,
                output: OutputSpec(path: output, tokenizer: TokenizerSpec(path: tokenizer, encoding: encoding,
                                                                          location: location), pack: spec),
                recipeHash: SHA256.hex(Array(canonical.utf8)))
            let options = RunOptions(threads: threads, shard: .single, force: force, log: log)
            let runner = try Job.prepare(recipe: recipe, recipeFile: "ptk-pack", folder: FileManager.default.currentDirectoryPath,
                                         options: options)
            let outcome = try runner.run()
            printOutcome(outcome, log: log, output: output)
            if let pack = outcome.pack { log.info(pack.summaryLine, ["event": "pack"]) }
        } catch {
            throw reportFailure(error, log: log)
        }
    }
}
