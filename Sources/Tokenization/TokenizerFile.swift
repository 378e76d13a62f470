/// Opens a tokenizer file by its kind: a HF tokenizer.json, or a .tiktoken rank file with a named encoding.
public enum TokenizerFile {
    /// A tokenizer.json (by the `.json` extension) or a .tiktoken file (anything else; `encoding` as in
    /// `loadTiktoken`). SentencePiece .model files are not supported yet.
    public static func load(path: String, encoding: String?) throws(TokenizerError) -> any TokenEncoder {
        let lower = path.lowercased()
        if lower.hasSuffix(".json") { return try HFTokenizer.load(path: path) }
        if lower.hasSuffix(".model") {
            throw .unsupportedComponent(path: path, jsonPath: "", component: "SentencePiece .model (not yet)")
        }
        return try loadTiktoken(path: path, encoding: encoding)
    }

    /// Loads a .tiktoken file. `encoding` names the definition that gives its pattern and special tokens
    /// (`cl100k_base`, `o200k_base`, `r50k_base`, `gpt2`); nil infers it from the file name.
    ///
    /// - Throws: `TokenizerError.unknownEncoding` when the name is unknown or cannot be inferred, and every
    ///   loader error of `TiktokenEncoding.named`.
    public static func loadTiktoken(path: String, encoding: String?) throws(TokenizerError) -> TiktokenEncoding {
        let file = path.split(separator: "/").last.map { $0.lowercased() } ?? path.lowercased()
        let inferred = encoding ?? TiktokenEncoding.knownNames.first { file.hasPrefix($0) }
        guard let name = inferred else {
            throw .unknownEncoding(name: "(from the file name \(file))", known: TiktokenEncoding.knownNames)
        }
        return try TiktokenEncoding.named(name, path: path)
    }
}
