import Foundation
import CorpusCore
import Testing
@testable import Selection

/// Golden values from Python 3.11 with nltk 3.10.4 (`WordPunctTokenizer().tokenize(s.lower())`) and
/// `int(hashlib.sha256(s.encode()).hexdigest(), 16) % B`.
@Suite struct DSIRFeaturizerTests {
    @Test(arguments: [
        ("İstanbul", "i\u{307}stanbul"),  // İ → i + COMBINING DOT ABOVE (SpecialCasing, unconditional)
        ("ΟΔΟΣ ΣΑΣ.", "οδος σας."),       // final sigma before a space and before punctuation
        ("Σ", "σ"),                        // no cased letter before: not final
        ("aΣ\u{301}b", "aσ\u{301}b"),     // a case-ignorable mark, then a cased letter: not final
        ("ǅ", "ǆ"),
        ("HeLLo", "hello"),
    ])
    func lowercasesAsPython(input: String, expected: String) {
        #expect(DSIRFeaturizer.pythonLowercased(input) == expected)
    }

    @Test(arguments: [
        ("İstanbul", ["i\u{307}stanbul"]),
        ("ΟΔΟΣ ΣΑΣ.", ["οδος", "σας", "."]),
        ("café naïve a\u{301}b", ["café", "naïve", "a\u{301}b"]),         // combining marks are \w
        ("مرحبا، عالم! ١٢٣", ["مرحبا", "،", "عالم", "!", "١٢٣"]),          // Arabic comma and digits
        ("x\u{200D}y \u{200D}", ["x\u{200D}y", "\u{200D}"]),               // ZWJ is Join_Control: \w
        ("a\u{1C}b", ["a", "\u{1C}", "b"]),                                // U+001C is not White_Space
        ("3.88$ e-mail", ["3", ".", "88", "$", "e", "-", "mail"]),
        ("👍🏽ok", ["👍🏽", "ok"]),
    ])
    func tokenizesAsWordPunct(input: String, expected: [String]) {
        #expect(DSIRFeaturizer.words(input) == expected)
    }

    @Test func bucketsAreSHA256ModuloB() throws {
        let featurizer = try DSIRFeaturizer()
        #expect(featurizer.bucket(Array("hello".utf8)) == 7620)
        #expect(featurizer.bucket(Array("hello world".utf8)) == 1529)
        #expect(featurizer.bucket(Array("日本語".utf8)) == 7333)
        let seven = try DSIRFeaturizer(numBuckets: 7)
        #expect(seven.bucket(Array("hello".utf8)) == 2)
        #expect(seven.bucket(Array("hello world".utf8)) == 5)
        #expect(seven.bucket(Array("日本語".utf8)) == 6)
    }

    @Test func countsUnigramsAndBigrams() throws {
        let featurizer = try DSIRFeaturizer()
        let features = featurizer.features("Hello World")
        #expect(features.words == 2)
        #expect(features.total == 3)
        #expect(features.buckets.contains(7620) && features.buckets.contains(1529))
        #expect(featurizer.features("").total == 0)
        #expect(try DSIRFeaturizer(ngrams: 3).features("a b c d").total == 4 + 3 + 2)
    }

    @Test func rejectsBadParameters() {
        #expect(throws: SelectionError.self) { try DSIRFeaturizer(numBuckets: 0) }
        #expect(throws: SelectionError.self) { try DSIRFeaturizer(ngrams: 0) }
    }
}

@Suite struct DSIRFitTests {
    @Test func emptySidesThrow() throws {
        let featurizer = try DSIRFeaturizer()
        #expect(throws: SelectionError.emptyDistribution(which: "target")) {
            try DSIR.fit(target: [" "], raw: ["some words"], featurizer: featurizer)
        }
        #expect(throws: SelectionError.emptyDistribution(which: "raw")) {
            try DSIR.fit(target: ["some words"], raw: [String](), featurizer: featurizer)
        }
    }

    @Test func lengthAndEligibility() throws {
        let featurizer = try DSIRFeaturizer()
        let dsir = try DSIR.fit(target: ["a b c"], raw: ["a b", "c d"], featurizer: featurizer, minimumWords: 3)
        #expect(dsir.weigh("a b c").words == 3)
        #expect(dsir.weigh("a b c").eligible)
        #expect(!dsir.weigh("a b").eligible)
        #expect(dsir.weigh("").words == 0)
    }

    @Test func rawBudgetStopsAfterTheCrossingDocument() throws {
        let featurizer = try DSIRFeaturizer()
        // Each document has 3 features; a budget of 4 takes two documents (3, then 6 > 4) and stops.
        let counts = DSIR.countRaw(["a b", "c d", "e f"], featurizer: featurizer, budget: .features(4))
        #expect(counts.documents == 2)
        #expect(counts.total == 6)
    }
}

@Suite struct ImportanceResamplerTests {
    private let logWeights: [Double] = [0.0, log(2.0), log(3.0), log(4.0)]

    @Test func topKIsDeterministicWithLowerIndexOnTies() {
        let weights = [1.0, 5.0, 5.0, 3.0, 5.0].map { DSIRWeight(logWeight: $0, words: 100, eligible: true) }
        #expect(ImportanceResampler.choose(weights, count: 2, mode: .topK) == [1, 2])
        #expect(ImportanceResampler.choose(weights, count: 10, mode: .topK) == [0, 1, 2, 3, 4])
        #expect(ImportanceResampler.choose(weights, count: 0, mode: .topK) == [])
    }

    @Test func skipsIneligibleDocuments() {
        var weights = logWeights.map { DSIRWeight(logWeight: $0, words: 100, eligible: true) }
        weights[3].eligible = false
        #expect(ImportanceResampler.choose(weights, count: 1, mode: .topK) == [2])
    }

    @Test func gumbelIsSeeded() {
        let weights = (0..<1000).map { DSIRWeight(logWeight: Double($0 % 17) * 0.1, words: 100, eligible: true) }
        let a = ImportanceResampler.choose(weights, count: 50, mode: .gumbel(seed: 42))
        let b = ImportanceResampler.choose(weights, count: 50, mode: .gumbel(seed: 42))
        let c = ImportanceResampler.choose(weights, count: 50, mode: .gumbel(seed: 43))
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 50)
    }

    /// With k = 1 Gumbel top-k draws one index with probability w_i / Σ w: over 40,000 seeds each frequency is
    /// within 4 standard deviations of that (σ ≤ 0.0025).
    @Test func gumbelSamplesProportionallyToWeights() {
        let weights = logWeights.map { DSIRWeight(logWeight: $0, words: 100, eligible: true) }
        let trials = 40_000
        var hits = [Int](repeating: 0, count: 4)
        for seed in 0..<trials {
            for index in ImportanceResampler.choose(weights, count: 1, mode: .gumbel(seed: UInt64(seed))) {
                hits[index] += 1
            }
        }
        for (index, hit) in hits.enumerated() {
            let expected = Double(index + 1) / 10
            let sigma = (expected * (1 - expected) / Double(trials)).squareRoot()
            #expect(abs(Double(hit) / Double(trials) - expected) < 4 * sigma, "index \(index): \(hit) of \(trials)")
        }
    }

    @Test func oneShotSHA256EqualsTheStreamingHasher() {
        var random = SeededRandom(seed: 3)
        for length in Array(0...130) + [1000, 4096] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var streaming = SHA256()
            streaming.update(bytes)
            let words = bytes.withUnsafeBytes { SHA256.words(of: $0) }
            let digest = withUnsafeBytes(of: words) { raw in
                (0..<8).flatMap { i -> [UInt8] in
                    let w = raw.load(fromByteOffset: 4 * i, as: UInt32.self)
                    return [UInt8(w >> 24), UInt8(truncatingIfNeeded: w >> 16), UInt8(truncatingIfNeeded: w >> 8),
                            UInt8(truncatingIfNeeded: w)]
                }
            }
            #expect(digest == streaming.digest(), "length \(length)")
        }
    }

    @Test func largeBucketCountsUseTheWholeDigest() throws {
        // int(sha256(b"hello").hexdigest(), 16) % (2**40 - 3) and % 1_000_003 (Python).
        #expect(try DSIRFeaturizer(numBuckets: (1 << 40) - 3).bucket(Array("hello".utf8)) == 58_314_969_033)
        #expect(try DSIRFeaturizer(numBuckets: 1_000_003).bucket(Array("hello".utf8)) == 501_190)
    }

    /// Random text over a small alphabet with repeats, so that the memo is hit and missed.
    private static func randomTexts(count: Int, seed: UInt64) -> [String] {
        let pieces = ["Hello", "world", ",", " ", "  ", "ΣΑΣ", "日本語", "naïve", "a\u{301}", "!", "3.88", "\n", "x",
                      "İ", "token", "the", "The", "THE", "-", "👍🏽"]
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            let n = Int(random.next() % 60)
            return (0..<n).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
        }
    }

    @Test(arguments: [DSIRHashing.sha256, .fast])
    func workspaceEqualsThePlainFeaturizer(hashing: DSIRHashing) throws {
        let texts = Self.randomTexts(count: 400, seed: 9)
        for (buckets, ngrams) in [(10_000, 2), (7, 3), (1 << 30, 2), (1, 1)] {
            let featurizer = try DSIRFeaturizer(numBuckets: buckets, ngrams: ngrams, hashing: hashing)
            var workspace = DSIRWorkspace(featurizer: featurizer)
            for text in texts + texts {  // the second round hits the memo
                #expect(workspace.features(text) == featurizer.features(text), "\(buckets) \(ngrams) \(text)")
            }
        }
    }

    @Test func fastHashingCountsTheSameNgrams() throws {
        // Different buckets, the same statistics: the same number of features and of words.
        let exact = try DSIRFeaturizer()
        let fast = try DSIRFeaturizer(hashing: .fast)
        for text in Self.randomTexts(count: 100, seed: 4) {
            let a = exact.features(text), b = fast.features(text)
            #expect(a.total == b.total && a.words == b.words)
        }
        // FeatureHash is fixed: these values may never change (they decide which documents a seed selects).
        #expect(Array("hello".utf8).withUnsafeBytes { FeatureHash.bytes($0) } == Self.helloHash)
        #expect(FeatureHash.bucket(.max, count: 10) == 9 && FeatureHash.bucket(0, count: 10) == 0)
    }

    private static let helloHash: UInt64 = 1_212_779_473_277_677_726

    @Test func scalarTableEqualsTheUnicodeProperties() {
        for value in UInt32(0x80)..<0x10000 {
            #expect(DSIRFeaturizer.wordPunctClass(value) == DSIRFeaturizer.wordPunctClassReference(value),
                    "U+\(String(value, radix: 16))")
            guard value != 0x03A3, let scalar = Unicode.Scalar(value) else { continue }
            let expected = scalar.properties.changesWhenLowercased ? scalar.properties.lowercaseMapping : String(scalar)
            #expect(DSIRFeaturizer.pythonLowercased(String(scalar)) == expected, "U+\(String(value, radix: 16))")
        }
    }

    @Test func libcryptoBucketsEqualTheSwiftSHA256() throws {
        var random = SeededRandom(seed: 5)
        for buckets in [10_000, 7, 1 << 40, (1 << 40) - 3, 1] {
            let featurizer = try DSIRFeaturizer(numBuckets: buckets)
            for length in Array(0...130) + [1000] {
                let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let fast = bytes.withUnsafeBytes { featurizer.bucket($0) }
                let plain = bytes.withUnsafeBytes { featurizer.bucketReference($0) }
                #expect(fast == plain, "\(buckets) buckets, length \(length)")
            }
        }
    }
}
