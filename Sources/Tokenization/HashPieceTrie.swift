/// The reference byte trie for `PieceTrie`: the same API over an open-addressing hash table keyed by
/// `node << 8 | byte` (nodes numbered in insertion order). It was `PieceTrie` until the double array replaced it
/// (each step of a walk was a cache miss into a table of tens of megabytes on a 262k-piece vocabulary); the tests
/// check the double array against it on random vocabularies.
///
/// ```swift
/// let trie = HashPieceTrie(pieces: [(Array("a".utf8), 0), (Array("ab".utf8), 1)])
/// let node = trie.walk(0, Array("ab".utf8)[...])!   // trie.piece(at: node) == 1
/// ```
///
/// - Complexity: building is O(total piece bytes) expected; `child` and `piece(at:)` are O(1) expected.
struct HashPieceTrie: ByteTrieWalk, Sendable {
    /// Two words per slot: the key `node << 8 | byte + 1` (0: empty slot; +1 keeps the root's byte 0 from looking
    /// empty), then the child node (high 32 bits) and the piece id that ends at the child or -1 (low 32 bits).
    ///
    /// Why interleaved: with a 262k-piece vocabulary the table is tens of megabytes and each step of a walk is a
    /// cache miss; keeping key, child and the child's piece in one 16-byte slot made it one miss instead of three
    /// (j2 went from 3.7 to 4.2 MB/s in `ptk bench tokenize`, before the double array).
    private var slots: [UInt64]
    /// The piece id that ends at each node, or -1.
    private(set) var pieces: [Int32]
    private var shift: UInt64
    private var used = 0

    /// Builds the trie; a piece listed twice keeps its first id, and empty pieces are ignored.
    init(pieces list: [(bytes: [UInt8], id: Int32)]) {
        let bits = 10
        slots = [UInt64](repeating: 0, count: 2 << bits)
        shift = UInt64(64 - bits)
        pieces = [-1]
        for (bytes, id) in list where !bytes.isEmpty {
            var node = 0
            for byte in bytes {
                if let next = child(node, byte) {
                    node = next
                } else {
                    let created = pieces.count
                    pieces.append(-1)
                    insert(node, byte, created)
                    node = created
                }
            }
            if pieces[node] < 0 { pieces[node] = id }
        }
        for slot in stride(from: 0, to: slots.count, by: 2) where slots[slot] != 0 {
            let childNode = Int(slots[slot + 1] >> 32)
            slots[slot + 1] = UInt64(childNode) << 32 | UInt64(UInt32(bitPattern: pieces[childNode]))
        }
    }

    /// The number of nodes, the root included.
    var nodeCount: Int { pieces.count }

    /// The node reached from `node` by `byte` and the id of the piece ending there (-1: none), or nil.
    @inline(__always) func step(_ node: Int, _ byte: UInt8) -> (node: Int, piece: Int32)? {
        let key = (UInt64(node) << 8 | UInt64(byte)) + 1
        let mask = slots.count / 2 - 1
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        return slots.withUnsafeBufferPointer { table in
            while true {
                let found = table[2 &* slot]
                if found == key {
                    let value = table[2 &* slot &+ 1]
                    return (Int(value >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: value)))
                }
                if found == 0 { return nil }
                slot = (slot &+ 1) & mask
            }
        }
    }

    /// The id of the piece whose bytes lead from the root to `node`, or nil.
    @inline(__always) func piece(at node: Int) -> Int32? {
        let id = pieces[node]
        return id < 0 ? nil : id
    }

    /// The id of the piece whose bytes are exactly `bytes`, or nil.
    func id(of bytes: ArraySlice<UInt8>) -> Int32? {
        walk(0, bytes).flatMap { piece(at: $0) }
    }

    private mutating func insert(_ node: Int, _ byte: UInt8, _ childNode: Int) {
        if 2 * (used + 1) > slots.count / 2 { grow() }
        let key = (UInt64(node) << 8 | UInt64(byte)) + 1
        place(key, UInt64(childNode) << 32 | UInt64(UInt32.max))
        used += 1
    }

    private mutating func place(_ key: UInt64, _ value: UInt64) {
        let mask = slots.count / 2 - 1
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while slots[2 * slot] != 0 { slot = (slot + 1) & mask }
        slots[2 * slot] = key
        slots[2 * slot + 1] = value
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        shift -= 1
        for slot in stride(from: 0, to: old.count, by: 2) where old[slot] != 0 { place(old[slot], old[slot + 1]) }
    }
}
