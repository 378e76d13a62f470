import CorpusCore
import Tokenization

/// A document turned into the token sequence the packer places: `[BOS] [metadata] text [EOS]`.
public struct PreparedDocument: Sendable, Equatable {
    public var id: String
    public var tokens: [UInt32]
    /// BOS and metadata tokens: loss mask 0.
    public var maskedPrefix: Int
    /// Goes to the cooldown set (MeCo): no metadata.
    public var cooldown: Bool
    /// The MeCo outcome, nil without MeCo.
    public var meco: MeCoOptions.Outcome?

    public init(id: String, tokens: [UInt32], maskedPrefix: Int, cooldown: Bool, meco: MeCoOptions.Outcome?) {
        self.id = id
        self.tokens = tokens
        self.maskedPrefix = maskedPrefix
        self.cooldown = cooldown
        self.meco = meco
    }
}

/// Tokenizes documents for packing. The text and the metadata are encoded separately (`encode_ordinary`:
/// special-token strings are text), so the text's ids are exactly the tokenizer's ids for the text alone.
public struct DocumentPreparer: Sendable {
    public let encoder: any TokenEncoder
    public let tokens: PackTokens
    public let meco: MeCoOptions?
    public let seed: UInt64

    public init(encoder: any TokenEncoder, tokens: PackTokens, meco: MeCoOptions?, seed: UInt64) {
        self.encoder = encoder
        self.tokens = tokens
        self.meco = meco
        self.seed = seed
    }

    /// The document's tokens; nil for an empty text (packing has nothing to place: the caller rejects it).
    ///
    /// `key` identifies the document's place in the input (file and line) for the cooldown draw.
    public func prepare(_ document: Document, key: String) -> PreparedDocument? {
        let text = encoder.encodeOrdinary(document.text)
        guard !text.isEmpty else { return nil }
        var ids: [UInt32] = []
        var masked = 0
        if let bos = tokens.bos {
            ids.append(bos)
            masked = 1
        }
        var cooldown = false
        var outcome: MeCoOptions.Outcome?
        if let meco {
            cooldown = meco.isCooldown(seed: seed, key: key)
            if !cooldown {
                let (prefix, result) = meco.prefix(url: document.metadata.url)
                outcome = result
                if let prefix {
                    let metadata = encoder.encodeOrdinary(prefix)
                    ids.append(contentsOf: metadata)
                    masked += metadata.count
                }
            }
        }
        ids.reserveCapacity(ids.count + text.count + 1)
        ids.append(contentsOf: text)
        ids.append(tokens.eos)
        return PreparedDocument(id: document.id, tokens: ids, maskedPrefix: masked, cooldown: cooldown, meco: outcome)
    }
}
