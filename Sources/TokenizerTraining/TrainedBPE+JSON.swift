import CorpusIO
import Tokenization

extension TrainedBPE {
    /// The Llama 3 `Split` regex, exactly as Llama 3's tokenizer.json writes it (so that `HFTokenizer` maps it to
    /// its scanner, see `PreTokenizerPattern.hfRegexes`).
    static let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"#
        + #"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The model as a tokenizer.json, byte for byte as `tokenizers` 0.23.3's `Tokenizer.to_str()` writes the same
    /// model: special tokens as added tokens (`special: true`), no normalizer, the pre-tokenizer, a ByteLevel
    /// post-processor (`trim_offsets: false`) and decoder, and the BPE model with its vocabulary by id and its
    /// merges as `[left, right]` pairs.
    ///
    /// ```swift
    /// try OutputFile(path: "tokenizer.json").write(model.tokenizerJSON())
    /// ```
    ///
    /// - Complexity: O(vocabulary + merges).
    public func tokenizerJSON() -> [UInt8] {
        var json = JSONWriter(capacity: 64 * (vocab.count + merges.count) + 4096)
        json.raw(#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":["#)
        for id in 0..<specialTokenCount {
            if id > 0 { json.raw(",") }
            json.raw(#"{"id":"#)
            json.integer(UInt32(id))
            json.raw(#","content":"#)
            json.string(vocab[id])
            json.raw(#","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}"#)
        }
        json.raw(#"],"normalizer":null,"pre_tokenizer":"#)
        switch pretokenizer {
        case .gpt2:
            json.raw(#"{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}"#)
        case .llama3:
            json.raw(#"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"#)
            json.string(Self.llama3Regex)
            json.raw(#"},"behavior":"Isolated","invert":false},"#)
            json.raw(#"{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}"#)
        }
        json.raw(#","post_processor":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":false,"#)
        json.raw(#""use_regex":true},"decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"#)
        json.raw(#""use_regex":true},"model":{"type":"BPE","dropout":null,"unk_token":null,"#)
        json.raw(#""continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"#)
        json.raw(#""ignore_merges":false,"vocab":{"#)
        for (id, token) in vocab.enumerated() {
            if id > 0 { json.raw(",") }
            json.string(token)
            json.raw(":")
            json.integer(UInt32(id))
        }
        json.raw(#"},"merges":["#)
        for (index, merge) in merges.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("[")
            json.string(vocab[Int(merge.left)])
            json.raw(",")
            json.string(vocab[Int(merge.right)])
            json.raw("]")
        }
        json.raw("]}}")
        return json.bytes
    }

    /// Writes `tokenizerJSON()` to `path`, atomically (the file appears complete or not at all).
    ///
    /// - Throws: `IOError` when the file cannot be written.
    public func writeTokenizerJSON(to path: String) throws(IOError) {
        let file = try OutputFile(path: path)
        try file.write(tokenizerJSON())
        try file.commit()
    }
}
