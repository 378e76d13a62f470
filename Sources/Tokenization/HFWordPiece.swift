import CorpusCore

/// The `WordPiece` model of BERT-family tokenizer.json files: greedy longest-match-first over the vocabulary.
///
/// A word (pre-token) is cut from the left into the longest vocabulary entries; every entry after the first is
/// looked up with `continuing_subword_prefix` ("##") in front. A word longer than `max_input_chars_per_word`
/// Unicode scalars, or with a rest that no entry starts, is the single unknown token, as in `tokenizers`.
/// Lookups walk two byte tries (word starts, and continuations without their prefix), so a word costs O(its
/// length) with no allocation; `encodePieceReference` is the plain loop of `tokenizers` (the test oracle).
///
/// ```swift
/// let vocab = ["[UNK]", "un", "##aff", "##able"].enumerated().map { (Array($1.utf8), UInt32($0)) }
/// let model = try HFWordPiece(vocab: vocab, unkToken: Array("[UNK]".utf8))
/// var ids: [UInt32] = []
/// model.encode(piece: Array("unaffable".utf8), into: &ids)   // [1, 2, 3]
/// ```
///
/// - Complexity: building is O(total vocabulary bytes); encoding a word of n bytes is O(n) expected
///   (each trie step is one hash probe).
public struct HFWordPiece: HFBufferEncodingModel {
    /// The vocabulary strings by id (empty where an id is unused).
    public let tokens: [[UInt8]]
    /// The id of each vocabulary string.
    public let ids: [[UInt8]: UInt32]
    /// The id of `unk_token`.
    public let unknownID: UInt32
    /// `continuing_subword_prefix`.
    public let prefix: [UInt8]
    /// `max_input_chars_per_word`, counted in Unicode scalars.
    public let maxInputCharsPerWord: Int
    /// Entries that may start a word.
    let starts: ByteTrie
    /// Entries that begin with `prefix`, keyed without it.
    let continuations: ByteTrie
    /// Files the per-thread word caches of `encode(_:cache:into:)`.
    let pieceCaches = WordCacheOwner()

    /// Builds the model from vocabulary strings (UTF-8) and ids.
    ///
    /// - Throws: `TokenizerError.unsupportedComponent` when `unkToken` is not in the vocabulary (every
    ///   unknown word would fail in `tokenizers` too) or when an id below the largest has no entry;
    ///   `.malformedJSON` for an id used twice or far too large.
    public init(
        vocab: [([UInt8], UInt32)], unkToken: [UInt8], prefix: [UInt8] = Array("##".utf8),
        maxInputCharsPerWord: Int = 100, path: String = "", jsonPath: String = "model"
    ) throws(TokenizerError) {
        let (tokens, ids, unknownID) = try stringVocabulary(
            vocab, unkToken: unkToken, model: "WordPiece", path: path, jsonPath: jsonPath)
        self.tokens = tokens
        self.ids = ids
        self.unknownID = unknownID
        self.prefix = prefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        var starts = ByteTrie(capacity: vocab.count * 8)
        var continuations = ByteTrie(capacity: vocab.count * 4)
        for (id, bytes) in tokens.enumerated() where !bytes.isEmpty {
            starts.insert(bytes[...], id: UInt32(id))
            if !prefix.isEmpty && bytes.starts(with: prefix) {
                continuations.insert(bytes[prefix.count...], id: UInt32(id))
            }
        }
        self.starts = starts
        self.continuations = prefix.isEmpty ? starts : continuations
    }

    public func encode(piece: [UInt8], into out: inout [UInt32]) {
        if piece.isEmpty { return }
        piece.withUnsafeBufferPointer { buffer in encode(buffer, into: &out) }
    }

    /// `encode(_:into:)` through this thread's word cache (`pieceCaches.threadPieceCache()`).
    ///
    /// Exact: a word's ids depend on its bytes alone. Why: the greedy longest-match walks the vocabulary trie once
    /// per piece of the word, and common words come back document after document.
    @inline(__always)
    func encode(_ word: UnsafeBufferPointer<UInt8>, cache: PieceCache, into out: inout [UInt32]) {
        if cache.lookup(word, into: &out) { return }
        let before = out.count
        encode(word, into: &out)
        cache.insert(word, out[before...])
    }

    /// Appends the ids of one word (valid UTF-8).
    public func encode(_ word: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        var scalars = 0
        for byte in word where byte & 0xC0 != 0x80 { scalars += 1 }
        if scalars > maxInputCharsPerWord {
            out.append(unknownID)
            return
        }
        let first = out.count
        var start = 0
        while start < word.count {
            let match = start == 0
                ? starts.longestMatch(word, from: start) : continuations.longestMatch(word, from: start)
            guard let (id, end) = match else {
                out.removeSubrange(first...)
                out.append(unknownID)
                return
            }
            out.append(id)
            start = end
        }
    }

    /// The ids of one word by `tokenizers`' loop: try the whole rest, then one scalar shorter, and so on.
    public func encodePieceReference(_ word: [UInt8]) -> [UInt32] {
        let scalarCount = String(decoding: word, as: UTF8.self).unicodeScalars.count
        if scalarCount > maxInputCharsPerWord { return [unknownID] }
        var result: [UInt32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: UInt32?
            while start < end {
                let candidate = (start > 0 ? prefix : []) + Array(word[start..<end])
                if let id = ids[candidate] {
                    found = id
                    break
                }
                end -= 1
                while end > start && word[end] & 0xC0 == 0x80 { end -= 1 }  // back to a scalar boundary
            }
            guard let id = found else { return [unknownID] }
            result.append(id)
            start = end
        }
        return result
    }

    public func token(of id: UInt32) -> [UInt8]? {
        Int(id) < tokens.count && !tokens[Int(id)].isEmpty ? tokens[Int(id)] : nil
    }

    public func id(of token: [UInt8]) -> UInt32? { ids[token] }

    public var isByteLevel: Bool { false }
    public var vocabularySize: Int { tokens.count }
}

/// A byte trie in one open-addressing table: the edge (node, byte) maps to the child node.
///
/// ```swift
/// var trie = ByteTrie(capacity: 16)
/// trie.insert(Array("ab".utf8)[...], id: 7)
/// ```
///
/// - Complexity: insert and `longestMatch` cost one hash probe per byte walked (expected O(1) each).
struct ByteTrie: Sendable {
    /// One edge: `key` is `node << 8 | byte` (UInt64.max when the slot is empty).
    struct Slot: Sendable {
        var key: UInt64
        var child: UInt32
    }

    private var slots: [Slot]
    private var mask: Int
    /// The vocabulary id that ends at each node, or UInt32.max. Node 0 is the root.
    private var terminal: [UInt32] = [.max]
    private var edges = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(key: .max, child: 0), count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 29)
    }

    /// The child of `node` by `byte`, or nil.
    @inline(__always)
    func child(_ node: UInt32, _ byte: UInt8) -> UInt32? {
        let key = UInt64(node) << 8 | UInt64(byte)
        var index = ByteTrie.hash(key) & mask
        while true {
            let slot = slots[index]
            if slot.key == key { return slot.child }
            if slot.key == .max { return nil }
            index = (index + 1) & mask
        }
    }

    /// Adds `bytes` (non-empty) with `id`; a later insert of the same bytes keeps the first id.
    mutating func insert(_ bytes: ArraySlice<UInt8>, id: UInt32) {
        guard !bytes.isEmpty else { return }
        var node: UInt32 = 0
        for byte in bytes {
            if let next = child(node, byte) {
                node = next
                continue
            }
            if (edges + 1) * 2 > slots.count { grow() }
            let next = UInt32(terminal.count)
            terminal.append(.max)
            let key = UInt64(node) << 8 | UInt64(byte)
            var index = ByteTrie.hash(key) & mask
            while slots[index].key != .max { index = (index + 1) & mask }
            slots[index] = Slot(key: key, child: next)
            edges += 1
            node = next
        }
        if terminal[Int(node)] == .max { terminal[Int(node)] = id }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(key: .max, child: 0), count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot.key != .max {
            var index = ByteTrie.hash(slot.key) & mask
            while slots[index].key != .max { index = (index + 1) & mask }
            slots[index] = slot
        }
    }

    /// The id and end of the longest non-empty entry that `text` has at `start`, or nil.
    @inline(__always)
    func longestMatch(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> (id: UInt32, end: Int)? {
        var node: UInt32 = 0
        var best: (id: UInt32, end: Int)?
        var i = start
        while i < text.count, let next = child(node, text[i]) {
            node = next
            i += 1
            let id = terminal[Int(node)]
            if id != .max { best = (id, i) }
        }
        return best
    }
}

/// The `WordPiece` decoder: joins word pieces back into words.
///
/// Every token after the first loses its `prefix` ("##") if it has it, and otherwise gets a space in front;
/// with `cleanup`, each token then goes through `tokenizers`' cleanup replacements (" ." → ".", " ?" → "?",
/// " !" → "!", " ," → ",", " ' " → "'", " n't" → "n't", " 'm" → "'m", " do not" → " don't", " 's" → "'s",
/// " 've" → "'ve", " 're" → "'re", in that order).
///
/// ```swift
/// HFWordPieceDecoder(prefix: Array("##".utf8), cleanup: true)
///     .decode([Array("hello".utf8), Array("##s".utf8), Array("!".utf8)])   // ["hello", "s", "!"]
/// ```
///
/// - Complexity: O(total token bytes).
public struct HFWordPieceDecoder: HFDecoder {
    public let prefix: [UInt8]
    public let cleanup: Bool

    public init(prefix: [UInt8], cleanup: Bool) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    /// `tokenizers`' cleanup replacements, in order.
    static let cleanupRules: [([UInt8], [UInt8])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    public func decode(_ tokens: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() {
            var piece = token
            if index != 0 {
                if token.starts(with: prefix) {  // Rust's `strip_prefix`: an empty prefix always matches
                    piece = Array(token[prefix.count...])
                } else {
                    piece = [0x20] + token
                }
            }
            if cleanup && piece.contains(0x20) {
                for (needle, replacement) in HFWordPieceDecoder.cleanupRules {
                    piece = replacingLiteral(piece, needle, with: replacement)
                }
            }
            out.append(piece)
        }
        return out
    }
}

/// Token strings by id, the id of each string and the unknown token's id, for the models keyed by vocabulary
/// strings (WordPiece, WordLevel).
///
/// - Throws: `.malformedJSON` for an id used twice or far too large; `.unsupportedComponent` when an id below the
///   largest has no entry or `unkToken` is not in the vocabulary (every unknown word would fail in `tokenizers`).
/// - Complexity: O(vocabulary bytes).
func stringVocabulary(
    _ vocab: [([UInt8], UInt32)], unkToken: [UInt8], model: String, path: String, jsonPath: String
) throws(TokenizerError) -> (tokens: [[UInt8]], ids: [[UInt8]: UInt32], unknownID: UInt32) {
    var tokens: [[UInt8]] = []
    var ids: [[UInt8]: UInt32] = [:]
    ids.reserveCapacity(vocab.count)
    for (bytes, id) in vocab {
        if Int(id) >= tokens.count {
            guard Int(id) < vocab.count * 2 + 1_000_000 else {
                throw .malformedJSON(path: path, jsonPath: jsonPath + ".vocab", reason: "id \(id) is too large")
            }
            tokens.append(contentsOf: repeatElement([], count: Int(id) + 1 - tokens.count))
        }
        guard tokens[Int(id)].isEmpty, ids[bytes] == nil else {
            throw .malformedJSON(path: path, jsonPath: jsonPath + ".vocab", reason: "id \(id) is used twice")
        }
        tokens[Int(id)] = bytes
        ids[bytes] = id
    }
    // Foundation's JSON reader keys objects by `String`, which compares by canonical equivalence: two vocabulary
    // keys such as "é" and "e\u{301}" would silently become one. Ids are contiguous in real files, so a hole
    // shows such a loss; refuse the file rather than encode with a vocabulary that lost an entry.
    if let hole = tokens.firstIndex(where: \.isEmpty) {
        throw .unsupportedComponent(
            path: path, jsonPath: jsonPath + ".vocab",
            component: "\(model) vocabulary with no entry for id \(hole) (canonically equivalent keys read as one?)")
    }
    guard let unknownID = ids[unkToken] else {
        throw .unsupportedComponent(
            path: path, jsonPath: jsonPath + ".unk_token",
            component: "\(model) whose unk_token \(String(decoding: unkToken, as: UTF8.self).debugDescription) "
                + "is not in the vocabulary")
    }
    return (tokens, ids, unknownID)
}

/// `tokenizers`' `WordLevel` model: each pre-token is one vocabulary entry, or the unknown token.
///
/// ```swift
/// let model = try HFWordLevel(vocab: [(Array("<unk>".utf8), 0), (Array("hi".utf8), 1)], unkToken: Array("<unk>".utf8))
/// var out: [UInt32] = []
/// model.encode(piece: Array("hi".utf8), into: &out)    // [1]
/// model.encode(piece: Array("yo".utf8), into: &out)    // [1, 0]
/// ```
///
/// - Complexity: O(piece bytes) per pre-token.
public struct HFWordLevel: HFBufferEncodingModel {
    /// The UTF-8 bytes of each id.
    public let tokens: [[UInt8]]
    let ids: [[UInt8]: UInt32]
    public let unknownID: UInt32

    /// - Throws: as `stringVocabulary` (a file whose `unk_token` is not in the vocabulary is refused: `tokenizers`
    ///   fails on every unknown word then, and ptk must not drop text).
    public init(vocab: [([UInt8], UInt32)], unkToken: [UInt8], path: String = "", jsonPath: String = "model")
        throws(TokenizerError) {
        (tokens, ids, unknownID) = try stringVocabulary(
            vocab, unkToken: unkToken, model: "WordLevel", path: path, jsonPath: jsonPath)
    }

    public var isByteLevel: Bool { false }
    public var vocabularySize: Int { tokens.count }
    public func token(of id: UInt32) -> [UInt8]? { Int(id) < tokens.count ? tokens[Int(id)] : nil }
    public func id(of token: [UInt8]) -> UInt32? { ids[token] }

    public func encode(piece: [UInt8], into out: inout [UInt32]) {
        if piece.isEmpty { return }
        out.append(ids[piece] ?? unknownID)
    }

    public func encode(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        if piece.isEmpty { return }
        out.append(ids[Array(piece)] ?? unknownID)
    }
}
