/// The kind of a SentencePiece vocabulary piece (`ModelProto.SentencePiece.Type`, same raw values).
///
/// Encoding produces `normal` and `userDefined` pieces from text, `unknown` for text no piece covers, and `byte`
/// pieces only through byte fallback; `control` pieces (`<s>`, `</s>`) and `unused` pieces never come from text.
///
/// ```swift
/// SentencePieceType(rawValue: 6)   // .byte
/// ```
///
/// - Complexity: O(1).
public enum SentencePieceType: Int, Sendable {
    case normal = 1
    case unknown = 2
    case control = 3
    case userDefined = 4
    case unused = 5
    case byte = 6

    /// Pieces that SentencePiece keeps in its piece table (matched in text): normal, user-defined and unused ones.
    var isInPieceTable: Bool { self == .normal || self == .userDefined || self == .unused }
}

/// Unknown pieces as SentencePiece emits them: merged runs of `unk`, or UTF-8 bytes with byte fallback.
///
/// SentencePiece (`PopulateSentencePieceText`) turns each unknown piece into its `<0xXX>` byte pieces when byte
/// fallback is on; otherwise consecutive unknown pieces become one unknown id.
///
/// ```swift
/// var out: [UInt32] = [], previousUnknown = false
/// unknowns.append(id: 0, bytes: Array("😀".utf8)[...], previousUnknown: &previousUnknown, into: &out)
/// ```
///
/// - Complexity: O(piece bytes) per append.
struct UnknownPieces: Sendable {
    let unknownID: UInt32
    /// The id of `<0xXX>` for each byte, when byte fallback is on.
    let byteIDs: [UInt32]?

    /// Builds it from the vocabulary; byte fallback needs all 256 byte pieces (`<0x00>` … `<0xFF>`).
    ///
    /// - Throws: `TokenizerError.missingByte` for the first byte without a piece.
    init(unknownID: UInt32, byteFallback: Bool, pieces: [[UInt8]], types: [SentencePieceType])
        throws(TokenizerError) {
        self.unknownID = unknownID
        guard byteFallback else {
            byteIDs = nil
            return
        }
        var ids = [UInt32?](repeating: nil, count: 256)
        for (id, bytes) in pieces.enumerated() where types[id] == .byte {
            if let byte = Self.byteOfPiece(bytes), ids[Int(byte)] == nil { ids[Int(byte)] = UInt32(id) }
        }
        var found: [UInt32] = []
        for byte in 0..<256 {
            guard let id = ids[byte] else { throw .missingByte(UInt8(byte)) }
            found.append(id)
        }
        byteIDs = found
    }

    /// The byte of a piece spelled `<0xXX>` (two uppercase hex digits), or nil.
    static func byteOfPiece(_ bytes: [UInt8]) -> UInt8? {
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "<"), bytes[1] == UInt8(ascii: "0"),
            bytes[2] == UInt8(ascii: "x"), bytes[5] == UInt8(ascii: ">") else { return nil }
        func digit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        guard let high = digit(bytes[3]), let low = digit(bytes[4]) else { return nil }
        return high << 4 | low
    }

    /// Appends a piece's id, turning an unknown piece into byte pieces or merging it with the unknown before.
    @inline(__always) func append(
        id: UInt32, bytes: ArraySlice<UInt8>, previousUnknown: inout Bool, into out: inout [UInt32]
    ) {
        let unknown = id == unknownID
        if unknown, let byteIDs {
            for byte in bytes { out.append(byteIDs[Int(byte)]) }
        } else if !(unknown && previousUnknown) {
            out.append(id)
        }
        previousUnknown = unknown
    }
}

/// A unigram language model tokenizer: the segmentation of highest total piece score (Viterbi), as SentencePiece.
///
/// Reproduces SentencePiece's `unigram::Model::EncodeOptimized` on normalized UTF-8 bytes: positions advance one
/// character at a time; from each, every piece that is a prefix of the rest extends the best path ending there
/// (first found wins ties); a character no single piece covers gets the unknown piece with score
/// `min(normal scores) - 10`. Unused pieces are never produced. Path scores are summed and compared in `Float`, as the `sentencepiece` 0.2.3
/// library does (checked on ties such as "$" + "$$" against "$$" + "$": summing in `Double` and storing `Float`
/// breaks those ties differently), and moved back to 0 whenever the path passes -1e5 (`rebaseThreshold`). Unknown
/// characters then become byte pieces (byte fallback) or one merged unknown id per run.
///
/// ```swift
/// let model = try UnigramModel(pieces: [.init(bytes: Array("▁a".utf8), score: -1, type: .normal), ...],
///                              unknownID: 0, byteFallback: false)
/// model.encode(Array("▁ab".utf8))   // ids of the best segmentation
/// ```
///
/// - Complexity: O(n × k) for n normalized bytes and k the longest piece in bytes.
public struct UnigramModel: Sendable {
    /// One vocabulary entry; its id is its position in the list.
    public struct Piece: Sendable {
        public var bytes: [UInt8]
        public var score: Float
        public var type: SentencePieceType

        public init(bytes: [UInt8], score: Float, type: SentencePieceType) {
            self.bytes = bytes
            self.score = score
            self.type = type
        }
    }

    let trie: PieceTrie
    /// The bytes of each piece by id.
    let pieceBytes: [[UInt8]]
    let scores: [Float]
    let types: [SentencePieceType]
    let unknowns: UnknownPieces
    /// SentencePiece's `min_score_ - kUnkPenalty` (Float arithmetic).
    let unknownScore: Float
    /// SentencePiece's `max_score_` (starts at `Float.leastNormalMagnitude`, FLT_MIN, as there).
    let maxScore: Float
    /// The longest piece in bytes (the reference search's window).
    let longestPiece: Int
    /// The score of each id as the Viterbi reads it, with unused pieces (never produced) marked by the NaN
    /// `unusedMark`: one load per matched piece both skips them and gives the score.
    ///
    /// Why not a separate `[Bool]` of unused ids: after the double-array trie, perf on j2 put 16% of the
    /// Viterbi's samples on that load (a second cache miss per matched piece, next to the score's). A stored
    /// score that is itself NaN is kept as the canonical `Float.nan`: any NaN gives the same sums and
    /// comparisons, so only the mark's bit pattern means unused.
    let viterbiScores: [Float]
    /// The bit pattern of a quiet NaN that marks unused ids in `viterbiScores`.
    static let unusedMark: UInt32 = 0x7FC0_0DED
    /// Whether `encode` segments word by word through the per-thread word cache (`encodeByWords`): when every
    /// searchable score and the unknown score lie in [-1000, 0] (which bounds the `Float` rounding that
    /// `UnigramWord` reasons about) and no piece spans a word cut (`spans` is nil).
    ///
    /// Why not with multi-word pieces: `encodeByWords` stays exact with them (`SpanPairs`; tests call it on j2),
    /// but on j2 it was no faster (0.54× sentencepiece against 0.62× for the whole-text Viterbi, 5 MB bench, with
    /// the hash-table trie of then):
    /// 13% of the cuts are spanned, words average 19 bytes, and 29% of the words have near-ties that `Float`
    /// rounding can flip, so they run their Viterbi again from the true starting score on every occurrence.
    let segmentsByWord: Bool
    /// Whether word by word would be exact for this model (the conditions above).
    let canSegmentByWord: Bool
    /// Off: the only Unigram `.model` measured (j2) has multi-word pieces, and word by word was slower there; on a
    /// file without them it is exact (tests) but unmeasured, so `encode` keeps the whole-text Viterbi until a
    /// benchmark says otherwise.
    static let segmentByWordWhereExact = false
    /// The pieces that span a word cut (see `isSafeCut`), or nil when no piece does.
    let spans: SpanPairs?
    /// Files this model's per-thread word caches.
    let wordCaches = WordCacheOwner()

    /// Builds the model; normal, user-defined and unused pieces are searched in text.
    ///
    /// - Throws: `TokenizerError.unknownTokenID` when `unknownID` is not a piece, `missingByte` when byte fallback
    ///   lacks a `<0xXX>` byte piece.
    /// - Complexity: O(total piece bytes).
    public init(pieces: [Piece], unknownID: UInt32, byteFallback: Bool) throws(TokenizerError) {
        guard Int(unknownID) < pieces.count else { throw .unknownTokenID(unknownID) }
        var searchable: [(bytes: [UInt8], id: Int32)] = []
        var minimum = Float.greatestFiniteMagnitude, maximum = Float.leastNormalMagnitude
        for (id, piece) in pieces.enumerated() {
            if piece.type.isInPieceTable { searchable.append((piece.bytes, Int32(id))) }
            if piece.type == .normal {
                minimum = min(minimum, piece.score)
                maximum = max(maximum, piece.score)
            }
        }
        trie = PieceTrie(pieces: searchable)
        pieceBytes = pieces.map(\.bytes)
        scores = pieces.map(\.score)
        types = pieces.map(\.type)
        unknowns = try UnknownPieces(unknownID: unknownID, byteFallback: byteFallback,
                                     pieces: pieces.map(\.bytes), types: types)
        unknownScore = minimum - 10
        maxScore = maximum
        longestPiece = searchable.map(\.bytes.count).max() ?? 0
        viterbiScores = pieces.map { piece in
            piece.type == .unused ? Float(bitPattern: Self.unusedMark) : piece.score.isNaN ? .nan : piece.score
        }
        let usable = pieces.filter { $0.type.isInPieceTable && $0.type != .unused }
        spans = SpanPairs(pieces: usable.map(\.bytes))
        canSegmentByWord = spans == nil && (-1000...0).contains(minimum - 10)
            && usable.allSatisfy { (-1000...0).contains($0.score) }
        segmentsByWord = canSegmentByWord && Self.segmentByWordWhereExact
    }

    /// The ids of normalized text (SentencePiece's `Encode` after normalization).
    ///
    /// ```swift
    /// model.encode(Array("▁hello".utf8))   // e.g. [22172]
    /// ```
    ///
    /// - Complexity: O(n × k); see the type.
    public func encode(_ normalized: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        encode(normalized, into: &out)
        return out
    }

    /// Appends the ids of normalized text to `out` (word by word through this thread's cache when
    /// `segmentsByWord`; the same ids as `encodeWhole`).
    public func encode(_ normalized: [UInt8], into out: inout [UInt32]) {
        if segmentsByWord {
            encodeByWords(normalized, cache: wordCaches.threadCache(UnigramWord.self), into: &out)
        } else {
            emit(segment(normalized), normalized, into: &out)
        }
    }

    /// The ids by one Viterbi over the whole text (the reference for `encodeByWords`).
    func encodeWhole(_ normalized: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        emit(segment(normalized), normalized, into: &out)
        return out
    }

    /// `encode` through `segmentReference` (the test oracle).
    func encodeReference(_ normalized: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        emit(segmentReference(normalized), normalized, into: &out)
        return out
    }

    private func emit(_ path: [(start: Int, end: Int, id: UInt32)], _ bytes: [UInt8], into out: inout [UInt32]) {
        var previousUnknown = false
        for step in path {
            unknowns.append(id: step.id, bytes: bytes[step.start..<step.end], previousUnknown: &previousUnknown,
                            into: &out)
        }
    }

    /// The score of piece `id` spanning `length` bytes.
    ///
    /// SentencePiece's source gives user-defined pieces `length × max_score - 0.1`, but the `sentencepiece` 0.2.3
    /// wheel behaves as if they keep their stored score (0 in the files tested: the bonus would shift every later
    /// path sum by 0.1 and so change how exact ties between runs of "▁" pieces round; the stored score matches it
    /// on every tested document). `maxScore` is kept for that rule, should a newer release need it. The Viterbi
    /// loops read the same values from `viterbiScores`: change both together.
    @inline(__always) private func pieceScore(_ id: Int, length: Int) -> Float {
        scores[id]
    }

    /// The path score below which the running Viterbi scores are moved back to 0, as the 0.2.3 wheel behaves.
    ///
    /// The released source we could read (v0.2.0 … 0.2.1) sums `float` path scores from 0 across the whole text,
    /// but the 0.2.3 wheel (a stripped binary) does not: on whole Python files it departs from that sum exactly
    /// where the path score first passes -1e5 (tokens ~12,000 in 7 of 46 files, 35 KB to 75 KB in), while on a
    /// repeated line it keeps the small-score tie breaks far past 2^18, where a `float` sum from 0 changes them.
    /// Restarting the float sum at 0 a few hundred tokens before the departure reproduces each one, and this rule
    /// reproduces all 46 files: when the forward pass reaches a start position whose best score is below -1e5,
    /// that score is subtracted from it and from every score already written further on (exact: they lie within a
    /// factor of 2 of it), so the sums go on from 0. The threshold and the `<` are fitted, not read: -1e5 is where all
    /// departures begin; scores in (-1e5, -99,950] (the closest seen before one) do not trigger it.
    static let rebaseThreshold: Float = -100_000

    /// The best path as (start, end, id) byte ranges, before unknown handling.
    ///
    /// - Complexity: O(n × k).
    func segment(_ bytes: [UInt8]) -> [(start: Int, end: Int, id: UInt32)] {
        segment(bytes, base: 0).path
    }

    // MARK: - Word by word

    /// What the Viterbi of one word alone (from path score 0) found, and whether it holds at any starting score.
    ///
    /// Why a word can be segmented alone: the text is cut before a "▁" that follows another character only where
    /// no piece matches across that point (`SpanPairs`; multi-word pieces such as j2's "▁in▁the" keep their
    /// words together), so every path passes through the cut; the best path to the end of a word is the best path to its start followed by the
    /// word's own best path from there. But the sums are `Float`, as in sentencepiece: inside a word the
    /// reference compares `B + (sum of a path)` rounded step by step, where B is the path score at the word's
    /// start, so two segmentations whose sums differ by a few ulps of B can compare the other way than from 0.
    /// Hence `tightness`: every comparison of the Viterbi from 0 must have a gap above the rounding error both
    /// computations can carry: each addition is off by at most half an ulp of the largest magnitude M inside the
    /// word, so a path of d steps by d/2 ulps, each side; a gap above (depth₁ + depth₂ + 2) × 2 ulp(M) keeps
    /// its sign from any B. Such a word keeps its path,
    /// and its end score is replayed exactly by adding its step scores to B in order, as the reference does. A
    /// word that is not robust, or where a rebase (`rebaseThreshold`) could fall inside it (`lowest`, `slack`),
    /// runs its Viterbi again from the true B (`segment(_:base:)`), which is the reference's own arithmetic.
    struct UnigramWord {
        /// The best path, byte offsets within the word.
        var steps: [(start: Int32, end: Int32, id: UInt32)]
        /// The score of each step (the unknown score for unknown steps), in path order.
        var scores: [Float]
        var robust: Bool
        /// The smallest gap of a comparison divided by (depth₁ + depth₂ + 2), the path lengths compared (infinity
        /// when nothing was compared); the path holds from starting score B when this exceeds twice the ulp of
        /// the largest magnitude inside the word (`holds(from:)`).
        var tightness: Float
        /// The lowest best score at a character start inside the word (from 0), and the bound on its rounding.
        var lowest: Float
        var slack: Float

        /// Whether the cached path and score replay are exact from starting score `base` (see the type).
        @inline(__always) func holds(from base: Float) -> Bool {
            guard robust, base + lowest - slack > UnigramModel.rebaseThreshold else { return false }
            let magnitude = 1001 - (base + lowest) + slack  // scores lie in [-1000, 0]: nothing inside is larger
            return tightness > 2 * magnitude.ulp
        }
    }

    /// `encode` word by word: cuts before each "▁" after another character that no piece spans (`SpanPairs`),
    /// each word's path from the cache or
    /// its own Viterbi (see `UnigramWord`), unknown pieces handled across words exactly as over the whole text.
    ///
    /// - Complexity: O(n) on cached robust words; O(n × k) otherwise.
    func encodeByWords(_ bytes: [UInt8], cache: WordCache<UnigramWord>, into out: inout [UInt32]) {
        let n = bytes.count
        var previousUnknown = false
        var base: Float = 0
        var wordStart = 0
        var position = 1
        while wordStart < n {
            // The next cut: "▁" (E2 96 81, always a character start in UTF-8) not right after another "▁".
            var cut = n
            while position + 2 < n {
                if bytes[position] == 0xE2, bytes[position + 1] == 0x96, bytes[position + 2] == 0x81,
                    !(position >= 3 && bytes[position - 3] == 0xE2 && bytes[position - 2] == 0x96
                        && bytes[position - 1] == 0x81),
                    spans?.spans(bytes, at: position) != true {
                    cut = position
                    break
                }
                position += 1
            }
            if base < Self.rebaseThreshold { base = 0 }  // the reference's rebase at the word's start, exactly
            let word = Array(bytes[wordStart..<cut])
            var entry: UnigramWord?
            if word.count <= WordCache<UnigramWord>.longestKey {
                if let hit = cache.table[word] {
                    entry = hit
                } else {
                    let made = analyzeWord(word)
                    cache.insert(word, made)
                    entry = made
                }
            }
            if let entry, entry.holds(from: base) {
                for step in entry.steps {
                    unknowns.append(id: step.id, bytes: bytes[(wordStart + Int(step.start))..<(wordStart + Int(step.end))],
                                    previousUnknown: &previousUnknown, into: &out)
                }
                for score in entry.scores { base = score + base }
            } else {
                let (path, end) = segment(word, base: base)
                for step in path {
                    unknowns.append(id: step.id, bytes: bytes[(wordStart + step.start)..<(wordStart + step.end)],
                                    previousUnknown: &previousUnknown, into: &out)
                }
                base = end
            }
            wordStart = cut
            position = cut + 1
        }
    }

    /// The Viterbi of `segment`, starting from path score `base` at offset 0; also returns the score at the end.
    ///
    /// - Complexity: O(n × k).
    func segment(_ bytes: [UInt8], base: Float) -> (path: [(start: Int, end: Int, id: UInt32)], score: Float) {
        let n = bytes.count
        if n == 0 { return ([], base) }
        var bestScore = [Float](repeating: 0, count: n + 1)
        bestScore[0] = base
        var startsAt = [Int32](repeating: -1, count: n + 1)
        var bestID = [UInt32](repeating: 0, count: n + 1)
        let reach = max(longestPiece, 4)
        var start = 0
        while start < n {
            if bestScore[start] < Self.rebaseThreshold {
                // Every entry already written lies within `reach` bytes past `start`; see `rebaseThreshold`.
                let shift = bestScore[start]
                for end in start...min(n, start + reach) where end == start || startsAt[end] >= 0 {
                    bestScore[end] -= shift
                }
            }
            let tillHere = bestScore[start]
            let characterLength = SentencePieceUTF8.announcedLength(bytes, at: start)
            var coveredByOne = false
            var node = 0
            var position = start
            while position < n, let next = trie.step(node, bytes[position]) {
                node = next.node
                position += 1
                guard next.piece >= 0 else { continue }
                let id = Int(next.piece)
                let score = viterbiScores[id]  // pieceScore(id, length:), or the unused mark
                guard score.bitPattern != Self.unusedMark else { continue }
                let candidate = score + tillHere
                if startsAt[position] < 0 || candidate > bestScore[position] {
                    bestScore[position] = candidate
                    startsAt[position] = Int32(start)
                    bestID[position] = UInt32(id)
                }
                if position - start == characterLength { coveredByOne = true }
            }
            let end = start + characterLength
            if !coveredByOne, end <= n {
                let candidate = unknownScore + tillHere
                if startsAt[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    startsAt[end] = Int32(start)
                    bestID[end] = unknowns.unknownID
                }
            }
            start = end
        }
        return (Self.backtrack(startsAt, bestID, from: n).path, bestScore[n])
    }

    /// The best path of a forward pass, from `startsAt` and `bestID` back from position `n`, in text order;
    /// `reachesStart` is false when a position on the way was never reached (the path then starts there).
    static func backtrack(_ startsAt: [Int32], _ bestID: [UInt32], from n: Int)
        -> (path: [(start: Int, end: Int, id: UInt32)], reachesStart: Bool)
    {
        var path: [(start: Int, end: Int, id: UInt32)] = []
        var end = n
        while end > 0, startsAt[end] >= 0 {
            let begin = Int(startsAt[end])
            path.append((begin, end, bestID[end]))
            end = begin
        }
        path.reverse()
        return (path, end == 0)
    }

    /// The Viterbi of one word from 0, with the gaps of its comparisons (see `UnigramWord`).
    ///
    /// - Complexity: O(n × k).
    func analyzeWord(_ bytes: [UInt8]) -> UnigramWord {
        let n = bytes.count
        var bestScore = [Float](repeating: 0, count: n + 1)
        var startsAt = [Int32](repeating: -1, count: n + 1)
        var bestID = [UInt32](repeating: 0, count: n + 1)
        var depth = [Int32](repeating: 0, count: n + 1)
        var robust = true, lowest: Float = 0, characters = 0, tightness = Float.infinity
        var start = 0
        while start < n {
            if start > 0 { lowest = min(lowest, bestScore[start]) }
            if bestScore[start] < Self.rebaseThreshold || (start > 0 && startsAt[start] < 0) { robust = false }
            characters += 1
            let tillHere = bestScore[start]
            let steps = depth[start] + 1
            let characterLength = SentencePieceUTF8.announcedLength(bytes, at: start)
            var coveredByOne = false
            var node = 0
            var position = start
            while position < n, let next = trie.step(node, bytes[position]) {
                node = next.node
                position += 1
                guard next.piece >= 0 else { continue }
                let id = Int(next.piece)
                let score = viterbiScores[id]  // pieceScore(id, length:), or the unused mark
                guard score.bitPattern != Self.unusedMark else { continue }
                let candidate = score + tillHere
                if startsAt[position] >= 0 {
                    tightness = min(tightness, abs(candidate - bestScore[position]) / Float(steps + depth[position] + 2))
                }
                if startsAt[position] < 0 || candidate > bestScore[position] {
                    bestScore[position] = candidate
                    startsAt[position] = Int32(start)
                    bestID[position] = UInt32(id)
                    depth[position] = steps
                }
                if position - start == characterLength { coveredByOne = true }
            }
            let end = start + characterLength
            if end > n {
                robust = false
                break
            }
            if !coveredByOne {
                let candidate = unknownScore + tillHere
                if startsAt[end] >= 0 {
                    tightness = min(tightness, abs(candidate - bestScore[end]) / Float(steps + depth[end] + 2))
                }
                if startsAt[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    startsAt[end] = Int32(start)
                    bestID[end] = unknowns.unknownID
                    depth[end] = steps
                }
            }
            start = end
        }
        let (path, reachesStart) = Self.backtrack(startsAt, bestID, from: n)
        if !reachesStart { robust = false }
        let steps = path.map { (start: Int32($0.start), end: Int32($0.end), id: $0.id) }
        // The unknown piece is never in the piece table, so its id on a step always means an unknown character.
        let stepScores = steps.map { $0.id == unknowns.unknownID ? unknownScore : pieceScore(Int($0.id), length: 0) }
        return UnigramWord(steps: steps, scores: stepScores, robust: robust, tightness: tightness, lowest: lowest,
                           slack: Float(characters + 2) / 64)
    }

    /// The oracle: for each end position in turn, the best of every piece ending there, found by exact lookup.
    ///
    /// Same scores, tie rule (earliest start wins) and rebasing (`rebaseThreshold`) as `segment`, but pulls
    /// candidates per end position with a plain dictionary instead of walking the trie forward; a candidate from
    /// before a rebase is moved into the frame of its end by the same exact subtraction.
    ///
    /// - Complexity: O(n × k) dictionary lookups of up to k bytes each.
    func segmentReference(_ bytes: [UInt8]) -> [(start: Int, end: Int, id: UInt32)] {
        var lookup: [[UInt8]: Int] = [:]
        for id in types.indices.reversed() where types[id].isInPieceTable && !pieceBytes[id].isEmpty {
            lookup[pieceBytes[id]] = id  // the first id of a duplicate wins, as in the trie
        }
        let n = bytes.count
        var starts: [Int] = []
        var position = 0
        while position < n {
            starts.append(position)
            position += SentencePieceUTF8.announcedLength(bytes, at: position)
        }
        var best: [Int: (score: Float, start: Int, id: UInt32)] = [0: (0, -1, 0)]
        var rebases: [(position: Int, shift: Float)] = []
        for end in starts.dropFirst() + [n] {
            var chosen: (score: Float, start: Int, id: UInt32)?
            for start in starts where start < end && end - start <= max(longestPiece, 4) {
                guard let before = best[start] else { continue }
                let characterLength = SentencePieceUTF8.announcedLength(bytes, at: start)
                var candidate: Float
                let id: UInt32
                if let found = lookup[Array(bytes[start..<end])], types[found] != .unused {
                    candidate = pieceScore(found, length: end - start) + before.score
                    id = UInt32(found)
                } else if start + characterLength == end {
                    candidate = unknownScore + before.score
                    id = unknowns.unknownID
                } else {
                    continue
                }
                // Into the frame of `end`: the rebases met after `start` (each shift is exact).
                for rebase in rebases.reversed() {
                    if rebase.position <= start { break }
                    candidate -= rebase.shift
                }
                if chosen == nil || candidate > (chosen?.score ?? 0) { chosen = (candidate, start, id) }
            }
            if var step = chosen, end < n, step.score < Self.rebaseThreshold {
                rebases.append((end, step.score))
                step.score = 0
                chosen = step
            }
            best[end] = chosen
        }
        var path: [(start: Int, end: Int, id: UInt32)] = []
        var end = n
        while end > 0, let step = best[end] {
            path.append((step.start, end, step.id))
            end = step.start
        }
        return path.reversed()
    }
}

/// The pieces that contain a word cut ("▁" right after another character than "▁"), split there into a left
/// part (before the cut) and a right part (from the "▁"), to tell whether any of them matches across a cut of
/// the text.
///
/// A piece matches across text position b exactly when, for one of its cuts, its left part ends at b and its
/// right part starts at b. `spans` walks the right parts forward from b and the reversed left parts backward
/// from b (two tries), then looks the (right, left) pairs up in a set: a few trie steps per cut, however many
/// multi-word pieces there are (j2 has about 118,000).
///
/// ```swift
/// let pairs = SpanPairs(pieces: [Array("▁in▁the".utf8)])
/// pairs?.spans(Array("▁in▁the".utf8), at: 5)   // true
/// ```
///
/// - Complexity: building O(total piece bytes); `spans` O(longest part) expected.
struct SpanPairs: Sendable {
    let rightParts: PieceTrie
    let reversedLeftParts: PieceTrie
    /// `right << 32 | left` part ids of each piece cut.
    let pairs: Set<UInt64>

    /// Nil when no piece contains a cut.
    init?(pieces: [[UInt8]]) {
        var rights: [[UInt8]: Int32] = [:], lefts: [[UInt8]: Int32] = [:]
        var pairs = Set<UInt64>()
        for bytes in pieces {
            var cut = 1
            while cut + 3 <= bytes.count {
                if bytes[cut] == 0xE2, bytes[cut + 1] == 0x96, bytes[cut + 2] == 0x81,
                    !(cut >= 3 && bytes[cut - 3] == 0xE2 && bytes[cut - 2] == 0x96 && bytes[cut - 1] == 0x81) {
                    let right = Array(bytes[cut...]), left = Array(bytes[..<cut].reversed())
                    let rightID = rights[right] ?? Int32(rights.count)
                    rights[right] = rightID
                    let leftID = lefts[left] ?? Int32(lefts.count)
                    lefts[left] = leftID
                    pairs.insert(UInt64(rightID) << 32 | UInt64(leftID))
                }
                cut += 1
            }
        }
        if pairs.isEmpty { return nil }
        rightParts = PieceTrie(pieces: rights.map { ($0.key, $0.value) })
        reversedLeftParts = PieceTrie(pieces: lefts.map { ($0.key, $0.value) })
        self.pairs = pairs
    }

    /// Whether a piece matches `bytes` across position `at` (a piece starts before it and ends after it).
    /// More than this many left parts ending at one cut count as spanning (no cut: still exact, only slower).
    static let leftLimit = 32

    func spans(_ bytes: [UInt8], at cut: Int) -> Bool {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.leftLimit) { leftIDs in
            var count = 0
            var node = 0, position = cut
            while position > 0, let next = reversedLeftParts.step(node, bytes[position - 1]) {
                node = next.node
                position -= 1
                guard next.piece >= 0 else { continue }
                if count == Self.leftLimit { return true }
                leftIDs[count] = next.piece
                count += 1
            }
            if count == 0 { return false }
            node = 0
            position = cut
            while position < bytes.count, let next = rightParts.step(node, bytes[position]) {
                node = next.node
                position += 1
                guard next.piece >= 0 else { continue }
                for k in 0..<count where pairs.contains(UInt64(next.piece) << 32 | UInt64(leftIDs[k])) { return true }
            }
            return false
        }
    }
}
