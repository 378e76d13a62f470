import Foundation

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
final class WordCache<Value> {
    var table: [[UInt8]: Value] = [:]
    let limit: Int
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
        if table.count >= limit { table.removeAll(keepingCapacity: true) }
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

    init(limit: Int = 32_768) { self.limit = limit }

    /// This thread's cache for this owner.
    ///
    /// - Complexity: one thread-dictionary lookup; call it once per document, not per word.
    func threadCache<Value>(_: Value.Type = Value.self) -> WordCache<Value> {
        let dictionary = Thread.current.threadDictionary
        let key = "ptk.wordcache.\(UInt(bitPattern: ObjectIdentifier(self)))"
        if let found = dictionary[key] as? WordCache<Value>, found.owner === self { return found }
        let made = WordCache<Value>(owner: self, limit: limit)
        dictionary[key] = made
        return made
    }
}
