import Foundation

// Reading tokenizer.json into components. One function per component kind, one `case` per component type;
// anything unknown throws `TokenizerError.unsupportedComponent` with its JSON path.

/// Typed access to the parsed JSON with the file path and JSON path in every error.
struct HFJSONReader {
    let path: String
    /// The file's bytes, for what `JSONSerialization` loses (the exact text of Unigram scores).
    var source: Data? = nil

    func malformed(_ jsonPath: String, _ reason: String) -> TokenizerError {
        .malformedJSON(path: path, jsonPath: jsonPath, reason: reason)
    }

    func unsupported(_ jsonPath: String, _ component: String) -> TokenizerError {
        .unsupportedComponent(path: path, jsonPath: jsonPath, component: component)
    }

    func isNull(_ value: Any?) -> Bool { value == nil || value is NSNull }

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

    /// A string, or `defaultValue` when absent or null.
    func string(_ value: Any?, at jsonPath: String, default defaultValue: String?) throws(TokenizerError) -> String? {
        if isNull(value) { return defaultValue }
        return try string(value, at: jsonPath)
    }

    /// A boolean, or `defaultValue` when absent or null.
    func bool(_ value: Any?, at jsonPath: String, default defaultValue: Bool) throws(TokenizerError) -> Bool {
        if isNull(value) { return defaultValue }
        guard let bool = value as? Bool else { throw malformed(jsonPath, "expected a boolean") }
        return bool
    }

    /// A JSON number as a Double.
    func number(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> Double {
        guard let number = value as? NSNumber else { throw malformed(jsonPath, "expected a number") }
        return number.doubleValue
    }

    /// A non-negative integer (sizes, counts), or `defaultValue` when absent or null.
    func count(_ value: Any?, at jsonPath: String, default defaultValue: Int) throws(TokenizerError) -> Int {
        if isNull(value) { return defaultValue }
        guard let number = value as? NSNumber, let count = Int(exactly: number.doubleValue), count >= 0 else {
            throw malformed(jsonPath, "expected a non-negative integer")
        }
        return count
    }

    /// A token id. The path is built only for an error: building one per vocabulary entry (a `debugDescription`
    /// of every token) was a tenth of loading a 150k-token file.
    func id(_ value: Any?, at jsonPath: @autoclosure () -> String) throws(TokenizerError) -> UInt32 {
        guard let number = value as? NSNumber, let id = UInt32(exactly: number.doubleValue) else {
            throw malformed(jsonPath(), "expected a token id (an integer from 0 to 4294967295)")
        }
        return id
    }

    func type(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> String {
        try string(object["type"], at: jsonPath + ".type")
    }

    /// The members of a `Sequence` component under `key`, each parsed by `parse` with its JSON path.
    func members<T>(
        _ object: [String: Any], key: String, at jsonPath: String,
        _ parse: (Any, String) throws(TokenizerError) -> T
    ) throws(TokenizerError) -> [T] {
        let list = try array(object[key], at: "\(jsonPath).\(key)")
        var result: [T] = []
        for (index, member) in list.enumerated() {
            result.append(try parse(member, "\(jsonPath).\(key)[\(index)]"))
        }
        return result
    }

    // MARK: normalizers

    /// The normalizer, or nil for none.
    func normalizer(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> (any HFNormalizer)? {
        if isNull(value) { return nil }
        let object = try object(value, at: jsonPath)
        switch try type(object, at: jsonPath) {
        case "Sequence":
            let members = try members(object, key: "normalizers", at: jsonPath) { (member, memberPath) throws(TokenizerError) in
                try normalizer(member, at: memberPath)
            }.compactMap { $0 }
            if members.isEmpty { return nil }
            return members.count == 1 ? members[0] : HFNormalizerSequence(members)
        case let form where HFUnicodeNormalizer.Form(rawValue: form) != nil:
            return HFUnicodeNormalizer(HFUnicodeNormalizer.Form(rawValue: form) ?? .nfc)
        case let generic where HFJSONReader.genericNormalizerTypes.contains(generic):
            return try genericNormalizer(object, type: generic, at: jsonPath)
        case let other:
            throw unsupported(jsonPath, "normalizer \(other)")
        }
    }

    // MARK: pre-tokenizers

    /// The pre-tokenizer, or nil for none.
    func preTokenizer(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> (any HFPreTokenizer)? {
        if isNull(value) { return nil }
        let object = try object(value, at: jsonPath)
        switch try type(object, at: jsonPath) {
        case "Sequence":
            let members = try members(object, key: "pretokenizers", at: jsonPath) { (member, memberPath) throws(TokenizerError) in
                try preTokenizer(member, at: memberPath)
            }.compactMap { $0 }
            return members.count == 1 ? members[0] : HFPreTokenizerSequence(members)
        case "ByteLevel":
            return HFByteLevelPreTokenizer(
                addPrefixSpace: try bool(object["add_prefix_space"], at: jsonPath + ".add_prefix_space", default: true),
                useRegex: try bool(object["use_regex"], at: jsonPath + ".use_regex", default: true))
        case "Split":
            return try split(object, at: jsonPath)
        case let generic where HFJSONReader.genericPreTokenizerTypes.contains(generic):
            return try genericPreTokenizer(object, type: generic, at: jsonPath)
        case "Metaspace":  // HFMetaspace.swift
            let options = try metaspace(object, at: jsonPath)
            return HFMetaspacePreTokenizer(
                replacement: options.replacement, prependScheme: options.scheme, split: options.split)
        case let other:
            throw unsupported(jsonPath, "pre-tokenizer \(other)")
        }
    }

    func split(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> HFSplit {
        let behaviorName = try string(object["behavior"], at: jsonPath + ".behavior")
        guard let behavior = HFSplit.Behavior(rawValue: behaviorName) else {
            throw malformed(jsonPath + ".behavior", "unknown Split behavior \(behaviorName.debugDescription)")
        }
        let invert = try bool(object["invert"], at: jsonPath + ".invert", default: false)
        let patternPath = jsonPath + ".pattern"
        let patternObject = try self.object(object["pattern"], at: patternPath)
        let pattern: HFSplitPattern
        if let literal = patternObject["String"] {
            pattern = .literal(Array(try string(literal, at: patternPath + ".String").utf8))
        } else if let regexValue = patternObject["Regex"] {
            let regex = try string(regexValue, at: patternPath + ".Regex")
            pattern = try splitRegex(regex, at: patternPath + ".Regex")
        } else {
            throw malformed(patternPath, "expected {\"String\": ...} or {\"Regex\": ...}")
        }
        return HFSplit(pattern: pattern, behavior: behavior, invert: invert)
    }

    /// A Split regex: a hand-written scanner when one implements it exactly, else PCRE2 (`HFRegex`).
    func splitRegex(_ regex: String, at jsonPath: String) throws(TokenizerError) -> HFSplitPattern {
        if let scanner = PreTokenizerPattern.hfRegexes[regex] { return .scanner(scanner) }
        if let scanner = CategoryScanner.known[regex] { return .matcher(scanner) }
        do {
            return .matcher(try HFRegex(pattern: regex))
        } catch {
            if case let .unsupportedComponent(_, _, component) = error { throw unsupported(jsonPath, component) }
            throw error
        }
    }

    // MARK: models

    /// The model; a BPE is byte-level (`MergeBPE`) when `byteLevel` (the pre-tokenizer has a ByteLevel step),
    /// else over vocabulary strings (`SentencePieceBPE`, in HFSentencePieceBPE.swift).
    func model(_ value: Any?, at jsonPath: String, byteLevel: Bool = true) throws(TokenizerError) -> any HFModel {
        let object = try object(value, at: jsonPath)
        // `type` may be absent in old files; BPE is then recognized by its merges.
        let kind = try string(object["type"], at: jsonPath + ".type", default: object["merges"] != nil ? "BPE" : nil)
        switch kind {
        case "BPE":
            return byteLevel ? try byteLevelBPE(object, at: jsonPath) : try sentencePieceBPE(object, at: jsonPath)
        case "WordPiece":
            return try wordPiece(object, at: jsonPath)
        case "Unigram":
            return try unigram(object, at: jsonPath)
        case "WordLevel":
            return try wordLevel(object, at: jsonPath)
        case let other:
            throw unsupported(jsonPath + ".type", "model \(other ?? "(no type)")")
        }
    }

    /// A Unigram model: `vocab` as `[[piece, score], ...]` in id order, `unk_id`, `byte_fallback`.
    func unigram(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> HFUnigram {
        let vocabPath = jsonPath + ".vocab"
        let entries = try array(object["vocab"], at: vocabPath)
        var vocab: [(token: String, score: Double)] = []
        vocab.reserveCapacity(entries.count)
        // Scores as tokenizers reads them (serde_json, not correctly rounded): from their text in the file.
        let texts = source.flatMap { UnigramScoreTexts.scan([UInt8]($0)) }
        let scoreTexts = texts?.count == entries.count ? texts : nil
        for (index, entry) in entries.enumerated() {
            let entryPath = "\(vocabPath)[\(index)]"
            let pair = try array(entry, at: entryPath)
            guard pair.count == 2 else { throw malformed(entryPath, "expected [piece, score]") }
            let value = try number(pair[1], at: entryPath + "[1]")
            let score = scoreTexts.flatMap { SerdeJSONFloat.parsed(text: $0[index]) } ?? value
            vocab.append((try string(pair[0], at: entryPath + "[0]"), score))
        }
        guard !isNull(object["unk_id"]) else {
            throw unsupported(jsonPath + ".unk_id", "Unigram without unk_id (tokenizers fails on unknown characters)")
        }
        let unknownID = try id(object["unk_id"], at: jsonPath + ".unk_id")
        guard Int(unknownID) < vocab.count else { throw malformed(jsonPath + ".unk_id", "unk_id \(unknownID) is not in vocab") }
        return try HFUnigram(
            vocab: vocab, unknownID: unknownID,
            byteFallback: try bool(object["byte_fallback"], at: jsonPath + ".byte_fallback", default: false))
    }

    /// A byte-level BPE model (every vocabulary token written in the GPT-2 byte alphabet).
    func byteLevelBPE(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> MergeBPE {
        if try bool(object["byte_fallback"], at: jsonPath + ".byte_fallback", default: false) {
            throw unsupported(jsonPath + ".byte_fallback", "byte-level BPE with byte_fallback")
        }
        if !isNull(object["dropout"]) {
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
        var textTokens: [UInt32: [UInt8]] = [:]
        ids.reserveCapacity(vocab.count)
        for (key, rawID) in vocab {
            func entryPath() -> String { "\(vocabPath)[\(key.debugDescription)]" }
            let id = try self.id(rawID, at: entryPath())
            guard let bytes = ByteLevelAlphabet.decode(key) else {
                guard !key.isEmpty, textTokens[id] == nil else { throw malformed(entryPath(), "id \(id) is used twice") }
                textTokens[id] = Array(key.utf8)  // never produced by merges; decodes to its text
                continue
            }
            guard !bytes.isEmpty else { throw malformed(entryPath(), "empty vocabulary token") }
            if Int(id) >= tokens.count {
                guard Int(id) < vocab.count * 2 + 1_000_000 else { throw malformed(entryPath(), "id \(id) is too large") }
                tokens.append(contentsOf: repeatElement([], count: Int(id) + 1 - tokens.count))
            }
            guard tokens[Int(id)].isEmpty else { throw malformed(entryPath(), "id \(id) is used twice") }
            guard ids[bytes] == nil else { throw malformed(entryPath(), "the same bytes are listed twice") }
            tokens[Int(id)] = bytes
            ids[bytes] = id
        }
        let merges = try mergePairs(object, at: jsonPath).enumerated().map {
            (index, pair) throws(TokenizerError) -> (left: UInt32, right: UInt32, merged: UInt32) in
            func mergePath() -> String { "\(jsonPath).merges[\(index)]" }
            guard let left = ByteLevelAlphabet.decode(pair.0), let right = ByteLevelAlphabet.decode(pair.1),
                let leftID = ids[left], let rightID = ids[right]
            else {
                throw malformed(mergePath(), "merge of a token that is not in the vocabulary")
            }
            guard let merged = ids[left + right] else {
                throw malformed(mergePath(), "the merged token is not in the vocabulary")
            }
            return (leftID, rightID, merged)
        }
        for id in textTokens.keys where Int(id) < tokens.count && !tokens[Int(id)].isEmpty {
            throw malformed("\(vocabPath)", "id \(id) is used twice")
        }
        return try MergeBPE(tokens: tokens, merges: merges, ignoreMerges: ignoreMerges, textTokens: textTokens)
    }

    /// The `merges` of a BPE model as string pairs, from `"a b"` strings or `[a, b]` arrays.
    func mergePairs(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> [(String, String)] {
        let mergesPath = jsonPath + ".merges"
        let rawMerges = try array(object["merges"], at: mergesPath)
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(rawMerges.count)
        for (index, raw) in rawMerges.enumerated() {
            func mergePath() -> String { "\(mergesPath)[\(index)]" }
            if let line = raw as? String {
                // "a b": exactly one space (split once, then check, instead of an array of parts per merge).
                if let space = line.utf8.firstIndex(of: 0x20) {
                    let left = line[..<space], right = line[line.utf8.index(after: space)...]
                    if !right.utf8.contains(0x20) {
                        pairs.append((String(left), String(right)))
                        continue
                    }
                }
                let count = line.split(separator: " ", omittingEmptySubsequences: false).count
                throw malformed(mergePath(), "expected two tokens, got \(count)")
            } else if let pair = raw as? [Any] {
                let parts = try pair.enumerated().map { (k, part) throws(TokenizerError) in
                    try string(part, at: "\(mergePath())[\(k)]")
                }
                guard parts.count == 2 else { throw malformed(mergePath(), "expected two tokens, got \(parts.count)") }
                pairs.append((parts[0], parts[1]))
            } else {
                throw malformed(mergePath(), "expected \"a b\" or [a, b]")
            }
        }
        return pairs
    }

    // MARK: decoders

    /// The decoder, or nil for none.
    func decoder(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> (any HFDecoder)? {
        if isNull(value) { return nil }
        let object = try object(value, at: jsonPath)
        switch try type(object, at: jsonPath) {
        case "Sequence":
            let members = try members(object, key: "decoders", at: jsonPath) { (member, memberPath) throws(TokenizerError) in
                try decoder(member, at: memberPath)
            }.compactMap { $0 }
            return members.count == 1 ? members[0] : HFDecoderSequence(members)
        case "ByteLevel":
            return HFByteLevelDecoder()
        case "WordPiece":
            return try wordPieceDecoder(object, at: jsonPath)
        case let kind where ["Replace", "ByteFallback", "Fuse", "Strip", "Metaspace"].contains(kind):
            return try stringDecoder(kind, object, at: jsonPath)  // HFDecoders.swift
        case let other:
            throw unsupported(jsonPath, "decoder \(other)")
        }
    }

    // MARK: added tokens

    func addedTokens(_ value: Any?, at jsonPath: String) throws(TokenizerError) -> [HFTokenizer.AddedToken] {
        if isNull(value) { return [] }
        let entries = try array(value, at: jsonPath)
        var tokens: [HFTokenizer.AddedToken] = []
        for (index, entry) in entries.enumerated() {
            let entryPath = "\(jsonPath)[\(index)]"
            let object = try object(entry, at: entryPath)
            let id = try self.id(object["id"], at: entryPath + ".id")
            let content = try string(object["content"], at: entryPath + ".content")
            guard !content.isEmpty else { throw malformed(entryPath + ".content", "empty added token") }
            let special = try bool(object["special"], at: entryPath + ".special", default: false)
            tokens.append(HFTokenizer.AddedToken(
                id: id, content: Array(content.utf8), special: special,
                lstrip: try bool(object["lstrip"], at: entryPath + ".lstrip", default: false),
                rstrip: try bool(object["rstrip"], at: entryPath + ".rstrip", default: false),
                singleWord: try bool(object["single_word"], at: entryPath + ".single_word", default: false),
                normalized: try bool(object["normalized"], at: entryPath + ".normalized", default: !special)))
        }
        return tokens
    }
}
