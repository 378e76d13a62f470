/// A byte trie of vocabulary pieces: walks UTF-8 bytes from a node and tells which piece ends where.
///
/// Nodes are integers (the root is 0); a child is found in one open-addressing table keyed by
/// `node << 8 | byte`, so the trie costs one table slot per node and no per-node allocation. SentencePiece keeps
/// its pieces in a darts double array; this plays the same part (common-prefix search, exact match).
///
/// ```swift
/// let trie = PieceTrie(pieces: [(Array("a".utf8), 0), (Array("ab".utf8), 1)])
/// var node = 0
/// node = trie.child(node, UInt8(ascii: "a"))!   // trie.piece(at: node) == 0
/// node = trie.child(node, UInt8(ascii: "b"))!   // trie.piece(at: node) == 1
/// ```
///
/// - Complexity: building is O(total piece bytes) expected; `child` and `piece(at:)` are O(1) expected.
struct PieceTrie: Sendable {
    /// Slot keys `node << 8 | byte + 1` (0: empty slot; +1 keeps the root's byte 0 from looking empty).
    private var keys: [UInt64]
    /// The child node of each used slot.
    private var children: [Int32]
    /// The piece id that ends at each node, or -1.
    private(set) var pieces: [Int32]
    private var shift: UInt64
    private var used = 0

    /// Builds the trie; a piece listed twice keeps its first id, and empty pieces are ignored.
    init(pieces list: [(bytes: [UInt8], id: Int32)]) {
        let bits = 10
        keys = [UInt64](repeating: 0, count: 1 << bits)
        children = [Int32](repeating: -1, count: 1 << bits)
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
    }

    /// The number of nodes, the root included.
    var nodeCount: Int { pieces.count }

    /// The node reached from `node` by `byte`, or nil.
    @inline(__always) func child(_ node: Int, _ byte: UInt8) -> Int? {
        let key = (UInt64(node) << 8 | UInt64(byte)) + 1
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let found = keys[slot]
            if found == key { return Int(children[slot]) }
            if found == 0 { return nil }
            slot = (slot + 1) & mask
        }
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
        if 2 * (used + 1) > keys.count { grow() }
        let key = (UInt64(node) << 8 | UInt64(byte)) + 1
        place(key, Int32(childNode))
        used += 1
    }

    private mutating func place(_ key: UInt64, _ value: Int32) {
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while keys[slot] != 0 { slot = (slot + 1) & mask }
        keys[slot] = key
        children[slot] = value
    }

    private mutating func grow() {
        let oldKeys = keys, oldChildren = children
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        children = [Int32](repeating: -1, count: oldKeys.count * 2)
        shift -= 1
        for slot in 0..<oldKeys.count where oldKeys[slot] != 0 { place(oldKeys[slot], oldChildren[slot]) }
    }
}
