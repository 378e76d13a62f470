import CorpusCore
import Foundation

/// Errors of the selection stage; each names what was wrong.
public enum SelectionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A parameter outside its range.
    case invalidParameter(name: String, value: String)
    /// The target or raw examples had no features at all, so their distribution is undefined (the reference
    /// divides by zero and weighs every document NaN).
    case emptyDistribution(which: String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value): "invalid \(name): \(value)"
        case .emptyDistribution(let which): "the \(which) examples have no n-gram features (no words at all)"
        }
    }
}

/// Bucket counts summed over many documents: one side (target or raw) of a DSIR fit.
///
/// ```swift
/// var raw = DSIRBucketCounts(numBuckets: 10_000)
/// raw.add(featurizer.features("some text"))
/// ```
public struct DSIRBucketCounts: Sendable, Equatable {
    /// Count per bucket.
    public internal(set) var counts: [Int]
    /// The sum of `counts`.
    public internal(set) var total: Int = 0
    /// How many documents were added.
    public internal(set) var documents: Int = 0

    public init(numBuckets: Int) { counts = [Int](repeating: 0, count: numBuckets) }

    /// Adds one document's features.
    public mutating func add(_ features: DSIRFeatures) {
        for (bucket, count) in zip(features.buckets, features.counts) { counts[bucket] += count }
        total += features.total
        documents += 1
    }

    /// The normalized distribution `counts / total` (no pseudo-count: `data-selection` 1.0.3 adds none).
    public func probabilities() -> [Double] {
        let sum = Double(total)
        return counts.map { Double($0) / sum }
    }
}

/// How many raw features the raw distribution is fitted on (the reference's `num_tokens_to_fit`).
public enum DSIRRawBudget: Sendable, Equatable {
    /// 100,000 × numBuckets features (the reference's `"auto"`).
    case auto
    /// Every raw document (`"all"`).
    case all
    /// Documents are added until the feature count exceeds this; the document that crosses it is included.
    case features(Int)

    /// The feature limit, nil for none.
    public func limit(numBuckets: Int) -> Int? {
        switch self {
        case .auto: 100_000 * numBuckets
        case .all: nil
        case .features(let n): n
        }
    }
}

/// A fitted DSIR importance estimator: log w(x) = Σ_b counts_b(x) · (log(p_target,b + 1e-8) − log(p_raw,b + 1e-8)).
///
/// Reference: `HashedNgramDSIR.fit_importance_estimator` and `importance_estimator` of `data-selection` 1.0.3.
/// The raw distribution comes from the raw documents in order until the budget is passed (the reference with one
/// raw file and `num_proc=1`: with more processes it splits the budget between virtual shards); the target one
/// from every target document. Both use every document, short ones included; the minimum length applies only
/// when choosing (`DSIRWeight.eligible`).
///
/// ```swift
/// let dsir = try DSIR.fit(target: targetTexts, raw: poolTexts)
/// let weights = poolTexts.map { dsir.weigh($0) }   // log weights, words, eligibility
/// ```
public struct DSIR: Sendable {
    /// The featurizer both distributions were counted with.
    public let featurizer: DSIRFeaturizer
    /// Documents with fewer words are never selected (the reference's `min_example_length`, default 100).
    public let minimumWords: Int
    /// log(p_target + 1e-8) − log(p_raw + 1e-8) per bucket.
    public let logDifference: [Double]

    /// The smoothing constant inside both logarithms (the reference's 1e-8).
    public static let epsilon = 1e-8

    /// An estimator from counted distributions.
    ///
    /// - Throws: `SelectionError.emptyDistribution` when either side has no features;
    ///   `.invalidParameter` when the counts do not have `featurizer.numBuckets` buckets.
    public init(featurizer: DSIRFeaturizer, target: DSIRBucketCounts, raw: DSIRBucketCounts,
                minimumWords: Int = 100) throws {
        guard target.counts.count == featurizer.numBuckets, raw.counts.count == featurizer.numBuckets else {
            throw SelectionError.invalidParameter(name: "bucket counts", value: "\(target.counts.count) buckets")
        }
        guard target.total > 0 else { throw SelectionError.emptyDistribution(which: "target") }
        guard raw.total > 0 else { throw SelectionError.emptyDistribution(which: "raw") }
        self.featurizer = featurizer
        self.minimumWords = minimumWords
        logDifference = zip(target.probabilities(), raw.probabilities()).map {
            Foundation.log($0 + DSIR.epsilon) - Foundation.log($1 + DSIR.epsilon)
        }
    }

    /// Counts the target documents (all of them) and the raw documents (up to `rawBudget`) and fits.
    public static func fit<Target: Sequence<String>, Raw: Sequence<String>>(
        target: Target, raw: Raw, featurizer: DSIRFeaturizer, rawBudget: DSIRRawBudget = .auto,
        minimumWords: Int = 100
    ) throws -> DSIR {
        var targetCounts = DSIRBucketCounts(numBuckets: featurizer.numBuckets)
        for text in target { targetCounts.add(featurizer.features(text)) }
        let rawCounts = countRaw(raw, featurizer: featurizer, budget: rawBudget)
        return try DSIR(featurizer: featurizer, target: targetCounts, raw: rawCounts, minimumWords: minimumWords)
    }

    /// The raw side of a fit: documents in order until the feature count exceeds the budget.
    public static func countRaw<Raw: Sequence<String>>(_ raw: Raw, featurizer: DSIRFeaturizer,
                                                       budget: DSIRRawBudget = .auto) -> DSIRBucketCounts {
        var counts = DSIRBucketCounts(numBuckets: featurizer.numBuckets)
        let limit = budget.limit(numBuckets: featurizer.numBuckets)
        for text in raw {
            counts.add(featurizer.features(text))
            if let limit, counts.total > limit { break }
        }
        return counts
    }

    /// The log importance weight of one document's features, summed over its buckets in ascending order.
    public func logWeight(_ features: DSIRFeatures) -> Double {
        var sum = 0.0
        for (bucket, count) in zip(features.buckets, features.counts) {
            sum += Double(count) * logDifference[bucket]
        }
        return sum
    }

    /// The reference's per-example length: (features + n(n−1)/2) div n, which is the number of words whenever
    /// there are at least n − 1 of them.
    public func length(_ features: DSIRFeatures) -> Int { length(featureCount: features.total) }

    /// `length` from the number of features.
    public func length(featureCount: Int) -> Int {
        let n = featurizer.ngrams
        return (featureCount + n * (n - 1) / 2) / n
    }

    /// Weighs one document.
    public func weigh(_ text: String) -> DSIRWeight {
        let features = featurizer.features(text)
        let words = length(features)
        return DSIRWeight(logWeight: logWeight(features), words: words, eligible: words >= minimumWords)
    }
}

/// One document's DSIR weight.
public struct DSIRWeight: Sendable, Equatable {
    /// log w(x).
    public var logWeight: Double
    /// The reference's length of the document (its number of words; see `DSIR.length`).
    public var words: Int
    /// Whether the document may be selected (`words >= minimumWords`); the reference still computes a weight
    /// for the others and masks them out when resampling.
    public var eligible: Bool

    public init(logWeight: Double, words: Int, eligible: Bool) {
        self.logWeight = logWeight
        self.words = words
        self.eligible = eligible
    }
}
