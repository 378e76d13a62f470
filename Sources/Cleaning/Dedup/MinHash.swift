import CorpusCore

/// What a MinHash shingle is made of.
public enum ShingleUnit: String, CaseIterable, Sendable {
    /// Word n-grams. Words are our own split, not datatrove's spaCy tokenizer: maximal runs of letters, marks and
    /// digits, lowercased; each run of digits becomes `0` (as datatrove's number normalization); every other
    /// character (punctuation, symbols, spaces) separates words; each Han, hiragana or katakana character is a
    /// word of its own. Unlike datatrove we keep diacritics and split Chinese and Japanese per character (spaCy's
    /// English tokenizer keeps a run of Han characters as one token).
    case words
    /// Character n-grams of the text lowercased with whitespace runs collapsed to one space (NeMo-style).
    case chars
}

/// MinHash-LSH parameters. Defaults: word 5-grams, 14 bands × 8 rows = 112 64-bit hashes (datatrove's
/// MinhashConfig).
public struct MinHashParameters: Sendable, Equatable {
    public var ngram: Int
    public var bands: Int
    public var rows: Int
    public var unit: ShingleUnit
    public var seed: UInt64

    public init(ngram: Int = 5, bands: Int = 14, rows: Int = 8, unit: ShingleUnit = .words, seed: UInt64 = 0) {
        self.ngram = max(ngram, 1)
        self.bands = max(bands, 1)
        self.rows = max(rows, 1)
        self.unit = unit
        self.seed = seed
    }

    public var hashCount: Int { bands * rows }

    /// The probability that two documents with shingle-set Jaccard `s` share a band: 1 − (1 − s^r)^b.
    public func collisionProbability(_ s: Double) -> Double {
        1 - pow1(1 - pow1(s, rows), bands)
    }
}

@inline(__always) private func pow1(_ x: Double, _ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<n { r *= x }
    return r
}

/// Computes MinHash signatures and LSH band keys.
///
/// A shingle is hashed to 64 bits; hash function i of the signature is `mix(h ⊕ k_i)` with `mix` the
/// splitmix64 finalizer (a bijection) and `k_i` drawn from `SeededRandom(seed)`; the signature keeps the
/// minimum of each. Eight functions are evaluated at once in SIMD lanes. A document with fewer words (or
/// characters) than `ngram` is one shingle of all of them; a document with none has no signature.
///
/// - Complexity: O(shingles × bands × rows) per document.
public struct MinHasher: Sendable {
    public let parameters: MinHashParameters
    /// Hash-function keys, eight per SIMD vector (the last vector padded).
    let keys: [SIMD8<UInt64>]
    let shingleSeed: UInt64

    public init(_ parameters: MinHashParameters) {
        self.parameters = parameters
        var random = SeededRandom(seed: parameters.seed, stream: "minhash")
        let vectors = (parameters.hashCount + 7) / 8
        var keys: [SIMD8<UInt64>] = []
        for _ in 0..<vectors {
            var v = SIMD8<UInt64>()
            for lane in 0..<8 { v[lane] = random.next() }
            keys.append(v)
        }
        self.keys = keys
        shingleSeed = random.next()
    }

    public var hashCount: Int { parameters.hashCount }

    /// The signature of `text` into `signature` (`hashCount` values); false when the text has no shingles.
    public func signature(_ text: String, into signature: inout [UInt64]) -> Bool {
        var state = SignatureState(keys: keys)
        var copy = text
        copy.withUTF8 { bytes in
            switch parameters.unit {
            case .words: shingleWords(bytes, ngram: parameters.ngram, seed: shingleSeed) { state.add($0) }
            case .chars: shingleChars(bytes, ngram: parameters.ngram, seed: shingleSeed) { state.add($0) }
            }
        }
        guard state.shingles > 0 else { return false }
        state.write(into: &signature, count: hashCount)
        return true
    }

    /// The signature of a set of shingle hashes (tests plant shingle sets with exact Jaccard similarities).
    public func signature(shingles: some Sequence<UInt64>) -> [UInt64]? {
        var state = SignatureState(keys: keys)
        for h in shingles { state.add(h) }
        guard state.shingles > 0 else { return nil }
        var out: [UInt64] = []
        state.write(into: &out, count: hashCount)
        return out
    }

    /// The key of band `band` of a signature: a 64-bit hash of its `rows` values and the band number.
    public func bandKey(_ signature: UnsafeBufferPointer<UInt64>, band: Int) -> UInt64 {
        let rows = parameters.rows
        let start = band * rows
        let hash = DedupHash.hash128(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: signature[start..<start + rows])),
                                     seed: UInt64(band))
        return hash.high ^ hash.low
    }

    /// The share of equal positions of two signatures: the unbiased estimate of their Jaccard similarity.
    public static func estimatedJaccard(_ a: UnsafeBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>) -> Double {
        guard a.count == b.count, !a.isEmpty else { return 0 }
        var equal = 0
        for i in 0..<a.count where a[i] == b[i] { equal += 1 }
        return Double(equal) / Double(a.count)
    }
}

/// The running minimum of every hash function over the shingles seen.
struct SignatureState {
    var minimums: [SIMD8<UInt64>]
    let keys: [SIMD8<UInt64>]
    var shingles = 0

    init(keys: [SIMD8<UInt64>]) {
        self.keys = keys
        minimums = Array(repeating: SIMD8(repeating: .max), count: keys.count)
    }

    @inline(__always)
    mutating func add(_ h: UInt64) {
        shingles += 1
        let hv = SIMD8<UInt64>(repeating: h)
        let c1 = SIMD8<UInt64>(repeating: 0xBF58_476D_1CE4_E5B9)
        let c2 = SIMD8<UInt64>(repeating: 0x94D0_49BB_1331_11EB)
        keys.withUnsafeBufferPointer { keys in
            minimums.withUnsafeMutableBufferPointer { mins in
                for i in 0..<keys.count {
                    var z = hv ^ keys[i]
                    z = (z ^ (z &>> 30)) &* c1
                    z = (z ^ (z &>> 27)) &* c2
                    z = z ^ (z &>> 31)
                    mins[i].replace(with: z, where: z .< mins[i])
                }
            }
        }
    }

    func write(into out: inout [UInt64], count: Int) {
        if out.count != count { out = Array(repeating: 0, count: count) }
        for i in 0..<count { out[i] = minimums[i >> 3][i & 7] }
    }
}

/// ASCII bytes of word characters lowercased; 0 for separators; 0xFF for digits.
private let asciiWordTable: [UInt8] = (0..<128).map { b -> UInt8 in
    switch b {
    case 0x30...0x39: 0xFF
    case 0x41...0x5A: UInt8(b + 0x20)
    case 0x61...0x7A: UInt8(b)
    default: 0
    }
}

/// Calls `emit` with the hash of every word n-gram of `bytes` (see `ShingleUnit.words`).
func shingleWords(_ bytes: UnsafeBufferPointer<UInt8>, ngram: Int, seed: UInt64, _ emit: (UInt64) -> Void) {
    var window = [UInt64](repeating: 0, count: ngram)
    var words = 0
    var word: UInt64 = 0xcbf2_9ce4_8422_2325
    var inWord = false
    var lastDigit = false

    @inline(__always) func feed(_ byte: UInt8) {
        word = (word ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    @inline(__always) func endWord() {
        guard inWord else { return }
        window[words % ngram] = DedupHash.mix(word ^ seed)
        words += 1
        if words >= ngram { emitWindow() }
        word = 0xcbf2_9ce4_8422_2325
        inWord = false
        lastDigit = false
    }
    @inline(__always) func emitWindow() {
        var h = seed
        for j in 0..<ngram { h = DedupHash.mix(h ^ window[(words + j) % ngram]) }
        emit(h)
    }

    let table = asciiWordTable  // read once: a global's lazy initializer check per byte cost 3%
    let n = bytes.count
    var i = 0
    while i < n {
        let b = bytes[i]
        if b < 0x80 {
            let t = table[Int(b)]
            if t == 0 {
                endWord()
            } else if t == 0xFF {
                if !lastDigit { feed(0x30) }
                inWord = true
                lastDigit = true
            } else {
                feed(t)
                inWord = true
                lastDigit = false
            }
            i += 1
            continue
        }
        let (value, length) = decodeMultibyteScalar(bytes, at: i)
        i += length
        guard let scalar = Unicode.Scalar(value) else {
            endWord()
            continue
        }
        let properties = scalar.properties
        if properties.numericType == .decimal {
            if !lastDigit { feed(0x30) }
            inWord = true
            lastDigit = true
        } else if properties.isAlphabetic || properties.generalCategory.isMark {
            if value >= 0x3040, Script.of(scalar) == .han || Script.of(scalar) == .japanese {
                endWord()
                feedScalar(value, feed)
                inWord = true
                endWord()
                continue
            }
            if properties.changesWhenLowercased {
                for lower in properties.lowercaseMapping.unicodeScalars { feedScalar(lower.value, feed) }
            } else {
                feedScalar(value, feed)
            }
            inWord = true
            lastDigit = false
        } else {
            endWord()
        }
    }
    endWord()
    if words > 0, words < ngram {
        var h = seed
        for j in 0..<words { h = DedupHash.mix(h ^ window[j]) }
        emit(h)
    }
}

@inline(__always) private func feedScalar(_ value: UInt32, _ feed: (UInt8) -> Void) {
    feed(UInt8(truncatingIfNeeded: value))
    feed(UInt8(truncatingIfNeeded: value >> 8))
    feed(UInt8(truncatingIfNeeded: value >> 16))
}

/// Calls `emit` with the hash of every character n-gram (see `ShingleUnit.chars`).
func shingleChars(_ bytes: UnsafeBufferPointer<UInt8>, ngram: Int, seed: UInt64, _ emit: (UInt64) -> Void) {
    var window = [UInt64](repeating: 0, count: ngram)
    var count = 0
    var pendingSpace = false
    @inline(__always) func push(_ value: UInt32) {
        window[count % ngram] = DedupHash.mix(UInt64(value) ^ seed)
        count += 1
        if count >= ngram {
            var h = seed
            for j in 0..<ngram { h = DedupHash.mix(h ^ window[(count + j) % ngram]) }
            emit(h)
        }
    }
    let n = bytes.count
    var i = 0
    while i < n {
        let b = bytes[i]
        var value: UInt32
        if b < 0x80 {
            value = UInt32(b)
            i += 1
        } else {
            let (v, length) = decodeMultibyteScalar(bytes, at: i)
            value = v
            i += length
        }
        guard let scalar = Unicode.Scalar(value) else { continue }
        if b < 0x80 ? (b == 0x20 || (b >= 0x09 && b <= 0x0D)) : scalar.properties.isWhitespace {
            pendingSpace = count > 0
            continue
        }
        if pendingSpace {
            push(0x20)
            pendingSpace = false
        }
        if b < 0x80 {
            if b >= 0x41 && b <= 0x5A { value += 0x20 }
            push(value)
        } else if scalar.properties.changesWhenLowercased {
            for lower in scalar.properties.lowercaseMapping.unicodeScalars { push(lower.value) }
        } else {
            push(value)
        }
    }
    if count > 0, count < ngram {
        var h = seed
        for j in 0..<count { h = DedupHash.mix(h ^ window[j]) }
        emit(h)
    }
}

extension Unicode.GeneralCategory {
    var isMark: Bool {
        switch self {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }
}
