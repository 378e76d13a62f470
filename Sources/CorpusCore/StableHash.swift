/// Hashes whose values never change between runs, machines or Swift versions (`Hasher` is randomly seeded
/// per process, so it must never reach a file, a bucket choice or a shard assignment).
public enum StableHash {
    /// 64-bit FNV-1a of the UTF-8 bytes of `string`.
    ///
    /// `fnv1a64("") == 0xcbf29ce484222325`. Reference: Fowler–Noll–Vo, draft-eastlake-fnv.
    @inlinable public static func fnv1a64(_ string: String) -> UInt64 {
        var s = string
        return s.withUTF8 { fnv1a64(UnsafeRawBufferPointer($0)) }
    }

    /// 64-bit FNV-1a of raw bytes.
    @inlinable public static func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// SHA-256 (FIPS 180-4), streaming. Used for recipe hashes, file checksums in manifests and, later,
/// DSIR's bucket hashing, all of which must match `sha256sum` and Python's `hashlib` byte for byte.
///
/// ```
/// var h = SHA256(); h.update("abc".utf8); h.hexDigest()
/// // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// ```
public struct SHA256: Sendable {
    private var state: State = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockFill = 0
    private var totalBytes: UInt64 = 0

    public init() {}

    /// One-shot digest of `bytes` as lowercase hex.
    public static func hex<S: Sequence<UInt8>>(_ bytes: S) -> String {
        var h = SHA256()
        h.update(bytes)
        return h.hexDigest()
    }

    public mutating func update<S: Sequence<UInt8>>(_ bytes: S) {
        let done = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if done == nil { update(Array(bytes)) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        totalBytes &+= UInt64(bytes.count)
        var index = 0
        if blockFill > 0 {
            let take = min(64 - blockFill, bytes.count)
            for i in 0..<take { block[blockFill + i] = bytes[i] }
            blockFill += take
            index = take
            if blockFill == 64 {
                block.withUnsafeBytes { compress($0) }
                blockFill = 0
            }
        }
        while bytes.count - index >= 64 {
            compress(UnsafeRawBufferPointer(rebasing: bytes[index..<index + 64]))
            index += 64
        }
        while index < bytes.count {
            block[blockFill] = bytes[index]
            blockFill += 1
            index += 1
        }
    }

    /// The 32-byte digest. Finalizes a copy: the hasher can keep absorbing afterwards.
    public func digest() -> [UInt8] {
        var copy = self
        let bitLength = totalBytes &* 8
        var padding: [UInt8] = [0x80]
        let padZeros = (blockFill < 56 ? 55 - blockFill : 119 - blockFill)
        padding += [UInt8](repeating: 0, count: padZeros)
        for shift in stride(from: 56, through: 0, by: -8) { padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        let savedTotal = copy.totalBytes
        copy.update(padding)
        copy.totalBytes = savedTotal
        let s = copy.state
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [s.0, s.1, s.2, s.3, s.4, s.5, s.6, s.7] {
            out += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8),
                    UInt8(truncatingIfNeeded: word)]
        }
        return out
    }

    public func hexDigest() -> String { hexString(digest()) }

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    private mutating func compress(_ chunk: UnsafeRawBufferPointer) { SHA256.compress(&state, chunk) }

    /// The digest of `bytes` as eight big-endian words, computed on the stack: no allocation, for hashing many
    /// short strings (DSIR hashes every word and bigram of a corpus).
    ///
    /// ```swift
    /// "abc".utf8.withContiguousStorageIfAvailable { SHA256.words(of: UnsafeRawBufferPointer($0)).0 }   // 0xba7816bf
    /// ```
    public static func words(of bytes: UnsafeRawBufferPointer) -> State {
        var state: State = (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c,
                            0x1f83_d9ab, 0x5be0_cd19)
        let whole = bytes.count / 64 * 64
        var offset = 0
        while offset < whole {
            compress(&state, UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 64]))
            offset += 64
        }
        // The tail, 0x80, zeros and the bit length: one block, or two when fewer than 9 bytes are left.
        withUnsafeTemporaryAllocation(byteCount: 128, alignment: 8) { tail in
            tail.initializeMemory(as: UInt8.self, repeating: 0)
            let rest = bytes.count - whole
            if rest > 0, let base = bytes.baseAddress, let out = tail.baseAddress {
                out.copyMemory(from: base + whole, byteCount: rest)
            }
            tail[rest] = 0x80
            let blocks = rest < 56 ? 1 : 2
            let bitLength = UInt64(bytes.count) &* 8
            for i in 0..<8 { tail[blocks * 64 - 1 - i] = UInt8(truncatingIfNeeded: bitLength >> UInt64(8 * i)) }
            for block in 0..<blocks {
                compress(&state, UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(tail)[block * 64..<block * 64 + 64]))
            }
        }
        return state
    }

    /// The eight working words of SHA-256.
    public typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    private static func compress(_ state: inout State, _ chunk: UnsafeRawBufferPointer) {
        // The message schedule lives on the stack: an array here cost one allocation per 64-byte block.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            SHA256.k.withUnsafeBufferPointer { k in
                for i in 0..<16 { w[i] = UInt32(bigEndian: chunk.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                for i in 16..<64 {
                    let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                    let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                    w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                }
                var (a, b, c, d, e, f, g, h) = state
                for i in 0..<64 {
                    let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
                    let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
                state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e, state.5 &+ f,
                         state.6 &+ g, state.7 &+ h)
            }
        }
    }
}

/// Lowercase hex of `bytes`: `hexString([0xde, 0xad]) == "dead"`.
public func hexString<C: Collection<UInt8>>(_ bytes: C) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
