import CorpusCore

/// How a DSIR feature (an n-gram of words or of token ids) becomes a bucket.
public enum DSIRHashing: String, Sendable, CaseIterable {
    /// The reference's rule: `int(sha256(utf8 of the n-gram joined by spaces).hexdigest(), 16) % buckets`.
    /// Weights equal `data-selection`'s.
    case sha256
    /// Our own 64-bit hash of each word, n-grams combined from the word hashes, bucket by a multiply-shift:
    /// the same statistics (the same n-grams counted), other buckets, and no SHA-256 or string joining.
    case fast
}

/// The 64-bit hashes behind `DSIRHashing.fast` and token n-gram features. Fixed constants: the values never
/// change between runs, machines or Swift versions.
///
/// ```swift
/// let h = FeatureHash.bytes(UnsafeRawBufferPointer(...))   // a word
/// let bigram = FeatureHash.combine(h, FeatureHash.token(42))
/// FeatureHash.bucket(bigram, count: 10_000)                  // 0..<10_000
/// ```
public enum FeatureHash {
    /// splitmix64's finalizer (Steele, Lea, Flood 2014): a bijection on 64 bits with full avalanche.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The hash of a byte string: eight bytes at a time, each word multiplied in and folded, the length mixed
    /// in last so that "a" and "a\0" differ.
    @inline(__always)
    public static func bytes(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        var i = 0
        let count = bytes.count
        while i + 8 <= count {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < count {
            var last: UInt64 = 0
            for k in 0..<(count - i) { last |= UInt64(bytes[i + k]) << UInt64(8 * k) }
            h = (h ^ last) &* 0xC4CE_B9FE_1A85_EC53
            h ^= h >> 29
        }
        return mix(h ^ UInt64(count))
    }

    /// The hash of one token id.
    @inline(__always)
    public static func token(_ id: UInt32) -> UInt64 { mix(UInt64(id) &+ 0xD6E8_FEB8_6659_FD93) }

    /// The hash of an n-gram from the hash of its first n − 1 items and of its last one (order matters).
    @inline(__always)
    public static func combine(_ prefix: UInt64, _ next: UInt64) -> UInt64 {
        mix((prefix &* 0x9FB2_1C65_1E98_DF25) ^ next)
    }

    /// A bucket in 0..<count: the high half of hash × count (Lemire's multiply-shift: no division).
    @inline(__always)
    public static func bucket(_ hash: UInt64, count: Int) -> Int {
        Int(truncatingIfNeeded: hash.multipliedFullWidth(by: UInt64(count)).high)
    }
}

/// A bounded memo of byte string → bucket, for the SHA-256 rule: real text repeats its words and bigrams
/// (Zipf), so the frequent features are found here instead of being hashed again.
///
/// Direct-mapped: each string has one slot, chosen by its 64-bit `FeatureHash.bytes`; a slot holds up to 32 bytes
/// of the string inline, its length and its bucket, and a new string takes the slot over. A hit compares the
/// whole string, so a collision of the hashes can never return a wrong bucket; longer strings are not memoized.
/// Measured on 8 MB of real multilingual text, weighing with libcrypto's SHA-256 on one thread: no memo 0.40–0.50 s,
/// 2^12 slots 0.28–0.40 s, 2^15 slots (1.5 MB, this default) 0.29 s, 2^18 slots 0.39–0.52 s (memory misses); an
/// earlier open-addressing table with a byte arena was slower still.
///
/// - Complexity: O(length) per lookup.
struct BucketCache {
    private struct Slot {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var hash: UInt64 = 0
        var bucket: Int32 = -1
        var length: Int32 = -1
    }

    private var slots: [Slot]
    private let mask: Int
    /// Lookups and hits, for tuning.
    private(set) var lookups = 0
    private(set) var hits = 0

    init(slots: Int = 1 << 15) {
        var size = 1
        while size < slots { size <<= 1 }
        self.slots = [Slot](repeating: Slot(), count: size)
        mask = size - 1
    }

    /// The bucket of `bytes`, from the memo or from `compute` (then remembered when it fits).
    @inline(__always)
    mutating func bucket(_ bytes: UnsafeRawBufferPointer, compute: (UnsafeRawBufferPointer) -> Int) -> Int {
        let count = bytes.count
        // Buckets of 2^31 and more are not memoized (Int32), nor strings longer than 32 bytes.
        guard count <= 32, let base = bytes.baseAddress else { return compute(bytes) }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { $0.baseAddress?.copyMemory(from: base, byteCount: count) }
        let hash = FeatureHash.bytes(bytes)
        let index = Int(truncatingIfNeeded: hash) & mask
        lookups &+= 1
        return slots.withUnsafeMutableBufferPointer { table -> Int in
            let slot = table[index]
            if slot.hash == hash, slot.length == Int32(count), slot.words == words {
                hits &+= 1
                return Int(slot.bucket)
            }
            let bucket = compute(bytes)
            if bucket <= Int(Int32.max) {
                table[index] = Slot(words: words, hash: hash, bucket: Int32(bucket), length: Int32(count))
            }
            return bucket
        }
    }
}

