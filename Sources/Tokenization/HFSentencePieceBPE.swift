import CorpusCore
import Foundation

/// A merges-based BPE over vocabulary strings, as `tokenizers`' `models.BPE` runs it for SentencePiece-style
/// files (Llama-2, Mistral): initial symbols are Unicode scalars, with `byte_fallback` and `fuse_unk`.
///
/// A pre-token (UTF-8, with `▁` for spaces after the normalizer or Metaspace) starts as one symbol per scalar:
/// the scalar's vocabulary id when the vocabulary has it; else, with byte fallback, one `<0xAB>` token per UTF-8
/// byte when all of them exist; else the unknown token (consecutive unknown scalars fuse into one with
/// `fuseUnk`; without an unknown token the scalar is dropped). As in `tokenizers`' `merge_word`, a pending
/// unknown token is written only when the next scalar found in the vocabulary (or the end) comes, so byte
/// fallback ids that come between are written before it. Then adjacent symbols merge by merge rank (the
/// position in the merges list), the leftmost on ties, exactly as the byte-level `MergeBPE` does. With
/// `ignoreMerges`, a pre-token that is one vocabulary string is that token.
///
/// ```swift
/// let bpe = try SentencePieceBPE(
///     tokens: ["<unk>", "▁", "h", "i", "▁h", "▁hi"].map { Array($0.utf8) },
///     merges: [(1, 2, 4), (4, 3, 5)], unknownID: 0, fuseUnknown: true, byteFallback: false, ignoreMerges: false)
/// bpe.encodePiece(Array("▁hi".utf8))   // [5]
/// bpe.encodePiece(Array("ΩΩh".utf8))   // [0, 2]
/// ```
///
/// - Complexity: O(n log n) for a pre-token of n scalars (the heap merge above `MergeBPE.heapThreshold`).
public struct SentencePieceBPE: Sendable {
    /// The UTF-8 bytes of each token id (empty for an id with no vocabulary token).
    let tokens: [[UInt8]]
    /// The id of each vocabulary string.
    let ids: [[UInt8]: UInt32]
    /// Vocabulary ids of the one-scalar tokens, by scalar value (ASCII through `asciiIDs`).
    let scalarIDs: PairTable
    /// The id of each ASCII character's one-byte token, or `UInt32.max`.
    let asciiIDs: [UInt32]
    /// The id of `<0xAB>` for each byte, or `UInt32.max` (all `.max` without byte fallback).
    let byteIDs: [UInt32]
    /// `(left << 32 | right)` → `(rank << 32 | merged)`: the reference path's table.
    let merges: [UInt64: UInt64]
    /// The same map as an open-addressing table for the fast path.
    let pairTable: PairTable
    /// The id of the unknown token, or nil (unknown scalars are then dropped, as `tokenizers` does).
    public let unknownID: UInt32?
    /// Fuse consecutive unknown scalars into one unknown token.
    public let fuseUnknown: Bool
    /// Spell scalars missing from the vocabulary as `<0xAB>` byte tokens.
    public let byteFallback: Bool
    /// Emit a pre-token found whole in the vocabulary before merging.
    public let ignoreMerges: Bool
    /// The id of `▁` when a pre-token can be merged word by word, cut before every `▁` symbol that follows
    /// another symbol; else nil.
    ///
    /// Why: Llama-2 and Mistral files have no pre-tokenizer (or Metaspace without split), so a whole document is
    /// one pre-token and `tokenizers` runs one heap merge over all of it. When no vocabulary string has `▁` after
    /// another scalar, no merge can join the symbols on the two sides of such a cut (the merged string would be
    /// such a token: every symbol's string but `▁` itself ends in another scalar, `<unk>` and `<0xAB>` included),
    /// so merging each word alone gives the same ids, and a word of a few symbols merges in place
    /// with a linear scan, without the heap's arrays. Checked when the model is built; requires `▁` in the
    /// vocabulary (the pending unknown token is then written before it, as without the cut) and no
    /// `ignoreMerges` (which looks at the whole pre-token).
    let wordSpaceID: UInt32?
    /// Files the per-thread word caches of `encodePiece(_:cache:into:)`.
    let pieceCaches = WordCacheOwner()

    /// Whether `encodePiece(_:cache:into:)` may cut at bytes: merging word by word (`wordSpaceID`) with an
    /// unknown token, so that every scalar leaves a symbol (none is dropped) and a cut falls before each `▁`
    /// whose preceding scalar is not `▁`.
    var cachesWords: Bool { wordSpaceID != nil && unknownID != nil }

    /// Builds the model from token strings (UTF-8) by id and merges as id triples in rank order (rank = index).
    ///
    /// As in `tokenizers`, a pair listed twice keeps its later rank.
    ///
    /// ```swift
    /// let bpe = try SentencePieceBPE(tokens: tokens, merges: [], unknownID: 0, fuseUnknown: true,
    ///                                byteFallback: true, ignoreMerges: false)
    /// ```
    ///
    /// - Throws: `TokenizerError.unknownTokenID` when `unknownID` has no token.
    /// - Complexity: O(vocabulary bytes + merges).
    public init(
        tokens: [[UInt8]], merges: [(left: UInt32, right: UInt32, merged: UInt32)], unknownID: UInt32?,
        fuseUnknown: Bool, byteFallback: Bool, ignoreMerges: Bool
    ) throws(TokenizerError) {
        var ids: [[UInt8]: UInt32] = [:]
        ids.reserveCapacity(tokens.count)
        var asciiIDs = [UInt32](repeating: .max, count: 128)
        var scalars: [UInt64: UInt64] = [:]
        for (id, bytes) in tokens.enumerated() where !bytes.isEmpty {
            ids[bytes] = UInt32(id)
            if bytes.count == 1 && bytes[0] < 0x80 {
                asciiIDs[Int(bytes[0])] = UInt32(id)
            } else if let scalar = SentencePieceBPE.singleScalar(bytes) {
                scalars[UInt64(scalar)] = UInt64(id)
            }
        }
        var byteIDs = [UInt32](repeating: .max, count: 256)
        if byteFallback {
            for byte in 0..<256 {
                if let id = ids[SentencePieceBPE.byteToken(UInt8(byte))] { byteIDs[byte] = id }
            }
        }
        if let unknownID, Int(unknownID) >= tokens.count || tokens[Int(unknownID)].isEmpty {
            throw .unknownTokenID(unknownID)
        }
        let table = mergeRankTable(merges)
        self.tokens = tokens
        self.ids = ids
        self.scalarIDs = PairTable(scalars)
        self.asciiIDs = asciiIDs
        self.byteIDs = byteIDs
        self.merges = table
        self.pairTable = PairTable(table)
        self.unknownID = unknownID
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        let space: [UInt8] = [0xE2, 0x96, 0x81]  // ▁ U+2581
        if let spaceID = ids[space], !ignoreMerges,
            !tokens.contains(where: { SentencePieceBPE.hasSpaceAfterOtherScalar($0, space: space) })
        {
            self.wordSpaceID = spaceID
        } else {
            self.wordSpaceID = nil
        }
    }

    /// Whether `token` has `space` right after a scalar that is not `space`.
    static func hasSpaceAfterOtherScalar(_ token: [UInt8], space: [UInt8]) -> Bool {
        var i = 1
        while i + space.count <= token.count {
            if token[i] == space[0] && token[i..<(i + space.count)].elementsEqual(space)
                && !(i >= space.count && token[(i - space.count)..<i].elementsEqual(space))
            {
                return true
            }
            i += 1
        }
        return false
    }

    /// The byte-fallback token of `byte`: `<0x0A>` for 0x0A (as Rust's `format!("<{b:#04X}>")` spells it).
    ///
    /// ```swift
    /// SentencePieceBPE.byteToken(0xE2)   // Array("<0xE2>".utf8)
    /// ```
    public static func byteToken(_ byte: UInt8) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        return [0x3C, 0x30, 0x78, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)], 0x3E]
    }

    /// The scalar value of `bytes` when they are exactly one UTF-8 scalar, else nil.
    static func singleScalar(_ bytes: [UInt8]) -> UInt32? {
        guard let lead = bytes.first else { return nil }
        let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
        guard length == bytes.count else { return nil }
        if length == 1 { return UInt32(lead) }
        return bytes.withUnsafeBufferPointer { decodeMultibyteScalar($0, at: 0).value }
    }

    /// The UTF-8 bytes of token `id`, or nil when the vocabulary has no such token.
    public func tokenBytes(_ id: UInt32) -> [UInt8]? {
        guard Int(id) < tokens.count, !tokens[Int(id)].isEmpty else { return nil }
        return tokens[Int(id)]
    }

    /// Appends the ids of one pre-token (valid UTF-8) to `out`.
    ///
    /// ```swift
    /// var out: [UInt32] = []
    /// bpe.encodePiece(Array("▁hello".utf8)[...], into: &out)
    /// ```
    ///
    /// - Complexity: O(n log n) for n scalars.
    public func encodePiece(_ piece: ArraySlice<UInt8>, into out: inout [UInt32]) {
        encodePiece(piece, into: &out, heapThreshold: MergeBPE.heapThreshold)
    }

    /// The ids of one pre-token; see `encodePiece(_:into:)`.
    public func encodePiece(_ piece: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        encodePiece(piece[...], into: &out)
        return out
    }

    /// `encodePiece` with an explicit heap threshold (tests force either merge path with it).
    func encodePiece(_ piece: ArraySlice<UInt8>, into out: inout [UInt32], heapThreshold: Int) {
        if piece.isEmpty { return }
        if ignoreMerges, let whole = ids[Array(piece)] {
            out.append(whole)
            return
        }
        guard let spaceID = wordSpaceID else {
            pairTable.merge(initialSymbols(piece), into: &out, heapThreshold: heapThreshold)
            return
        }
        var wordStarts: [Int] = []
        var symbols = initialSymbols(piece, wordSpaceID: spaceID, wordStarts: &wordStarts)
        wordStarts.append(symbols.count)
        symbols.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            for end in wordStarts {
                let word = UnsafeMutableBufferPointer(rebasing: buffer[start..<end])
                if word.count > heapThreshold {
                    pairTable.mergeWithHeap(Array(word), into: &out)
                } else {
                    let count = pairTable.mergeInPlace(word)
                    out.append(contentsOf: word[0..<count])
                }
                start = end
            }
        }
    }

    /// `encodePiece(_:into:)` word by word through this thread's word cache (`pieceCaches.threadPieceCache()`),
    /// where `cachesWords`; other models take `encodePiece(_:into:)`.
    ///
    /// Why: a legacy Llama-2 / Mistral file makes a whole document one pre-token; cut into words (see
    /// `wordSpaceID`), the same words come back document after document, and a cached word skips both the
    /// scalar lookups and the merges. Exact: a word's symbols come from its own bytes (no unknown token is
    /// pending at a cut, since `▁` is a known symbol and writes it first), and its merges stay inside it. The
    /// cuts are found on bytes: before each `▁` (E2 96 81) after the first byte whose previous scalar is not `▁`,
    /// which, with no scalar dropped, is where the previous symbol exists and is not `▁`.
    ///
    /// - Complexity: O(n) for cached words; as `encodePiece(_:into:)` for the others.
    func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, cache: PieceCache, into out: inout [UInt32]) {
        guard cachesWords, piece.baseAddress != nil else {
            encodePiece(ArraySlice(piece), into: &out)
            return
        }
        var start = 0
        while start < piece.count {
            let cut = spaceWordEnd(piece, from: start)
            encodeWord(UnsafeBufferPointer(rebasing: piece[start..<cut]), cache: cache, into: &out)
            start = cut
        }
    }

    /// One word of `encodePiece(_:cache:into:)`: from the cache, or its symbols merged and then cached.
    private func encodeWord(_ word: UnsafeBufferPointer<UInt8>, cache: PieceCache, into out: inout [UInt32]) {
        if cache.lookup(word, into: &out) { return }
        let before = out.count
        var symbols = initialSymbols(ArraySlice(word))
        if symbols.count > MergeBPE.heapThreshold {
            pairTable.mergeWithHeap(symbols, into: &out)
        } else {
            symbols.withUnsafeMutableBufferPointer { pairTable.mergeLinear($0, count: $0.count, into: &out) }
        }
        cache.insert(word, out[before...])
    }

    /// The symbols before merging, as `tokenizers`' `merge_word` builds its `Word`.
    func initialSymbols(_ piece: ArraySlice<UInt8>) -> [UInt32] {
        var wordStarts: [Int] = []
        return initialSymbols(piece, wordSpaceID: nil, wordStarts: &wordStarts)
    }

    /// `initialSymbols`; with `wordSpaceID`, also the index of each symbol `wordSpaceID` (`▁`) that follows
    /// another symbol: where a word starts (see `wordSpaceID`).
    func initialSymbols(_ piece: ArraySlice<UInt8>, wordSpaceID: UInt32?, wordStarts: inout [Int]) -> [UInt32] {
        var symbols: [UInt32] = []
        symbols.reserveCapacity(piece.count)
        var pendingUnknown = false  // an unknown token not yet written (written before the next known scalar)
        piece.withUnsafeBufferPointer { buffer in
            var i = 0
            while i < buffer.count {
                let lead = buffer[i]
                let id: UInt32
                let length: Int
                if lead < 0x80 {
                    id = asciiIDs[Int(lead)]
                    length = 1
                } else {
                    let decoded = decodeMultibyteScalar(buffer, at: i)
                    let found = scalarIDs.value(UInt64(decoded.value))
                    id = found == .max ? .max : UInt32(truncatingIfNeeded: found)
                    length = min(decoded.length, buffer.count - i)
                }
                defer { i += length }
                if id != .max {
                    if pendingUnknown, let unknownID { symbols.append(unknownID) }
                    pendingUnknown = false
                    // A cut after a symbol other than ▁ (a scalar, the unknown token, a byte token; a dropped
                    // scalar leaves none, so its neighbours stay together).
                    if id == wordSpaceID, let last = symbols.last, last != id { wordStarts.append(symbols.count) }
                    symbols.append(id)
                    continue
                }
                if byteFallback && (i..<(i + length)).allSatisfy({ byteIDs[Int(buffer[$0])] != .max }) {
                    for k in i..<(i + length) { symbols.append(byteIDs[Int(buffer[k])]) }
                    continue
                }
                guard let unknownID else { continue }
                if pendingUnknown && !fuseUnknown { symbols.append(unknownID) }
                pendingUnknown = true
            }
        }
        if pendingUnknown, let unknownID { symbols.append(unknownID) }
        return symbols
    }

    /// The oracle: symbols by vocabulary string lookups, then the plain merge loop recomputing every pair.
    ///
    /// Looks scalars and pairs up by their strings (through the vocabulary) rather than through the fast tables.
    ///
    /// ```swift
    /// bpe.encodePieceReference(Array("▁hi".utf8)) == bpe.encodePiece(Array("▁hi".utf8))   // true
    /// ```
    ///
    /// - Complexity: O(n²) lookups for n scalars.
    public func encodePieceReference(_ piece: [UInt8]) -> [UInt32] {
        if piece.isEmpty { return [] }
        if ignoreMerges, let whole = ids[piece] { return [whole] }
        var parts: [[UInt8]] = []
        var pendingUnknown = false
        let flushUnknown = { (parts: inout [[UInt8]], pending: inout Bool) in
            if pending, let unknownID = self.unknownID { parts.append(self.tokens[Int(unknownID)]) }
            pending = false
        }
        for scalar in String(decoding: piece, as: UTF8.self).unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if ids[bytes] != nil {
                flushUnknown(&parts, &pendingUnknown)
                parts.append(bytes)
            } else if byteFallback, bytes.allSatisfy({ ids[SentencePieceBPE.byteToken($0)] != nil }) {
                parts.append(contentsOf: bytes.map(SentencePieceBPE.byteToken))
            } else if unknownID != nil {
                if pendingUnknown && !fuseUnknown { flushUnknown(&parts, &pendingUnknown) }
                pendingUnknown = true
            }
        }
        flushUnknown(&parts, &pendingUnknown)
        var partIDs = parts.compactMap { ids[$0] }
        while partIDs.count > 1 {
            var best: (rank: UInt64, index: Int, merged: UInt32)?
            for k in 0..<(partIDs.count - 1) {
                guard let value = merges[UInt64(partIDs[k]) << 32 | UInt64(partIDs[k + 1])] else { continue }
                if best == nil || value >> 32 < (best?.rank ?? .max) {
                    best = (value >> 32, k, UInt32(truncatingIfNeeded: value))
                }
            }
            guard let chosen = best else { break }
            partIDs[chosen.index] = chosen.merged
            partIDs.remove(at: chosen.index + 1)
        }
        return partIDs
    }
}

/// The end of the word that starts at `start` in UTF-8 text with `▁` for spaces: the next `▁` (E2 96 81) after
/// `start` whose previous scalar is not `▁`, or the end of the text.
///
/// The cut that word-by-word merging makes (`SentencePieceBPE.wordSpaceID`, `SentencePieceScoreBPE.mergesByWord`),
/// found on bytes: E2 is a lead byte, so E2 96 81 is always the scalar `▁` itself.
///
/// ```swift
/// Array("▁a▁▁b▁c".utf8).withUnsafeBufferPointer { spaceWordEnd($0, from: 0) }   // 4: before "▁▁b"
/// ```
///
/// - Complexity: O(word bytes), by `memchr` for E2.
func spaceWordEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    guard let base = bytes.baseAddress else { return bytes.count }
    let n = bytes.count
    var q = start + 1
    while q + 2 < n {
        guard let found = memchr(base + q, 0xE2, n - 2 - q) else { return n }
        q = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        if base[q + 1] == 0x96 && base[q + 2] == 0x81
            && !(q >= 3 && base[q - 3] == 0xE2 && base[q - 2] == 0x96 && base[q - 1] == 0x81)
        {
            return q
        }
        q += 1
    }
    return n
}

extension PairTable {
    /// Merges a short run of symbols in place (as `mergeLinear`) and returns how many are left at its start.
    ///
    /// No allocation: the pair values live in a temporary (stack) buffer. For the words of a few symbols that
    /// `SentencePieceBPE` merges one by one.
    ///
    /// - Complexity: O(n²) lookups at worst for n = parts.count.
    func mergeInPlace(_ parts: UnsafeMutableBufferPointer<UInt32>) -> Int {
        var n = parts.count
        if n < 2 { return n }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n - 1) { pairs in
            for k in 0..<(n - 1) { pairs[k] = pairValue(parts[k], parts[k + 1]) }
            while n > 1 {
                var best = UInt64.max
                var bestIndex = -1
                for k in 0..<(n - 1) where pairs[k] < best {  // strict: the leftmost of equal ranks
                    best = pairs[k]
                    bestIndex = k
                }
                if bestIndex < 0 { break }
                parts[bestIndex] = UInt32(truncatingIfNeeded: best)
                var k = bestIndex + 1
                while k < n - 1 {
                    parts[k] = parts[k + 1]
                    pairs[k - 1] = pairs[k]
                    k += 1
                }
                n -= 1
                if bestIndex > 0 { pairs[bestIndex - 1] = pairValue(parts[bestIndex - 1], parts[bestIndex]) }
                if bestIndex < n - 1 { pairs[bestIndex] = pairValue(parts[bestIndex], parts[bestIndex + 1]) }
            }
            return n
        }
    }
}

extension SentencePieceBPE: HFModel {
    public func encode(piece: [UInt8], into out: inout [UInt32]) { encodePiece(piece[...], into: &out) }
    public func token(of id: UInt32) -> [UInt8]? { tokenBytes(id) }
    public func id(of token: [UInt8]) -> UInt32? { ids[token] }
    public var isByteLevel: Bool { false }
    public var vocabularySize: Int { tokens.count }
}

// MARK: - Reading the model from tokenizer.json

extension HFJSONReader {
    /// A BPE model over vocabulary strings (no ByteLevel pre-tokenizer): SentencePiece-style files.
    ///
    /// Vocabulary keys are kept as their exact UTF-8 bytes (two canonically equivalent keys stay two tokens).
    /// `dropout` must be null or 0; `continuing_subword_prefix` and `end_of_word_suffix` must be absent or empty.
    ///
    /// - Throws: `TokenizerError.malformedJSON`, `.unsupportedComponent`.
    /// - Complexity: O(vocabulary + merges).
    func sentencePieceBPE(_ object: [String: Any], at jsonPath: String) throws(TokenizerError) -> SentencePieceBPE {
        if !isNull(object["dropout"]) {
            let dropout = try number(object["dropout"], at: jsonPath + ".dropout")
            if dropout != 0 { throw unsupported(jsonPath + ".dropout", "BPE with dropout") }
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = object[key], !(affix is NSNull), (affix as? String) != "" {
                throw unsupported(jsonPath + "." + key, "BPE with \(key)")
            }
        }
        let ignoreMerges = try bool(object["ignore_merges"], at: jsonPath + ".ignore_merges", default: false)
        let byteFallback = try bool(object["byte_fallback"], at: jsonPath + ".byte_fallback", default: false)
        let fuseUnknown = try bool(object["fuse_unk"], at: jsonPath + ".fuse_unk", default: false)
        let vocabPath = jsonPath + ".vocab"
        let vocab = try self.object(object["vocab"], at: vocabPath)
        var tokens: [[UInt8]] = []
        var ids: [[UInt8]: UInt32] = [:]
        ids.reserveCapacity(vocab.count)
        for (key, rawID) in vocab {
            let entryPath = "\(vocabPath)[\(key.debugDescription)]"
            let id = try self.id(rawID, at: entryPath)
            let bytes = Array(key.utf8)
            guard !bytes.isEmpty else { throw malformed(entryPath, "empty vocabulary token") }
            if Int(id) >= tokens.count {
                guard Int(id) < vocab.count * 2 + 1_000_000 else { throw malformed(entryPath, "id \(id) is too large") }
                tokens.append(contentsOf: repeatElement([], count: Int(id) + 1 - tokens.count))
            }
            guard tokens[Int(id)].isEmpty else { throw malformed(entryPath, "id \(id) is used twice") }
            guard ids[bytes] == nil else { throw malformed(entryPath, "the same string is listed twice") }
            tokens[Int(id)] = bytes
            ids[bytes] = id
        }
        var unknownID: UInt32?
        if let unknown = try string(object["unk_token"], at: jsonPath + ".unk_token", default: nil) {
            guard let id = ids[Array(unknown.utf8)] else {
                throw malformed(jsonPath + ".unk_token", "\(unknown.debugDescription) is not in the vocabulary")
            }
            unknownID = id
        }
        var merges: [(left: UInt32, right: UInt32, merged: UInt32)] = []
        for (index, pair) in try mergePairs(object, at: jsonPath).enumerated() {
            let mergePath = "\(jsonPath).merges[\(index)]"
            let left = Array(pair.0.utf8), right = Array(pair.1.utf8)
            guard let leftID = ids[left], let rightID = ids[right] else {
                throw malformed(mergePath, "merge of a token that is not in the vocabulary")
            }
            guard let merged = ids[left + right] else {
                throw malformed(mergePath, "the merged token is not in the vocabulary")
            }
            merges.append((leftID, rightID, merged))
        }
        return try SentencePieceBPE(
            tokens: tokens, merges: merges, unknownID: unknownID, fuseUnknown: fuseUnknown,
            byteFallback: byteFallback, ignoreMerges: ignoreMerges)
    }
}

extension HFJSONReader {
    /// `data` with every U+FEFF inside a JSON string written as the escape `\ufeff`.
    ///
    /// swift-corelibs-foundation's `JSONSerialization` drops a raw U+FEFF at the start of a string (the
    /// vocabulary key `"\u{FEFF}"` of Llama-2 and Mistral became `""`, and a byte-order mark token was lost);
    /// the escaped form survives. Outside strings U+FEFF can only be a byte-order mark at the start of the file,
    /// which is left alone. Returns `data` itself when it has no U+FEFF.
    ///
    /// ```swift
    /// HFJSONReader.escapingByteOrderMarks(Data("{\"\u{FEFF}\": 1}".utf8))   // {"\ufeff": 1}
    /// ```
    ///
    /// - Complexity: O(data.count).
    static func escapingByteOrderMarks(_ data: Data) -> Data {
        // A byte scan (memchr for 0xEF) over the raw bytes: `Data.firstRange(of:)` is generic and took a third of
        // the time of loading Qwen2.5's 7 MB tokenizer.json.
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Data in
            let n = raw.count
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return data }
            func isMark(_ i: Int) -> Bool { i + 2 < n && base[i] == 0xEF && base[i + 1] == 0xBB && base[i + 2] == 0xBF }
            func nextMark(from start: Int) -> Int? {
                var i = start
                while i < n, let hit = memchr(base + i, 0xEF, n - i) {
                    let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if isMark(at) { return at }
                    i = at + 1
                }
                return nil
            }
            let start = isMark(0) ? 3 : 0  // the file's own byte-order mark stays
            guard var mark = nextMark(from: start) else { return data }
            var out: [UInt8] = []  // an array, not `Data`: appending byte by byte to `Data` was 2% of loading
            out.reserveCapacity(n + 64)
            var copied = 0
            while true {
                out.append(contentsOf: UnsafeBufferPointer(start: base + copied, count: mark - copied))
                out.append(contentsOf: [0x5C, 0x75, 0x66, 0x65, 0x66, 0x66])  // \ufeff
                copied = mark + 3
                guard let next = nextMark(from: copied) else { break }
                mark = next
            }
            out.append(contentsOf: UnsafeBufferPointer(start: base + copied, count: n - copied))
            return Data(out)
        }
    }
}
