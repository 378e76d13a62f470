/// Byte-level BPE with integer ranks, as tiktoken does it: the rank of a token doubles as its merge priority.
///
/// Encoding one pre-token starts from its single bytes and repeatedly merges the adjacent pair whose concatenation
/// has the lowest rank (ties: the leftmost pair) until no adjacent pair is a token; the output is the parts' ranks.
/// The vocabulary is keyed by bytes, never by `String` (Swift's `String ==` is canonical equivalence, so "é" as one
/// scalar and "e" + U+0301 would collide).
///
/// ```swift
/// let bpe = try BytePairEncoder(ranks: ranks)          // [[UInt8]: UInt32], e.g. parsed from cl100k_base
/// bpe.encodePiece(Array(" hello".utf8))                // [24748]
/// try bpe.decode([24748])                              // Array(" hello".utf8)
/// ```
///
/// Lookups go through an open-addressing table keyed by (offset, length) into one byte arena, hashed without
/// allocating, so a lookup of a slice of the piece costs one hash and usually one comparison.
///
/// - Complexity: building is O(total token bytes); `encodePiece` is O(n log n) in the piece's byte count n
///   (O(n²) with tiny constants below a small-piece threshold, where that is faster); `decode` is O(output bytes).
public struct BytePairEncoder: Sendable {
    /// Pieces of at most this many bytes use the linear-scan merge; longer ones use the heap.
    static let linearMergeLimit = 96

    private let table: RankTable

    /// The number of ordinary tokens.
    public var count: Int { table.count }

    /// The largest rank, or nil for an empty table.
    public var maxRank: UInt32? { table.maxRank }

    /// Builds the encoder from token bytes → rank; every single byte must be a token (byte-level BPE).
    ///
    /// ```swift
    /// var ranks: [[UInt8]: UInt32] = [:]
    /// for b in 0...255 { ranks[[UInt8(b)]] = UInt32(b) }
    /// ranks[Array("ab".utf8)] = 256
    /// let bpe = try BytePairEncoder(ranks: ranks)
    /// ```
    ///
    /// - Throws: `.duplicateRankInTable` when two byte strings share a rank, `.missingByte` when a single byte
    ///   has no token, `.emptyToken` for the empty byte string.
    /// - Complexity: O(total token bytes), expected.
    public init(ranks: [[UInt8]: UInt32]) throws(TokenizerError) {
        var arena: [UInt8] = []
        var spans: [(offset: Int, length: Int)] = []
        var rankList: [UInt32] = []
        arena.reserveCapacity(ranks.count * 8)
        spans.reserveCapacity(ranks.count)
        rankList.reserveCapacity(ranks.count)
        for (bytes, rank) in ranks {
            spans.append((arena.count, bytes.count))
            arena.append(contentsOf: bytes)
            rankList.append(rank)
        }
        switch RankTable.build(arena: arena, spans: spans, ranks: rankList) {
        case .success(let table): self.table = table
        case .failure(.duplicateRank(let entry, _)): throw .duplicateRankInTable(rank: rankList[entry])
        case .failure(.duplicateToken): throw .duplicateRankInTable(rank: 0)  // a dictionary has unique keys
        case .failure(.missingByte(let byte)): throw .missingByte(byte)
        case .failure(.emptyToken(let entry)): throw .emptyToken(rank: rankList[entry])
        }
    }

    /// Wraps a table the loader built directly from a file (no intermediate dictionary).
    init(table: RankTable) {
        self.table = table
    }

    /// The rank of `bytes` if they are one token.
    ///
    /// ```swift
    /// bpe.rank(of: Array("hello".utf8))   // 15339 in cl100k_base
    /// ```
    ///
    /// - Complexity: O(bytes.count), expected.
    public func rank(of bytes: [UInt8]) -> UInt32? {
        let found = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { table.rank($0, buffer.count) } ?? RankTable.absent
        }
        return found == RankTable.absent ? nil : found
    }

    /// The bytes of the token with rank `id`, or nil when no token has that rank.
    ///
    /// ```swift
    /// bpe.tokenBytes(15339)   // Array("hello".utf8) in cl100k_base
    /// ```
    ///
    /// - Complexity: O(token length).
    public func tokenBytes(_ id: UInt32) -> [UInt8]? {
        guard let entry = table.entry(ofRank: id) else { return nil }
        let span = table.span(entry)
        return Array(UnsafeBufferPointer(start: table.arena + span.offset, count: span.length))
    }

    // MARK: - Encoding

    /// Encodes one pre-token (fast path): single byte → its rank; a piece that is itself a token → that token;
    /// otherwise the lowest-rank-first merge (linear scan for short pieces, a heap for long ones).
    ///
    /// The whole-piece lookup is what tiktoken does too (`encode_ordinary` looks the piece up before merging), so
    /// the result equals tiktoken's by construction. It equals the plain merge result (`encodePieceReference`)
    /// whenever the vocabulary is merge-closed — each token's own bytes merge back into that token — which holds
    /// for every token of cl100k_base (checked by the tests) and for any vocabulary trained by BPE, where each
    /// token is the merge of two lower-ranked tokens.
    ///
    /// ```swift
    /// var out: [UInt32] = []
    /// Array(" hello".utf8).withUnsafeBufferPointer { bpe.encodePiece($0, into: &out) }   // out == [24748]
    /// ```
    ///
    /// - Complexity: O(n log n) for n = piece.count; O(n) for a piece that is one token.
    public func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        guard let base = piece.baseAddress, piece.count > 0 else { return }
        let n = piece.count
        if n == 1 {
            out.append(table.byteRanks[Int(base[0])])
            return
        }
        let whole = table.rank(base, n)
        if whole != RankTable.absent {
            out.append(whole)
            return
        }
        if n <= Self.linearMergeLimit {
            mergeLinear(base, n, into: &out)
        } else {
            mergeWithHeap(base, n, into: &out)
        }
    }

    /// Encodes one pre-token given as an array; see `encodePiece(_:into:)`.
    ///
    /// ```swift
    /// bpe.encodePiece(Array(" hello".utf8))   // [24748] in cl100k_base
    /// ```
    ///
    /// - Complexity: O(n log n).
    public func encodePiece(_ piece: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        piece.withUnsafeBufferPointer { encodePiece($0, into: &out) }
        return out
    }

    /// The heap merge without the fast paths (exposed for tests, which compare it with the oracle on short pieces).
    ///
    /// ```swift
    /// bpe.encodePieceWithHeap(Array("aaaa".utf8)) == bpe.encodePieceReference(Array("aaaa".utf8))   // true
    /// ```
    ///
    /// - Complexity: O(n log n).
    func encodePieceWithHeap(_ piece: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        piece.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            if buffer.count == 1 { out.append(table.byteRanks[Int(base[0])]) } else {
                mergeWithHeap(base, buffer.count, into: &out)
            }
        }
        return out
    }

    /// The linear-scan merge without the whole-piece lookup (exposed for tests).
    ///
    /// ```swift
    /// bpe.encodePieceLinear(Array("aaaa".utf8)) == bpe.encodePieceReference(Array("aaaa".utf8))   // true
    /// ```
    ///
    /// - Complexity: O(n²).
    func encodePieceLinear(_ piece: [UInt8]) -> [UInt32] {
        var out: [UInt32] = []
        piece.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            if buffer.count == 1 { out.append(table.byteRanks[Int(base[0])]) } else {
                mergeLinear(base, buffer.count, into: &out)
            }
        }
        return out
    }

    /// The oracle: the plain merge loop, recomputing every adjacent pair's rank each round, no shortcuts.
    ///
    /// Kept deliberately simple (the same rule tiktoken's `_byte_pair_merge` applies) so that the fast paths can
    /// be checked against it.
    ///
    /// ```swift
    /// bpe.encodePieceReference(Array(" hello".utf8))   // [24748] in cl100k_base
    /// ```
    ///
    /// - Complexity: O(n²) lookups for n = piece.count.
    public func encodePieceReference(_ piece: [UInt8]) -> [UInt32] {
        guard !piece.isEmpty else { return [] }
        return piece.withUnsafeBufferPointer { buffer -> [UInt32] in
            guard let base = buffer.baseAddress else { return [] }
            var starts = Array(0...buffer.count)   // part k is starts[k] ..< starts[k + 1]
            while starts.count > 2 {
                var best = RankTable.absent
                var bestPart = -1
                for k in 0..<(starts.count - 2) {
                    let rank = table.rank(base + starts[k], starts[k + 2] - starts[k])
                    if rank < best {
                        best = rank
                        bestPart = k
                    }
                }
                if bestPart < 0 { break }
                starts.remove(at: bestPart + 1)
            }
            return (0..<(starts.count - 1)).map { k in table.rank(base + starts[k], starts[k + 1] - starts[k]) }
        }
    }

    /// Linear-scan merge with cached pair ranks; fastest for short pieces (everything stays in a few cache lines).
    private func mergeLinear(_ base: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: n + 1) { starts in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { pairRanks in
                // Part k is starts[k] ..< starts[k + 1]; pairRanks[k] is the rank of parts k and k + 1 merged.
                for k in 0...n { starts[k] = k }
                var parts = n
                for k in 0..<(n - 1) { pairRanks[k] = table.rank(base + k, 2) }
                while parts > 1 {
                    var best = RankTable.absent
                    var bestPart = 0
                    for k in 0..<(parts - 1) where pairRanks[k] < best {
                        best = pairRanks[k]
                        bestPart = k
                    }
                    if best == RankTable.absent { break }
                    // Merge parts bestPart and bestPart + 1: drop the boundary starts[bestPart + 1].
                    let k = bestPart
                    var j = k + 1
                    while j < parts {
                        starts[j] = starts[j + 1]
                        j += 1
                    }
                    j = k + 1
                    while j < parts - 2 {
                        pairRanks[j] = pairRanks[j + 1]
                        j += 1
                    }
                    parts -= 1
                    pairRanks[k] = k + 2 <= parts
                        ? table.rank(base + starts[k], starts[k + 2] - starts[k]) : RankTable.absent
                    if k > 0 {
                        pairRanks[k - 1] = table.rank(base + starts[k - 1], starts[k + 1] - starts[k - 1])
                    }
                }
                for k in 0..<parts {
                    out.append(table.rank(base + starts[k], starts[k + 1] - starts[k]))
                }
            }
        }
    }

    /// Heap merge over a doubly linked list of parts; stale heap entries are recognised and skipped.
    ///
    /// A heap key is rank << 40 | start, so the minimum is the lowest rank and, among equal ranks, the leftmost
    /// pair — the same choice as the linear scan. An entry (rank, start) is current iff the part starting at
    /// `start` is alive and its pair with the next part still has that rank: ranks are unique per byte string and
    /// boundaries are only ever removed, so an equal rank means the very same pair.
    private func mergeWithHeap(_ base: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        let next = UnsafeMutablePointer<Int>.allocate(capacity: n)       // start of the next part (n: none)
        let prev = UnsafeMutablePointer<Int>.allocate(capacity: n)       // start of the previous part (-1: none)
        let pairRank = UnsafeMutablePointer<UInt32>.allocate(capacity: n)  // rank of this part + next; absent
        let partRank = UnsafeMutablePointer<UInt32>.allocate(capacity: n)  // rank of this part itself
        var heap = MinHeap(capacity: 3 * n)
        defer {
            next.deallocate()
            prev.deallocate()
            pairRank.deallocate()
            partRank.deallocate()
            heap.deallocate()
        }
        for i in 0..<n {
            next[i] = i + 1
            prev[i] = i - 1
            partRank[i] = table.byteRanks[Int(base[i])]
            let rank = i + 1 < n ? table.rank(base + i, 2) : RankTable.absent
            pairRank[i] = rank
            if rank != RankTable.absent { heap.appendUnordered(MinHeap.key(rank: rank, start: i)) }
        }
        heap.heapify()
        while let key = heap.popMin() {
            let rank = MinHeap.rank(of: key)
            let start = MinHeap.start(of: key)
            guard pairRank[start] == rank else { continue }  // stale: the part died or its pair changed
            // Merge the part at `start` with the next one.
            let middle = next[start]
            let end = next[middle]
            next[start] = end
            if end < n { prev[end] = start }
            pairRank[middle] = RankTable.absent
            partRank[start] = rank
            if end < n {
                let right = table.rank(base + start, next[end] - start)
                pairRank[start] = right
                if right != RankTable.absent { heap.push(MinHeap.key(rank: right, start: start)) }
            } else {
                pairRank[start] = RankTable.absent
            }
            let before = prev[start]
            if before >= 0 {
                let left = table.rank(base + before, end - before)
                pairRank[before] = left
                if left != RankTable.absent { heap.push(MinHeap.key(rank: left, start: before)) }
            }
        }
        var part = 0
        while part < n {
            out.append(partRank[part])
            part = next[part]
        }
    }

    // MARK: - Decoding

    /// The bytes of a sequence of ranks.
    ///
    /// ```swift
    /// try bpe.decode([15339, 1917])   // Array("hello world".utf8) in cl100k_base
    /// ```
    ///
    /// - Throws: `.unknownTokenID` naming the first id that is not a rank.
    /// - Complexity: O(ids.count + output bytes).
    public func decode(_ ids: [UInt32]) throws(TokenizerError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids {
            guard appendBytes(of: id, to: &out) else { throw .unknownTokenID(id) }
        }
        return out
    }

    /// Appends the bytes of token `id`; false when no token has that rank.
    ///
    /// ```swift
    /// var bytes: [UInt8] = []
    /// _ = bpe.appendBytes(of: 15339, to: &bytes)   // bytes == Array("hello".utf8)
    /// ```
    ///
    /// - Complexity: O(token length).
    public func appendBytes(of id: UInt32, to out: inout [UInt8]) -> Bool {
        guard let entry = table.entry(ofRank: id) else { return false }
        let span = table.span(entry)
        out.append(contentsOf: UnsafeBufferPointer(start: table.arena + span.offset, count: span.length))
        return true
    }
}

// MARK: - Rank table

/// Token bytes → rank, and rank → token bytes, over one immutable byte arena.
///
/// Open addressing with linear probing; a slot is two words: the upper 32 bits of the hash (a tag that rejects most
/// mismatches without touching the arena) with the rank, and the token's offset with its length (0 = empty slot;
/// tokens are never empty). A hit thus reads one slot and the arena. Two-byte tokens also sit in a direct 64 Ki
/// table, since the first merge round looks up every adjacent byte pair. Immutable after `build`, hence
/// `@unchecked Sendable`: the buffers are written only during construction.
///
/// ```swift
/// let table = try RankTable.build(arena: bytes, spans: spans, ranks: ranks).get()
/// table.rank(pointer, length)   // RankTable.absent when not a token
/// ```
///
/// - Complexity: build O(total bytes) expected; lookups O(length) expected.
final class RankTable: @unchecked Sendable {
    static let absent = UInt32.max

    /// Why a table could not be built; entries are indices into the input spans.
    enum BuildProblem: Error {
        case duplicateToken(entry: Int, first: Int)
        case duplicateRank(entry: Int, first: Int)
        case missingByte(UInt8)
        case emptyToken(entry: Int)
    }

    let count: Int
    let arena: UnsafeMutablePointer<UInt8>
    private let arenaCount: Int
    private let spans: UnsafeMutablePointer<UInt64>    // offset << 32 | length, per entry
    private let ranks: UnsafeMutablePointer<UInt32>    // per entry
    private let slots: UnsafeMutablePointer<UInt64>    // 2 words per slot: tag << 32 | rank, offset << 32 | length
    private let pairRanks: UnsafeMutablePointer<UInt32>  // 65 536 entries: rank of the two-byte token b0 b1
    private let mask: Int
    let byteRanks: UnsafeMutablePointer<UInt32>         // 256 entries
    private let maxLength: Int
    let maxRank: UInt32?
    private let denseIndex: UnsafeMutablePointer<Int32>?  // rank → entry (-1: none), when ranks are dense
    private let sparseIndex: [UInt32: Int32]

    private init(
        arena: [UInt8], spans: [(offset: Int, length: Int)], ranks: [UInt32]
    ) {
        count = spans.count
        arenaCount = arena.count
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(arena.count, 1))
        arena.withUnsafeBufferPointer { source in
            if let from = source.baseAddress { bytes.initialize(from: from, count: source.count) }
        }
        self.arena = bytes
        self.spans = UnsafeMutablePointer<UInt64>.allocate(capacity: max(spans.count, 1))
        self.ranks = UnsafeMutablePointer<UInt32>.allocate(capacity: max(ranks.count, 1))
        var longest = 0
        for (i, span) in spans.enumerated() {
            self.spans[i] = UInt64(span.offset) << 32 | UInt64(span.length)
            self.ranks[i] = ranks[i]
            longest = max(longest, span.length)
        }
        maxLength = longest
        var capacity = 16
        while capacity < spans.count * 2 { capacity <<= 1 }
        mask = capacity - 1
        slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * capacity)
        slots.initialize(repeating: 0, count: 2 * capacity)
        pairRanks = UnsafeMutablePointer<UInt32>.allocate(capacity: 1 << 16)
        pairRanks.initialize(repeating: RankTable.absent, count: 1 << 16)
        byteRanks = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
        byteRanks.initialize(repeating: RankTable.absent, count: 256)
        let top = ranks.max()
        maxRank = top
        if let top, Int(top) <= 2 * ranks.count + 1024 {
            let index = UnsafeMutablePointer<Int32>.allocate(capacity: Int(top) + 1)
            index.initialize(repeating: -1, count: Int(top) + 1)
            denseIndex = index
            sparseIndex = [:]
        } else {
            denseIndex = nil
            var index: [UInt32: Int32] = [:]
            index.reserveCapacity(ranks.count)
            for (i, rank) in ranks.enumerated() where index[rank] == nil { index[rank] = Int32(i) }
            sparseIndex = index
        }
    }

    deinit {
        arena.deallocate()
        spans.deallocate()
        ranks.deallocate()
        slots.deallocate()
        pairRanks.deallocate()
        byteRanks.deallocate()
        denseIndex?.deallocate()
    }

    /// Builds the table, reporting the first duplicate token or rank, or a missing single byte.
    ///
    /// ```swift
    /// switch RankTable.build(arena: a, spans: s, ranks: r) { case .success(let t): …; case .failure(let p): … }
    /// ```
    ///
    /// - Complexity: O(total bytes) expected.
    static func build(
        arena: [UInt8], spans: [(offset: Int, length: Int)], ranks: [UInt32]
    ) -> Result<RankTable, BuildProblem> {
        let table = RankTable(arena: arena, spans: spans, ranks: ranks)
        for entry in 0..<spans.count {
            if spans[entry].length == 0 { return .failure(.emptyToken(entry: entry)) }
            if let first = table.insert(entry: entry) { return .failure(.duplicateToken(entry: entry, first: first)) }
            if let first = table.indexRank(entry: entry) {
                return .failure(.duplicateRank(entry: entry, first: first))
            }
            let (offset, length) = spans[entry]
            if length == 1 { table.byteRanks[Int(arena[offset])] = ranks[entry] }
            if length == 2 { table.pairRanks[Int(arena[offset]) << 8 | Int(arena[offset + 1])] = ranks[entry] }
        }
        for byte in 0..<256 where table.byteRanks[byte] == absent {
            return .failure(.missingByte(UInt8(byte)))
        }
        return .success(table)
    }

    /// Inserts an entry into the hash table; returns the entry already holding the same bytes, if any.
    ///
    /// Entries are inserted and rank-indexed in order, so the rank found in an occupied slot leads to its entry.
    private func insert(entry: Int) -> Int? {
        let (offset, length) = span(entry)
        let h = Self.hash(arena + offset, length)
        let tag = h >> 32
        var slot = Int(truncatingIfNeeded: h) & mask
        while slots[2 * slot + 1] != 0 {
            let head = slots[2 * slot], packed = slots[2 * slot + 1]
            if head >> 32 == tag && Int(packed & 0xFFFF_FFFF) == length
                && Self.equal(arena + Int(packed >> 32), arena + offset, length) {
                return self.entry(ofRank: UInt32(truncatingIfNeeded: head)) ?? -1
            }
            slot = (slot + 1) & mask
        }
        slots[2 * slot] = tag << 32 | UInt64(ranks[entry])
        slots[2 * slot + 1] = spans[entry]
        return nil
    }

    /// Records rank → entry; returns the entry already holding the same rank, if any.
    private func indexRank(entry: Int) -> Int? {
        let rank = ranks[entry]
        if let dense = denseIndex {
            if dense[Int(rank)] >= 0 { return Int(dense[Int(rank)]) }
            dense[Int(rank)] = Int32(entry)
            return nil
        }
        // Sparse: the index kept the first entry of each rank.
        if let first = sparseIndex[rank], Int(first) != entry { return Int(first) }
        return nil
    }

    @inline(__always) func span(_ entry: Int) -> (offset: Int, length: Int) {
        let packed = spans[entry]
        return (Int(packed >> 32), Int(packed & 0xFFFF_FFFF))
    }

    /// The entry of a rank, if a token has it.
    @inline(__always) func entry(ofRank rank: UInt32) -> Int? {
        if let dense = denseIndex {
            guard let top = maxRank, rank <= top else { return nil }
            let entry = dense[Int(rank)]
            return entry >= 0 ? Int(entry) : nil
        }
        return sparseIndex[rank].map { Int($0) }
    }

    /// The rank of the bytes `p ..< p + length`, or `absent`.
    @inline(__always) func rank(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
        if length == 1 { return byteRanks[Int(p[0])] }
        if length == 2 { return pairRanks[Int(p[0]) << 8 | Int(p[1])] }
        if length > maxLength { return Self.absent }
        let h = Self.hash(p, length)
        let tag = h >> 32
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let packed = slots[2 * slot + 1]
            if packed == 0 { return Self.absent }
            let head = slots[2 * slot]
            if head >> 32 == tag && Int(packed & 0xFFFF_FFFF) == length
                && Self.equal(arena + Int(packed >> 32), p, length) {
                return UInt32(truncatingIfNeeded: head)
            }
            slot = (slot + 1) & mask
        }
    }

    /// A fast 64-bit hash of a byte slice: 8-byte words folded by multiply–xorshift, then a murmur3 finaliser.
    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ (UInt64(length) &* 0xFF51_AFD7_ED55_8CCD)
        var i = 0
        while i + 8 <= length {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ word) &* 0x9FB2_1C65_1E98_DF25
            h ^= h >> 29
            i += 8
        }
        if i < length {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < length {
                tail |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0x9FB2_1C65_1E98_DF25
            h ^= h >> 29
        }
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    @inline(__always) static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 8 <= length {
            if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < length {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }
}

// MARK: - Heap

/// A binary min-heap of packed keys rank << 40 | start, in one manually managed buffer.
///
/// ```swift
/// var heap = MinHeap(capacity: 8); defer { heap.deallocate() }
/// heap.push(MinHeap.key(rank: 5, start: 2)); heap.popMin()   // that key
/// ```
///
/// - Complexity: push and popMin O(log size); heapify O(size).
struct MinHeap {
    private var storage: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private var size = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 4)
        storage = UnsafeMutablePointer<UInt64>.allocate(capacity: self.capacity)
    }

    func deallocate() { storage.deallocate() }

    @inline(__always) static func key(rank: UInt32, start: Int) -> UInt64 { UInt64(rank) << 40 | UInt64(start) }
    @inline(__always) static func rank(of key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key >> 40) }
    @inline(__always) static func start(of key: UInt64) -> Int { Int(key & 0xFF_FFFF_FFFF) }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: storage, count: size)
        storage.deallocate()
        storage = bigger
        capacity *= 2
    }

    mutating func appendUnordered(_ key: UInt64) {
        if size == capacity { grow() }
        storage[size] = key
        size += 1
    }

    mutating func heapify() {
        var i = size / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    mutating func push(_ key: UInt64) {
        if size == capacity { grow() }
        var i = size
        size += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            let above = storage[parent]
            if above <= key { break }
            storage[i] = above
            i = parent
        }
        storage[i] = key
    }

    mutating func popMin() -> UInt64? {
        guard size > 0 else { return nil }
        let top = storage[0]
        size -= 1
        if size > 0 {
            storage[0] = storage[size]
            siftDown(0)
        }
        return top
    }

    @inline(__always) private mutating func siftDown(_ start: Int) {
        let key = storage[start]
        var i = start
        while true {
            var child = 2 * i + 1
            if child >= size { break }
            if child + 1 < size && storage[child + 1] < storage[child] { child += 1 }
            if storage[child] >= key { break }
            storage[i] = storage[child]
            i = child
        }
        storage[i] = key
    }
}
