import Foundation

/// SentencePiece's BPE model: merges adjacent symbols into the vocabulary piece of highest score.
///
/// Unlike Hugging Face merges-list BPE, there is no merge table: the normalized text starts as one symbol per
/// UTF-8 character (a user-defined piece matched at a position is one frozen symbol instead), and repeatedly the
/// adjacent pair whose concatenation is a piece (normal, user-defined or unused) with the highest score is merged,
/// the leftmost pair on equal scores (`bpe::Model::SampleEncode` without dropout). A merged unused piece is split
/// back into the two symbols it was made of. Each final symbol maps to its id (control, unknown and byte pieces
/// first, as `PieceToId`; a symbol that is no piece is unknown); unknown symbols become byte pieces with byte
/// fallback, or one unknown id per run.
///
/// ```swift
/// let bpe = try SentencePieceScoreBPE(pieces: pieces, scores: scores, types: types, unknownID: 0, byteFallback: true)
/// bpe.encode(Array("▁hello".utf8))   // e.g. [22557]
/// ```
///
/// - Complexity: O(n log n) for n normalized bytes: the candidate pairs are kept in a heap, so a long run of one
///   character does not cost O(n²).
struct SentencePieceScoreBPE: Sendable {
    /// Normal, user-defined and unused pieces (SentencePiece's `pieces_`).
    let trie: PieceTrie
    /// The bytes of each piece by id.
    let pieceBytes: [[UInt8]]
    /// Control, unknown and byte pieces (SentencePiece's `reserved_id_map_`), looked up first by `pieceID`.
    let reserved: PieceTrie
    /// User-defined pieces, matched longest-first in the text before splitting into characters.
    let userDefined: PieceTrie?
    let scores: [Float]
    let types: [SentencePieceType]
    let unknowns: UnknownPieces
    /// Whether the text can be merged word by word: cut before each "▁" character that follows another character.
    ///
    /// Why: a merge joins two adjacent symbols into a piece, so it cannot cross such a cut when no piece (of the
    /// piece table) has "▁" right after a character other than "▁": the symbol before the cut ends in that
    /// other character. Merging each word alone then gives the same merges in the same relative order (a merge
    /// never depends on symbols outside its word), and a word of a few symbols merges in place by a linear scan,
    /// without the document-wide heap and linked-list arrays. Measured with `ptk bench tokenize` (5 MB, 1 thread,
    /// together with PieceTrie's interleaved slots): Mistral v1 went from 3.5 to 4.2 MB/s (1.0× to 1.4×
    /// sentencepiece); the normalizer is probably most of the rest. Off when the table has unused pieces (their recorded splits depend on the global
    /// queue order) or a piece with such a "▁"; `SentencePieceBPE.hasSpaceAfterOtherScalar` decides the latter.
    let mergesByWord: Bool
    /// Whether `encode` may take whole words from a per-thread cache: merging word by word, with no user-defined
    /// pieces (whose frozen symbols could hide a cut) and with "▁" in the piece table, so that the first symbol of
    /// every word but the first is a known piece and no run of unknown symbols reaches across a cut. A word's ids
    /// are then a function of its bytes alone.
    let cachesWords: Bool
    /// Files the per-thread word caches (`cachesWords`).
    let pieceCaches = WordCacheOwner()

    init(pieces: [[UInt8]], scores: [Float], types: [SentencePieceType], unknownID: UInt32, byteFallback: Bool)
        throws(TokenizerError) {
        guard Int(unknownID) < pieces.count else { throw .unknownTokenID(unknownID) }
        var table: [(bytes: [UInt8], id: Int32)] = [], others: [(bytes: [UInt8], id: Int32)] = []
        var user: [(bytes: [UInt8], id: Int32)] = []
        for (id, bytes) in pieces.enumerated() {
            if types[id].isInPieceTable { table.append((bytes, Int32(id))) } else { others.append((bytes, Int32(id))) }
            if types[id] == .userDefined { user.append((bytes, Int32(id))) }
        }
        trie = PieceTrie(pieces: table)
        reserved = PieceTrie(pieces: others)
        userDefined = user.isEmpty ? nil : PieceTrie(pieces: user)
        pieceBytes = pieces
        self.scores = scores
        self.types = types
        unknowns = try UnknownPieces(unknownID: unknownID, byteFallback: byteFallback, pieces: pieces, types: types)
        let space = SentencePieceNormalizer.spaceSymbol
        mergesByWord = !table.contains {
            types[Int($0.id)] == .unused || SentencePieceBPE.hasSpaceAfterOtherScalar($0.bytes, space: space)
        }
        cachesWords = mergesByWord && user.isEmpty && trie.id(of: space[...]) != nil
    }

    /// The ids of normalized text.
    func encode(_ normalized: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        encode(normalized, into: &out)
        return out
    }

    /// Appends the ids of normalized text to `out`.
    func encode(_ normalized: [UInt8], into out: inout [UInt32]) {
        guard cachesWords else {
            emit(segment(normalized), normalized, into: &out)
            return
        }
        let cache = pieceCaches.threadPieceCache()
        normalized.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                let end = spaceWordEnd(buffer, from: start)
                let word = UnsafeBufferPointer(rebasing: buffer[start..<end])
                if !cache.lookup(word, into: &out) {
                    let before = out.count
                    let bytes = Array(word)
                    emit(segment(bytes), bytes, into: &out)
                    cache.insert(word, out[before...])
                }
                start = end
            }
        }
    }

    // Why a cache: sentencepiece merges every word of every document again; in web text the same words come
    // back all the time, and a cached word costs a hash and a comparison instead of its character split, the
    // merge scans and the piece lookups. Measured in BENCHMARKS.md ("Piece caches").

    /// `encode` through `segmentReference` (the test oracle).
    func encodeReference(_ normalized: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        emit(segmentReference(normalized), normalized, into: &out)
        return out
    }

    // MARK: - Symbols and ids

    /// The initial symbols: (start, end, frozen) per character or matched user-defined piece.
    private func initialSymbols(_ bytes: [UInt8]) -> [(start: Int, end: Int, frozen: Bool)] {
        var symbols: [(start: Int, end: Int, frozen: Bool)] = []
        symbols.reserveCapacity(bytes.count)
        var position = 0
        while position < bytes.count {
            var length = 0
            if let userDefined {
                var node = 0, at = position
                while at < bytes.count, let next = userDefined.child(node, bytes[at]) {
                    node = next
                    at += 1
                    if userDefined.piece(at: node) != nil { length = at - position }
                }
            }
            let frozen = length > 0
            if !frozen { length = SentencePieceUTF8.announcedLength(bytes, at: position) }
            symbols.append((position, position + length, frozen))
            position += length
        }
        return symbols
    }

    /// SentencePiece's `PieceToId`: reserved pieces first, then the piece table, else the unknown id.
    @inline(__always) func pieceID(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        if let id = reserved.id(of: bytes) { return UInt32(id) }
        if let id = trie.id(of: bytes) { return UInt32(id) }
        return unknowns.unknownID
    }

    /// Maps final symbols to ids, splitting merged unused pieces back (`resegment`), then handles unknowns.
    private func emit(_ result: Segmentation, _ bytes: [UInt8], into out: inout [UInt32]) {
        var previousUnknown = false
        func resegment(_ start: Int, _ end: Int) {
            let id = pieceID(bytes[start..<end])
            if types[Int(id)] == .unused, let split = result.unusedSplits[Int32(id)] {
                resegment(split.start, split.middle)
                resegment(split.middle, split.end)
                return
            }
            unknowns.append(id: id, bytes: bytes[start..<end], previousUnknown: &previousUnknown, into: &out)
        }
        for symbol in result.symbols { resegment(symbol.start, symbol.end) }
    }

    /// Final symbols as byte ranges, and for each unused piece that a merge produced, where it was last split.
    struct Segmentation {
        var symbols: [(start: Int, end: Int)]
        var unusedSplits: [Int32: (start: Int, middle: Int, end: Int)]
    }

    /// The order key of a score: larger scores give smaller keys (so the min-heap pops the best first).
    @inline(__always) static func descendingKey(_ score: Float) -> UInt32 {
        let bits = (score == 0 ? Float(0) : score).bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return ~ascending
    }

    // MARK: - Merging

    /// The final symbols: word by word when `mergesByWord`, else one heap merge over the whole text.
    ///
    /// - Complexity: O(n log n) for n symbols (O(n) for words of bounded length).
    func segment(_ bytes: [UInt8]) -> Segmentation {
        let initial = initialSymbols(bytes)
        var result = Segmentation(symbols: [], unusedSplits: [:])
        guard mergesByWord else {
            segmentWithHeap(bytes, initial[...], into: &result)
            return result
        }
        result.symbols.reserveCapacity(initial.count)
        var wordStart = 0
        var word = WordBuffer()
        for k in initial.indices where k > wordStart && isCut(bytes, initial, k) {
            mergeWord(bytes, initial[wordStart..<k], buffer: &word, into: &result)
            wordStart = k
        }
        mergeWord(bytes, initial[wordStart...], buffer: &word, into: &result)
        return result
    }

    /// Whether a word starts at initial symbol `k`: a lone "▁" character after a frozen symbol or another
    /// character than "▁" (see `mergesByWord`).
    @inline(__always) private func isCut(
        _ bytes: [UInt8], _ initial: [(start: Int, end: Int, frozen: Bool)], _ k: Int
    ) -> Bool {
        let symbol = initial[k], before = initial[k - 1]
        guard !symbol.frozen, symbol.end - symbol.start == 3, bytes[symbol.start] == 0xE2,
            bytes[symbol.start + 1] == 0x96, bytes[symbol.start + 2] == 0x81 else { return false }
        if before.frozen || before.end - before.start != 3 { return true }
        return !(bytes[before.start] == 0xE2 && bytes[before.start + 1] == 0x96 && bytes[before.start + 2] == 0x81)
    }

    /// The symbols of one word while it merges (reused from word to word).
    private struct WordBuffer {
        var start: [Int] = []
        var end: [Int] = []
        var node: [Int] = []
        var frozen: [Bool] = []
        /// The piece id and trie node that symbol k and k + 1 would merge into (id -1: none).
        var pairID: [Int32] = []
        var pairNode: [Int] = []
    }

    /// The words above this many symbols go through the heap (a linear scan per merge would be quadratic).
    static let linearWordLimit = 48

    /// Merges the symbols of one word in place (best score, leftmost first) and appends its final symbols.
    ///
    /// - Complexity: O(m²) for m symbols (m ≤ `linearWordLimit`; longer words take the heap, O(m log m)).
    private func mergeWord(
        _ bytes: [UInt8], _ initial: ArraySlice<(start: Int, end: Int, frozen: Bool)>, buffer w: inout WordBuffer,
        into result: inout Segmentation
    ) {
        if initial.count > Self.linearWordLimit {
            segmentWithHeap(bytes, initial, into: &result)
            return
        }
        guard initial.count > 1 else {
            if let only = initial.first { result.symbols.append((only.start, only.end)) }
            return
        }
        w.start.removeAll(keepingCapacity: true)
        w.end.removeAll(keepingCapacity: true)
        w.node.removeAll(keepingCapacity: true)
        w.frozen.removeAll(keepingCapacity: true)
        for symbol in initial {
            w.start.append(symbol.start)
            w.end.append(symbol.end)
            w.frozen.append(symbol.frozen)
            w.node.append(symbol.frozen ? -1 : trie.walk(0, bytes[symbol.start..<symbol.end]) ?? -1)
        }
        func pair(_ k: Int, _ w: WordBuffer) -> (id: Int32, node: Int) {
            guard !w.frozen[k], !w.frozen[k + 1], w.node[k] >= 0,
                let merged = trie.walk(w.node[k], bytes[w.start[k + 1]..<w.end[k + 1]]),
                let id = trie.piece(at: merged) else { return (-1, -1) }
            return (id, merged)
        }
        w.pairID.removeAll(keepingCapacity: true)
        w.pairNode.removeAll(keepingCapacity: true)
        for k in 0..<(w.start.count - 1) {
            let found = pair(k, w)
            w.pairID.append(found.id)
            w.pairNode.append(found.node)
        }
        while true {
            var best = -1
            var bestScore = -Float.infinity
            for k in w.pairID.indices where w.pairID[k] >= 0 {
                let score = scores[Int(w.pairID[k])]
                if best < 0 || score > bestScore {
                    best = k
                    bestScore = score
                }
            }
            guard best >= 0 else { break }
            w.end[best] = w.end[best + 1]
            w.node[best] = w.pairNode[best]
            w.start.remove(at: best + 1)
            w.end.remove(at: best + 1)
            w.node.remove(at: best + 1)
            w.frozen.remove(at: best + 1)
            w.pairID.remove(at: best)
            w.pairNode.remove(at: best)
            for k in [best - 1, best] where k >= 0 && k + 1 < w.start.count {
                let found = pair(k, w)
                w.pairID[k] = found.id
                w.pairNode[k] = found.node
            }
        }
        for k in w.start.indices { result.symbols.append((w.start[k], w.end[k])) }
    }

    /// The merge loop of `initial` (the whole text, or one long word) over a linked list of symbols with a heap of
    /// (score, left index) keys, appending the final symbols.
    ///
    /// SentencePiece queues every candidate pair and drops a popped one whose symbols changed since. Here a popped
    /// key (score, left) is taken iff the pair that starts at `left` now has that score: whenever a pair is formed
    /// its key is pushed, so such a key in SentencePiece's queue is exactly a current pair, and the outcome and
    /// order of merges are the same.
    ///
    /// - Complexity: O(m log m) for m symbols.
    private func segmentWithHeap(
        _ bytes: [UInt8], _ initial: ArraySlice<(start: Int, end: Int, frozen: Bool)>, into result: inout Segmentation
    ) {
        let initial = Array(initial)
        let n = initial.count
        if n == 0 { return }
        var start = initial.map(\.start), end = initial.map(\.end), frozen = initial.map(\.frozen)
        var node = initial.map { trie.walk(0, bytes[$0.start..<$0.end]) ?? -1 }
        var next = (0..<n).map { $0 + 1 }, previous = (0..<n).map { $0 - 1 }
        var alive = [Bool](repeating: true, count: n)

        /// The piece (id, trie node) that `left` and its next symbol would merge into, or nil.
        func pair(_ left: Int) -> (id: Int32, node: Int)? {
            let right = next[left]
            guard right < n, !frozen[left], !frozen[right], node[left] >= 0,
                let merged = trie.walk(node[left], bytes[start[right]..<end[right]]),
                let id = trie.piece(at: merged) else { return nil }
            return (id, merged)
        }
        var heap = MinHeap(capacity: 2 * n)
        defer { heap.deallocate() }
        func consider(_ left: Int, push: (UInt64) -> Void) {
            guard left >= 0, let found = pair(left) else { return }
            if types[Int(found.id)] == .unused {
                result.unusedSplits[found.id] = (start[left], start[next[left]], end[next[left]])
            }
            push(UInt64(Self.descendingKey(scores[Int(found.id)])) << 32 | UInt64(left))
        }
        for left in 0..<(n - 1) { consider(left) { heap.appendUnordered($0) } }
        heap.heapify()
        while let key = heap.popMin() {
            let left = Int(key & 0xFFFF_FFFF)
            guard alive[left], let found = pair(left),
                UInt64(Self.descendingKey(scores[Int(found.id)])) == key >> 32 else { continue }  // stale
            let right = next[left]
            end[left] = end[right]
            node[left] = found.node
            alive[right] = false
            next[left] = next[right]
            if next[left] < n { previous[next[left]] = left }
            consider(previous[left]) { heap.push($0) }
            consider(left) { heap.push($0) }
        }
        var k = 0
        while k < n {
            result.symbols.append((start[k], end[k]))
            k = next[k]
        }
    }

    // MARK: - Reference

    /// The oracle: rescans every adjacent pair each round and merges the best (highest score, leftmost).
    ///
    /// Looks merged strings up by their bytes in a plain dictionary. Records the split of a merged unused piece at
    /// the merge itself (SentencePiece records it when the pair is queued; the two agree unless one unused piece
    /// is queued from different splits).
    ///
    /// - Complexity: O(n²) for n symbols.
    func segmentReference(_ bytes: [UInt8]) -> Segmentation {
        var table: [[UInt8]: Int] = [:]
        for id in types.indices.reversed() where types[id].isInPieceTable { table[pieceBytes[id]] = id }
        var symbols = initialSymbols(bytes)
        var splits: [Int32: (start: Int, middle: Int, end: Int)] = [:]
        while symbols.count > 1 {
            var best: (score: Float, index: Int, id: Int)?
            for k in 0..<(symbols.count - 1) where !symbols[k].frozen && !symbols[k + 1].frozen {
                guard let id = table[Array(bytes[symbols[k].start..<symbols[k + 1].end])] else { continue }
                if best == nil || scores[id] > (best?.score ?? 0) { best = (scores[id], k, id) }
            }
            guard let chosen = best else { break }
            let left = symbols[chosen.index], right = symbols[chosen.index + 1]
            if types[chosen.id] == .unused { splits[Int32(chosen.id)] = (left.start, right.start, right.end) }
            symbols[chosen.index] = (left.start, right.end, false)
            symbols.remove(at: chosen.index + 1)
        }
        return Segmentation(symbols: symbols.map { ($0.start, $0.end) }, unusedSplits: splits)
    }
}
