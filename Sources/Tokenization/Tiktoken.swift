#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiktoken encoding: a `.tiktoken` rank file, a pre-tokenizer pattern and special tokens.
///
/// Produces the ids tiktoken produces: text is split on allowed special tokens, each stretch between them is
/// split by the pre-tokenizer, and each pre-token is encoded by byte-level BPE.
///
/// ```swift
/// let cl100k = try TiktokenEncoding.named("cl100k_base", path: "/path/to/cl100k_base.tiktoken")
/// cl100k.encodeOrdinary("hello world")                                   // [15339, 1917]
/// cl100k.encode("hi<|endoftext|>", allowedSpecial: ["<|endoftext|>"])     // [6151, 100257]
/// try cl100k.decodeString([15339, 1917])                                 // "hello world"
/// ```
///
/// - Complexity: loading O(file size); encoding O(n log n) in the text's UTF-8 length n (O(n) for typical text,
///   whose pre-tokens are short); decoding O(output bytes).
public struct TiktokenEncoding: Sendable {
    /// The ordinary tokens.
    public let bytePairEncoder: BytePairEncoder
    /// The pre-tokenizer applied between special tokens.
    public let pattern: PreTokenizerPattern
    /// Special token text → id.
    public let specialTokens: [String: UInt32]
    private let specialBytesByID: [UInt32: [UInt8]]

    /// The encodings `named(_:path:)` knows.
    public static let knownNames = ["cl100k_base", "gpt2", "llama3", "o200k_base", "qwen", "r50k_base"]

    /// Llama 3's special tokens after its 128,000 ranks, as Meta's `llama3` tokenizer.py names them (3.1 and later:
    /// 12 named, then `<|reserved_special_token_2|>` … up to 256 in all). Llama 3.0 named ids 128004–128011
    /// `<|reserved_special_token_2|>` … instead; only `--allow-special` sees the names.
    public static let llama3SpecialTokens: [String] = [
        "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
        "<|finetune_right_pad_id|>", "<|step_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>",
        "<|eot_id|>", "<|python_tag|>", "<|image|>",
    ] + (0..<(256 - 12)).map { "<|reserved_special_token_\($0 + 2)|>" }

    /// Qwen's (`qwen.tiktoken`, Qwen-7B's tokenization_qwen.py) special tokens after its 151,643 ranks.
    public static let qwenSpecialTokens: [String] =
        ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + (0..<205).map { "<|extra_\($0)|>" }

    /// Special tokens numbered from `first` in list order.
    static func numbered(_ names: [String], from first: UInt32) -> [String: UInt32] {
        Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, first + UInt32($0)) })
    }

    /// Loads a `.tiktoken` file: one token per line, `base64(bytes) rank`; blank lines are ignored.
    ///
    /// ```swift
    /// let encoding = try TiktokenEncoding.load(
    ///     path: "cl100k_base.tiktoken", pattern: .cl100k, specialTokens: ["<|endoftext|>": 100257])
    /// ```
    ///
    /// - Throws: `.unreadableFile`; `.malformedLine` (bad base64, missing or bad rank, extra fields, empty token)
    ///   naming the 1-based line; `.duplicateToken` / `.duplicateRank` naming both lines; `.missingByte`;
    ///   `.invalidSpecialToken` for an empty special token or an id that is taken.
    /// - Complexity: O(file size).
    public static func load(
        path: String, pattern: PreTokenizerPattern, specialTokens: [String: UInt32]
    ) throws(TokenizerError) -> TiktokenEncoding {
        let contents = try readWholeFile(path)
        let encoder = try parseTiktokenRanks(contents, path: path)
        return try TiktokenEncoding(encoder: encoder, pattern: pattern, specialTokens: specialTokens)
    }

    /// Builds an encoding from an encoder, a pattern and special tokens.
    ///
    /// ```swift
    /// let encoding = try TiktokenEncoding(encoder: bpe, pattern: .gpt2, specialTokens: ["<|endoftext|>": 50256])
    /// ```
    ///
    /// - Throws: `.invalidSpecialToken` for an empty special token, an id that is also an ordinary rank, or an
    ///   id used by two special tokens.
    /// - Complexity: O(number of special tokens).
    public init(
        encoder: BytePairEncoder, pattern: PreTokenizerPattern, specialTokens: [String: UInt32]
    ) throws(TokenizerError) {
        var byID: [UInt32: [UInt8]] = [:]
        let ordered = specialTokens.sorted { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }
        for (token, id) in ordered {
            if token.isEmpty { throw .invalidSpecialToken(token: token, id: id, reason: "empty") }
            if encoder.tokenBytes(id) != nil {
                throw .invalidSpecialToken(token: token, id: id, reason: "the id is an ordinary token's rank")
            }
            if byID[id] != nil {
                throw .invalidSpecialToken(token: token, id: id, reason: "another special token has this id")
            }
            byID[id] = Array(token.utf8)
        }
        self.bytePairEncoder = encoder
        self.pattern = pattern
        self.specialTokens = specialTokens
        self.specialBytesByID = byID
    }

    /// A known encoding with its pattern and special tokens (as in tiktoken 0.14's `tiktoken_ext/openai_public.py`;
    /// `llama3` as Meta's Llama 3 tokenizer.py builds it over `tokenizer.model`, `qwen` as Qwen's
    /// tokenization_qwen.py over `qwen.tiktoken`), its ranks read from `path`.
    ///
    /// "gpt2" and "r50k_base" share the vocabulary (r50k_base.tiktoken), the pattern and `<|endoftext|>` 50256.
    ///
    /// ```swift
    /// let o200k = try TiktokenEncoding.named("o200k_base", path: "o200k_base.tiktoken")
    /// ```
    ///
    /// - Throws: `.unknownEncoding` for other names, else whatever `load` throws.
    /// - Complexity: O(file size).
    public static func named(_ name: String, path: String) throws(TokenizerError) -> TiktokenEncoding {
        switch name {
        case "cl100k_base":
            return try load(path: path, pattern: .cl100k, specialTokens: [
                "<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276,
            ])
        case "r50k_base", "gpt2":
            return try load(path: path, pattern: .gpt2, specialTokens: ["<|endoftext|>": 50256])
        case "llama3":
            return try load(path: path, pattern: .llama3, specialTokens: numbered(llama3SpecialTokens, from: 128_000))
        case "qwen":
            return try load(path: path, pattern: .qwen2, specialTokens: numbered(qwenSpecialTokens, from: 151_643))
        case "o200k_base":
            return try load(path: path, pattern: .o200k, specialTokens: [
                "<|endoftext|>": 199999, "<|endofprompt|>": 200018,
            ])
        default:
            throw .unknownEncoding(name: name, known: knownNames)
        }
    }

    // MARK: - Encoding

    /// Encodes text treating special-token strings as ordinary text (tiktoken's `encode_ordinary`).
    ///
    /// ```swift
    /// cl100k.encodeOrdinary("hello world")   // [15339, 1917]
    /// ```
    ///
    /// - Complexity: O(n log n) in the UTF-8 length n.
    public func encodeOrdinary(_ text: String) -> [UInt32] {
        var text = text
        var out: [UInt32] = []
        text.withUTF8 { utf8 in
            out.reserveCapacity(utf8.count / 3 + 1)
            appendOrdinary(utf8, to: &out)
        }
        return out
    }

    /// Encodes UTF-8 bytes treating special-token strings as ordinary text.
    ///
    /// ```swift
    /// Array("hello world".utf8).withUnsafeBufferPointer { cl100k.encodeOrdinary(utf8: $0) }   // [15339, 1917]
    /// ```
    ///
    /// - Complexity: O(n log n) in the byte count n.
    public func encodeOrdinary(utf8: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(utf8.count / 3 + 1)
        appendOrdinary(utf8, to: &out)
        return out
    }

    /// Encodes text, emitting the special tokens in `allowedSpecial` as their ids; other special-token strings
    /// are encoded as ordinary text (tiktoken's `encode(text, allowed_special=…, disallowed_special=())`).
    ///
    /// At each position the longest allowed special token that matches wins; names not in `specialTokens` are
    /// ignored.
    ///
    /// ```swift
    /// cl100k.encode("a<|endoftext|>b", allowedSpecial: ["<|endoftext|>"])   // [64, 100257, 65]
    /// ```
    ///
    /// - Complexity: O(n · s + n log n) for n UTF-8 bytes and s allowed special tokens starting with the same
    ///   byte (s is tiny in practice).
    public func encode(_ text: String, allowedSpecial: Set<String>) -> [UInt32] {
        let specials = allowedSpecial.compactMap { name -> (bytes: [UInt8], id: UInt32)? in
            guard let id = specialTokens[name] else { return nil }
            return (Array(name.utf8), id)
        }.sorted { a, b in
            a.bytes.count != b.bytes.count ? a.bytes.count > b.bytes.count : a.bytes.lexicographicallyPrecedes(b.bytes)
        }
        if specials.isEmpty { return encodeOrdinary(text) }
        var firstBytes = [Bool](repeating: false, count: 256)
        for special in specials { firstBytes[Int(special.bytes[0])] = true }
        var text = text
        var out: [UInt32] = []
        text.withUTF8 { utf8 in
            out.reserveCapacity(utf8.count / 3 + 1)
            var segmentStart = 0
            var i = 0
            scan: while i < utf8.count {
                if firstBytes[Int(utf8[i])] {
                    for special in specials where Self.matches(special.bytes, in: utf8, at: i) {
                        appendOrdinary(UnsafeBufferPointer(rebasing: utf8[segmentStart..<i]), to: &out)
                        out.append(special.id)
                        i += special.bytes.count
                        segmentStart = i
                        continue scan
                    }
                }
                i += 1
            }
            appendOrdinary(UnsafeBufferPointer(rebasing: utf8[segmentStart..<utf8.count]), to: &out)
        }
        return out
    }

    private static func matches(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        guard start + needle.count <= haystack.count else { return false }
        for (k, byte) in needle.enumerated() where haystack[start + k] != byte { return false }
        return true
    }

    private func appendOrdinary(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt32]) {
        guard !utf8.isEmpty else { return }
        for range in pattern.split(utf8) {
            bytePairEncoder.encodePiece(UnsafeBufferPointer(rebasing: utf8[range]), into: &out)
        }
    }

    // MARK: - Decoding

    /// The bytes of a sequence of ids (ordinary or special).
    ///
    /// ```swift
    /// try cl100k.decode([15339, 100257])   // Array("hello<|endoftext|>".utf8)
    /// ```
    ///
    /// - Throws: `.unknownTokenID` naming the first id that is neither.
    /// - Complexity: O(ids.count + output bytes).
    public func decode(_ ids: [UInt32]) throws(TokenizerError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids where !bytePairEncoder.appendBytes(of: id, to: &out) {
            guard let special = specialBytesByID[id] else { throw .unknownTokenID(id) }
            out.append(contentsOf: special)
        }
        return out
    }

    /// Decodes to a string, replacing invalid UTF-8 (e.g. a multi-byte character cut between ids) with U+FFFD.
    ///
    /// ```swift
    /// try cl100k.decodeString([15339, 1917])   // "hello world"
    /// ```
    ///
    /// - Throws: `.unknownTokenID`.
    /// - Complexity: O(ids.count + output bytes).
    public func decodeString(_ ids: [UInt32]) throws(TokenizerError) -> String {
        String(decoding: try decode(ids), as: UTF8.self)
    }
}

// MARK: - .tiktoken parsing

/// Reads a whole file into memory.
private func readWholeFile(_ path: String) throws(TokenizerError) -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    defer { fclose(file) }
    var contents: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let read = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if read > 0 { contents.append(contentsOf: chunk[0..<read]) }
        if read < chunk.count {
            if ferror(file) != 0 { throw .unreadableFile(path: path, reason: String(cString: strerror(errno))) }
            break
        }
    }
    return contents
}

/// Parses `.tiktoken` contents (`base64 rank` per line) into an encoder; `path` only labels errors.
///
/// ```swift
/// let bpe = try parseTiktokenRanks(Array("IQ== 0\n...".utf8), path: "x.tiktoken")
/// ```
///
/// - Complexity: O(contents.count).
func parseTiktokenRanks(_ contents: [UInt8], path: String) throws(TokenizerError) -> BytePairEncoder {
    var arena: [UInt8] = []
    var spans: [(offset: Int, length: Int)] = []
    var ranks: [UInt32] = []
    var lines: [Int] = []
    arena.reserveCapacity(contents.count / 2)
    let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
    var lineNumber = 0
    var lineStart = 0
    while lineStart < contents.count {
        lineNumber += 1
        var lineEnd = lineStart
        while lineEnd < contents.count && contents[lineEnd] != lf { lineEnd += 1 }
        defer { lineStart = lineEnd + 1 }
        // Fields separated by runs of spaces or tabs; a trailing \r (CRLF files) is whitespace too.
        var fields: [Range<Int>] = []
        var i = lineStart
        while i < lineEnd {
            while i < lineEnd && (contents[i] == space || contents[i] == tab || contents[i] == cr) { i += 1 }
            if i == lineEnd { break }
            let start = i
            while i < lineEnd && contents[i] != space && contents[i] != tab && contents[i] != cr { i += 1 }
            fields.append(start..<i)
        }
        if fields.isEmpty { continue }
        guard fields.count == 2 else {
            let reason = fields.count == 1
                ? "expected \"<base64 token> <rank>\", found one field (missing rank)"
                : "expected \"<base64 token> <rank>\", found \(fields.count) fields"
            throw .malformedLine(path: path, line: lineNumber, reason: reason)
        }
        let offset = arena.count
        if let problem = appendBase64Decoded(contents[fields[0]], to: &arena) {
            throw .malformedLine(path: path, line: lineNumber, reason: "invalid base64 token: \(problem)")
        }
        if arena.count == offset {
            throw .malformedLine(path: path, line: lineNumber, reason: "empty token")
        }
        guard let rank = parseRank(contents[fields[1]]) else {
            let text = String(decoding: contents[fields[1]], as: UTF8.self)
            let reason = "rank \(text.debugDescription) is not an integer 0…\(UInt32.max - 1)"
            throw .malformedLine(path: path, line: lineNumber, reason: reason)
        }
        spans.append((offset, arena.count - offset))
        ranks.append(rank)
        lines.append(lineNumber)
    }
    switch RankTable.build(arena: arena, spans: spans, ranks: ranks) {
    case .success(let table):
        return BytePairEncoder(table: table)
    case .failure(.duplicateToken(let entry, let first)):
        throw .duplicateToken(path: path, line: lines[entry], firstLine: lines[first])
    case .failure(.duplicateRank(let entry, let first)):
        throw .duplicateRank(path: path, line: lines[entry], rank: ranks[entry], firstLine: lines[first])
    case .failure(.missingByte(let byte)):
        throw .missingByte(byte)
    case .failure(.emptyToken(let entry)):
        throw .malformedLine(path: path, line: lines[entry], reason: "empty token")
    }
}

/// A decimal rank below `UInt32.max` (which marks "no token" internally), or nil.
private func parseRank(_ digits: ArraySlice<UInt8>) -> UInt32? {
    guard !digits.isEmpty, digits.count <= 10 else { return nil }
    var value: UInt64 = 0
    for byte in digits {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
    }
    return value < UInt64(UInt32.max) ? UInt32(value) : nil
}

/// Strictly decodes standard base64 (RFC 4648 alphabet, `=` padding required to a multiple of 4) onto `out`;
/// returns a description of the problem, or nil on success.
private func appendBase64Decoded(_ text: ArraySlice<UInt8>, to out: inout [UInt8]) -> String? {
    guard text.count % 4 == 0 else { return "length \(text.count) is not a multiple of 4" }
    var padding = 0
    if text.last == UInt8(ascii: "=") { padding += 1 }
    if text.count >= 2 && text[text.endIndex - 2] == UInt8(ascii: "=") { padding += 1 }
    var accumulator: UInt32 = 0
    var bits = 0
    for (k, byte) in text.enumerated() {
        if k >= text.count - padding { break }
        let value: UInt32
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): value = 62
        case UInt8(ascii: "/"): value = 63
        default:
            let shown = byte >= 0x20 && byte < 0x7F
                ? "\"\(Character(Unicode.Scalar(byte)))\"" : "byte 0x\(String(byte, radix: 16))"
            return "unexpected \(shown) at position \(k + 1)"
        }
        accumulator = accumulator << 6 | value
        bits += 6
        if bits >= 8 {
            bits -= 8
            out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            accumulator &= (1 << UInt32(bits)) - 1
        }
    }
    if accumulator != 0 { return "non-zero padding bits" }
    return nil
}
