import CorpusCore
import CorpusIO
import Foundation

/// `manifest.json` of a packed folder (docs/shard-format.md): what was packed, how, the counts, and the sha256 of
/// every other file. Keys are written exactly as the spec names them (snake_case), sorted, pretty-printed; `bos_id`
/// and `meco` are written as null when absent.
///
/// ```
/// try manifest.write(to: "out")                    // out/manifest.json, atomically
/// let again = try PackManifest.read(from: "out")   // == manifest
/// ```
public struct PackManifest: Codable, Sendable, Equatable {
    /// The value of `format`.
    public static let formatName = "ptk-packed-v1"
    /// The manifest's file name inside the folder.
    public static let fileName = "manifest.json"

    /// The tokenizer file the ids come from.
    public struct TokenizerInfo: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String

        public init(file: String, sha256: String) {
            self.file = file
            self.sha256 = sha256
        }
    }

    /// MeCo (metadata conditioning then cooldown) settings and what they did.
    public struct MeCoSummary: Codable, Sendable, Equatable {
        public var template: String
        public var variant: String
        public var urlField: String
        /// The share of training (by tokens) requested for the cooldown set.
        public var cooldownShare: Double
        public var documentsWithPrefix: Int
        public var documentsWithoutUrl: Int
        public var documentsBadUrl: Int
        public var cooldownDocuments: Int
        /// The share of tokens that went to the cooldown set.
        public var cooldownTokenShare: Double

        public init(template: String, variant: String, urlField: String, cooldownShare: Double,
                    documentsWithPrefix: Int = 0, documentsWithoutUrl: Int = 0, documentsBadUrl: Int = 0,
                    cooldownDocuments: Int = 0, cooldownTokenShare: Double = 0)
        {
            self.template = template
            self.variant = variant
            self.urlField = urlField
            self.cooldownShare = cooldownShare
            self.documentsWithPrefix = documentsWithPrefix
            self.documentsWithoutUrl = documentsWithoutUrl
            self.documentsBadUrl = documentsBadUrl
            self.cooldownDocuments = cooldownDocuments
            self.cooldownTokenShare = cooldownTokenShare
        }

        enum CodingKeys: String, CodingKey {
            case template, variant
            case urlField = "url_field"
            case cooldownShare = "cooldown_share"
            case documentsWithPrefix = "documents_with_prefix"
            case documentsWithoutUrl = "documents_without_url"
            case documentsBadUrl = "documents_bad_url"
            case cooldownDocuments = "cooldown_documents"
            case cooldownTokenShare = "cooldown_token_share"
        }
    }

    /// Documents: read, packed (one line each in documents.jsonl.zst), rejected, split into chunks, and chunks.
    public struct DocumentCounts: Codable, Sendable, Equatable {
        public var read: Int
        public var packed: Int
        public var rejected: Int
        public var split: Int
        public var chunks: Int

        public init(read: Int = 0, packed: Int = 0, rejected: Int = 0, split: Int = 0, chunks: Int = 0) {
            self.read = read
            self.packed = packed
            self.rejected = rejected
            self.split = split
            self.chunks = chunks
        }
    }

    /// Records read, written and rejected (`read == written + rejected`).
    public typealias LedgerCounts = Ledger

    /// The totals of one set (train or cooldown) and its shards.
    public struct SetSummary: Codable, Sendable, Equatable {
        public var windows: Int
        /// windows × seq_len.
        public var tokens: Int
        /// Tokens of document text (not BOS, metadata, EOS or padding).
        public var textTokens: Int
        public var paddingTokens: Int
        public var lossTokens: Int
        public var shards: [ShardSummary]

        public init(windows: Int = 0, tokens: Int = 0, textTokens: Int = 0, paddingTokens: Int = 0,
                    lossTokens: Int = 0, shards: [ShardSummary] = [])
        {
            self.windows = windows
            self.tokens = tokens
            self.textTokens = textTokens
            self.paddingTokens = paddingTokens
            self.lossTokens = lossTokens
            self.shards = shards
        }

        /// The sums of `shards` (`textTokens` given, as shards do not count it).
        public init(shards: [ShardSummary], textTokens: Int) {
            self.init(windows: shards.reduce(0) { $0 + $1.windows }, tokens: shards.reduce(0) { $0 + $1.tokens },
                      textTokens: textTokens, paddingTokens: shards.reduce(0) { $0 + $1.paddingTokens },
                      lossTokens: shards.reduce(0) { $0 + $1.lossTokens }, shards: shards)
        }

        enum CodingKeys: String, CodingKey {
            case windows, tokens, shards
            case textTokens = "text_tokens"
            case paddingTokens = "padding_tokens"
            case lossTokens = "loss_tokens"
        }
    }

    /// The two sets; `cooldown` is empty (no windows, no shards) without MeCo.
    public struct Sets: Codable, Sendable, Equatable {
        public var train: SetSummary
        public var cooldown: SetSummary

        public init(train: SetSummary = SetSummary(), cooldown: SetSummary = SetSummary()) {
            self.train = train
            self.cooldown = cooldown
        }

        /// The set folders inside the packed folder, with their summaries.
        public var named: [(name: String, summary: SetSummary)] { [("train", train), ("cooldown", cooldown)] }
    }

    public var format: String
    public var tool: String
    public var version: String
    /// concat, docmask, bestfit or pad.
    public var strategy: String
    public var seqLen: Int
    /// causal or document.
    public var attention: String
    public var dtype: TokenDType
    public var vocabSize: Int
    public var eosId: UInt32
    public var bosId: UInt32?
    public var padId: UInt32
    public var seed: UInt64
    public var tokenizer: TokenizerInfo
    /// sha256 of the canonical pack settings (or the recipe).
    public var recipeSha256: String
    public var meco: MeCoSummary?
    /// True when the windows were written in a seeded random order (`shuffle_windows`); absent otherwise.
    public var shuffleWindows: Bool?
    public var documents: DocumentCounts
    public var ledger: LedgerCounts
    public var sets: Sets
    /// Every file of the folder but the manifest, paths relative to the folder.
    public var files: [FileEntry]

    public init(tool: String = "ptk", version: String, strategy: String, seqLen: Int, attention: String,
                dtype: TokenDType, vocabSize: Int, eosId: UInt32, bosId: UInt32?, padId: UInt32, seed: UInt64,
                tokenizer: TokenizerInfo, recipeSha256: String, meco: MeCoSummary? = nil,
                documents: DocumentCounts = DocumentCounts(), ledger: LedgerCounts = LedgerCounts(),
                sets: Sets = Sets(), files: [FileEntry] = [], format: String = formatName, shuffleWindows: Bool? = nil)
    {
        self.format = format
        self.tool = tool
        self.version = version
        self.strategy = strategy
        self.seqLen = seqLen
        self.attention = attention
        self.dtype = dtype
        self.vocabSize = vocabSize
        self.eosId = eosId
        self.bosId = bosId
        self.padId = padId
        self.seed = seed
        self.tokenizer = tokenizer
        self.recipeSha256 = recipeSha256
        self.meco = meco
        self.shuffleWindows = shuffleWindows
        self.documents = documents
        self.ledger = ledger
        self.sets = sets
        self.files = files
    }

    enum CodingKeys: String, CodingKey {
        case format, tool, version, strategy, attention, dtype, seed, tokenizer, meco, documents, ledger, sets, files
        case seqLen = "seq_len"
        case vocabSize = "vocab_size"
        case eosId = "eos_id"
        case bosId = "bos_id"
        case padId = "pad_id"
        case recipeSha256 = "recipe_sha256"
        case shuffleWindows = "shuffle_windows"
    }

    /// Encodes every key, `bos_id` and `meco` as null when absent (the synthesized encoder would leave them out).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(tool, forKey: .tool)
        try c.encode(version, forKey: .version)
        try c.encode(strategy, forKey: .strategy)
        try c.encode(seqLen, forKey: .seqLen)
        try c.encode(attention, forKey: .attention)
        try c.encode(dtype, forKey: .dtype)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(eosId, forKey: .eosId)
        try c.encode(bosId, forKey: .bosId)
        try c.encode(padId, forKey: .padId)
        try c.encode(seed, forKey: .seed)
        try c.encode(tokenizer, forKey: .tokenizer)
        try c.encode(recipeSha256, forKey: .recipeSha256)
        try c.encode(meco, forKey: .meco)
        // Only when set: manifests of unshuffled folders keep their bytes.
        if shuffleWindows == true { try c.encode(true, forKey: .shuffleWindows) }
        try c.encode(documents, forKey: .documents)
        try c.encode(ledger, forKey: .ledger)
        try c.encode(sets, forKey: .sets)
        try c.encode(files, forKey: .files)
    }

    /// The manifest as written: pretty-printed JSON with sorted keys and a final newline.
    public func jsonBytes() throws(ShardError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(self)) + [0x0A]
        } catch {
            throw .mismatch(path: Self.fileName, message: "cannot encode the manifest: \(error)")
        }
    }

    /// Writes `folder/manifest.json` atomically (temporary file, fsync, rename).
    ///
    /// - Throws: `ShardError.io` naming the manifest when it cannot be written.
    public func write(to folder: String) throws(ShardError) {
        let bytes = try jsonBytes()
        do {
            try OutputFile.atomicWrite(path: folder + "/" + Self.fileName, contents: bytes)
        } catch {
            throw .fromIO(error)
        }
    }

    /// Reads `folder/manifest.json`.
    ///
    /// - Throws: `ShardError.io` when it cannot be read, `.malformed` naming the key that is missing or has the
    ///   wrong type.
    public static func read(from folder: String) throws(ShardError) -> PackManifest {
        let path = folder + "/" + fileName
        let bytes = try readWholeFile(path)
        do {
            return try JSONDecoder().decode(PackManifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .malformed(path: path, message: describe(error))
        } catch {
            throw .malformed(path: path, message: "\(error)")
        }
    }
}

/// "sets.train.shards[0].windows: missing" and the like.
private func describe(_ error: DecodingError) -> String {
    func keyPath(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text.isEmpty ? "(top level)" : text
    }
    switch error {
    case let .keyNotFound(key, context):
        return "\(keyPath(context.codingPath + [key])): missing"
    case let .typeMismatch(type, context):
        return "\(keyPath(context.codingPath)): expected \(type)"
    case let .valueNotFound(type, context):
        return "\(keyPath(context.codingPath)): null, expected \(type)"
    case let .dataCorrupted(context):
        return "\(keyPath(context.codingPath)): \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}
