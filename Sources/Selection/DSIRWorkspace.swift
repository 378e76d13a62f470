import CorpusCore

/// The fast path of `DSIRFeaturizer.features`: one per thread, it keeps its buffers, a dense count array and a
/// memo of SHA-256 buckets between documents. The features are equal to the featurizer's (a property test holds
/// them equal on random and real text).
///
/// ```swift
/// var workspace = DSIRWorkspace(featurizer: featurizer)
/// let features = workspace.features(text)       // == featurizer.features(text)
/// let weight = dsir.weigh(text, in: &workspace)  // == dsir.weigh(text)
/// ```
///
/// Why it is fast (measured with `ptk bench select`; the figures are in BENCHMARKS.md):
/// - SHA-256 runs on the stack (`SHA256.words(of:)`): the streaming hasher allocated a block buffer, a padding
///   array and a digest array for each of the millions of words.
/// - The memo (`BucketCache`): real text repeats its words and bigrams, so most features are a 64-bit hash and a
///   byte compare instead of a SHA-256 block and 32 divisions.
/// - Counts go to a dense array indexed by bucket, with a list of the buckets touched, sorted at the end of the
///   document: no dictionary.
/// - Bigrams are joined into one reused buffer.
public struct DSIRWorkspace {
    public let featurizer: DSIRFeaturizer
    private var cache = BucketCache()
    /// The bucket of every feature of the document in progress, in the order the reference counts them.
    private var buckets: [Int] = []
    /// Count per bucket, for `features` (dense when there are at most 2^24 buckets).
    private var dense: [Int32]
    private var ranges: [Range<Int>] = []
    private var hashes: [UInt64] = []
    private var prefixes: [UInt64] = []
    private var joined: [UInt8] = []

    public init(featurizer: DSIRFeaturizer) {
        self.featurizer = featurizer
        dense = featurizer.numBuckets <= 1 << 24 ? [Int32](repeating: 0, count: featurizer.numBuckets) : []
    }

    /// Calls `body` with the bucket of every feature of `text` (unigrams, then bigrams, …) and the number of
    /// words: the fast path's native form, with nothing counted or sorted.
    public mutating func withFeatureBuckets<R>(_ text: String,
                                               _ body: (UnsafeBufferPointer<Int>, _ words: Int) throws -> R) rethrows -> R {
        buckets.removeAll(keepingCapacity: true)
        let words = countFeatures(text)
        return try buckets.withUnsafeBufferPointer { try body($0, words) }
    }

    /// The bucket counts of `text`, equal to `featurizer.features(text)`.
    public mutating func features(_ text: String) -> DSIRFeatures {
        buckets.removeAll(keepingCapacity: true)
        let words = countFeatures(text)
        var touched: [Int] = []
        var counts: [Int] = []
        if dense.isEmpty {
            var sparse: [Int: Int] = [:]
            for bucket in buckets { sparse[bucket, default: 0] += 1 }
            for (bucket, count) in sparse.sorted(by: { $0.key < $1.key }) {
                touched.append(bucket)
                counts.append(count)
            }
        } else {
            dense.withUnsafeMutableBufferPointer { dense in
                for bucket in buckets {
                    if dense[bucket] == 0 { touched.append(bucket) }
                    dense[bucket] &+= 1
                }
                touched.sort()
                counts = touched.map { Int(dense[$0]) }
                for bucket in touched { dense[bucket] = 0 }
            }
        }
        return DSIRFeatures(buckets: touched, counts: counts, words: words)
    }

    @inline(__always)
    private mutating func count(_ bucket: Int) { buckets.append(bucket) }

    private mutating func countFeatures(_ text: String) -> Int {
        let featurizer = featurizer
        if let tokenizer = featurizer.tokenizer {
            let ids = tokenizer.encodeOrdinary(text)
            hashes.removeAll(keepingCapacity: true)
            for id in ids { hashes.append(FeatureHash.token(id)) }
            countNgramHashes()
            return ids.count
        }
        let lowered = DSIRFeaturizer.pythonLowercasedUTF8(text)
        ranges.removeAll(keepingCapacity: true)
        lowered.withUnsafeBufferPointer { bytes in
            DSIRFeaturizer.forEachWordPunctToken(bytes) { ranges.append($0) }
        }
        lowered.withUnsafeBytes { raw in
            if featurizer.hashing == .fast {
                hashes.removeAll(keepingCapacity: true)
                for range in ranges { hashes.append(FeatureHash.bytes(UnsafeRawBufferPointer(rebasing: raw[range]))) }
                countNgramHashes()
                return
            }
            for range in ranges {
                count(cache.bucket(UnsafeRawBufferPointer(rebasing: raw[range])) { featurizer.bucket($0) })
            }
            guard featurizer.ngrams >= 2 else { return }
            for n in 2...featurizer.ngrams where ranges.count >= n {
                for start in 0...(ranges.count - n) {
                    joined.removeAll(keepingCapacity: true)
                    for k in start..<start + n {
                        if k > start { joined.append(0x20) }
                        joined.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[ranges[k]]))
                    }
                    let bucket = joined.withUnsafeBytes { cache.bucket($0) { featurizer.bucket($0) } }
                    count(bucket)
                }
            }
        }
        return ranges.count
    }

    /// `DSIRFeaturizer.forEachNgramHash` into the counts, with `hashes` as the items.
    private mutating func countNgramHashes() {
        let items = hashes.count
        let buckets = featurizer.numBuckets
        for h in hashes { count(FeatureHash.bucket(h, count: buckets)) }
        guard featurizer.ngrams >= 2 else { return }
        // prefixes[start]: the hash of the n-gram starting at start, for n = 2, 3, … in turn.
        prefixes.removeAll(keepingCapacity: true)
        prefixes.append(contentsOf: hashes)
        for n in 2...featurizer.ngrams where items >= n {
            for start in 0...(items - n) {
                prefixes[start] = FeatureHash.combine(prefixes[start], hashes[start + n - 1])
                count(FeatureHash.bucket(prefixes[start], count: buckets))
            }
        }
    }
}

extension DSIR {
    /// `weigh(text)` through a workspace (the fast path). The log weight is summed feature by feature in the
    /// order the features occur instead of bucket by bucket, which saves counting and sorting; the two sums differ
    /// only by rounding (relative 1e-13 on real text; the reference's own dot product has yet another order).
    public func weigh(_ text: String, in workspace: inout DSIRWorkspace) -> DSIRWeight {
        workspace.withFeatureBuckets(text) { buckets, _ in
            let words = length(featureCount: buckets.count)
            return DSIRWeight(logWeight: logWeight(buckets: buckets), words: words, eligible: words >= minimumWords)
        }
    }

    /// Σ over the features of log(p_target + ε) − log(p_raw + ε) of their buckets, in the order given.
    @inline(__always)
    public func logWeight(buckets: UnsafeBufferPointer<Int>) -> Double {
        logDifference.withUnsafeBufferPointer { table in
            var sum = 0.0
            for bucket in buckets { sum += table[bucket] }
            return sum
        }
    }
}

extension DSIRBucketCounts {
    /// Adds one document's features given as the bucket of each (in any order).
    public mutating func add(buckets: UnsafeBufferPointer<Int>) {
        counts.withUnsafeMutableBufferPointer { counts in
            for bucket in buckets { counts[bucket] += 1 }
        }
        total += buckets.count
        documents += 1
    }
}
