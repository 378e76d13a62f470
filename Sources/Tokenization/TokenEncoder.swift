/// What the pipeline needs of any tokenizer: text → ids exactly as the model's tokenizer, and back.
///
/// `encodeOrdinary` is the pretraining default: special-token strings in the text are ordinary text
/// (tiktoken's `encode_ordinary`; HF `encode(add_special_tokens=False)` with `encode_special_tokens`).
public protocol TokenEncoder: Sendable {
    func encodeOrdinary(_ text: String) -> [UInt32]
    func decode(_ ids: [UInt32]) throws(TokenizerError) -> [UInt8]
    func decodeString(_ ids: [UInt32]) throws(TokenizerError) -> String
}

extension TiktokenEncoding: TokenEncoder {}

extension HFTokenizer: TokenEncoder {
    /// `encode`, which already treats special tokens as text (see `HFTokenizer.encode`).
    public func encodeOrdinary(_ text: String) -> [UInt32] { encode(text) }
}
