import Foundation

/// A byte trie of vocabulary pieces: walks UTF-8 bytes from a node and tells which piece ends where.
///
/// A double array, as SentencePiece's darts-clone trie (our own layout and construction): node `n`'s child by
/// byte `b` sits at index `base(n) + b` of one array of 8-byte units, and is that child only when the unit there
/// is occupied and labelled `b`. Every node that has children gets a base no other node has, so the label alone
/// tells whose child a unit is (no parent index stored); a node without children gets base 0, which no node
/// with children has. Each unit also holds the id of the piece that ends at its node, so one step of a walk
/// reads one unit: its label, the piece found, and the base for the next step.
///
/// ```swift
/// let trie = PieceTrie(pieces: [(Array("a".utf8), 0), (Array("ab".utf8), 1)])
/// var node = 0
/// node = trie.child(node, UInt8(ascii: "a"))!   // trie.piece(at: node) == 0
/// node = trie.child(node, UInt8(ascii: "b"))!   // trie.piece(at: node) == 1
/// ```
///
/// Notes (`ptk bench tokenize --megabytes 5`, 1 thread; j2: 236k searchable Unigram pieces, 929k nodes in 943k
/// units, so 98.5% of the units are nodes; BENCHMARKS.md):
/// - Before this, the trie was an open-addressing hash table keyed by `node << 8 | byte` (`HashPieceTrie`, now
///   the test reference): 16-byte slots, a table of tens of megabytes, each byte of a walk a cache miss anywhere
///   in it. j2 went from 0.44–0.51× sentencepiece (4.2–4.8 MB/s) to 1.2–1.5× (11–12.7 MB/s) with the double
///   array, the same ids on every document; loading j2 stays about 1.1 s (the build sorts flat keys with
///   `memcmp`: sorting `[[UInt8]]` cost 0.4 s more).
/// - 8-byte units (label, base and piece packed) rather than three `Int32` arrays or a 12-byte struct: one
///   load per step, and 7.5 MB instead of 11 MB for j2.
/// - Placement order: bases are given breadth first down to `breadthFirstDepth` (the first bytes, which every
///   walk starts with, and "▁", 3 bytes, packed in a small hot region), then depth first below (a piece's tail
///   in consecutive units). Depths 1 to 4 measured the same within the noise of the shared machine; all breadth
///   first (0.49 s for 5 MB) and all depth first (0.41 s) were slower than depth 3 (0.38–0.42 s).
/// - perf still puts about a third of a j2 encode in the Viterbi, most of it the unit load of each step.
///
/// - Complexity: building is O(total piece bytes × log pieces) for the sort plus the first-fit placement
///   (near-linear in practice: j2's 262k pieces build in about 0.3 s); `step`, `child` and `piece(at:)` are
///   O(1).
struct PieceTrie: ByteTrieWalk, Sendable {
    /// One unit per index: bits 0–7 the label (the byte leading to this node), bit 8 set when the unit is a
    /// node, bits 9–39 the node's base (0: no children), bits 40–63 the piece id + 1 (0: no piece ends here;
    /// `largePiece`: the id is in `largePieces`).
    private var units: [UInt64]
    /// Piece ids too large for the unit's 24 bits (over 16.7 million pieces), by node; empty in practice.
    private var largePieces: [Int: Int32] = [:]
    /// The number of nodes, the root included.
    let nodeCount: Int

    private static let occupied: UInt64 = 0x100
    private static let baseMask: UInt64 = 0x7FFF_FFFF
    private static let largePiece: UInt64 = 0xFF_FFFF
    /// How many levels are placed breadth first (see the type's notes).
    static let breadthFirstDepth = 3

    /// Builds the trie; a piece listed twice keeps its first id, and empty pieces are ignored.
    init(pieces list: [(bytes: [UInt8], id: Int32)]) {
        var builder = DoubleArrayBuilder(keys: list)
        builder.build(breadthFirstDepth: Self.breadthFirstDepth)
        // Units past the last node are free; keep only as many as the largest base needs (base + 255).
        var extent = 256
        for index in 0..<builder.size where builder.label[index] >= 0 {
            extent = max(extent, index + 1, Int(builder.base[index]) + 256)
        }
        var units = [UInt64](repeating: 0, count: extent)
        var large: [Int: Int32] = [:]
        for index in 0..<min(builder.size, extent) where builder.label[index] >= 0 {
            var unit = UInt64(UInt32(bitPattern: builder.base[index])) << 9
            if index != 0 { unit |= Self.occupied | UInt64(builder.label[index]) }
            let id = builder.piece[index]
            if id >= 0 {
                if UInt64(id) + 1 < Self.largePiece {
                    unit |= (UInt64(id) + 1) << 40
                } else {
                    unit |= Self.largePiece << 40
                    large[index] = id
                }
            }
            units[index] = unit
        }
        self.units = units
        largePieces = large
        nodeCount = builder.nodeCount
    }

    /// The number of 8-byte units in the double array (nodes and the holes between them).
    var unitCount: Int { units.count }

    @inline(__always) private func pieceOf(_ unit: UInt64, at index: Int) -> Int32 {
        let stored = unit >> 40
        if stored == Self.largePiece { return largePieces[index] ?? -1 }
        return Int32(truncatingIfNeeded: stored) &- 1
    }

    /// The node reached from `node` by `byte` and the id of the piece ending there (-1: none), or nil.
    @inline(__always) func step(_ node: Int, _ byte: UInt8) -> (node: Int, piece: Int32)? {
        units.withUnsafeBufferPointer { table in
            guard node >= 0, node < table.count else { return nil }
            // Every base is at most `table.count - 256` (the builder pads), so `index` is in range.
            let index = Int(truncatingIfNeeded: (table[node] >> 9) & Self.baseMask) &+ Int(byte)
            let unit = table[index]
            guard unit & 0x1FF == Self.occupied | UInt64(byte) else { return nil }
            return (index, pieceOf(unit, at: index))
        }
    }

    /// The id of the piece whose bytes lead from the root to `node`, or nil.
    @inline(__always) func piece(at node: Int) -> Int32? {
        guard node >= 0, node < units.count else { return nil }
        let id = pieceOf(units[node], at: node)
        return id < 0 ? nil : id
    }

    /// The id of the piece whose bytes are exactly `bytes`, or nil.
    func id(of bytes: ArraySlice<UInt8>) -> Int32? {
        walk(0, bytes).flatMap { piece(at: $0) }
    }
}

/// Lays out a `PieceTrie`'s double array: sorts the keys, then gives each node with children the first base at
/// which all its child units are free (first fit over a list of free units), breadth first at the top levels,
/// depth first below.
///
/// ```swift
/// var builder = DoubleArrayBuilder(keys: [(Array("ab".utf8), 0)])
/// builder.build(breadthFirstDepth: 3)   // builder.base, .label, .piece: the units 0..<builder.size
/// ```
///
/// - Complexity: O(k log k) comparisons for k keys, then O(total key bytes) to enumerate nodes, plus the
///   first-fit search (a free unit leaves the search after `maxFailures` failed tries for nodes with several
///   children).
struct DoubleArrayBuilder {
    /// A node of the implicit trie: the sorted keys in `lo..<hi` share its first `depth` bytes; `index` is its
    /// unit.
    private struct Node {
        var index: Int
        var depth: Int
        var lo: Int
        var hi: Int
    }

    /// All keys' bytes end to end, and each key's start and length in it.
    private let flat: [UInt8]
    private let keyStart: [Int32]
    private let keyLength: [Int32]
    /// The key indices in byte order (a prefix first), later duplicates dropped; `ids` follows `sorted`.
    private let sorted: [Int32]
    private let ids: [Int32]
    /// The units built so far (`size` of them): base, label (-1: free), piece id (-1: none).
    private(set) var base: [Int32] = []
    private(set) var label: [Int16] = []
    private(set) var piece: [Int32] = []
    private(set) var size = 0
    private(set) var nodeCount = 1
    /// The free units, as a doubly linked list in index order (`next`, `previous`; -1 ends it).
    private var nextFree: [Int32] = []
    private var previousFree: [Int32] = []
    private var firstFree: Int32 = -1
    private var lastFree: Int32 = -1
    /// How often each free unit was tried as the first child's unit and failed; see `maxFailures`.
    private var failures: [UInt8] = []
    /// Whether a base is taken by a node (bases are unique: the label then identifies the parent).
    private var usedBase: [Bool] = []
    /// Scratch for `place`: the child labels, the sorted ranges under them, the children made.
    private var labels: [Int] = []
    private var starts: [Int] = []
    private var children: [Node] = []
    /// A free unit that fails this many times as a first child's unit leaves the free list (it stays free for
    /// other children): keeps the first-fit search from rescanning the same small holes.
    private static let maxFailures: UInt8 = 16

    /// Sorts the keys (dropping empty ones and later duplicates).
    init(keys list: [(bytes: [UInt8], id: Int32)]) {
        var flat: [UInt8] = []
        var keyStart: [Int32] = [], keyLength: [Int32] = []
        flat.reserveCapacity(list.reduce(0) { $0 + $1.bytes.count })
        for (bytes, _) in list {
            keyStart.append(Int32(flat.count))
            keyLength.append(Int32(bytes.count))
            flat.append(contentsOf: bytes)
        }
        var order = (0..<Int32(list.count)).filter { keyLength[Int($0)] > 0 }
        flat.withUnsafeBufferPointer { bytes in
            // No bytes: every key was empty and `order` is already empty.
            guard let base = bytes.baseAddress else { return }
            func compare(_ a: Int32, _ b: Int32) -> Int {
                let la = Int(keyLength[Int(a)]), lb = Int(keyLength[Int(b)])
                let c = memcmp(base + Int(keyStart[Int(a)]), base + Int(keyStart[Int(b)]), min(la, lb))
                return c != 0 ? Int(c) : la - lb
            }
            order.sort { a, b in
                let c = compare(a, b)
                return c != 0 ? c < 0 : a < b
            }
            var kept: [Int32] = []
            kept.reserveCapacity(order.count)
            for key in order where kept.last.map({ compare($0, key) != 0 }) ?? true { kept.append(key) }
            order = kept
        }
        self.flat = flat
        self.keyStart = keyStart
        self.keyLength = keyLength
        sorted = order
        ids = order.map { list[Int($0)].id }
    }

    /// The length of the `k`th sorted key.
    @inline(__always) private func length(_ k: Int) -> Int { Int(keyLength[Int(sorted[k])]) }

    /// Byte `depth` of the `k`th sorted key.
    @inline(__always) private func byte(_ k: Int, _ depth: Int) -> UInt8 {
        flat[Int(keyStart[Int(sorted[k])]) + depth]
    }

    /// Places every node.
    mutating func build(breadthFirstDepth: Int) {
        grow(to: 1024)
        take(0)
        label[0] = 0
        base[0] = 0
        var queue = [Node(index: 0, depth: 0, lo: 0, hi: sorted.count)]
        var head = 0
        var deep: [Node] = []
        while head < queue.count {
            let node = queue[head]
            head += 1
            place(node)
            for child in children {
                if child.depth < breadthFirstDepth { queue.append(child) } else { deep.append(child) }
            }
        }
        var stack: [Node] = []
        for top in deep {
            stack.append(top)
            while let node = stack.popLast() {
                place(node)
                stack.append(contentsOf: children.reversed())
            }
        }
    }

    /// Sets the node's piece and places its children (into `children`).
    private mutating func place(_ node: Node) {
        children.removeAll(keepingCapacity: true)
        var lo = node.lo
        if lo < node.hi, length(lo) == node.depth {
            piece[node.index] = ids[lo]
            lo += 1
        }
        guard lo < node.hi else { return }
        labels.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        var k = lo
        while k < node.hi {
            let first = byte(k, node.depth)
            labels.append(Int(first))
            starts.append(k)
            k += 1
            while k < node.hi, byte(k, node.depth) == first { k += 1 }
        }
        starts.append(node.hi)
        let found = findBase()
        base[node.index] = Int32(found)
        usedBase[found] = true
        for i in labels.indices {
            let index = found + labels[i]
            take(index)
            label[index] = Int16(labels[i])
            children.append(Node(index: index, depth: node.depth + 1, lo: starts[i], hi: starts[i + 1]))
        }
        nodeCount += labels.count
    }

    /// The first base ≥ 1, not yet used, whose units for all `labels` (ascending) are free.
    private mutating func findBase() -> Int {
        let first = labels[0]
        var candidate = Int(firstFree)
        while candidate >= 0 {
            let following = Int(nextFree[candidate])
            let b = candidate - first
            if b >= 1, !usedBase[b], labels.allSatisfy({ b + $0 >= size || label[b + $0] < 0 }) {
                if b + 256 > size { grow(to: b + 256) }
                return b
            }
            if labels.count > 1 {
                failures[candidate] &+= 1
                if failures[candidate] >= Self.maxFailures { unlink(candidate) }
            }
            candidate = following
        }
        // No free unit fits: append past the end.
        let b = max(size - first, 1)
        grow(to: b + 256)
        var fit = b
        while usedBase[fit] || !labels.allSatisfy({ label[fit + $0] < 0 }) {
            fit += 1
            if fit + 256 > size { grow(to: fit + 256) }
        }
        return fit
    }

    /// Extends the arrays to at least `count` units, the new ones free (appended to the free list).
    private mutating func grow(to count: Int) {
        guard count > size else { return }
        let newSize = max(count, size + size / 2)
        base.append(contentsOf: repeatElement(0, count: newSize - size))
        label.append(contentsOf: repeatElement(-1, count: newSize - size))
        piece.append(contentsOf: repeatElement(-1, count: newSize - size))
        usedBase.append(contentsOf: repeatElement(false, count: newSize - size))
        failures.append(contentsOf: repeatElement(0, count: newSize - size))
        nextFree.append(contentsOf: repeatElement(-1, count: newSize - size))
        previousFree.append(contentsOf: repeatElement(-1, count: newSize - size))
        for index in size..<newSize {
            previousFree[index] = lastFree
            if lastFree >= 0 { nextFree[Int(lastFree)] = Int32(index) } else { firstFree = Int32(index) }
            lastFree = Int32(index)
        }
        size = newSize
    }

    /// Marks a unit used: out of the free list (it keeps `label` -1 until the caller labels it).
    private mutating func take(_ index: Int) {
        if index >= size { grow(to: index + 256) }
        unlink(index)
    }

    /// Removes a unit from the free list (no-op when it is not in it).
    private mutating func unlink(_ index: Int) {
        let previous = previousFree[index], next = nextFree[index]
        guard previous >= 0 || firstFree == Int32(index) else { return }
        if previous >= 0 { nextFree[Int(previous)] = next } else { firstFree = next }
        if next >= 0 { previousFree[Int(next)] = previous } else { lastFree = previous }
        previousFree[index] = -1
        nextFree[index] = -1
    }
}

/// What the two piece tries share: `child` and `walk` on top of their own `step`.
protocol ByteTrieWalk {
    /// The node reached from `node` by `byte` and the id of the piece ending there (-1: none), or nil.
    func step(_ node: Int, _ byte: UInt8) -> (node: Int, piece: Int32)?
}

extension ByteTrieWalk {
    /// The node reached from `node` by `byte`, or nil.
    @inline(__always) func child(_ node: Int, _ byte: UInt8) -> Int? {
        step(node, byte)?.node
    }

    /// The node reached from `node` by all of `bytes`, or nil.
    func walk(_ node: Int, _ bytes: ArraySlice<UInt8>) -> Int? {
        var current = node
        for byte in bytes {
            guard let next = child(current, byte) else { return nil }
            current = next
        }
        return current
    }
}
