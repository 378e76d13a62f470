import Foundation
import ReferenceSupport
import Testing
@testable import Selection

/// Differential tests against data-selection 1.0.3 with nltk 3.10.4 (scripts/reference_dsir.py).
private struct DSIRRequest: Encodable {
    var raw: [String]?
    var target: [String]?
    var realBytes: Int?
    var numBuckets: Int?
    var ngrams: Int?
    var minExampleLength: Int?
    var numTokensToFit: Int?
    var topK: Int?
    var tokenize: [String]?
    var classes: Bool?

    enum CodingKeys: String, CodingKey {
        case raw, target, ngrams, tokenize, classes
        case realBytes = "real_bytes", numBuckets = "num_buckets", minExampleLength = "min_example_length"
        case numTokensToFit = "num_tokens_to_fit", topK = "top_k"
    }
}

private struct DSIRAnswer: Decodable {
    var raw: [String]?
    var target: [String]?
    var logWeights: [Double]?
    var lengths: [Int]?
    var topK: [Int]?
    var words: [[String]]?
    var versions: [String: String]?

    enum CodingKeys: String, CodingKey {
        case raw, target, lengths, words, versions
        case logWeights = "log_weights", topK = "top_k"
    }
}

private struct ClassesAnswer: Decodable {
    var wordSpace: [[Int]]
    var lower: [String: String]
    var unidataVersion: String

    enum CodingKeys: String, CodingKey {
        case lower
        case wordSpace = "word_space", unidataVersion = "unidata_version"
    }
}

/// About 600 KB of real documents (Debian Reference in five languages, Chinese fortunes, Python source); the
/// target is the Japanese ones.
private let real = Reference.result("reference_dsir.py", DSIRRequest(realBytes: 600_000, topK: 10), as: DSIRAnswer.self)

/// The largest |ours − reference| / |reference| over the documents (exact zeros must match exactly).
private func maxRelativeError(_ ours: [Double], _ reference: [Double]) -> Double {
    zip(ours, reference).map { a, b in b == 0 ? (a == 0 ? 0 : .infinity) : abs(a - b) / abs(b) }.max() ?? 0
}

@Suite struct DSIRReferenceTests {
    @Test func realCorpusLogWeightsAndTopK() throws {
        guard let answer = real.recordedValue, let raw = answer.raw, let target = answer.target,
              let expected = answer.logWeights, let lengths = answer.lengths, let topK = answer.topK else { return }
        #expect(answer.versions?["data-selection"] == "1.0.3")
        #expect(answer.versions?["nltk"] == "3.10.4")
        #expect(raw.count > 50 && target.count > 5)
        let dsir = try DSIR.fit(target: target, raw: raw, featurizer: DSIRFeaturizer())
        let weights = raw.map { dsir.weigh($0) }
        #expect(weights.count == expected.count)
        #expect(weights.map(\.words) == lengths)
        let error = maxRelativeError(weights.map(\.logWeight), expected)
        #expect(error < 1e-6, "max relative error \(error) over \(raw.count) documents")
        #expect(ImportanceResampler.choose(weights, count: 10, mode: .topK) == topK)
    }

    @Test func rawBudgetSmallBucketsTrigramsAndMinimumLength() throws {
        guard let corpus = real.recordedValue, let raw = corpus.raw, let target = corpus.target else { return }
        let request = DSIRRequest(raw: raw, target: target, numBuckets: 997, ngrams: 3, minExampleLength: 300,
                                  numTokensToFit: 40_000, topK: 7)
        guard let answer = Reference.result("reference_dsir.py", request, as: DSIRAnswer.self).recordedValue,
              let expected = answer.logWeights, let lengths = answer.lengths, let topK = answer.topK else { return }
        let featurizer = try DSIRFeaturizer(numBuckets: 997, ngrams: 3)
        let dsir = try DSIR.fit(target: target, raw: raw, featurizer: featurizer, rawBudget: .features(40_000),
                                minimumWords: 300)
        let weights = raw.map { dsir.weigh($0) }
        #expect(weights.map(\.words) == lengths)
        let error = maxRelativeError(weights.map(\.logWeight), expected)
        #expect(error < 1e-6, "max relative error \(error)")
        #expect(ImportanceResampler.choose(weights, count: 7, mode: .topK) == topK)
    }

    @Test func tokenizationEdgeCases() throws {
        let texts = [
            "İstanbul İİ", "ΟΔΟΣ ΣΑΣ. ΑΣ\u{301} Σ", "ﬁ ß ẞ Ǆ ǅ", "a\u{301}b \u{301}x", "مرحبا، عالم! ١٢٣ ۴",
            "x\u{200D}y\u{200C}z", "a\u{1C}b\u{85}c\u{A0}d\u{3000}e", "²³ ⅷ Ⅻ ½", "👍🏽ok #tag @x", "क्षत्रिय", "ไทย ภาษา",
            "日本語のテキスト。", "e\u{0345}Σ", "\u{10428}\u{10400}", "ΑΣ'Β ΑΣ' Σ.Σ 1Σ ΣΣ Α\u{301}Σ\u{301}",
        ]
        guard let answer = Reference.result("reference_dsir.py", DSIRRequest(tokenize: texts),
                                            as: DSIRAnswer.self).recordedValue,
              let words = answer.words else { return }
        for (text, expected) in zip(texts, words) {
            #expect(DSIRFeaturizer.words(text) == expected, "\(text.debugDescription)")
        }
    }

    /// Every scalar's WordPunct class (`\w`, `\s`, other) against the `regex` module's, for every scalar Swift's
    /// tables assign; every scalar's `lower()` against Python's, for the scalars of Python's Unicode version.
    @Test func exhaustiveClassesAndLowercase() throws {
        guard let answer = Reference.result("reference_dsir.py", DSIRRequest(classes: true),
                                            as: ClassesAnswer.self).recordedValue else { return }
        let versionParts = answer.unidataVersion.split(separator: ".").compactMap { Int($0) }
        let pythonVersion = (major: versionParts.first ?? 0, minor: versionParts.dropFirst().first ?? 0)
        func inPython(_ scalar: Unicode.Scalar) -> Bool {
            guard let age = scalar.properties.age else { return false }
            return (age.major, age.minor) <= (pythonVersion.major, pythonVersion.minor)
        }
        var classMismatches: [String] = []
        for run in answer.wordSpace where run.count == 3 {
            for value in run[0]..<run[1] {
                guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }
                let ours = DSIRFeaturizer.wordPunctClass(UInt32(value))
                // The regex module carries its own tables (not Python's 14.0): compare what Swift has assigned.
                if ours != run[2], scalar.properties.age != nil {
                    classMismatches.append(String(value, radix: 16))
                }
            }
        }
        #expect(classMismatches.isEmpty, "\(classMismatches.count) scalars: \(classMismatches.prefix(40))")
        var lowerMismatches: [String] = []
        for value in 0..<0x110000 where value != 0x3A3 {
            guard let scalar = Unicode.Scalar(UInt32(value)), inPython(scalar) else { continue }
            let expected = answer.lower[String(value)] ?? String(scalar)
            if DSIRFeaturizer.pythonLowercased(String(scalar)) != expected {
                lowerMismatches.append(String(value, radix: 16))
            }
        }
        #expect(lowerMismatches.isEmpty, "\(lowerMismatches.count) scalars: \(lowerMismatches.prefix(40))")
    }
}
