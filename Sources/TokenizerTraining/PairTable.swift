/// Counts of token pairs in an open-addressing hash table keyed by the pair as one `UInt64` (`left << 32 | right`).
///
/// Why not `[UInt64: Int64]`: training does a few hash updates per merged occurrence, and a Swift `Dictionary`
/// hashes each key with seeded SipHash. A multiplicative hash of the integer key with linear probing is several
/// times cheaper, and the table also carries the per-step bookkeeping of each pair (`stamps`, `slots`) so that
/// no second dictionary is needed.
///
/// ```swift
/// var table = PairTable(capacity: 16)
/// let i = table.position(of: 1 << 32 | 2)   // inserted with count 0
/// table.counts[i] += 3
/// table.count(of: 1 << 32 | 2)              // 3
/// ```
///
/// - Complexity: O(1) expected per lookup; the table doubles when half full (positions change then).
struct PairTable {
    /// The empty-slot marker: no pair has both ids equal to `UInt32.max`.
    static let empty = UInt64.max

    private(set) var keys: [UInt64]
    /// The count of the pair at each position.
    var counts: [Int64]
    /// The step in which `slots` was last set, per position (training's per-step word lists).
    var stamps: [Int32]
    /// A per-step index, valid when `stamps` equals the current step.
    var slots: [Int32]
    private var mask: Int
    private var shift: UInt64
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        keys = [UInt64](repeating: Self.empty, count: size)
        counts = [Int64](repeating: 0, count: size)
        stamps = [Int32](repeating: -1, count: size)
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The position of `key`, or nil when it was never inserted.
    @inline(__always) func find(_ key: UInt64) -> Int? {
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key { return i }
            if k == Self.empty { return nil }
            i = (i + 1) & mask
        }
    }

    /// The count of `key` (0 when absent).
    @inline(__always) func count(of key: UInt64) -> Int64 {
        guard let i = find(key) else { return 0 }
        return counts[i]
    }

    /// The position of `key`, inserted (count 0, no stamp) when absent. Valid until the next insertion.
    @inline(__always) mutating func position(of key: UInt64) -> Int {
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key { return i }
            if k == Self.empty { break }
            i = (i + 1) & mask
        }
        if (count + 1) * 2 > keys.count {
            grow()
            return position(of: key)
        }
        keys[i] = key
        count += 1
        return i
    }

    private mutating func grow() {
        var bigger = PairTable(capacity: keys.count)
        for i in keys.indices where keys[i] != Self.empty {
            let j = bigger.position(of: keys[i])
            bigger.counts[j] = counts[i]
            bigger.stamps[j] = stamps[i]
            bigger.slots[j] = slots[i]
        }
        self = bigger
    }
}
