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
    }

    /// The ids of normalized text.
    func encode(_ normalized: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        encode(normalized, into: &out)
        return out
    }

    /// Appends the ids of normalized text to `out`.
    func encode(_ normalized: [UInt8], into out: inout [UInt32]) {
        emit(segment(normalized), normalized, into: &out)
    }

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

    // MARK: - Heap merge

    /// The merge loop over a linked list of symbols with a heap of (score, left index) keys.
    ///
    /// SentencePiece queues every candidate pair and drops a popped one whose symbols changed since. Here a popped
    /// key (score, left) is taken iff the pair that starts at `left` now has that score: whenever a pair is formed
    /// its key is pushed, so such a key in SentencePiece's queue is exactly a current pair, and the outcome and
    /// order of merges are the same.
    ///
    /// - Complexity: O(n log n) for n symbols.
    func segment(_ bytes: [UInt8]) -> Segmentation {
        let initial = initialSymbols(bytes)
        let n = initial.count
        var result = Segmentation(symbols: [], unusedSplits: [:])
        if n == 0 { return result }
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
        return result
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
