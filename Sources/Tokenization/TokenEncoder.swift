/// What the pipeline needs of any tokenizer: text → ids exactly as the model's tokenizer, and back.
///
/// `encodeOrdinary` is the pretraining default: special-token strings in the text are ordinary text
/// (tiktoken's `encode_ordinary`; HF `encode(add_special_tokens=False)` with `encode_special_tokens`).
public protocol TokenEncoder: Sendable {
    func encodeOrdinary(_ text: String) -> [UInt32]
    func decode(_ ids: [UInt32]) throws(TokenizerError) -> [UInt8]
    func decodeString(_ ids: [UInt32]) throws(TokenizerError) -> String
    /// One more than the largest id the tokenizer can produce (the embedding rows a model needs).
    var vocabularySize: Int { get }
    /// The id of a whole token written as text — a special or added token (`<|endoftext|>`, `</s>`) or a
    /// vocabulary entry — or nil. Packers use it to find EOS, BOS and padding.
    func tokenID(_ content: String) -> UInt32?
}

extension TiktokenEncoding: TokenEncoder {
    public var vocabularySize: Int {
        let ordinary = bytePairEncoder.maxRank.map { Int($0) + 1 } ?? 0
        return max(ordinary, specialTokens.values.max().map { Int($0) + 1 } ?? 0)
    }

    public func tokenID(_ content: String) -> UInt32? {
        specialTokens[content] ?? bytePairEncoder.rank(of: Array(content.utf8))
    }
}

extension HFTokenizer: TokenEncoder {
    /// `encode`, which already treats special tokens as text (see `HFTokenizer.encode`).
    public func encodeOrdinary(_ text: String) -> [UInt32] { encode(text) }

    public var vocabularySize: Int {
        max(model.vocabularySize, addedTokens.map { Int($0.id) + 1 }.max() ?? 0)
    }

    /// Added tokens first (by content), then the model's vocabulary (for a byte-level model, the text's bytes).
    public func tokenID(_ content: String) -> UInt32? {
        let bytes = Array(content.utf8)
        if let added = addedTokens.first(where: { $0.content == bytes }) { return added.id }
        return model.id(of: bytes)
    }
}

extension SentencePieceModel {
    public var vocabularySize: Int { pieces.count }

    public func tokenID(_ content: String) -> UInt32? {
        let bytes = Array(content.utf8)
        return pieces.firstIndex(of: bytes).map { UInt32($0) }
    }
}
