/// The tokenizer.json `Unigram` model, as `tokenizers` runs it (`models::unigram::Unigram::encode_optimized`).
///
/// Not SentencePiece's own Unigram (`UnigramModel`): `tokenizers` sums path scores in `Double`, searches every
/// vocabulary entry in the text (control and byte pieces included, by their strings), scores an unknown character
/// `min(all scores) - 10`, always fuses a run of unknown characters into one string, and only then maps strings
/// to ids: a string not in the vocabulary becomes its `<0xXX>` byte tokens with `byte_fallback` (when all exist),
/// else `unk_id`. Ties keep the earlier start (strict `>`), as there.
///
/// ```swift
/// let unigram = try HFUnigram(vocab: [("<unk>", 0), ("▁a", -1), ("b", -2)], unknownID: 0, byteFallback: false)
/// var ids: [UInt32] = []
/// unigram.encode(piece: Array("▁ab".utf8), into: &ids)   // [1, 2]
/// ```
///
/// - Complexity: O(n × k) for a piece of n bytes and k the longest vocabulary entry.
public struct HFUnigram: HFModel {
    let trie: PieceTrie
    let tokens: [[UInt8]]
    let scores: [Double]
    let ids: [[UInt8]: UInt32]
    public let unknownID: UInt32
    public let byteFallback: Bool
    /// `<0xXX>` token ids by byte value, when byte fallback is on and all 256 exist.
    let byteIDs: [UInt32]?
    let unknownScore: Double
    /// Files this model's per-thread pre-token caches (`encodeCached`).
    let wordCaches = WordCacheOwner()

    /// Builds the model from `vocab` in id order.
    ///
    /// `tokenizers` fails the whole encode on an unknown character when the file has no `unk_id`; here the
    /// reader refuses such a file instead (`unsupportedComponent`), so no text is ever dropped.
    ///
    /// - Throws: `TokenizerError.unknownTokenID` when `unknownID` is out of range.
    /// - Complexity: O(total vocabulary bytes).
    public init(vocab: [(token: String, score: Double)], unknownID: UInt32, byteFallback: Bool) throws(TokenizerError) {
        if Int(unknownID) >= vocab.count { throw .unknownTokenID(unknownID) }
        tokens = vocab.map { Array($0.token.utf8) }
        scores = vocab.map(\.score)
        var ids: [[UInt8]: UInt32] = [:]
        ids.reserveCapacity(vocab.count)
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = UInt32(id) }
        self.ids = ids
        trie = PieceTrie(pieces: tokens.enumerated().compactMap { (id, bytes) in
            bytes.isEmpty || ids[bytes] != UInt32(id) ? nil : (bytes, Int32(id))
        })
        self.unknownID = unknownID
        self.byteFallback = byteFallback
        let bytes = (0..<256).map { byte in
            ids[Array("<0x\(String(byte, radix: 16, uppercase: true).leftPadded(to: 2))>".utf8)]
        }
        byteIDs = byteFallback && bytes.allSatisfy { $0 != nil } ? bytes.compactMap { $0 } : nil
        unknownScore = (scores.min() ?? 0) - 10
    }

    public var isByteLevel: Bool { false }
    public var vocabularySize: Int { tokens.count }

    public func token(of id: UInt32) -> [UInt8]? { Int(id) < tokens.count ? tokens[Int(id)] : nil }

    public func id(of token: [UInt8]) -> UInt32? { ids[token] }

    /// `encode(piece:into:)` through a cache of pre-token bytes → ids (`HFTokenizer` passes this thread's cache).
    ///
    /// Exact for any pre-tokenizer: `encode(piece:)` is a pure function of the piece (each Viterbi starts from 0
    /// at the piece's start), so a repeated pre-token gets the ids it got before. With Metaspace (`split: true`)
    /// the pre-tokens are words, which repeat across documents. Measured with `ptk bench tokenize` (see
    /// BENCHMARKS.md, "Unigram word caches").
    ///
    /// - Complexity: O(piece bytes) on a hit; `encode(piece:)` on a miss.
    func encodeCached(piece: UnsafeBufferPointer<UInt8>, cache: PieceCache, into out: inout [UInt32]) {
        if cache.lookup(piece, into: &out) { return }
        let before = out.count
        encode(piece: Array(piece), into: &out)
        cache.insert(piece, out[before...])
    }

    public func encode(piece: [UInt8], into out: inout [UInt32]) {
        let n = piece.count
        if n == 0 { return }
        var bestScore = [Double](repeating: 0, count: n + 1)
        var startsAt = [Int32](repeating: -1, count: n + 1)
        var bestID = [Int32](repeating: -1, count: n + 1)  // -1: the unknown character
        var start = 0
        while start < n {
            let tillHere = bestScore[start]
            let characterLength = utf8Length(piece[start])
            var single = false
            var node = 0
            var position = start
            while position < n, let next = trie.child(node, piece[position]) {
                node = next
                position += 1
                guard let id = trie.piece(at: node) else { continue }
                let candidate = scores[Int(id)] + tillHere
                if startsAt[position] < 0 || candidate > bestScore[position] {
                    bestScore[position] = candidate
                    startsAt[position] = Int32(start)
                    bestID[position] = id
                }
                if position - start == characterLength { single = true }
            }
            let end = min(start + characterLength, n)
            if !single {
                let candidate = unknownScore + tillHere
                if startsAt[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    startsAt[end] = Int32(start)
                    bestID[end] = -1
                }
            }
            start = end
        }
        // Back from the end: (start, end, id or -1), unknown runs fused.
        var path: [(start: Int, end: Int, id: Int32)] = []
        var end = n
        while end > 0 {
            let begin = Int(startsAt[end])
            if begin < 0 { break }
            let id = bestID[end]
            if id < 0, let last = path.last, last.id < 0 {
                path[path.count - 1] = (begin, last.end, -1)
            } else {
                path.append((begin, end, id))
            }
            end = begin
        }
        for step in path.reversed() {
            if step.id >= 0 {
                out.append(UInt32(step.id))
                continue
            }
            let text = Array(piece[step.start..<step.end])
            if let id = ids[text] {  // a fused run that happens to be a vocabulary entry
                out.append(id)
            } else if let byteIDs {
                for byte in text { out.append(byteIDs[Int(byte)]) }
            } else {
                out.append(unknownID)
            }
        }
    }

    private func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
