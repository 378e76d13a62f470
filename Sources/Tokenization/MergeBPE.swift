/// The GPT-2 byte-level alphabet (`bytes_to_unicode`): each byte as one printable Unicode scalar.
///
/// Printable bytes `!`…`~`, `¡`…`¬` and `®`…`ÿ` stand for themselves; the other 68 bytes, in increasing order,
/// become U+0100, U+0101, … (so the space 0x20 is `Ġ` U+0120 and the newline 0x0A is `Ċ` U+010A).
///
/// ```swift
/// ByteLevelAlphabet.scalar(of: 0x20)      // 0x120 ("Ġ")
/// ByteLevelAlphabet.byte(of: 0x120)       // 0x20
/// ```
///
/// - Complexity: O(1) per lookup.
public enum ByteLevelAlphabet {
    /// The scalar value that stands for each byte, indexed by the byte.
    public static let scalars: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var extra: UInt32 = 0
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte)
            if printable || (0xAE...0xFF).contains(byte) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = 256 + extra
                extra += 1
            }
        }
        return table
    }()

    /// The byte for each scalar value below 0x144 (the largest scalar of the alphabet is U+0143), or -1.
    private static let bytes: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalars.enumerated() { table[Int(scalar)] = Int16(byte) }
        return table
    }()

    /// The scalar value that stands for `byte`.
    public static func scalar(of byte: UInt8) -> UInt32 { scalars[Int(byte)] }

    /// The byte that the scalar value `scalar` stands for, or nil when it is not in the alphabet.
    public static func byte(of scalar: UInt32) -> UInt8? {
        guard scalar < UInt32(bytes.count) else { return nil }
        let byte = bytes[Int(scalar)]
        return byte < 0 ? nil : UInt8(byte)
    }

    /// The byte-level token string of raw bytes (each byte as its alphabet character).
    ///
    /// ```swift
    /// ByteLevelAlphabet.encode([0x20, 0x68, 0x69])   // "Ġhi"
    /// ```
    public static func encode(_ bytes: [UInt8]) -> String {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(Unicode.Scalar(scalar(of: byte)) ?? "\u{FFFD}") }
        return String(text)
    }

    /// The raw bytes of a byte-level token string, or nil when one of its scalars is not in the alphabet.
    ///
    /// ```swift
    /// ByteLevelAlphabet.decode("Ġhello")   // [0x20, 0x68, 0x65, 0x6C, 0x6C, 0x6F]
    /// ```
    public static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(of: scalar.value) else { return nil }
            out.append(byte)
        }
        return out
    }
}

/// A merges-based BPE model as Hugging Face `tokenizers` applies it (`models.BPE` without byte fallback).
///
/// A pre-token starts as one token per byte; then the adjacent pair with the lowest merge rank is merged into
/// the merge's result token, the leftmost pair on ties, until no adjacent pair has a merge. With
/// `ignoreMerges`, a pre-token whose bytes are one vocabulary token is emitted as that token first (Llama-3).
/// Unlike tiktoken's rank BPE, the priority is the merge's position in the merges list, not the result's id.
///
/// ```swift
/// let bpe = try MergeBPE(tokens: tokens, merges: [(left: 32, right: 104, merged: 300)], ignoreMerges: false)
/// bpe.encodePiece(Array(" h".utf8))   // [300]
/// ```
///
/// - Complexity: encoding a pre-token of n bytes costs O(n²) pair lookups at worst, O(n) when it merges little.
public struct MergeBPE: Sendable {
    /// The bytes of each token id (empty for an id with no vocabulary token).
    let tokens: [[UInt8]]
    /// The id of each token's bytes.
    let ids: [[UInt8]: UInt32]
    /// The id of each single byte.
    let byteIDs: [UInt32]
    /// `(left << 32 | right)` → `(rank << 32 | merged)`: the reference path's table.
    let merges: [UInt64: UInt64]
    /// The same map as an open-addressing table for the fast paths.
    let pairTable: PairTable
    /// Emit a pre-token found whole in the vocabulary before merging.
    public let ignoreMerges: Bool
    /// Vocabulary entries written outside the byte-level alphabet (DeepSeek-V3 lists its special tokens so):
    /// no byte string encodes to them, but their ids decode to their UTF-8 text.
    let textTokens: [UInt32: [UInt8]]
    /// Files the per-thread piece caches of `encodePiece(_:cache:into:)`.
    let pieceCaches = WordCacheOwner()

    /// Builds the model from token bytes by id and merges as id triples in rank order (rank = index).
    ///
    /// As in `tokenizers`, a pair listed twice keeps its later rank. Every single byte needs a token.
    ///
    /// - Throws: `TokenizerError.missingByte` when a byte has no token.
    /// - Complexity: O(vocabulary bytes + merges).
    public init(
        tokens: [[UInt8]], merges: [(left: UInt32, right: UInt32, merged: UInt32)], ignoreMerges: Bool,
        textTokens: [UInt32: [UInt8]] = [:]
    ) throws(TokenizerError) {
        var ids: [[UInt8]: UInt32] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, bytes) in tokens.enumerated() where !bytes.isEmpty { ids[bytes] = UInt32(id) }
        var byteIDs: [UInt32] = []
        byteIDs.reserveCapacity(256)
        for byte in 0..<256 {
            // Bytes that never occur in UTF-8 (0xC0, 0xC1, 0xF5–0xFF) may lack a token (DeepSeek-LLM's files omit
            // them): text reaches the model as valid UTF-8, so they are never looked up.
            guard let id = ids[[UInt8(byte)]] else {
                if byte == 0xC0 || byte == 0xC1 || byte >= 0xF5 {
                    byteIDs.append(UInt32.max)
                    continue
                }
                throw .missingByte(UInt8(byte))
            }
            byteIDs.append(id)
        }
        let table = mergeRankTable(merges)
        self.tokens = tokens
        self.ids = ids
        self.byteIDs = byteIDs
        self.pairTable = PairTable(table)
        self.merges = table
        self.ignoreMerges = ignoreMerges
        self.textTokens = textTokens
    }

    /// The bytes of token `id`, or nil when the vocabulary has no such token.
    public func tokenBytes(_ id: UInt32) -> [UInt8]? {
        guard Int(id) < tokens.count, !tokens[Int(id)].isEmpty else { return textTokens[id] }
        return tokens[Int(id)]
    }

    /// The id of the token whose bytes are `bytes`, or nil.
    public func id(of bytes: [UInt8]) -> UInt32? { ids[bytes] }

    /// Appends the ids of one pre-token (raw bytes) to `out`.
    ///
    /// ```swift
    /// var out: [UInt32] = []
    /// bpe.encodePiece(Array(" hello".utf8)[...], into: &out)
    /// ```
    ///
    /// - Complexity: O(n log n) for n = piece.count: pieces longer than `MergeBPE.heapThreshold` bytes (a run of
    ///   10,000 spaces, say) merge through a heap; shorter ones by a linear scan, which is faster there.
    public func encodePiece(_ piece: ArraySlice<UInt8>, into out: inout [UInt32]) {
        encodePiece(piece, into: &out, heapThreshold: MergeBPE.heapThreshold)
    }

    /// Pieces longer than this many bytes use the heap merge.
    public static let heapThreshold = 96

    /// `encodePiece` with an explicit threshold (tests force either path with it).
    func encodePiece(_ piece: ArraySlice<UInt8>, into out: inout [UInt32], heapThreshold: Int) {
        piece.withUnsafeBufferPointer { encodeBytes($0, into: &out, heapThreshold: heapThreshold) }
    }

    private func encodeBytes(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt32], heapThreshold: Int) {
        let n = piece.count
        if n == 0 { return }
        if n == 1 {
            out.append(byteIDs[Int(piece[0])])
            return
        }
        if ignoreMerges, let whole = ids[Array(piece)] {
            out.append(whole)
            return
        }
        if n > heapThreshold {
            pairTable.mergeWithHeap(piece.map { byteIDs[Int($0)] }, into: &out)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { parts in
            for (k, byte) in piece.enumerated() { parts[k] = byteIDs[Int(byte)] }
            pairTable.mergeLinear(parts, count: n, into: &out)
        }
    }

    /// `encodePiece(_:into:)` through this thread's piece cache (`pieceCaches.threadPieceCache()`).
    ///
    /// Exact: a pre-token's ids are a function of its bytes alone (no dropout), so a cached answer is the
    /// answer. Why: in web text most pre-tokens are common words met again and again, and a cache hit (one hash,
    /// one comparison, no allocation) costs a fraction of the merge loop. Measured on `ptk tokenize` with
    /// Qwen2.5 (17,000 demo documents, 1 thread): see BENCHMARKS.md, "Piece caches".
    ///
    /// ```swift
    /// let cache = bpe.pieceCaches.threadPieceCache()
    /// buffer.withUnsafeBufferPointer { bpe.encodePiece($0, cache: cache, into: &out) }
    /// ```
    ///
    /// - Complexity: O(n) for a hit; as `encodePiece(_:into:)` for a miss.
    @inline(__always)
    func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, cache: PieceCache, into out: inout [UInt32]) {
        let n = piece.count
        if n == 0 { return }
        if n == 1 {
            out.append(byteIDs[Int(piece[0])])
            return
        }
        if cache.lookup(piece, into: &out) { return }
        let before = out.count
        encodeBytes(piece, into: &out, heapThreshold: MergeBPE.heapThreshold)
        cache.insert(piece, out[before...])
    }

    /// The ids of one pre-token; see `encodePiece(_:into:)`.
    public func encodePiece(_ piece: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        encodePiece(piece[...], into: &out)
        return out
    }

    /// The oracle: the plain merge loop on byte strings, recomputing every adjacent pair each round.
    ///
    /// Looks pairs up by their bytes (through the vocabulary) rather than by cached ranks, so that the fast
    /// path can be checked against it.
    ///
    /// ```swift
    /// bpe.encodePieceReference(Array(" hello".utf8)) == bpe.encodePiece(Array(" hello".utf8))   // true
    /// ```
    ///
    /// - Complexity: O(n²) lookups for n = piece.count.
    public func encodePieceReference(_ piece: [UInt8]) -> [UInt32] {
        if ignoreMerges, let whole = ids[piece] { return [whole] }
        var parts: [[UInt8]] = piece.map { [$0] }
        while parts.count > 1 {
            var best: (rank: UInt64, index: Int, merged: [UInt8])?
            for k in 0..<(parts.count - 1) {
                guard let left = ids[parts[k]], let right = ids[parts[k + 1]] else { continue }
                guard let value = merges[UInt64(left) << 32 | UInt64(right)] else { continue }
                let rank = value >> 32
                if best == nil || rank < (best?.rank ?? .max) {
                    best = (rank, k, tokens[Int(UInt32(truncatingIfNeeded: value))])
                }
            }
            guard let chosen = best else { break }
            parts[chosen.index] = chosen.merged
            parts.remove(at: chosen.index + 1)
        }
        return parts.compactMap { ids[$0] }
    }
}

/// An immutable map from a merge pair `left << 32 | right` to `rank << 32 | merged`, with open addressing.
///
/// Why not `Dictionary`: its per-process seeded SipHash was the largest single cost of encoding with a
/// tokenizer.json (about 15% of `ptk tokenize` with Qwen2.5, perf). Keys are hashed with one multiply
/// (Fibonacci hashing) into a table at most half full, probed linearly. `UInt64.max` marks an empty slot; no
/// real pair has it (ids fit in 31 bits).
///
/// - Complexity: lookup O(1) expected.
struct PairTable: Sendable {
    private let keys: [UInt64]
    private let values: [UInt64]
    private let shift: UInt64

    init(_ map: [UInt64: UInt64]) {
        var bits = 4
        while (1 << bits) < 2 * max(map.count, 1) { bits += 1 }
        let capacity = 1 << bits
        var keys = [UInt64](repeating: .max, count: capacity)
        var values = [UInt64](repeating: .max, count: capacity)
        let shift = UInt64(64 - bits)
        for (key, value) in map {
            var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while keys[i] != .max { i = (i + 1) & (capacity - 1) }
            keys[i] = key
            values[i] = value
        }
        self.keys = keys
        self.values = values
        self.shift = shift
    }

    /// The value of `key`, or `UInt64.max` when the pair has no merge.
    @inline(__always) func value(_ key: UInt64) -> UInt64 {
        keys.withUnsafeBufferPointer { k in
            let mask = k.count - 1
            var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while true {
                let found = k[i]
                if found == key { return values[i] }
                if found == .max { return .max }
                i = (i + 1) & mask
            }
        }
    }
}

// MARK: - Merging an id sequence

extension PairTable {
    /// Merges `parts` by merge rank as `tokenizers`' `Word::merge_all` does, appending the result to `out`.
    ///
    /// The adjacent pair with the lowest rank is replaced by its merged id, the leftmost on ties, until no
    /// adjacent pair has a merge. Every merge-ranked BPE shares this: the byte-level `MergeBPE` starts from one
    /// id per byte, `SentencePieceBPE` from one id per scalar (or its byte-fallback ids).
    ///
    /// ```swift
    /// table.merge([97, 98, 99], into: &out, heapThreshold: 96)   // "ab" then "abc" if both merges exist
    /// ```
    ///
    /// - Complexity: O(n log n) for n = parts.count above `heapThreshold`, O(n²) worst case below it (where the
    ///   linear scan over a short array is faster than the heap's bookkeeping).
    func merge(_ parts: [UInt32], into out: inout [UInt32], heapThreshold: Int) {
        if parts.count < 2 {
            out.append(contentsOf: parts)
        } else if parts.count > heapThreshold {
            mergeWithHeap(parts, into: &out)
        } else {
            mergeLinear(parts, into: &out)
        }
    }

    /// The linear scan: every round finds the lowest pair value left to right.
    func mergeLinear(_ initial: [UInt32], into out: inout [UInt32]) {
        var parts = initial
        parts.withUnsafeMutableBufferPointer { mergeLinear($0, count: $0.count, into: &out) }
    }

    /// The linear scan over the first `count` ids of `parts` (which it overwrites), appending the result: no
    /// allocation (see `mergeInPlace`).
    func mergeLinear(_ parts: UnsafeMutableBufferPointer<UInt32>, count n: Int, into out: inout [UInt32]) {
        let left = mergeInPlace(UnsafeMutableBufferPointer(rebasing: parts[0..<n]))
        out.append(contentsOf: parts[0..<left])
    }

    /// Lowest-rank-first merging over a doubly linked list of parts with a heap of (rank, start) keys.
    ///
    /// The key's order is the linear scan's choice: lowest rank, then leftmost. An entry is current iff the part
    /// at `start` is alive and its pair with the next part still has that rank; a rank names exactly one
    /// (left, right) pair, so equal ranks mean the same pair. Stale entries are skipped when popped.
    /// Merge ranks must stay below 2^24 (the key's rank field); larger ranks fall back to the linear scan.
    ///
    /// - Complexity: O(n log n) for n initial parts.
    func mergeWithHeap(_ initial: [UInt32], into out: inout [UInt32]) {
        let n = initial.count
        if n < 2 {
            out.append(contentsOf: initial)
            return
        }
        var ids = initial
        var next = (0..<n).map { $0 + 1 }       // start of the next part (n: none)
        var prev = (0..<n).map { $0 - 1 }       // start of the previous part (-1: none)
        var pair = [UInt64](repeating: .max, count: n)  // (rank << 32 | merged) of this part and the next
        var heap = MinHeap(capacity: 2 * n)
        defer { heap.deallocate() }
        for i in 0..<(n - 1) {
            pair[i] = pairValue(ids[i], ids[i + 1])
            if pair[i] != .max {
                guard pair[i] >> 32 < 1 << 24 else {
                    mergeLinear(initial, into: &out)
                    return
                }
                heap.appendUnordered(MinHeap.key(rank: UInt32(pair[i] >> 32), start: i))
            }
        }
        heap.heapify()
        while let key = heap.popMin() {
            let start = MinHeap.start(of: key)
            let value = pair[start]
            guard value != .max, UInt32(value >> 32) == MinHeap.rank(of: key) else { continue }  // stale
            let middle = next[start]
            let end = next[middle]
            ids[start] = UInt32(truncatingIfNeeded: value)
            next[start] = end
            if end < n { prev[end] = start }
            pair[middle] = .max
            pair[start] = end < n ? pairValue(ids[start], ids[end]) : .max
            if pair[start] != .max { heap.push(MinHeap.key(rank: UInt32(pair[start] >> 32), start: start)) }
            let before = prev[start]
            if before >= 0 {
                pair[before] = pairValue(ids[before], ids[start])
                if pair[before] != .max { heap.push(MinHeap.key(rank: UInt32(pair[before] >> 32), start: before)) }
            }
        }
        var part = 0
        while part < n {
            out.append(ids[part])
            part = next[part]
        }
    }

    @inline(__always) func pairValue(_ left: UInt32, _ right: UInt32) -> UInt64 {
        value(UInt64(left) << 32 | UInt64(right))
    }
}

/// The merges as one table: key `left << 32 | right`, value `rank << 32 | merged` (rank = position in `merges`).
func mergeRankTable(_ merges: [(left: UInt32, right: UInt32, merged: UInt32)]) -> [UInt64: UInt64] {
    var table: [UInt64: UInt64] = [:]
    table.reserveCapacity(merges.count)
    for (rank, merge) in merges.enumerated() {
        table[UInt64(merge.left) << 32 | UInt64(merge.right)] = UInt64(rank) << 32 | UInt64(merge.merged)
    }
    return table
}
