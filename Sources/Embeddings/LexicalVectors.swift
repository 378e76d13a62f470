import Foundation

/// Hashed TF-IDF vectors, the lexical embedding that needs no model.
///
/// Words are runs of letters and digits, lowercased (Unicode simple lowercase per scalar); every Han, kana or
/// Hangul character is a word of its own. Each word is hashed (FNV-1a 64 of its UTF-8, seeded) into `dimension`
/// buckets with a sign bit (feature hashing), weighted by 1 + ln(tf) and by the smoothed idf
/// ln((N + 1) / (df + 1)) + 1 of its bucket, and the vector is L2-normalized. Two passes: document
/// frequencies, then vectors.
public struct LexicalVectorizer: Sendable {
    public let dimension: Int
    public let seed: UInt64
    public private(set) var documentFrequency: [Int]
    public private(set) var documents = 0

    public init(dimension: Int = 1024, seed: UInt64 = 0) {
        self.dimension = max(1, dimension)
        self.seed = seed
        documentFrequency = [Int](repeating: 0, count: max(1, dimension))
    }

    /// Bucket and sign of each word of `text`, in order.
    public func features(_ text: String) -> [(bucket: Int, sign: Float)] {
        Self.words(text).map { word in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
            for b in word {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
            h ^= h >> 29
            h = h &* 0xbf58_476d_1ce4_e5b9
            h ^= h >> 32
            return (Int(h % UInt64(dimension)), (h >> 63) == 0 ? 1 : -1)
        }
    }

    /// The words of a text as UTF-8: runs of letters and digits, lowercased (Unicode lowercase mapping per
    /// scalar); every Han, kana or Hangul character is a word of its own.
    public static func words(_ text: String) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var word: [UInt8] = []
        func flush() {
            guard !word.isEmpty else { return }
            out.append(word)
            word.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let ideographic = (0x3040...0x30FF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v)
                || (0xAC00...0xD7AF).contains(v) || (0xF900...0xFAFF).contains(v) || (0x20000...0x2FA1F).contains(v)
            if ideographic {
                flush()
                word.append(contentsOf: Array(String(scalar).utf8))
                flush()
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                if v < 0x80 {
                    word.append(UInt8(v) | (v >= 0x41 && v <= 0x5A ? 0x20 : 0))
                } else {
                    for lower in scalar.properties.lowercaseMapping.unicodeScalars {
                        word.append(contentsOf: Array(String(lower).utf8))
                    }
                }
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    /// First pass: counts the buckets `text` uses.
    public mutating func observe(_ text: String) {
        documents += 1
        var seen = Set<Int>()
        for (bucket, _) in features(text) where seen.insert(bucket).inserted { documentFrequency[bucket] += 1 }
    }

    /// Second pass: the normalized vector of `text`.
    public func vector(_ text: String) -> [Float] {
        var counts: [Int: (Float, Float)] = [:]  // bucket → (count, sign sum)
        for (bucket, sign) in features(text) {
            let c = counts[bucket] ?? (0, 0)
            counts[bucket] = (c.0 + 1, c.1 + sign)
        }
        var v = [Float](repeating: 0, count: dimension)
        let n = Float(documents)
        for (bucket, (count, signs)) in counts {
            let idf = logf((n + 1) / (Float(documentFrequency[bucket]) + 1)) + 1
            // The sign of a bucket is the sign of most of its words (collisions of opposite signs cancel).
            let sign: Float = signs >= 0 ? 1 : -1
            v[bucket] = sign * (1 + logf(count)) * idf
        }
        var norm: Float = 0
        for x in v { norm += x * x }
        if norm > 0 {
            let inverse = 1 / norm.squareRoot()
            for i in v.indices { v[i] *= inverse }
        }
        return v
    }
}
