import CorpusCore
import Foundation

/// Okapi BM25 over words, for lexical retrieval (`ptk search`) and BM25Chunk ordering.
///
/// Words are those of `LexicalVectorizer.words` (letters and digits lowercased; each Han, kana or Hangul character
/// a word of its own), identified by a 64-bit hash. score(q, d) = Σ over distinct query words t of
/// idf(t) · tf(t,d) · (k1 + 1) / (tf(t,d) + k1 · (1 − b + b · |d| / avgdl)), with idf(t) = ln(1 + (N − df + 0.5) /
/// (df + 0.5)) (Lucene's, never negative); k1 = 1.2, b = 0.75. Ties go to the smaller document index.
public struct BM25Index: Sendable {
    public struct Posting: Sendable, Equatable {
        public var document: UInt32
        public var count: UInt32

        public init(document: UInt32, count: UInt32) {
            self.document = document
            self.count = count
        }
    }

    public var k1: Double = 1.2
    public var b: Double = 0.75
    public private(set) var postings: [UInt64: [Posting]] = [:]
    public private(set) var lengths: [UInt32] = []
    private var totalLength = 0

    public init() {}

    /// An index from its parts (as `RetrievalIndex` stores them).
    public init(postings: [UInt64: [Posting]], lengths: [UInt32]) {
        self.postings = postings
        self.lengths = lengths
        totalLength = lengths.reduce(0) { $0 + Int($1) }
    }

    public var count: Int { lengths.count }
    public var averageLength: Double { lengths.isEmpty ? 0 : Double(totalLength) / Double(lengths.count) }

    /// Adds the next document (index = the number added before it).
    public mutating func add(_ text: String) {
        let words = Self.words(text)
        let document = UInt32(lengths.count)
        var counts: [UInt64: UInt32] = [:]
        for w in words { counts[w, default: 0] += 1 }
        for (word, n) in counts { postings[word, default: []].append(Posting(document: document, count: n)) }
        lengths.append(UInt32(words.count))
        totalLength += words.count
    }

    public func idf(_ word: UInt64) -> Double {
        let df = Double(postings[word]?.count ?? 0)
        return log(1 + (Double(count) - df + 0.5) / (df + 0.5))
    }

    /// The `k` best documents for `query` with a positive score, best first; `allowed` filters documents.
    public func search(_ query: String, k: Int, allowed: ((Int) -> Bool)? = nil) -> [(document: Int, score: Double)] {
        var seen = Set<UInt64>()
        return search(words: Self.words(query).filter { seen.insert($0).inserted }, k: k, allowed: allowed)
    }

    /// `search` with the query's distinct hashed words.
    public func search(words: [UInt64], k: Int, allowed: ((Int) -> Bool)? = nil) -> [(document: Int, score: Double)] {
        var scores: [Int: Double] = [:]
        let average = max(averageLength, 1e-9)
        for word in words {
            guard let list = postings[word] else { continue }
            let weight = idf(word)
            for p in list {
                let d = Int(p.document)
                if let allowed, !allowed(d) { continue }
                let tf = Double(p.count)
                let norm = k1 * (1 - b + b * Double(lengths[d]) / average)
                scores[d, default: 0] += weight * tf * (k1 + 1) / (tf + norm)
            }
        }
        return scores.filter { $0.value > 0 }
            .sorted { ($0.value, -$0.key) > ($1.value, -$1.key) }
            .prefix(k).map { ($0.key, $0.value) }
    }

    /// Hashed words of a text (FNV-1a 64 of each word's UTF-8).
    public static func words(_ text: String) -> [UInt64] {
        LexicalVectorizer.words(text).map { word in word.withUnsafeBytes { StableHash.fnv1a64($0) } }
    }
}
