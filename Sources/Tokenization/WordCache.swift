import Foundation
import Synchronization

/// A bounded map from a word's bytes to what encoding it gave, owned by one thread (never shared).
///
/// Why per thread: batch encoding runs one document per task on every core, and a document of about 1 KB
/// repeats few of its words, while a thread that encodes thousands of documents sees the common words again and
/// again. The map is emptied when it reaches `limit` entries (no eviction bookkeeping on the hot path).
///
/// ```swift
/// let cache: WordCache<[UInt32]> = owner.threadCache()
/// if let ids = cache.table[word] { ... } else { cache.insert(word, ids) }
/// ```
///
/// - Complexity: lookups and inserts are O(word bytes) expected.
/// What `WordCacheOwner` asks of a per-thread cache (`WordCache`, `PieceCache`) to fetch, empty and drop it.
protocol ThreadCache: AnyObject {
    /// The model the cache was made for, nil once it is released.
    var owner: WordCacheOwner? { get }
    /// The `TokenizerCaches` generation the entries belong to.
    var generation: Int { get set }
    /// Drops every entry.
    func clear()
}

final class WordCache<Value>: ThreadCache {
    func clear() { table.removeAll(keepingCapacity: true) }

    var table: [[UInt8]: Value] = [:]
    let limit: Int
    /// The `TokenizerCaches` generation the entries belong to.
    var generation = 0
    /// The owner the cache was made for (weak: a new owner at a reused address does not find a stale cache).
    weak var owner: WordCacheOwner?

    init(owner: WordCacheOwner, limit: Int) {
        self.owner = owner
        self.limit = limit
        table.reserveCapacity(min(limit, 4096))
    }

    /// Words longer than this many bytes are not cached (rare, and a long key costs more to hash than to keep).
    static var longestKey: Int { 96 }

    @inline(__always) func insert(_ word: [UInt8], _ value: Value) {
        if table.count >= limit { clear() }
        table[word] = value
    }
}

/// The identity a model's per-thread word caches are filed under (a stateless object: only its address counts).
///
/// A model keeps one in a `let`; `threadCache` finds this thread's cache for it in the thread's dictionary,
/// making one on first use. Nothing mutable is shared between threads: each thread has its own cache object.
final class WordCacheOwner: Sendable {
    /// Entries per thread before the cache is emptied.
    let limit: Int

    /// This owner's keys in each thread's dictionary (made once: a key per fetch cost as much as the fetch).
    private let wordKey: String
    private let pieceKey: String

    /// Numbers owners, so that no two owners of a process share a key.
    private static let made = Atomic<Int>(0)

    init(limit: Int = 32_768) {
        self.limit = limit
        let number = WordCacheOwner.made.add(1, ordering: .relaxed).newValue
        wordKey = "ptk.wordcache.\(number)"
        pieceKey = "ptk.piececache.\(number)"
    }

    /// Drops this thread's caches whose owner is gone (a model released), so that a process loading many
    /// tokenizers does not keep a cache per model per thread. Runs only when a thread makes a new cache.
    static func dropOrphans(_ dictionary: NSMutableDictionary) {
        var orphans: [Any] = []
        for (key, value) in dictionary {
            if let cache = value as? any ThreadCache, cache.owner == nil { orphans.append(key) }
        }
        for key in orphans { dictionary.removeObject(forKey: key) }
    }

    /// This thread's cache for this owner.
    ///
    /// - Complexity: one thread-dictionary lookup; call it once per document, not per word.
    func threadCache<Value>(_: Value.Type = Value.self) -> WordCache<Value> {
        threadCache(key: wordKey) { WordCache<Value>(owner: self, limit: limit) }
    }

    /// This thread's `PieceCache` for this owner.
    ///
    /// - Complexity: one thread-dictionary lookup; call it once per document, not per piece.
    func threadPieceCache() -> PieceCache {
        threadCache(key: pieceKey) { PieceCache(owner: self, limit: limit) }
    }

    /// The cache filed under `key` in this thread's dictionary, emptied if `TokenizerCaches.clear()` ran since
    /// it was filled; else a new one from `make` (dropping the caches of released models first).
    private func threadCache<Cache: ThreadCache>(key: String, make: () -> Cache) -> Cache {
        let dictionary = Thread.current.threadDictionary
        let generation = TokenizerCaches.generation.load(ordering: .relaxed)
        if let found = dictionary[key] as? Cache, found.owner === self {
            if found.generation != generation {
                found.clear()
                found.generation = generation
            }
            return found
        }
        WordCacheOwner.dropOrphans(dictionary)
        let made = make()
        made.generation = generation
        dictionary[key] = made
        return made
    }
}

/// The per-thread caches of every tokenizer, as a whole.
///
/// Caches change speed, never ids. Benchmarks empty them before each timed run, so that a best-of-three
/// measures encoding from cold caches rather than the third pass over the same text with every word cached.
///
/// ```swift
/// TokenizerCaches.clear()   // every thread's caches start empty at their next use
/// ```
public enum TokenizerCaches {
    /// Bumped by `clear()`; a cache made at an older generation empties itself when next fetched.
    static let generation = Atomic<Int>(0)

    /// Empties every thread's word and piece caches (lazily: each at its next fetch, on its own thread).
    ///
    /// - Complexity: O(1) here; O(cache size) later, on each cache's own thread.
    public static func clear() {
        generation.add(1, ordering: .relaxed)
    }
}

/// A bounded map from a pre-token's bytes to its ids, owned by one thread: the fast form of `WordCache` for id
/// lists.
///
/// Why not `WordCache<[UInt32]>`: a `Dictionary` keyed by `[UInt8]` needs an array for every lookup (the piece is
/// a slice of the document), hashes it with SipHash and keeps an array per value, so a hit cost about as much
/// as merging a short word again. Here a hit costs one multiply-xor hash over the bytes, one slot read and one
/// `memcmp`, with no allocation: keys and ids live in two arenas, and a slot is two words, (hash tag, key
/// length, id count) and (key offset, ids offset). When the entry limit or an arena is reached, everything is
/// dropped at once (no eviction bookkeeping on the hot path).
///
/// ```swift
/// let cache = owner.threadPieceCache()
/// if !cache.lookup(piece, into: &out) { let before = out.count; encode(piece, &out); cache.insert(piece, out[before...]) }
/// ```
///
/// - Complexity: `lookup` and `insert` are O(piece bytes) expected.
final class PieceCache: ThreadCache {
    /// Pieces longer than this are not cached (rare, and cheaper to encode than to keep).
    static let longestKey = 64
    private static let slotBits = 16
    /// Entries before the cache is emptied (at most half the slots, so probes stay short).
    let limit: Int
    private let slots: UnsafeMutablePointer<UInt64>
    private let keys: UnsafeMutablePointer<UInt8>
    private let values: UnsafeMutablePointer<UInt32>
    private let keyCapacity = 1 << 20
    private let valueCapacity = 1 << 18
    private var keysUsed = 0
    private var valuesUsed = 0
    private(set) var count = 0
    /// The `TokenizerCaches` generation the entries belong to.
    var generation = 0
    /// The owner the cache was made for (weak: a new owner at a reused address does not find a stale cache).
    weak var owner: WordCacheOwner?

    init(owner: WordCacheOwner?, limit: Int = 1 << (PieceCache.slotBits - 1)) {
        self.owner = owner
        self.limit = min(limit, 1 << (PieceCache.slotBits - 1))
        slots = .allocate(capacity: 2 << PieceCache.slotBits)
        slots.initialize(repeating: 0, count: 2 << PieceCache.slotBits)
        keys = .allocate(capacity: keyCapacity)
        values = .allocate(capacity: valueCapacity)
    }

    deinit {
        slots.deallocate()
        keys.deallocate()
        values.deallocate()
    }

    /// The hash of the bytes: the rank table's (`RankTable.hash`).
    @inline(__always) static func hash(_ base: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        RankTable.hash(base, n)
    }

    /// Appends the cached ids of `piece` to `out` and returns true, or returns false (nothing appended).
    @inline(__always) func lookup(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) -> Bool {
        guard let base = piece.baseAddress, piece.count <= PieceCache.longestKey else { return false }
        let n = piece.count
        let h = PieceCache.hash(base, n)
        let mask = (1 << PieceCache.slotBits) - 1
        let head = (h >> 32) << 32 | UInt64(n) << 16
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let word = slots[2 * i]
            if word == 0 { return false }
            if word & ~0xFFFF == head {
                let offsets = slots[2 * i + 1]
                if memcmp(keys + Int(offsets >> 32), base, n) == 0 {
                    let start = values + Int(UInt32(truncatingIfNeeded: offsets))
                    out.append(contentsOf: UnsafeBufferPointer(start: start, count: Int(word & 0xFFFF)))
                    return true
                }
            }
            i = (i + 1) & mask
        }
    }

    /// Files `ids` as the encoding of `piece` (ignored when the piece is too long or has too many ids).
    func insert(_ piece: UnsafeBufferPointer<UInt8>, _ ids: ArraySlice<UInt32>) {
        guard let base = piece.baseAddress, piece.count <= PieceCache.longestKey, ids.count < 0xFFFF else { return }
        let n = piece.count
        if count >= limit || keysUsed + n > keyCapacity || valuesUsed + ids.count > valueCapacity { clear() }
        let h = PieceCache.hash(base, n)
        let mask = (1 << PieceCache.slotBits) - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[2 * i] != 0 { i = (i + 1) & mask }
        (keys + keysUsed).update(from: base, count: n)
        ids.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { (values + valuesUsed).update(from: start, count: source.count) }
        }
        slots[2 * i] = (h >> 32) << 32 | UInt64(n) << 16 | UInt64(ids.count)
        slots[2 * i + 1] = UInt64(keysUsed) << 32 | UInt64(valuesUsed)
        keysUsed += n
        valuesUsed += ids.count
        count += 1
    }

    /// Drops every entry.
    func clear() {
        slots.update(repeating: 0, count: 2 << PieceCache.slotBits)
        keysUsed = 0
        valuesUsed = 0
        count = 0
    }
}
