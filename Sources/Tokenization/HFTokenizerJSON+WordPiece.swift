import Foundation

// Reading the BERT-family components and the generic normalizers and pre-tokenizers from tokenizer.json.
// `HFTokenizerJSON.swift` dispatches on `type` to these; unknown options throw with their JSON path.

extension HFJSONReader {
    /// The normalizer types of this file, for the dispatch in `normalizer(_:at:)`.
    static let genericNormalizerTypes: Set<String> = [
        "BertNormalizer", "Lowercase", "Strip", "StripAccents", "Replace", "Prepend", "Precompiled", "Nmt", "ByteLevel",
    ]

    /// The pre-tokenizer types of this file, for the dispatch in `preTokenizer(_:at:)`.
    static let genericPreTokenizerTypes: Set<String> = [
        "BertPreTokenizer", "Whitespace", "WhitespaceSplit", "Punctuation", "Digits",
    ]

    /// A normalizer of `genericNormalizerTypes`.
    func genericNormalizer(
        _ object: [String: Any], type: String, at jsonPath: String
    ) throws(TokenizerError) -> any HFNormalizer {
        switch type {
        case "BertNormalizer":
            let stripAccents: Bool? = isNull(object["strip_accents"])
                ? nil : try bool(object["strip_accents"], at: jsonPath + ".strip_accents", default: false)
            return HFBertNormalizer(
                cleanText: try bool(object["clean_text"], at: jsonPath + ".clean_text", default: true),
                handleChineseChars: try bool(
                    object["handle_chinese_chars"], at: jsonPath + ".handle_chinese_chars", default: true),
                stripAccents: stripAccents,
                lowercase: try bool(object["lowercase"], at: jsonPath + ".lowercase", default: true))
        case "Lowercase":
            return HFLowercase()
        case "Nmt":
            return HFNmt()
        case "ByteLevel":
            return HFByteLevelNormalizer()
        case "StripAccents":
            return HFStripAccents()
        case "Strip":
            return HFStrip(
                left: try bool(object["strip_left"], at: jsonPath + ".strip_left", default: true),
                right: try bool(object["strip_right"], at: jsonPath + ".strip_right", default: true))
        case "Prepend":
            return HFPrepend(Array(try string(object["prepend"], at: jsonPath + ".prepend").utf8))
        case "Replace":
            let content = Array(try string(object["content"], at: jsonPath + ".content").utf8)
            let patternPath = jsonPath + ".pattern"
            if let regex = try self.object(object["pattern"], at: patternPath)["Regex"] as? String,
                HFJSONReader.literalOfRegex(regex) == nil {
                do {
                    return HFRegexReplace(regex: try HFRegex(pattern: regex), content: content)
                } catch {
                    if case let .unsupportedComponent(_, _, component) = error {
                        throw unsupported(patternPath + ".Regex", component)
                    }
                    throw error
                }
            }
            return HFReplace(pattern: try replacePattern(object["pattern"], at: patternPath), content: content)
        case "Precompiled":
            let encoded = try string(object["precompiled_charsmap"], at: jsonPath + ".precompiled_charsmap")
            guard let blob = Data(base64Encoded: encoded) else {
                throw malformed(jsonPath + ".precompiled_charsmap", "not base64")
            }
            if blob.isEmpty { return HFNormalizerSequence([]) }  // tokenizers: an empty charsmap changes nothing
            do {
                return HFPrecompiled(charsmap: try PrecompiledCharsmap(blob: Array(blob)))
            } catch {
                throw malformed(jsonPath + ".precompiled_charsmap", "\(error)")
            }
        default:
            throw unsupported(jsonPath, "normalizer \(type)")
        }
    }

    /// The literal bytes a `Replace` pattern matches: a `String`, or a `Regex` without metacharacters.
    func replacePattern(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> [UInt8] {
        let object = try object(value, at: jsonPath)
        let literal: String
        if let raw = object["String"] {
            literal = try string(raw, at: jsonPath + ".String")
        } else if let raw = object["Regex"] {
            let regex = try string(raw, at: jsonPath + ".Regex")
            guard let plain = HFJSONReader.literalOfRegex(regex) else {
                throw unsupported(jsonPath + ".Regex", "Replace regex \(regex.debugDescription)")
            }
            literal = plain
        } else {
            throw malformed(jsonPath, "expected {\"String\": ...} or {\"Regex\": ...}")
        }
        guard !literal.isEmpty else { throw unsupported(jsonPath, "Replace with an empty pattern") }
        return Array(literal.utf8)
    }

    /// The text a regex matches when it is a plain literal (metacharacters only escaped), else nil.
    ///
    /// ```swift
    /// HFJSONReader.literalOfRegex(#"\.\.\."#)   // "..."
    /// HFJSONReader.literalOfRegex(" {2,}")     // nil
    /// ```
    static func literalOfRegex(_ regex: String) -> String? {
        let meta: Set<Character> = ["\\", ".", "^", "$", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]
        var result = ""
        var escaped = false
        for character in regex {
            if escaped {
                guard meta.contains(character) || character == "-" || character == "/" || character == " " else {
                    return nil  // \s, \d, \p{..}, \n and the like are classes or escapes, not handled here
                }
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if meta.contains(character) {
                return nil
            } else {
                result.append(character)
            }
        }
        return escaped ? nil : result
    }

    /// A pre-tokenizer of `genericPreTokenizerTypes`.
    func genericPreTokenizer(
        _ object: [String: Any], type: String, at jsonPath: String
    ) throws(TokenizerError) -> any HFPreTokenizer {
        switch type {
        case "BertPreTokenizer":
            return HFBertPreTokenizer()
        case "Whitespace":
            return HFWhitespacePreTokenizer()
        case "WhitespaceSplit":
            return HFSplit.whitespaceSplit()
        case "Punctuation":
            let name = try string(object["behavior"], at: jsonPath + ".behavior", default: "Isolated") ?? "Isolated"
            guard let behavior = HFSplit.Behavior(rawValue: name) else {
                throw malformed(jsonPath + ".behavior", "unknown split behavior \(name.debugDescription)")
            }
            return HFSplit.punctuation(behavior)
        case "Digits":
            return HFSplit.digits(
                individual: try bool(object["individual_digits"], at: jsonPath + ".individual_digits", default: false))
        default:
            throw unsupported(jsonPath, "pre-tokenizer \(type)")
        }
    }

    /// A `WordPiece` model.
    func wordPiece(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> HFWordPiece {
        let vocab = try stringVocab(object, at: jsonPath)
        let unk = try string(object["unk_token"], at: jsonPath + ".unk_token", default: "[UNK]") ?? "[UNK]"
        let prefix = try string(
            object["continuing_subword_prefix"], at: jsonPath + ".continuing_subword_prefix", default: "##") ?? "##"
        let maxChars = try count(
            object["max_input_chars_per_word"], at: jsonPath + ".max_input_chars_per_word", default: 100)
        return try HFWordPiece(
            vocab: vocab, unkToken: Array(unk.utf8), prefix: Array(prefix.utf8), maxInputCharsPerWord: maxChars,
            path: path, jsonPath: jsonPath)
    }

    /// A `vocab` object of string → id, as (UTF-8 bytes, id) pairs.
    func stringVocab(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> [([UInt8], UInt32)] {
        let vocabPath = jsonPath + ".vocab"
        let vocabObject = try self.object(object["vocab"], at: vocabPath)
        var vocab: [([UInt8], UInt32)] = []
        vocab.reserveCapacity(vocabObject.count)
        for (key, rawID) in vocabObject {
            vocab.append((Array(key.utf8), try id(rawID, at: "\(vocabPath)[\(key.debugDescription)]")))
        }
        return vocab
    }

    /// A `WordLevel` model: `vocab` (string → id) and `unk_token` (default `<unk>`).
    func wordLevel(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> HFWordLevel {
        let vocab = try stringVocab(object, at: jsonPath)
        let unk = try string(object["unk_token"], at: jsonPath + ".unk_token", default: "<unk>") ?? "<unk>"
        return try HFWordLevel(vocab: vocab, unkToken: Array(unk.utf8), path: path, jsonPath: jsonPath)
    }

    /// A `WordPiece` decoder.
    func wordPieceDecoder(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> HFWordPieceDecoder {
        let prefix = try string(object["prefix"], at: jsonPath + ".prefix", default: "##") ?? "##"
        return HFWordPieceDecoder(
            prefix: Array(prefix.utf8), cleanup: try bool(object["cleanup"], at: jsonPath + ".cleanup", default: true))
    }
}
