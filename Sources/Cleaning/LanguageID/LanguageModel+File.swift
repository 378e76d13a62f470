import CorpusCore
import CorpusIO
import Foundation

/// The model file: JSON, one object.
///
/// ```json
/// {"format": "ptk-langid-nb", "version": 1, "ngram_min": 1, "ngram_max": 4, "bucket_bits": 18,
///  "alpha": 0.5, "evidence": 64,
///  "languages": [{"language": "de", "total": 812345, "buckets": [3, 17, …], "counts": [12, 2, …]}, …]}
/// ```
/// `buckets` ascend; `counts[i]` is the training count of `buckets[i]`; `total` counts every n-gram of the
/// language, stored or not.
extension LanguageModel {
    public static let format = "ptk-langid-nb"

    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(capacity: 1 << 20)
        w.raw("{\"format\":")
        w.string(LanguageModel.format)
        w.rawBytes(Array(",\"version\":1,\"ngram_min\":\(ngramMin),\"ngram_max\":\(ngramMax),\"bucket_bits\":\(bucketBits),\"alpha\":\(alpha),\"evidence\":\(evidence),\"languages\":[".utf8))
        for (l, language) in languages.enumerated() {
            if l > 0 { w.raw(",") }
            w.raw("\n{\"language\":")
            w.string(language)
            w.rawBytes(Array(",\"total\":\(totals[l]),\"buckets\":[".utf8))
            for (k, entry) in counts[l].enumerated() {
                if k > 0 { w.raw(",") }
                w.integer(entry.bucket)
            }
            w.raw("],\"counts\":[")
            for (k, entry) in counts[l].enumerated() {
                if k > 0 { w.raw(",") }
                w.integer(entry.count)
            }
            w.raw("]}")
        }
        w.raw("]}\n")
        return w.bytes
    }

    public static func load(path: String) throws(LanguageIDError) -> LanguageModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badModel(path: path, message: "cannot read the file")
        }
        let value: JSONValue
        do {
            value = try data.withUnsafeBytes { bytes throws(JSONError) in try JSONParser.parse(bytes) }
        } catch {
            throw .badModel(path: path, message: "not JSON: \(error)")
        }
        func fail(_ message: String) -> LanguageIDError { .badModel(path: path, message: message) }
        func int(_ v: JSONValue?, _ name: String) throws(LanguageIDError) -> Int {
            guard case let .number(s)? = v, let x = Int(s) else { throw fail("\(name) must be an integer") }
            return x
        }
        func double(_ v: JSONValue?, _ name: String) throws(LanguageIDError) -> Double {
            guard case let .number(s)? = v, let x = Double(s) else { throw fail("\(name) must be a number") }
            return x
        }
        guard case let .string(format)? = value.value(at: ["format"]), format == LanguageModel.format else {
            throw fail("format is not \(LanguageModel.format)")
        }
        guard try int(value.value(at: ["version"]), "version") == 1 else { throw fail("unknown version") }
        let ngramMin = try int(value.value(at: ["ngram_min"]), "ngram_min")
        let ngramMax = try int(value.value(at: ["ngram_max"]), "ngram_max")
        let bucketBits = try int(value.value(at: ["bucket_bits"]), "bucket_bits")
        let alpha = try double(value.value(at: ["alpha"]), "alpha")
        let evidence = try double(value.value(at: ["evidence"]), "evidence")
        guard ngramMin >= 1, ngramMax >= ngramMin, ngramMax <= 8, (8...24).contains(bucketBits), alpha > 0,
              evidence > 0 else { throw fail("ngram_min/ngram_max/bucket_bits/alpha/evidence out of range") }
        guard case let .array(entries)? = value.value(at: ["languages"]), !entries.isEmpty else {
            throw fail("languages must be a non-empty array")
        }
        var languages: [String] = [], counts: [[(bucket: UInt32, count: UInt32)]] = [], totals: [UInt64] = []
        for entry in entries {
            guard case let .string(language)? = entry.value(at: ["language"]),
                  case let .array(buckets)? = entry.value(at: ["buckets"]),
                  case let .array(values)? = entry.value(at: ["counts"]), buckets.count == values.count
            else { throw fail("each language needs language, buckets and counts of equal length") }
            var sparse: [(bucket: UInt32, count: UInt32)] = []
            sparse.reserveCapacity(buckets.count)
            for (b, c) in zip(buckets, values) {
                let bucket = try int(b, "bucket"), count = try int(c, "count")
                guard bucket >= 0, bucket < 1 << bucketBits, count >= 0, count <= Int(UInt32.max) else {
                    throw fail("bucket or count out of range in \(language)")
                }
                sparse.append((UInt32(bucket), UInt32(count)))
            }
            languages.append(language)
            counts.append(sparse)
            totals.append(UInt64(max(0, try int(entry.value(at: ["total"]), "total"))))
        }
        return LanguageModel(languages: languages, ngramMin: ngramMin, ngramMax: ngramMax, bucketBits: bucketBits,
                             alpha: alpha, evidence: evidence, counts: counts, totals: totals)
    }
}

/// Keeps documents whose most probable language is allowed and probable enough.
///
/// Drop reasons: `language_low_confidence` when the best probability is below `minConfidence` (or the text
/// has no letters), `language_<lang>` (e.g. `language_fr`) when the best language is not in `keep`.
/// An empty `keep` allows every language the model knows (the step then drops only uncertain documents).
public struct LanguageFilter: Filter {
    public let model: LanguageModel
    public var keep: Set<String>
    public var minConfidence: Double

    public init(model: LanguageModel, keep: Set<String>, minConfidence: Double = 0.65) {
        self.model = model
        self.keep = keep
        self.minConfidence = minConfidence
    }

    public func evaluate(_ document: Document) -> Decision {
        guard let best = model.predict(document.text).first else {
            return .drop(reason: "language_low_confidence", detail: "no letters")
        }
        let p = (best.probability * 1000).rounded() / 1000
        if best.probability < minConfidence {
            return .drop(reason: "language_low_confidence", detail: "\(best.language) \(p) < \(minConfidence)")
        }
        if !keep.isEmpty, !keep.contains(best.language) {
            return .drop(reason: "language_\(best.language)", detail: "\(best.language) \(p)")
        }
        return .keep
    }
}
