import CorpusCore
import Tokenization

/// Why byte-level BPE training could not start.
///
/// ```swift
/// try BPETrainer(options: BPETrainerOptions(vocabSize: 100)).validate()
/// // throws .vocabularyTooSmall(vocabSize: 100, required: 256)
/// ```
public enum BPETrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The vocabulary size leaves no room: the special tokens and the 256 byte tokens alone need `required` ids.
    case vocabularyTooSmall(vocabSize: Int, required: Int)
    /// A special token is the empty string.
    case emptySpecialToken(index: Int)
    /// A negative minimum frequency.
    case negativeMinFrequency(Int)
    /// A base tokenizer that vocabulary extension cannot extend.
    case unsupportedBase(path: String, reason: String)
    /// Vocabulary extension was asked for no new tokens.
    case noNewTokens

    public var description: String {
        switch self {
        case let .vocabularyTooSmall(vocabSize, required):
            "vocabulary size \(vocabSize) is smaller than the special tokens plus the 256 byte tokens (\(required))"
        case let .emptySpecialToken(index):
            "special token \(index) is empty"
        case let .negativeMinFrequency(value):
            "minimum frequency \(value) is negative"
        case let .unsupportedBase(path, reason):
            "cannot extend \(path): \(reason)"
        case .noNewTokens:
            "vocabulary extension needs at least one new token"
        }
    }
}

/// The settings of a training run, as `tokenizers`' `BpeTrainer` names them.
///
/// ```swift
/// let options = BPETrainerOptions(vocabSize: 4096, minFrequency: 2, specialTokens: ["<|endoftext|>"])
/// ```
public struct BPETrainerOptions: Sendable, Equatable {
    /// The size of the final vocabulary, special tokens and the 256 byte tokens included.
    public var vocabSize: Int
    /// A pair seen fewer times than this is never merged (training stops at the first such pair).
    public var minFrequency: Int
    /// Tokens that get the first ids, in this order (a repeat is skipped); they are never merged into.
    public var specialTokens: [String]

    public init(vocabSize: Int, minFrequency: Int = 0, specialTokens: [String] = []) {
        self.vocabSize = vocabSize
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
    }
}

/// One learned merge: the ids of the left and right token.
///
/// ```swift
/// let merge = model.merges[0]
/// (model.vocab[Int(merge.left)], model.vocab[Int(merge.right)])   // ("Ġ", "t"), say
/// ```
public struct BPEMerge: Sendable, Hashable, CustomStringConvertible {
    public var left: UInt32
    public var right: UInt32

    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }

    /// The pair as one integer key, `left` in the high half: keys order like `(left, right)` tuples.
    var key: UInt64 { UInt64(left) << 32 | UInt64(right) }

    init(key: UInt64) {
        self.init(left: UInt32(truncatingIfNeeded: key >> 32), right: UInt32(truncatingIfNeeded: key))
    }

    public var description: String { "(\(left), \(right))" }
}

/// A trained byte-level BPE model: its vocabulary and merges, in the order `tokenizers` writes them.
///
/// ```swift
/// let model = try BPETrainer(options: BPETrainerOptions(vocabSize: 300)).train(counts)
/// model.vocab[model.specialTokenCount]   // "!" (the byte tokens follow the special tokens, by code point)
/// ```
public struct TrainedBPE: Sendable, Equatable {
    /// The pre-tokenizer the words were cut with.
    public var pretokenizer: BPEPretokenizer
    /// The token of each id, as tokenizer.json writes it: special tokens as their text, every other token in the
    /// byte-level alphabet (`ByteLevelAlphabet`).
    public var vocab: [String]
    /// Ids `0..<specialTokenCount` are the special tokens.
    public var specialTokenCount: Int
    /// The merges, by rank, as `tokenizers` serializes them: a pair merged twice during training (which happens
    /// when a token is made by two different pairs) is listed once, at its later position.
    public var merges: [BPEMerge]
    /// Every merge in the order training made it, repeats included, with the id of the resulting token.
    public var trainingMerges: [(merge: BPEMerge, result: UInt32)]

    public static func == (a: TrainedBPE, b: TrainedBPE) -> Bool {
        a.pretokenizer == b.pretokenizer && a.vocab == b.vocab && a.specialTokenCount == b.specialTokenCount
            && a.merges == b.merges && a.trainingMerges.map(\.merge) == b.trainingMerges.map(\.merge)
            && a.trainingMerges.map(\.result) == b.trainingMerges.map(\.result)
    }

    /// Merges during training whose token already existed (made before by another pair, or a special token).
    public var reusedTokenCount: Int { trainingMerges.count - (vocab.count - specialTokenCount - 256) }

    /// Merges during training of a pair merged before (listed once in `merges`).
    public var repeatedPairCount: Int { trainingMerges.count - merges.count }

    /// `merges` as tokenizer.json writes them: pairs of token strings.
    public var mergeStrings: [(String, String)] {
        merges.map { (vocab[Int($0.left)], vocab[Int($0.right)]) }
    }

    /// The merges in serialized order: the last occurrence of each pair of `training`, in order.
    static func serializedMerges(_ training: [(merge: BPEMerge, result: UInt32)]) -> [BPEMerge] {
        var last: [UInt64: Int] = [:]
        for (index, step) in training.enumerated() { last[step.merge.key] = index }
        return training.enumerated().compactMap { last[$0.element.merge.key] == $0.offset ? $0.element.merge : nil }
    }
}

/// The vocabulary under construction: special tokens, then the byte alphabet by code point, then merged tokens.
///
/// Tokens are identified by their tokenizer.json string, as in `tokenizers`: a merge whose string already exists
/// (made earlier by another pair, or a special token's text) reuses that id.
struct TrainingVocabulary {
    private(set) var strings: [String] = []
    private var ids: [String: UInt32] = [:]
    /// The id of each byte's alphabet character.
    private(set) var byteIDs = [UInt32](repeating: 0, count: 256)
    private(set) var specialTokenCount = 0

    init(specialTokens: [String]) throws(BPETrainingError) {
        for (index, token) in specialTokens.enumerated() {
            guard !token.isEmpty else { throw .emptySpecialToken(index: index) }
            _ = add(token)
        }
        specialTokenCount = strings.count
        let alphabet = (0..<256).map { (byte: UInt8($0), scalar: ByteLevelAlphabet.scalar(of: UInt8($0))) }
            .sorted { $0.scalar < $1.scalar }
        for entry in alphabet {
            let character = String(Character(Unicode.Scalar(entry.scalar) ?? "\u{FFFD}"))
            byteIDs[Int(entry.byte)] = add(character).id
        }
    }

    /// A base vocabulary to extend (`VocabularyExtension`): `base[id]` is the token string of each id, nil for
    /// an id the model does not use (added tokens, holes). Those get a placeholder holding U+0000, which no
    /// concatenation of byte-level characters can make, so a merge never lands on them.
    init(base: [String?]) {
        for (id, token) in base.enumerated() {
            guard let token, ids[token] == nil else {
                strings.append("\u{0}unused \(id)")
                continue
            }
            ids[token] = UInt32(id)
            strings.append(token)
        }
        for byte in 0..<256 {
            let character = String(Character(Unicode.Scalar(ByteLevelAlphabet.scalar(of: UInt8(byte))) ?? "\u{FFFD}"))
            if let id = ids[character] { byteIDs[byte] = id }
        }
    }

    var count: Int { strings.count }

    /// The id of `token`, added at the end when new.
    mutating func add(_ token: String) -> (id: UInt32, isNew: Bool) {
        if let id = ids[token] { return (id, false) }
        let id = UInt32(strings.count)
        strings.append(token)
        ids[token] = id
        return (id, true)
    }

    /// The id of the token made by merging `left` and `right`.
    mutating func merged(_ left: UInt32, _ right: UInt32) -> (id: UInt32, isNew: Bool) {
        add(strings[Int(left)] + strings[Int(right)])
    }
}

/// Trains byte-level BPE merges exactly as Hugging Face `tokenizers` 0.23.3's `BpeTrainer` does with
/// `initial_alphabet=ByteLevel.alphabet()` (no `limit_alphabet`, prefix, suffix or maximum token length).
///
/// The steps, as `trainer.rs` takes them: special tokens get the first ids; the 256 byte characters follow,
/// sorted by code point; every pair of adjacent tokens in every word is counted, weighted by the word's count;
/// then, until the vocabulary is full, the most frequent pair (the smaller pair of ids on a tie) is merged in
/// every word that holds it. Training stops early when the best count is below `minFrequency` (or zero).
///
/// Pair counts are kept up to date incrementally, with `tokenizers`' own bookkeeping, so that the merges are
/// identical even where that bookkeeping departs from textbook BPE (see `train`). `BPEReferenceTrainer`
/// recounts every pair at every step instead; the tests compare the two.
///
/// ```swift
/// var counts = BPEWordCounts(pretokenizer: .gpt2)
/// counts.add("low lower lowest")
/// let model = try BPETrainer(options: BPETrainerOptions(vocabSize: 260)).train(counts)
/// model.mergeStrings   // [("l", "o"), ("lo", "w"), ("Ġ", "low"), ("Ġlow", "e")]
/// ```
///
/// - Complexity: O(total word length) to count pairs, then per merge O(length of the words that hold the
///   pair) plus O(log pairs) per heap operation.
public struct BPETrainer: Sendable {
    public let options: BPETrainerOptions

    public init(options: BPETrainerOptions) {
        self.options = options
    }

    /// Throws what `train` would throw for these options, without any words: a command checks this before it
    /// reads a corpus.
    ///
    /// - Throws: `BPETrainingError` for settings that cannot train.
    public func validate() throws(BPETrainingError) {
        guard options.minFrequency >= 0 else { throw .negativeMinFrequency(options.minFrequency) }
        let vocabulary = try TrainingVocabulary(specialTokens: options.specialTokens)
        guard options.vocabSize >= vocabulary.count else {
            throw .vocabularyTooSmall(vocabSize: options.vocabSize, required: vocabulary.count)
        }
    }

    /// Trains on the counted words.
    ///
    /// Bookkeeping kept from `tokenizers` (it decides ties and repeats, so the merges match theirs exactly):
    /// - a heap entry carries the words the pair was seen in when the entry was made; a popped entry whose
    ///   count is stale is pushed back with the current count and the same words;
    /// - merging a pair does not subtract the merged occurrences from that pair's own count (only the
    ///   overlapping neighbours, as in `a a a`); the stale count matters only if the pair is formed again;
    /// - new pairs formed in a step get one new heap entry each, with the words they were formed in.
    ///
    /// - Throws: `BPETrainingError` for settings that cannot train.
    public func train(_ words: BPEWordCounts) throws(BPETrainingError) -> TrainedBPE {
        try validate()
        var vocabulary = try TrainingVocabulary(specialTokens: options.specialTokens)
        var corpus = FlatWords(words, byteIDs: vocabulary.byteIDs)
        let training = corpus.train(vocabulary: &vocabulary, options: options)
        return TrainedBPE(
            pretokenizer: words.pretokenizer, vocab: vocabulary.strings,
            specialTokenCount: vocabulary.specialTokenCount, merges: TrainedBPE.serializedMerges(training),
            trainingMerges: training)
    }
}

/// The distinct words as token ids, all in one buffer: word `w` is `symbols[start[w] ..< start[w] + length[w]]`.
/// Merging only shortens a word, so it is rewritten in place.
struct FlatWords {
    var symbols: [UInt32] = []
    var start: [Int] = []
    var length: [Int32] = []
    var counts: [Int64] = []

    /// The words sorted by their bytes, so that the order (and so every tie) is the same in every run.
    init(_ words: BPEWordCounts, byteIDs: [UInt32]) {
        let table = words.table
        let order = table.sortedEntries()
        symbols.reserveCapacity(table.arena.count)
        start.reserveCapacity(order.count)
        length.reserveCapacity(order.count)
        counts.reserveCapacity(order.count)
        for entry in order {
            start.append(symbols.count)
            length.append(table.lengths[entry])
            counts.append(Int64(table.counts[entry]))
            for byte in table.word(entry) { symbols.append(byteIDs[Int(byte)]) }
        }
    }

    /// Learns merges into `vocabulary` until it holds `options.vocabSize` tokens (see `BPETrainer.train`);
    /// returns every merge in order, with the id of its token.
    /// Words given as token sequences with their counts, in the order given (`VocabularyExtension` starts from
    /// the base tokenization).
    init(sequences: [(symbols: [UInt32], count: Int64)]) {
        for (symbols, count) in sequences {
            start.append(self.symbols.count)
            length.append(Int32(symbols.count))
            counts.append(count)
            self.symbols.append(contentsOf: symbols)
        }
    }

    mutating func train(
        vocabulary: inout TrainingVocabulary, options: BPETrainerOptions
    ) -> [(merge: BPEMerge, result: UInt32)] {
        // Distinct pairs are far fewer than symbols; the table doubles when it needs to.
        var pairs = PairTable(capacity: min(max(1024, symbols.count / 4), 1 << 20))
        // The word lists of the heap entries; an entry refers to its list by index (freed once merged).
        var lists: [[Int32]] = []
        var heap = PairHeap()

        // Count every pair, and the words each pair is in (step 0's lists).
        var pairOfList: [UInt64] = []
        for w in 0..<start.count {
            let s = start[w], e = s + Int(length[w])
            guard e - s >= 2 else { continue }
            for i in s..<(e - 1) {
                let key = UInt64(symbols[i]) << 32 | UInt64(symbols[i + 1])
                let p = pairs.position(of: key)
                pairs.counts[p] += counts[w]
                if pairs.stamps[p] == 0 {
                    let slot = Int(pairs.slots[p])
                    if lists[slot].last != Int32(w) { lists[slot].append(Int32(w)) }
                } else {
                    pairs.stamps[p] = 0
                    pairs.slots[p] = Int32(lists.count)
                    lists.append([Int32(w)])
                    pairOfList.append(key)
                }
            }
        }
        for (slot, key) in pairOfList.enumerated() {
            let count = pairs.count(of: key)
            if count > 0 { heap.push(PairHeap.Entry(count: count, pair: key, list: Int32(slot))) }
        }
        pairOfList = []

        var merges: [(merge: BPEMerge, result: UInt32)] = []
        var stepPairs: [UInt64] = []
        var stepLists: [[Int32]] = []
        var step: Int32 = 0
        while vocabulary.count < options.vocabSize {
            guard var top = heap.pop() else { break }
            let current = pairs.count(of: top.pair)
            if top.count != current {
                top.count = current
                heap.push(top)
                continue
            }
            if top.count < 1 || Int64(options.minFrequency) > top.count { break }
            let pair = BPEMerge(key: top.pair)
            let result = vocabulary.merged(pair.left, pair.right).id
            merges.append((pair, result))
            step += 1

            let words = lists[Int(top.list)]
            lists[Int(top.list)] = []
            var changes = StepChanges(pairs: pairs, step: step, pairsFormed: stepPairs, lists: stepLists)
            pairs = PairTable(capacity: 0)  // moved into `changes`, so that it stays uniquely referenced
            let (a, b) = (pair.left, pair.right)
            let (start, counts) = (self.start, self.counts)
            // Raw buffers: the scan below is the hot loop of training, and array writes through `self` would
            // check uniqueness on every store.
            symbols.withUnsafeMutableBufferPointer { symbols in
                length.withUnsafeMutableBufferPointer { length in
                    for w32 in words {
                        let w = Int(w32)
                        let s = start[w], e = s + Int(length[w])
                        let c = counts[w]
                        var r = s, out = s
                        while r < e {
                            if symbols[r] == a && r + 1 < e && symbols[r + 1] == b {
                                if out > s {
                                    let previous = UInt64(symbols[out - 1]) << 32
                                    changes.change(previous | UInt64(a), -c, w32)
                                    changes.change(previous | UInt64(result), c, w32)
                                }
                                symbols[out] = result
                                out += 1
                                r += 2
                                if r < e {
                                    let next = UInt64(symbols[r])
                                    changes.change(UInt64(b) << 32 | next, -c, w32)
                                    changes.change(UInt64(result) << 32 | next, c, w32)
                                }
                            } else {
                                symbols[out] = symbols[r]
                                out += 1
                                r += 1
                            }
                        }
                        length[w] = Int32(out - s)
                    }
                }
            }
            pairs = changes.pairs
            stepPairs = changes.pairsFormed
            stepLists = changes.lists
            for (slot, key) in stepPairs.enumerated() {
                let count = pairs.count(of: key)
                guard count > 0 else { continue }
                heap.push(PairHeap.Entry(count: count, pair: key, list: Int32(lists.count)))
                lists.append(stepLists[slot])
            }
            stepPairs.removeAll(keepingCapacity: true)
            stepLists.removeAll(keepingCapacity: true)
        }
        return merges
    }
}

/// The count changes of one merge step, applied as they come (a struct, not a closure over local variables, so
/// that the compiler checks exclusive access statically instead of at every call).
struct StepChanges {
    var pairs: PairTable
    let step: Int32
    /// The pairs formed in this step, in the order first formed.
    var pairsFormed: [UInt64]
    /// The words each formed pair was formed in (by `PairTable.slots`).
    var lists: [[Int32]]

    /// A change of a pair's count by `delta` occurrences in word `w`; a pair formed (delta > 0) notes the word in
    /// this step's list of the pair.
    @inline(__always) mutating func change(_ key: UInt64, _ delta: Int64, _ w: Int32) {
        let p = pairs.position(of: key)
        pairs.counts[p] += delta
        guard delta > 0 else { return }
        if pairs.stamps[p] == step {
            let slot = Int(pairs.slots[p])
            if lists[slot].last != w { lists[slot].append(w) }
        } else {
            pairs.stamps[p] = step
            pairs.slots[p] = Int32(lists.count)
            lists.append([w])
            pairsFormed.append(key)
        }
    }
}

/// A binary max-heap of pair entries: the highest count first, then the smaller pair, then the older entry.
///
/// `tokenizers` orders by count and pair only; two live entries of the same pair with the same count can only
/// arise when a token is made by two different pairs, and then the older one goes first here.
struct PairHeap {
    struct Entry: HeapOrdered {
        var count: Int64
        var pair: UInt64
        var list: Int32

        @inline(__always) static func heapAbove(_ x: Entry, _ y: Entry) -> Bool {
            if x.count != y.count { return x.count > y.count }
            if x.pair != y.pair { return x.pair < y.pair }
            return x.list < y.list
        }
    }

    private var heap = BinaryHeap<Entry>()

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ entry: Entry) { heap.push(entry) }

    mutating func pop() -> Entry? { heap.popTop() }
}
