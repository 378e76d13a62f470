import CorpusCore
import CorpusIO
import Foundation

/// Problems training, reading or using a language model.
public enum LanguageIDError: Error, Equatable, Sendable, CustomStringConvertible {
    case badModel(path: String, message: String)
    case badOptions(String)
    case noTrainingText

    public var description: String {
        switch self {
        case let .badModel(path, message): "language model \(path): \(message)"
        case let .badOptions(message): "language model options: \(message)"
        case .noTrainingText: "no training text: every example was empty or had no letters"
        }
    }
}

/// A language identifier: multinomial naive Bayes over hashed character n-grams.
///
/// Features: the text is lowercased and cut into words at every character that is not a letter or a combining
/// mark (digits, punctuation and symbols separate words, so code and numbers carry little weight). Each word
/// is padded with a space on both sides and every character n-gram of it with `ngramMin…ngramMax` characters
/// (Unicode scalars) is hashed (FNV-1a over the scalar values) into one of 2^`bucketBits` buckets. A Han or
/// kana run is a word too, so Chinese and Japanese get n-grams of their characters.
///
/// Training counts n-grams per language; the probability of bucket b in language l is
/// (count + α) / (total_l + α·B), α = 0.5 (Lidstone). Buckets seen fewer than `minCount` times in a language
/// are not stored (their count reads as 0; totals keep them). Priors are uniform: languages with more training
/// text are not favoured.
///
/// Scores: the log-likelihoods are scaled by min(1, `evidence` / features) before the softmax, so a text is
/// scored as if it had at most `evidence` (64) n-grams of the same average strength. Plain naive Bayes
/// posteriors are ~1.0 for any paragraph; this keeps a text whose n-grams barely favour one language (a
/// command line, a list of names) below a 0.65 threshold.
///
/// Deterministic: training has no randomness and the model file lists languages and buckets in order.
public struct LanguageModel: Sendable {
    public let languages: [String]
    public let ngramMin: Int
    public let ngramMax: Int
    public let bucketBits: Int
    public let alpha: Double
    public let evidence: Double
    /// log P(bucket | language), bucket-major: `logProb[b * L + l]`.
    let logProb: [Float]
    /// Sparse counts as trained, for writing the model back.
    let counts: [[(bucket: UInt32, count: UInt32)]]
    let totals: [UInt64]

    public static let defaultAlpha = 0.5
    public static let defaultEvidence = 64.0

    init(languages: [String], ngramMin: Int, ngramMax: Int, bucketBits: Int, alpha: Double, evidence: Double,
         counts: [[(bucket: UInt32, count: UInt32)]], totals: [UInt64])
    {
        self.languages = languages
        self.ngramMin = ngramMin
        self.ngramMax = ngramMax
        self.bucketBits = bucketBits
        self.alpha = alpha
        self.evidence = evidence
        self.counts = counts
        self.totals = totals
        let buckets = 1 << bucketBits
        let l = languages.count
        var table = [Float](repeating: 0, count: buckets * l)
        for lang in 0..<l {
            let denominator = Double(totals[lang]) + alpha * Double(buckets)
            let floor = Float((alpha / denominator).modelLog)
            for b in 0..<buckets { table[b * l + lang] = floor }
            for (bucket, count) in counts[lang] {
                table[Int(bucket) * l + lang] = Float(((Double(count) + alpha) / denominator).modelLog)
            }
        }
        logProb = table
    }

    // MARK: Training

    /// Trains on labelled examples.
    public static func train(_ examples: some Sequence<(text: String, language: String)>, ngrams: ClosedRange<Int> = 1...4,
                             bucketBits: Int = 18, minCount: Int = 2, alpha: Double = defaultAlpha,
                             evidence: Double = defaultEvidence) throws(LanguageIDError) -> LanguageModel
    {
        guard ngrams.lowerBound >= 1, ngrams.upperBound <= 8 else { throw .badOptions("n-grams must lie within 1…8") }
        guard (8...24).contains(bucketBits) else { throw .badOptions("bucket bits must lie within 8…24") }
        guard minCount >= 1, alpha > 0, evidence > 0 else { throw .badOptions("min count ≥ 1, alpha > 0, evidence > 0") }
        var index: [String: Int] = [:]
        var dense: [[UInt32]] = []
        var totals: [UInt64] = []
        let mask = UInt64(1 << bucketBits - 1)
        for (text, language) in examples {
            let l: Int
            if let known = index[language] {
                l = known
            } else {
                l = dense.count
                index[language] = l
                dense.append([UInt32](repeating: 0, count: 1 << bucketBits))
                totals.append(0)
            }
            forEachNGram(text, ngrams: ngrams) { h in
                dense[l][Int(h & mask)] &+= 1
                totals[l] += 1
            }
        }
        guard totals.contains(where: { $0 > 0 }) else { throw .noTrainingText }
        let languages = index.keys.sorted()
        var counts: [[(bucket: UInt32, count: UInt32)]] = []
        var sortedTotals: [UInt64] = []
        for language in languages {
            guard let l = index[language] else { continue }
            var sparse: [(bucket: UInt32, count: UInt32)] = []
            for (b, c) in dense[l].enumerated() where c >= minCount { sparse.append((UInt32(b), c)) }
            counts.append(sparse)
            sortedTotals.append(totals[l])
        }
        return LanguageModel(languages: languages, ngramMin: ngrams.lowerBound, ngramMax: ngrams.upperBound,
                             bucketBits: bucketBits, alpha: alpha, evidence: evidence, counts: counts,
                             totals: sortedTotals)
    }

    // MARK: Prediction

    /// One language and its probability.
    public struct Score: Sendable, Equatable {
        public var language: String
        public var probability: Double
    }

    /// Probabilities of every language, highest first (ties by name); empty when the text has no letters.
    public func predict(_ text: String) -> [Score] {
        let l = languages.count
        var ll = [Double](repeating: 0, count: l)
        var features = 0
        let mask = UInt64(1 << bucketBits - 1)
        ll.withUnsafeMutableBufferPointer { acc in
            logProb.withUnsafeBufferPointer { table in
                LanguageModel.forEachNGram(text, ngrams: ngramMin...ngramMax) { h in
                    let base = Int(h & mask) * l
                    for k in 0..<l { acc[k] += Double(table[base + k]) }
                    features += 1
                }
            }
        }
        guard features > 0 else { return [] }
        let scale = min(1, evidence / Double(features))
        let top = ll.max() ?? 0
        var p = ll.map { (($0 - top) * scale).modelExp }
        let sum = p.reduce(0, +)
        p = p.map { $0 / sum }
        return (0..<l).map { Score(language: languages[$0], probability: p[$0]) }
            .sorted { $0.probability != $1.probability ? $0.probability > $1.probability : $0.language < $1.language }
    }

    /// Calls `body` with the 64-bit hash of every character n-gram of the text's words (see the type's doc).
    static func forEachNGram(_ text: String, ngrams: ClosedRange<Int>, _ body: (UInt64) -> Void) {
        // A ring of the last `maxN` scalars of the current padded word.
        let maxN = ngrams.upperBound
        var ring = SIMD8<UInt32>(repeating: 0x20)
        var length = 0  // scalars of the padded word so far
        var inWord = false
        @inline(__always) func push(_ value: UInt32) {
            ring[length & 7] = value
            length += 1
            let available = min(length, maxN)
            guard available >= ngrams.lowerBound else { return }
            var h: UInt64 = fnvOffset64
            var n = 0
            // n-grams ending at this scalar, from the shortest up.
            for back in stride(from: 0, to: available, by: 1) {
                let v = ring[(length - 1 - back) & 7]
                h = (h ^ UInt64(v)) &* fnvPrime64
                n += 1
                if n >= ngrams.lowerBound {
                    // Mix the length in so that "a" and "a " over different n differ, then finalize.
                    var z = h ^ UInt64(n) &* 0x9E37_79B9_7F4A_7C15
                    z = (z ^ (z >> 31)) &* 0xBF58_476D_1CE4_E5B9
                    body(z ^ (z >> 29))
                }
            }
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let isLetter: Bool
            var lower = v
            if v < 0x80 {
                isLetter = (v | 0x20) &- 0x61 < 26
                lower = v | 0x20
            } else if (0x4E00...0x9FFF).contains(v) || (0x3041...0x3096).contains(v) || (0x30A1...0x30FA).contains(v) {
                isLetter = true  // CJK ideographs and kana: letters without case, no property lookups
            } else {
                let p = scalar.properties
                isLetter = p.isAlphabetic || p.generalCategory == .nonspacingMark
                if isLetter, p.changesWhenLowercased, let first = p.lowercaseMapping.unicodeScalars.first {
                    lower = first.value
                }
            }
            if isLetter {
                if !inWord {
                    length = 0
                    push(0x20)
                    inWord = true
                }
                push(lower)
            } else if inWord {
                push(0x20)
                inWord = false
            }
        }
        if inWord { push(0x20) }
    }
}

extension Double {
    var modelLog: Double { log(self) }
    var modelExp: Double { exp(self) }
}
