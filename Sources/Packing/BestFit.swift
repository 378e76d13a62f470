import CorpusCore
import Shards

/// `bestfit` (Ding et al. 2024, "Fewer Truncations Improve Language Modeling"): documents longer than `seqLen`
/// are split into chunks of `seqLen` (the last one shorter) — the only cuts; the chunks are sorted by length,
/// longest first, and each goes into the open window with the least room that still fits it, or a new window.
///
/// Notes:
/// - The search for "least room ≥ n" is a segment tree over the room values 0…`seqLen` (`CapacityTree`): one
///   query and two updates per chunk, O(log seqLen), so the pass is O(N log seqLen) however many windows are
///   open. A scan over open windows is O(N × windows) and is what `bestFitReference` does, for the tests.
/// - Windows with equal room are interchangeable for every later decision (only room matters), so the
///   number of windows and the padding do not depend on which of them a chunk takes; we take the one that
///   reached that room last (a stack per room value), which is deterministic.
/// - Placement happens per buffer of `bufferTokens` tokens so memory stays flat however large the corpus:
///   within a buffer of 16M tokens there are thousands of windows to choose from, and the padding left at a
///   buffer's end is one partly filled window at most per distinct room value actually used.
/// - Windows come out in the order they were opened (the longest chunks first); trainers shuffle.
public struct BestFitPacker: Packer {
    public let seqLen: Int
    public let bufferTokens: Int
    public private(set) var stats = PackStats()
    private var builder: WindowBuilder
    private var documents: [PackDocument] = []
    private var buffered = 0

    public init(seqLen: Int, padID: UInt32, bufferTokens: Int = 1 << 24) {
        self.seqLen = seqLen
        self.bufferTokens = max(bufferTokens, seqLen)
        builder = WindowBuilder(seqLen: seqLen, padID: padID)
    }

    public mutating func add(_ document: PackDocument, emit: (PackedWindow) throws -> Void) throws {
        stats.documents += 1
        if document.tokens.count > seqLen { stats.splitDocuments += 1 }
        guard !document.tokens.isEmpty else { return }
        documents.append(document)
        buffered += document.tokens.count
        if buffered >= bufferTokens { try place(emit: emit) }
    }

    public mutating func finish(emit: (PackedWindow) throws -> Void) throws {
        try place(emit: emit)
    }

    /// Places every buffered chunk and emits the windows, in the order they were opened.
    private mutating func place(emit: (PackedWindow) throws -> Void) throws {
        guard !documents.isEmpty else { return }
        let chunks = bestFitChunks(documentLengths: documents.map(\.tokens.count), seqLen: seqLen)
        let (binOf, binCount) = bestFitAssign(chunks, seqLen: seqLen)
        // Group chunk indices by window (a counting sort keeps placement order within a window).
        var starts = [Int](repeating: 0, count: binCount + 1)
        for bin in binOf { starts[Int(bin) + 1] += 1 }
        for i in 0..<binCount { starts[i + 1] += starts[i] }
        var order = [Int32](repeating: 0, count: chunks.count)
        var cursor = starts
        for (index, bin) in binOf.enumerated() {
            order[cursor[Int(bin)]] = Int32(index)
            cursor[Int(bin)] += 1
        }
        for bin in 0..<binCount {
            for k in starts[bin]..<starts[bin + 1] {
                let chunk = chunks[Int(order[k])]
                builder.append(documents[chunk.document], chunk.start..<(chunk.start + chunk.length), stats: &stats)
            }
            try emit(builder.take(stats: &stats))
        }
        documents.removeAll(keepingCapacity: true)
        buffered = 0
    }
}

/// A piece of a document: `length` tokens from `start` of document `document` (an index into the buffer).
public struct BestFitChunk: Sendable, Equatable {
    public var document: Int
    public var start: Int
    public var length: Int
}

/// The chunks of documents of these lengths (`seqLen` each, the last shorter), sorted longest first; equal
/// lengths keep document order.
public func bestFitChunks(documentLengths: [Int], seqLen: Int) -> [BestFitChunk] {
    var chunks: [BestFitChunk] = []
    chunks.reserveCapacity(documentLengths.count)
    for (document, length) in documentLengths.enumerated() {
        for start in stride(from: 0, to: length, by: seqLen) {
            chunks.append(BestFitChunk(document: document, start: start, length: min(seqLen, length - start)))
        }
    }
    // Stable: a counting sort by length (lengths are 1…seqLen), longest first.
    var counts = [Int](repeating: 0, count: seqLen + 2)
    for chunk in chunks { counts[seqLen - chunk.length + 1] += 1 }
    for i in 1..<counts.count { counts[i] += counts[i - 1] }
    var sorted = chunks
    for chunk in chunks {
        let slot = seqLen - chunk.length
        sorted[counts[slot]] = chunk
        counts[slot] += 1
    }
    return sorted
}

/// Best-fit placement of `chunks` (in the order given) into windows of `seqLen`: the chunk indices of each
/// window, windows in the order they were opened. O(N log seqLen).
public func bestFitPlace(_ chunks: [BestFitChunk], seqLen: Int) -> [[Int]] {
    let (binOf, binCount) = bestFitAssign(chunks, seqLen: seqLen)
    var bins = [[Int]](repeating: [], count: binCount)
    for (index, bin) in binOf.enumerated() { bins[Int(bin)].append(index) }
    return bins
}

/// The window of each chunk (windows numbered in the order they were opened) and the number of windows.
func bestFitAssign(_ chunks: [BestFitChunk], seqLen: Int) -> (binOf: [Int32], binCount: Int) {
    var tree = CapacityTree(maxRoom: seqLen)
    // Windows with room r: a stack per r, as singly linked lists through `nextWithRoom` (no array per room).
    var topWithRoom = [Int32](repeating: -1, count: seqLen + 1)
    var nextWithRoom: [Int32] = []
    var binOf = [Int32](repeating: 0, count: chunks.count)
    var binCount = 0
    for (index, chunk) in chunks.enumerated() {
        let room: Int
        let bin: Int32
        if let found = tree.smallest(atLeast: chunk.length) {
            room = found
            bin = topWithRoom[found]
            topWithRoom[found] = nextWithRoom[Int(bin)]
            if topWithRoom[found] < 0 { tree.set(found, present: false) }
        } else {
            room = seqLen
            bin = Int32(binCount)
            binCount += 1
            nextWithRoom.append(-1)
        }
        binOf[index] = bin
        let left = room - chunk.length
        if left > 0 {
            nextWithRoom[Int(bin)] = topWithRoom[left]
            topWithRoom[left] = bin
            tree.set(left, present: true)
        }
    }
    return (binOf, binCount)
}

/// The plain best-fit placement, O(N × windows): for each chunk, scan every window for the least room that
/// fits. The reference `bestFitPlace` is tested against.
public func bestFitReference(_ chunks: [BestFitChunk], seqLen: Int) -> [[Int]] {
    var bins: [[Int]] = []
    var rooms: [Int] = []
    for (index, chunk) in chunks.enumerated() {
        var best: Int?
        for (bin, room) in rooms.enumerated() where room >= chunk.length {
            if best == nil || room < rooms[best ?? 0] { best = bin }
        }
        if let best {
            bins[best].append(index)
            rooms[best] -= chunk.length
        } else {
            bins.append([index])
            rooms.append(seqLen - chunk.length)
        }
    }
    return bins
}

/// A segment tree over room values 0…maxRoom: which values some open window has, and the smallest one
/// ≥ n in O(log maxRoom).
struct CapacityTree {
    private let leaves: Int
    /// Node i covers its leaves; the value is how many of them are present. Leaves start at `leaves`.
    private var counts: [Int32]

    init(maxRoom: Int) {
        var size = 1
        while size < maxRoom + 1 { size <<= 1 }
        leaves = size
        counts = [Int32](repeating: 0, count: 2 * size)
    }

    mutating func set(_ room: Int, present: Bool) {
        var node = leaves + room
        let value: Int32 = present ? 1 : 0
        guard counts[node] != value else { return }
        let delta = value - counts[node]
        while node >= 1 {
            counts[node] += delta
            node >>= 1
        }
    }

    /// The smallest present room ≥ `need`, or nil.
    func smallest(atLeast need: Int) -> Int? {
        guard need < leaves else { return nil }
        var node = leaves + need
        if counts[node] > 0 { return need }
        // Climb until a right sibling holds something, then descend to its leftmost present leaf.
        while node > 1 {
            if node & 1 == 0, counts[node + 1] > 0 {
                node += 1
                while node < leaves { node = counts[2 * node] > 0 ? 2 * node : 2 * node + 1 }
                return node - leaves
            }
            node >>= 1
        }
        return nil
    }
}
