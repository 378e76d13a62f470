import CorpusCore
import Packing
import Selection
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A dotted path into a JSON record, e.g. `meta.url` → `["meta", "url"]`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let components: [String]

    /// Splits `text` on `.`. Empty components are kept (`a..b` has three) so that the recipe decoder can
    /// report them; see `isValid`.
    public init(parsing text: String) {
        components = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    public init(_ components: [String]) {
        self.components = components
    }

    public init(stringLiteral value: String) {
        self.init(parsing: value)
    }

    /// Whether the path has at least one component and none is empty.
    public var isValid: Bool { !components.isEmpty && !components.contains("") }

    public var description: String { components.joined(separator: ".") }
}

/// How an input's files are read.
public enum InputFormat: String, Sendable, CaseIterable {
    /// By extension: `.jsonl`, `.json`, `.gz`, `.zst` are JSON Lines; a folder holds text files.
    case auto
    /// JSON Lines, possibly gzip- or zstd-compressed.
    case jsonl
    /// Plain text files, one document per file.
    case text
}

/// One entry of `inputs`: where to read and which record fields hold the text, id and url.
public struct InputSpec: Sendable, Equatable {
    /// A file, a folder, or a glob (`*`, `?`, `[..]` in the last components), as written in the recipe.
    public var path: String
    public var format: InputFormat
    public var textField: FieldPath
    /// Records without an id get `file:line`.
    public var idField: FieldPath
    public var urlField: FieldPath
    /// A label stored on each document's metadata (`web`, `wiki`, …).
    public var source: String?

    public init(path: String, format: InputFormat = .auto, textField: FieldPath = "text", idField: FieldPath = "id",
                urlField: FieldPath = "url", source: String? = nil) {
        self.path = path
        self.format = format
        self.textField = textField
        self.idField = idField
        self.urlField = urlField
        self.source = source
    }
}

/// What to do with a record whose bytes are not valid UTF-8.
public enum InvalidUTF8Policy: String, Sendable, CaseIterable {
    /// Reject the record (it goes to the rejects file as `invalid_utf8`).
    case reject
    /// Replace invalid sequences with U+FFFD and keep the record.
    case replace
}

/// Limits and policies of the readers (`reader:` in a recipe).
public struct ReaderOptions: Sendable, Equatable {
    /// The largest record (line of JSONL, or text file) read; larger ones are rejected. At least 1 KiB.
    public var maxRecordBytes: Int
    public var invalidUTF8: InvalidUTF8Policy

    public init(maxRecordBytes: Int = 64 << 20, invalidUTF8: InvalidUTF8Policy = .reject) {
        self.maxRecordBytes = maxRecordBytes
        self.invalidUTF8 = invalidUTF8
    }
}

/// The format of the output shards.
public enum OutputFormat: String, Sendable, CaseIterable {
    case jsonl
    case jsonlGz = "jsonl.gz"
    case jsonlZst = "jsonl.zst"

    /// The file name extension of a shard, without the leading dot: `jsonl`, `jsonl.gz` or `jsonl.zst`.
    public var fileExtension: String { rawValue }

    /// The compression levels the format accepts; nil when it is not compressed.
    public var compressionLevels: ClosedRange<Int>? {
        switch self {
        case .jsonl: nil
        case .jsonlGz: 1...9
        case .jsonlZst: 1...22
        }
    }
}

/// Where and how the run writes (`output:` in a recipe).
public struct OutputSpec: Sendable, Equatable {
    /// A folder, as written in the recipe.
    public var path: String
    public var format: OutputFormat
    /// Nil: the codec's default. Always nil for plain `jsonl`.
    public var compressionLevel: Int?
    /// Whether rejected records are written next to the output, with their reasons.
    public var rejects: Bool
    /// When set, documents are written as token ids (`{"id", "ids"}` lines) instead of text.
    public var tokenizer: TokenizerSpec?
    /// When set (with `tokenizer`), documents are packed into windows and written as shards.
    public var pack: PackSpec?

    public init(path: String, format: OutputFormat = .jsonlZst, compressionLevel: Int? = nil, rejects: Bool = true,
                tokenizer: TokenizerSpec? = nil, pack: PackSpec? = nil)
    {
        self.path = path
        self.format = format
        self.compressionLevel = compressionLevel
        self.rejects = rejects
        self.tokenizer = tokenizer
        self.pack = pack
    }
}

/// `output.pack`: how tokenized documents become windows and shards (docs/shard-format.md).
public struct PackSpec: Sendable, Equatable {
    public var strategy: PackStrategy
    public var seqLen: Int
    /// The end-of-document token; nil infers it (tokenizer_config.json, then the usual names).
    public var eos: String?
    /// nil or `none`: no BOS; `auto`: infer; else the token.
    public var bos: String?
    /// The padding token; nil pads with EOS.
    public var pad: String?
    /// A shard's token `.bin` stays below this size (at least one window per shard).
    public var maxShardBytes: Int
    /// Tokens best-fit holds before it places them.
    public var bestFitBufferTokens: Int
    /// MeCo conditioning, or nil.
    public var meco: MeCoOptions?
    /// Write the windows in a seeded random order (the recipe's seed), every side file permuted alike.
    public var shuffleWindows: Bool

    public static let defaultMaxShardBytes = 1 << 30
    public static let defaultBestFitBufferTokens = 1 << 24

    public init(strategy: PackStrategy, seqLen: Int, eos: String? = nil, bos: String? = nil, pad: String? = nil,
                maxShardBytes: Int = PackSpec.defaultMaxShardBytes,
                bestFitBufferTokens: Int = PackSpec.defaultBestFitBufferTokens, meco: MeCoOptions? = nil,
                shuffleWindows: Bool = false)
    {
        self.strategy = strategy
        self.seqLen = seqLen
        self.eos = eos
        self.bos = bos
        self.pad = pad
        self.maxShardBytes = maxShardBytes
        self.bestFitBufferTokens = bestFitBufferTokens
        self.meco = meco
        self.shuffleWindows = shuffleWindows
    }

    /// The settings as canonical text: what the manifest's `recipe_sha256` hashes for `ptk pack`.
    public var canonicalDescription: String {
        var parts = ["strategy=\(strategy.rawValue)", "seq_len=\(seqLen)", "eos=\(eos ?? "auto")",
                     "bos=\(bos ?? "none")", "pad=\(pad ?? "eos")", "max_shard_bytes=\(maxShardBytes)",
                     "bestfit_buffer_tokens=\(bestFitBufferTokens)"]
        if let meco {
            parts += ["meco.template=\(meco.template)", "meco.variant=\(meco.variant.rawValue)",
                      "meco.cooldown_share=\(meco.cooldownShare)"]
        }
        // Only when set, so that the hashes of earlier settings stay as they were.
        if shuffleWindows { parts.append("shuffle_windows=true") }
        return parts.joined(separator: "\n")
    }
}

/// `output.tokenizer`: the tokenizer file and, for .tiktoken files, the encoding that defines its pattern
/// and special tokens (inferred from the file name when absent).
public struct TokenizerSpec: Sendable, Equatable {
    public var path: String
    public var encoding: String?
    /// The recipe's place of the `tokenizer` mapping, for errors found while loading the file.
    public var location: RecipeLocation

    public init(path: String, encoding: String? = nil, location: RecipeLocation) {
        self.path = path
        self.encoding = encoding
        self.location = location
    }
}

/// One item of `steps`: a step name and its parameters, still unchecked (the step registry builds and
/// checks them, reading `params` through its accessors and calling `params.finish()`).
public struct StepSpec: Sendable, Equatable {
    public let name: String
    /// The mapping of parameters, possibly empty. Its path is `steps[i].name`.
    public let params: RecipeNode
    /// The step item: path `steps[i]`, at the line and column of the step name.
    public let location: RecipeLocation

    public init(name: String, params: RecipeNode, location: RecipeLocation) {
        self.name = name
        self.params = params
        self.location = location
    }
}

/// A parsed recipe: what to read, which steps to run, and where to write.
///
/// Paths stay as written; `resolvingPaths(relativeTo:)` anchors relative ones to the recipe's folder.
/// `select:`: DSIR importance resampling over the inputs before the steps (`SelectionJob`); the steps then read
/// the chosen records. README, "Selection in recipes".
public struct SelectSpec: Sendable, Equatable {
    public enum Features: String, Sendable, CaseIterable {
        case words
        case tokens
    }

    public var targets: [SelectionTarget]
    /// Exactly one of `count` and `tokens`.
    public var count: Int?
    public var tokens: Int?
    public var topK: Bool
    public var buckets: Int
    public var ngrams: Int
    public var hashing: DSIRHashing
    public var features: Features
    /// The tokenizer for token features and token budgets; nil: `output.tokenizer`.
    public var tokenizer: TokenizerSpec?
    public var minWords: Int
    /// The chosen records are dealt into this many files, so that the tasks of a job share them.
    public var shards: Int
    public var location: RecipeLocation

    public init(targets: [SelectionTarget], count: Int? = nil, tokens: Int? = nil, topK: Bool = false, buckets: Int = 10_000,
                ngrams: Int = 2, hashing: DSIRHashing = .sha256, features: Features = .words,
                tokenizer: TokenizerSpec? = nil, minWords: Int = 100, shards: Int = 1, location: RecipeLocation)
    {
        self.targets = targets
        self.count = count
        self.tokens = tokens
        self.topK = topK
        self.buckets = buckets
        self.ngrams = ngrams
        self.hashing = hashing
        self.features = features
        self.tokenizer = tokenizer
        self.minWords = minWords
        self.shards = shards
        self.location = location
    }
}

/// `order:`: semantic ordering of the cleaned documents, after the steps and before the output (README,
/// "Ordering in recipes"): embeddings (`EmbedJob`), then `OrderJob`'s order, near duplicates to the rejects.
public struct OrderSpec: Sendable, Equatable {
    public enum Embeddings: Sendable, Equatable {
        /// Hashed TF-IDF vectors of this dimension (no model).
        case lexical(dimension: Int)
        /// A sentence-transformers folder, run by the native encoder.
        case model(path: String)
    }

    public var method: OrderOptions.Method
    public var embeddings: Embeddings
    public var k: Int
    /// nil keeps near duplicates (`duplicate_threshold: 0`).
    public var duplicateThreshold: Float?
    public var maxChain: Int
    public var minChain: Int
    public var clusterSize: Int
    public var leakageThreshold: Float
    public var bufferDocuments: Int
    /// Window length for cluster / bm25chunk; nil: `output.pack.seq_len`, else 2048.
    public var windowTokens: Int?
    public var location: RecipeLocation

    public init(method: OrderOptions.Method = .iclm, embeddings: Embeddings = .lexical(dimension: 1024), k: Int = 20,
                duplicateThreshold: Float? = 0.95, maxChain: Int = 21, minChain: Int = 3, clusterSize: Int = 64,
                leakageThreshold: Float = 0.9, bufferDocuments: Int = 1024, windowTokens: Int? = nil,
                location: RecipeLocation)
    {
        self.method = method
        self.embeddings = embeddings
        self.k = k
        self.duplicateThreshold = duplicateThreshold
        self.maxChain = maxChain
        self.minChain = minChain
        self.clusterSize = clusterSize
        self.leakageThreshold = leakageThreshold
        self.bufferDocuments = bufferDocuments
        self.windowTokens = windowTokens
        self.location = location
    }
}

public struct Recipe: Sendable, Equatable {
    public var name: String?
    public var seed: UInt64
    /// At least one.
    public var inputs: [InputSpec]
    public var reader: ReaderOptions
    public var steps: [StepSpec]
    public var output: OutputSpec
    /// DSIR selection before the steps, or nil.
    public var select: SelectSpec?
    /// Semantic ordering after the steps, or nil.
    public var order: OrderSpec?
    /// SHA-256 (lowercase hex) of the recipe file's bytes.
    public var recipeHash: String

    public init(name: String? = nil, seed: UInt64 = 0, inputs: [InputSpec], reader: ReaderOptions = ReaderOptions(),
                steps: [StepSpec] = [], output: OutputSpec, select: SelectSpec? = nil, order: OrderSpec? = nil,
                recipeHash: String = "") {
        self.name = name
        self.seed = seed
        self.inputs = inputs
        self.reader = reader
        self.steps = steps
        self.output = output
        self.select = select
        self.order = order
        self.recipeHash = recipeHash
    }

    /// The top-level keys of a recipe.
    public static let topLevelKeys = ["name", "seed", "inputs", "reader", "select", "steps", "order", "output"]

    /// Reads and parses the recipe at `path`; errors name `path` as the file.
    ///
    /// - Throws: `.unreadable` when the file cannot be read or is not UTF-8, else whatever `parse` throws.
    public static func load(path: String) throws(RecipeError) -> Recipe {
        let bytes = try readFile(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .unreadable(file: path, reason: "not valid UTF-8")
        }
        var recipe = try decode(yaml: text, file: path)
        recipe.recipeHash = SHA256.hex(bytes)
        return recipe
    }

    /// Parses recipe text; `file` names it in errors.
    ///
    /// - Throws: `.syntax` for invalid YAML or repeated keys, `.unknownKey` for keys the recipe does not have,
    ///   `.missing`, `.typeMismatch` and `.invalidValue` for absent, mistyped or out-of-range values.
    public static func parse(yaml: String, file: String) throws(RecipeError) -> Recipe {
        var recipe = try decode(yaml: yaml, file: file)
        recipe.recipeHash = SHA256.hex(Array(yaml.utf8))
        return recipe
    }

    /// A copy whose relative input and output paths are joined to `folder`; absolute paths stay as they are.
    public func resolvingPaths(relativeTo folder: String) -> Recipe {
        var copy = self
        for index in copy.inputs.indices {
            copy.inputs[index].path = Self.join(folder, copy.inputs[index].path)
        }
        copy.output.path = Self.join(folder, copy.output.path)
        if let tokenizer = copy.output.tokenizer { copy.output.tokenizer?.path = Self.join(folder, tokenizer.path) }
        if var select = copy.select {
            for t in select.targets.indices { select.targets[t].paths = select.targets[t].paths.map { Self.join(folder, $0) } }
            if let tokenizer = select.tokenizer { select.tokenizer?.path = Self.join(folder, tokenizer.path) }
            copy.select = select
        }
        if case let .model(path)? = copy.order?.embeddings { copy.order?.embeddings = .model(path: Self.join(folder, path)) }
        return copy
    }

    // MARK: Decoding

    private static func decode(yaml: String, file: String) throws(RecipeError) -> Recipe {
        let start = RecipeLocation(file: file, path: "", line: 1, column: 1)
        guard let value = try RecipeValue.compose(yaml: yaml, file: file) else {
            throw .invalidValue(at: start, message: "the recipe is empty; it needs at least 'inputs' and 'output'")
        }
        guard case .mapping = value.content else {
            let at = RecipeLocation(file: file, path: "", line: value.line, column: value.column)
            throw .typeMismatch(at: at, expected: "a mapping with 'inputs', 'steps' and 'output'", found: value.found)
        }
        let root = RecipeNode(value: value, location: start)

        let name = try root.string("name")
        let seed = try root.uint64("seed", default: 0)
        guard let inputNodes = try root.mappings("inputs") else { throw root.missingError("inputs") }
        if inputNodes.isEmpty {
            let at = root.entry(named: "inputs").map(root.place(of:)) ?? start
            throw .invalidValue(at: at, message: "at least one input is needed")
        }
        var inputs: [InputSpec] = []
        for node in inputNodes { inputs.append(try decodeInput(node)) }
        let reader = try decodeReader(root.child("reader"))
        let select = try root.child("select").map { node throws(RecipeError) in try decodeSelect(node) }
        let steps = try decodeSteps(root)
        let order = try root.child("order").map { node throws(RecipeError) in try decodeOrder(node) }
        let output = try decodeOutput(root.requireChild("output"))
        try root.finish()
        if let order, let pack = output.pack, pack.strategy == .bestfit {
            throw .invalidValue(at: order.location, message: "order: needs a pack strategy that keeps the order "
                                + "(concat, docmask or pad); bestfit rearranges the documents")
        }
        if let select, select.tokenizer == nil, output.tokenizer == nil, select.features == .tokens || select.tokens != nil {
            throw .invalidValue(at: select.location,
                                message: "token features and token budgets need a tokenizer: select.tokenizer or output.tokenizer")
        }
        return Recipe(name: name, seed: seed, inputs: inputs, reader: reader, steps: steps, output: output,
                      select: select, order: order)
    }

    private static func decodeInput(_ node: RecipeNode) throws(RecipeError) -> InputSpec {
        let path = try node.requireString("path")
        if path.isEmpty, let entry = node.entry(named: "path") {
            throw .invalidValue(at: node.place(of: entry), message: "the input path is empty")
        }
        return InputSpec(
            path: path,
            format: try node.choice("format", default: InputFormat.auto),
            textField: try fieldPath(node, "text_field", default: "text"),
            idField: try fieldPath(node, "id_field", default: "id"),
            urlField: try fieldPath(node, "url_field", default: "url"),
            source: try node.string("source")
        )
    }

    private static func fieldPath(_ node: RecipeNode, _ key: String, default: FieldPath) throws(RecipeError)
        -> FieldPath
    {
        guard let text = try node.string(key) else { return `default` }
        let path = FieldPath(parsing: text)
        if !path.isValid, let entry = node.entry(named: key) {
            throw .invalidValue(at: node.place(of: entry),
                                message: "'\(text)' is not a field path (dot-separated names, none empty)")
        }
        return path
    }

    private static func decodeReader(_ node: RecipeNode?) throws(RecipeError) -> ReaderOptions {
        guard let node else { return ReaderOptions() }
        let defaults = ReaderOptions()
        return ReaderOptions(
            maxRecordBytes: try node.byteSize("max_record_bytes", default: defaults.maxRecordBytes, in: 1024...),
            invalidUTF8: try node.choice("invalid_utf8", default: defaults.invalidUTF8)
        )
    }

    private static func decodeOutput(_ node: RecipeNode) throws(RecipeError) -> OutputSpec {
        let path = try node.requireString("path")
        if path.isEmpty, let entry = node.entry(named: "path") {
            throw .invalidValue(at: node.place(of: entry), message: "the output path is empty")
        }
        let format = try node.choice("format", default: OutputFormat.jsonlZst)
        var level: Int?
        if let levels = format.compressionLevels {
            level = try node.int("compression_level", in: levels)
        } else if try node.contains("compression_level"), let entry = node.entry(named: "compression_level") {
            throw .invalidValue(at: node.place(of: entry),
                                message: "format '\(format.rawValue)' is not compressed; remove compression_level "
                                    + "or use jsonl.gz / jsonl.zst")
        }
        var tokenizer: TokenizerSpec?
        if let t = try node.child("tokenizer") {
            tokenizer = TokenizerSpec(path: try t.requireString("path"), encoding: try t.string("encoding"),
                                      location: t.location)
        }
        var pack: PackSpec?
        if let p = try node.child("pack") {
            pack = try decodePack(p)
            if tokenizer == nil {
                throw .invalidValue(at: p.location, message: "packing needs token ids: add output.tokenizer")
            }
        }
        return OutputSpec(path: path, format: format, compressionLevel: level,
                          rejects: try node.bool("rejects", default: true), tokenizer: tokenizer, pack: pack)
    }

    private static func decodeSelect(_ node: RecipeNode) throws(RecipeError) -> SelectSpec {
        guard let targetNodes = try node.mappings("targets"), !targetNodes.isEmpty else { throw node.missingError("targets") }
        var targets: [SelectionTarget] = []
        for (i, t) in targetNodes.enumerated() {
            let paths = try t.stringList("path") ?? []
            if paths.isEmpty { throw t.missingError("path") }
            let name = try t.string("name", default: targetNodes.count == 1 ? "target" : "target\(i)")
            if targets.contains(where: { $0.name == name }) {
                throw .invalidValue(at: t.location, message: "two targets are named '\(name)'")
            }
            targets.append(SelectionTarget(name: name, paths: paths, share: try t.double("share", in: 0...1)))
        }
        let shares = targets.compactMap(\.share)
        if !shares.isEmpty, shares.count != targets.count || abs(shares.reduce(0, +) - 1) > 1e-9 {
            throw .invalidValue(at: node.location, message: "give every target a share, adding up to 1, or none")
        }
        let count = try node.int("count", in: 0...)
        let tokens = try node.int("tokens", in: 0...)
        if (count == nil) == (tokens == nil) {
            throw .invalidValue(at: node.location, message: "give one of 'count' (documents) and 'tokens'")
        }
        var tokenizer: TokenizerSpec?
        if let t = try node.child("tokenizer") {
            tokenizer = TokenizerSpec(path: try t.requireString("path"), encoding: try t.string("encoding"),
                                      location: t.location)
        }
        return SelectSpec(
            targets: targets, count: count, tokens: tokens, topK: try node.bool("top_k", default: false),
            buckets: try node.int("buckets", default: 10_000, in: 1...(1 << 40)),
            ngrams: try node.int("ngrams", default: 2, in: 1...8),
            hashing: try node.choice("hashing", default: DSIRHashing.sha256),
            features: try node.choice("features", default: SelectSpec.Features.words), tokenizer: tokenizer,
            minWords: try node.int("min_words", default: 100, in: 0...),
            shards: try node.int("shards", default: 1, in: 1...100_000), location: node.location)
    }

    private static func decodeOrder(_ node: RecipeNode) throws(RecipeError) -> OrderSpec {
        let defaults = OrderSpec(location: node.location)
        let kind = try node.string("embeddings")
        let model = try node.string("model")
        var embeddings: OrderSpec.Embeddings
        if let model {
            if let kind, kind != "model", let entry = node.entry(named: "embeddings") {
                throw .invalidValue(at: node.place(of: entry),
                                    message: "give 'embeddings: lexical' or 'model: FOLDER', not both")
            }
            if model.isEmpty, let entry = node.entry(named: "model") {
                throw .invalidValue(at: node.place(of: entry), message: "the model folder is empty")
            }
            embeddings = .model(path: model)
            if try node.contains("dimension"), let entry = node.entry(named: "dimension") {
                throw .invalidValue(at: node.place(of: entry), message: "'dimension' is for lexical embeddings; "
                                    + "a model has its own")
            }
        } else {
            if let kind, kind != "lexical", let entry = node.entry(named: "embeddings") {
                throw .invalidValue(at: node.place(of: entry),
                                    message: "'\(kind)': embeddings are 'lexical', or give 'model: FOLDER'")
            }
            embeddings = .lexical(dimension: try node.int("dimension", default: 1024, in: 1...(1 << 20)))
        }
        let threshold = try node.double("duplicate_threshold", default: 0.95, in: 0...1)
        return OrderSpec(
            method: try node.choice("method", default: defaults.method), embeddings: embeddings,
            k: try node.int("k", default: defaults.k, in: 1...100_000),
            duplicateThreshold: threshold > 0 ? Float(threshold) : nil,
            maxChain: try node.int("max_chain", default: defaults.maxChain, in: 1...),
            minChain: try node.int("min_chain", default: defaults.minChain, in: 1...),
            clusterSize: try node.int("cluster_size", default: defaults.clusterSize, in: 1...),
            leakageThreshold: Float(try node.double("leakage_threshold", default: Double(defaults.leakageThreshold),
                                                    in: 0...1)),
            bufferDocuments: try node.int("buffer_documents", default: defaults.bufferDocuments, in: 1...),
            windowTokens: try node.int("window_tokens", in: 1...(1 << 30)),
            location: node.location)
    }

    private static func decodePack(_ node: RecipeNode) throws(RecipeError) -> PackSpec {
        guard let strategy = try node.choice("strategy", as: PackStrategy.self) else {
            throw node.missingError("strategy")
        }
        guard let seqLen = try node.int("seq_len", in: 2...(1 << 24)) else { throw node.missingError("seq_len") }
        var meco: MeCoOptions?
        if let m = try node.child("meco") {
            let defaults = MeCoOptions()
            meco = MeCoOptions(template: try m.string("template", default: defaults.template),
                               variant: try m.choice("variant", default: defaults.variant),
                               cooldownShare: try m.double("cooldown_share", default: defaults.cooldownShare, in: 0...1))
            if !(meco?.template.contains("{url}") ?? true), let entry = m.entry(named: "template") {
                throw .invalidValue(at: m.place(of: entry), message: "the template needs '{url}' where the metadata goes")
            }
        }
        return PackSpec(
            strategy: strategy, seqLen: seqLen, eos: try node.string("eos"), bos: try node.string("bos"),
            pad: try node.string("pad"),
            maxShardBytes: try node.byteSize("max_shard_bytes", default: PackSpec.defaultMaxShardBytes, in: 1...),
            bestFitBufferTokens: try node.int("bestfit_buffer_tokens", default: PackSpec.defaultBestFitBufferTokens,
                                              in: 1...),
            meco: meco, shuffleWindows: try node.bool("shuffle_windows", default: false))
    }

    /// `steps:` is a sequence whose items are `name: {params}`, `name:` (no parameters) or a bare `name`.
    private static func decodeSteps(_ root: RecipeNode) throws(RecipeError) -> [StepSpec] {
        guard let entry = try root.entry("steps") else { return [] }
        let stepsPlace = root.place(of: entry)
        guard case let .sequence(items) = entry.value.content else {
            throw .typeMismatch(at: stepsPlace, expected: "a list of steps", found: entry.value.found)
        }
        var steps: [StepSpec] = []
        for (index, item) in items.enumerated() {
            let itemPlace = stepsPlace.appending(index: index, line: item.line, column: item.column)
            switch item.content {
            case let .string(name):
                guard !name.isEmpty else { throw .invalidValue(at: itemPlace, message: "the step name is empty") }
                let paramsPlace = itemPlace.appending(key: name, line: item.line, column: item.column)
                steps.append(StepSpec(name: name, params: .empty(at: paramsPlace), location: itemPlace))
            case let .mapping(entries):
                guard entries.count == 1, let step = entries.first else {
                    throw stepShapeError(entries, at: itemPlace)
                }
                let location = RecipeLocation(file: itemPlace.file, path: itemPlace.path, line: step.line,
                                              column: step.column)
                guard !step.key.isEmpty else { throw .invalidValue(at: location, message: "the step name is empty") }
                let paramsPlace = location.appending(key: step.key, line: step.line, column: step.column)
                let params: RecipeNode
                switch step.value.content {
                case .null:
                    params = .empty(at: paramsPlace)
                case .mapping:
                    params = RecipeNode(value: step.value, location: paramsPlace)
                default:
                    throw .typeMismatch(at: paramsPlace, expected: "a mapping of parameters (or {} for none)",
                                        found: step.value.found)
                }
                steps.append(StepSpec(name: step.key, params: params, location: location))
            default:
                throw .typeMismatch(at: itemPlace, expected: "a step (`name: {parameters}` or a bare name)",
                                    found: item.found)
            }
        }
        return steps
    }

    private static func stepShapeError(_ entries: [RecipeValue.Entry], at place: RecipeLocation) -> RecipeError {
        guard entries.count > 1 else {
            return .invalidValue(at: place, message: "a step is a mapping with one key, the step name; found none")
        }
        let second = entries[1]
        let at = RecipeLocation(file: place.file, path: place.path, line: second.line, column: second.column)
        let keys = entries.map { "'\($0.key)'" }.joined(separator: ", ")
        return .invalidValue(at: at, message: "a step is a mapping with one key, the step name, but this one has "
            + "\(entries.count): \(keys); are the parameters of '\(entries[0].key)' indented under it?")
    }

    // MARK: Files and paths

    /// Reads a whole file with POSIX calls, so that the reason of a failure is the system's own words.
    private static func readFile(_ path: String) throws(RecipeError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(file: path, reason: String(cString: strerror(errno)))
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// `folder/path` for a relative `path` (a leading `./` dropped); absolute paths and empty folders leave
    /// `path` unchanged.
    static func join(_ folder: String, _ path: String) -> String {
        guard !path.hasPrefix("/"), !folder.isEmpty else { return path }
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2).drop { $0 == "/" } }
        if relative.isEmpty || relative == "." { return folder }
        let base = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
        return base == "/" ? "/" + relative : base + "/" + relative
    }
}
