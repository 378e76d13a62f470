import Foundation

/// Distinct byte strings with a count each: the words' bytes live in one arena, and an open-addressing index maps
/// their hash to the entry.
///
/// Why not `[[UInt8]: Int]`: counting a corpus looks up every pre-token once, and a dictionary keyed by arrays
/// allocates an array per pre-token and hashes it with SipHash byte by byte. Here a lookup hashes the bytes in
/// place (FNV-1a) and compares them with `memcmp`; only a new word is copied.
///
/// ```swift
/// var table = WordTable()
/// Array("hello".utf8).withUnsafeBufferPointer { table.add($0, count: 2) }
/// table.count   // 1
/// ```
///
/// - Complexity: O(word length) expected per `add`.
struct WordTable: Sendable {
    /// The bytes of every word, back to back.
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int] = []
    private(set) var lengths: [Int32] = []
    private(set) var counts: [Int] = []
    private var hashes: [UInt64] = []
    /// Entry index + 1 per slot (0: empty).
    private var index = [Int32](repeating: 0, count: 1024)

    var count: Int { counts.count }

    @inline(__always) static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return h ^ (h >> 29)
    }

    /// The bytes of entry `i`.
    func word(_ i: Int) -> ArraySlice<UInt8> { arena[starts[i]..<(starts[i] + Int(lengths[i]))] }

    /// Adds `count` to the word `bytes`, inserting it when new.
    mutating func add(_ bytes: UnsafeBufferPointer<UInt8>, count: Int) {
        let h = Self.hash(bytes)
        add(bytes, hash: h, count: count)
    }

    private mutating func add(_ bytes: UnsafeBufferPointer<UInt8>, hash h: UInt64, count: Int) {
        let mask = index.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = Int(index[slot]) - 1
            if entry < 0 { break }
            if hashes[entry] == h && Int(lengths[entry]) == bytes.count && equals(entry, bytes) {
                counts[entry] += count
                return
            }
            slot = (slot + 1) & mask
        }
        index[slot] = Int32(counts.count + 1)
        starts.append(arena.count)
        lengths.append(Int32(bytes.count))
        counts.append(count)
        hashes.append(h)
        arena.append(contentsOf: bytes)
        if counts.count * 2 > index.count { rehash() }
    }

    @inline(__always) private func equals(_ entry: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }  // both empty
        return arena.withUnsafeBufferPointer { all in
            guard let stored = all.baseAddress else { return false }
            return memcmp(stored + starts[entry], base, bytes.count) == 0
        }
    }

    private mutating func rehash() {
        index = [Int32](repeating: 0, count: index.count * 2)
        let mask = index.count - 1
        for entry in counts.indices {
            var slot = Int(truncatingIfNeeded: hashes[entry]) & mask
            while index[slot] != 0 { slot = (slot + 1) & mask }
            index[slot] = Int32(entry + 1)
        }
    }

    /// Adds every count of `other`.
    mutating func merge(_ other: WordTable) {
        other.arena.withUnsafeBufferPointer { all in
            for entry in other.counts.indices {
                let bytes = UnsafeBufferPointer(rebasing: all[other.starts[entry]..<(other.starts[entry]
                    + Int(other.lengths[entry]))])
                add(bytes, hash: other.hashes[entry], count: other.counts[entry])
            }
        }
    }

    /// The entry indices sorted by their bytes (byte-wise, a prefix first).
    func sortedEntries() -> [Int] {
        arena.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return Array(counts.indices) }
            return counts.indices.sorted { x, y in
                let lx = Int(lengths[x]), ly = Int(lengths[y])
                let order = memcmp(base + starts[x], base + starts[y], min(lx, ly))
                return order != 0 ? order < 0 : lx < ly
            }
        }
    }
}
