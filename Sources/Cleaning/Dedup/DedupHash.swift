/// The hashes dedup keys its records by: a seeded 128-bit hash of bytes (exact text, lines) and a 64-bit mixer
/// (MinHash permutations, band keys).
///
/// Values are stable across runs, machines and thread counts (never Swift's per-process `Hasher`). The
/// construction is ours: 16 bytes at a time are folded into two 64-bit lanes with a full-width multiply
/// (high ⊕ low of the 128-bit product), and the lanes are finished with the splitmix64 finalizer
/// (Steele et al. 2014). It is not cryptographic: dedup assumes no adversary forging collisions.
public enum DedupHash {
    @usableFromInline static let k0: UInt64 = 0xA076_1D64_78BD_642F
    @usableFromInline static let k1: UInt64 = 0xE703_7ED1_A0B4_28DB
    @usableFromInline static let k2: UInt64 = 0x8EBC_6AF0_9C88_C6E3
    @usableFromInline static let k3: UInt64 = 0x5899_65CC_7537_4CC3

    /// The splitmix64 finalizer: a bijection of UInt64 whose output bits each depend on every input bit.
    @inlinable @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// High ⊕ low half of the 128-bit product.
    @inlinable @inline(__always)
    static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let p = a.multipliedFullWidth(by: b)
        return p.high ^ p.low
    }

    /// 128-bit hash of `bytes` under `seed`.
    @inlinable
    public static func hash128(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> Hash128 {
        var a = seed ^ k0
        var b = mix(seed ^ k1)
        let n = bytes.count
        var i = 0
        if let base = bytes.baseAddress {
            while i + 16 <= n {
                let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let y = base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                let na = fold(x ^ a, y ^ k2)
                b = fold(y ^ b, x ^ k3) &+ (a >> 7)
                a = na
                i += 16
            }
            if i < n {
                var x: UInt64 = 0, y: UInt64 = 0
                var shift: UInt64 = 0
                var j = i
                while j < n, j < i + 8 {
                    x |= UInt64(base.load(fromByteOffset: j, as: UInt8.self)) << shift
                    shift += 8
                    j += 1
                }
                shift = 0
                while j < n {
                    y |= UInt64(base.load(fromByteOffset: j, as: UInt8.self)) << shift
                    shift += 8
                    j += 1
                }
                let na = fold(x ^ a, y ^ k2)
                b = fold(y ^ b, x ^ k3) &+ (a >> 7)
                a = na
            }
        }
        let len = UInt64(n)
        return Hash128(high: mix(a ^ fold(b, k0 ^ len)), low: mix(b ^ fold(a ^ len, k1)))
    }

    /// 128-bit hash of the UTF-8 bytes of `text`.
    public static func hash128(_ text: String, seed: UInt64 = 0) -> Hash128 {
        var copy = text
        return copy.withUTF8 { hash128(UnsafeRawBufferPointer($0), seed: seed) }
    }
}

/// A 128-bit hash, ordered as a number (high word first).
public struct Hash128: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    @inlinable public static func < (a: Hash128, b: Hash128) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    public var description: String {
        let h = String(high, radix: 16), l = String(low, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h + String(repeating: "0", count: 16 - l.count) + l
    }
}
