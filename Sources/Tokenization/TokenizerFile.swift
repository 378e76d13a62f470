import Foundation

/// Opens a tokenizer file by its kind: a HF tokenizer.json, a SentencePiece .model, or a .tiktoken rank file.
public enum TokenizerFile {
    /// A tokenizer.json (by the `.json` extension), a SentencePiece model (by the `.model` extension, unless its
    /// first line looks like a tiktoken rank file, as Llama 3's `tokenizer.model` is), or a .tiktoken file
    /// (anything else; `encoding` as in `loadTiktoken`).
    ///
    /// ```swift
    /// let encoder = try TokenizerFile.load(path: "tokenizer.model", encoding: nil)   // a SentencePieceModel
    /// ```
    ///
    /// - Throws: the errors of the loader chosen.
    /// - Complexity: O(file size).
    public static func load(path: String, encoding: String?) throws(TokenizerError) -> any TokenEncoder {
        let lower = path.lowercased()
        if lower.hasSuffix(".json") { return try HFTokenizer.load(path: path) }
        if lower.hasSuffix(".model") && !looksLikeTiktoken(path: path) {
            return try SentencePieceModel.load(path: path)
        }
        return try loadTiktoken(path: path, encoding: encoding)
    }

    /// Whether the file starts like a tiktoken rank file: base64, one space, decimal digits, a newline.
    ///
    /// A SentencePiece model starts with the protobuf tag 0x0A of its first piece, which never passes.
    ///
    /// - Complexity: reads at most 256 bytes.
    static func looksLikeTiktoken(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 256), !head.isEmpty else { return false }
        return looksLikeTiktoken(head: [UInt8](head))
    }

    /// The sniff of `looksLikeTiktoken(path:)` on the first bytes of a file.
    static func looksLikeTiktoken(head: [UInt8]) -> Bool {
        var k = 0
        func isBase64(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
        }
        while k < head.count, isBase64(head[k]) { k += 1 }
        guard k > 0, k < head.count, head[k] == UInt8(ascii: " ") else { return false }
        k += 1
        let digitsStart = k
        while k < head.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(head[k]) { k += 1 }
        guard k > digitsStart else { return false }
        return k == head.count || head[k] == UInt8(ascii: "\n") || head[k] == UInt8(ascii: "\r")
    }

    /// Loads a .tiktoken file. `encoding` names the definition that gives its pattern and special tokens
    /// (`cl100k_base`, `o200k_base`, `r50k_base`, `gpt2`, `llama3`, `qwen`); nil infers it from the file name
    /// (`qwen.tiktoken` → qwen; Llama 3's `tokenizer.model` needs `llama3` named).
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
