import COpenSSL
import CorpusCore
import Tokenization

/// DSIR's hashed n-gram features: the text lowercased as Python's `str.lower()`, split by NLTK's
/// `WordPunctTokenizer`, its unigrams and n-grams (words joined by one space) each hashed to one of `numBuckets`
/// buckets by `int(sha256(utf8).hexdigest(), 16) % numBuckets`.
///
/// Reference: Xie et al. 2023, "Data Selection for Language Models via Importance Resampling"; the featurization
/// of `data-selection` 1.0.3 (p-lambda/dsir, `hashed_ngram_dsir.get_ngram_counts`) with nltk 3.10.4, whose
/// WordPunct pattern `\w+|[^\w\s]+` runs through the `regex` module (nltk 3.9.x used `re`, which tokenizes about
/// 1 in 10 real multilingual documents differently: all Arabic ones, for instance). The reference applies no
/// truncation: every word of a document counts.
///
/// ```swift
/// let featurizer = try DSIRFeaturizer()
/// DSIRFeaturizer.words("Hello, World!")   // ["hello", ",", "world", "!"]
/// featurizer.features("Hello, World!").total   // 7: four unigrams and three bigrams
/// ```
public struct DSIRFeaturizer: Sendable {
    /// The number of hash buckets (the reference's default is 10,000).
    public let numBuckets: Int
    /// n-grams up to this length are counted (2: unigrams and bigrams, the reference's default).
    public let ngrams: Int
    /// How an n-gram of words becomes a bucket (ignored for token features, which always use `FeatureHash`).
    public let hashing: DSIRHashing
    /// When set, the features are n-grams of this tokenizer's ids on the text as it is (Chang et al. 2024: a
    /// tokenizer adapted to the target), and "words" are tokens. Otherwise n-grams of lowercased WordPunct words.
    public let tokenizer: (any TokenEncoder)?

    /// - Throws: `SelectionError.invalidParameter` unless `1 <= numBuckets <= 2^40` and `ngrams >= 1`.
    public init(numBuckets: Int = 10_000, ngrams: Int = 2, hashing: DSIRHashing = .sha256,
                tokenizer: (any TokenEncoder)? = nil) throws {
        guard numBuckets >= 1, numBuckets <= 1 << 40 else {
            throw SelectionError.invalidParameter(name: "numBuckets", value: String(numBuckets))
        }
        guard ngrams >= 1 else { throw SelectionError.invalidParameter(name: "ngrams", value: String(ngrams)) }
        self.numBuckets = numBuckets
        self.ngrams = ngrams
        self.hashing = hashing
        self.tokenizer = tokenizer
    }

    /// A short name of the feature rule, for logs and manifests: `words/sha256`, `words/fast` or `tokens`.
    public var featureName: String { tokenizer == nil ? "words/\(hashing.rawValue)" : "tokens" }

    /// The bucket of one feature's UTF-8 bytes: the SHA-256 digest read as a 256-bit big-endian integer, modulo
    /// `numBuckets`. The digest comes from libcrypto (its assembly uses the CPU's SHA extensions: 35% of the time
    /// went to the plain Swift SHA-256 before); `bucketReference` is the same with `CorpusCore.SHA256`.
    ///
    /// ```swift
    /// try DSIRFeaturizer().bucket(Array("hello".utf8))   // int(sha256(b"hello").hexdigest(), 16) % 10000
    /// ```
    @inline(__always)
    public func bucket(_ bytes: UnsafeRawBufferPointer) -> Int {
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { out in
            ptk_sha256(bytes.baseAddress, bytes.count, out.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
        return withUnsafeBytes(of: digest) { DSIRFeaturizer.remainder(bigEndianDigest: $0, modulo: numBuckets) }
    }

    /// `bucket` with the plain Swift SHA-256 of CorpusCore.
    public func bucketReference(_ bytes: UnsafeRawBufferPointer) -> Int {
        let words = SHA256.words(of: bytes)
        var digest = [UInt8]()
        withUnsafeBytes(of: words) { raw in
            for i in 0..<8 {
                let w = raw.load(fromByteOffset: 4 * i, as: UInt32.self)
                digest += [UInt8(w >> 24), UInt8(truncatingIfNeeded: w >> 16), UInt8(truncatingIfNeeded: w >> 8),
                           UInt8(truncatingIfNeeded: w)]
            }
        }
        return digest.withUnsafeBytes { DSIRFeaturizer.remainder(bigEndianDigest: $0, modulo: numBuckets) }
    }

    /// The 32 bytes read as a big-endian integer, modulo `modulus` (at most 2^40): four 64-bit steps of
    /// r = (r·2^64 + w) mod B in 128-bit arithmetic (r < B, so the high half of the dividend is below B).
    @inline(__always)
    static func remainder(bigEndianDigest digest: UnsafeRawBufferPointer, modulo modulus: Int) -> Int {
        let m = UInt64(modulus)
        var r: UInt64 = 0
        for i in 0..<4 {
            let word = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
            r = m.dividingFullWidth((r, word)).remainder
        }
        return Int(r)
    }

    /// `bucket` of an array of bytes.
    public func bucket(_ bytes: [UInt8]) -> Int { bytes.withUnsafeBytes { bucket($0) } }

    /// The bucket counts of `text` (sparse, by bucket) and its number of words.
    ///
    /// This is the plain reference path (a dictionary, every feature hashed anew); `DSIRWorkspace.features` is
    /// the fast one and is tested equal to it.
    ///
    /// - Complexity: O(n) hash computations for n words (n unigrams, n − 1 bigrams, …).
    public func features(_ text: String) -> DSIRFeatures {
        var counts: [Int: Int] = [:]
        let words = forEachFeature(text) { counts[$0, default: 0] += 1 }
        let sorted = counts.sorted { $0.key < $1.key }
        return DSIRFeatures(buckets: sorted.map(\.key), counts: sorted.map(\.value), words: words)
    }

    /// Calls `body` with the bucket of every feature of `text` (unigrams first, then bigrams, … as the reference
    /// counts them) and returns the number of words (tokens, for token features).
    @discardableResult
    public func forEachFeature(_ text: String, _ body: (Int) -> Void) -> Int {
        if let tokenizer {
            let ids = tokenizer.encodeOrdinary(text)
            var hashes = ids.map { FeatureHash.token($0) }
            forEachNgramHash(&hashes, body)
            return ids.count
        }
        let lowered = DSIRFeaturizer.pythonLowercasedUTF8(text)
        var ranges: [Range<Int>] = []
        lowered.withUnsafeBufferPointer { bytes in
            DSIRFeaturizer.forEachWordPunctToken(bytes) { ranges.append($0) }
            let raw = UnsafeRawBufferPointer(bytes)
            if hashing == .fast {
                var hashes = ranges.map { FeatureHash.bytes(UnsafeRawBufferPointer(rebasing: raw[$0])) }
                forEachNgramHash(&hashes, body)
                return
            }
            for range in ranges { body(bucket(UnsafeRawBufferPointer(rebasing: raw[range]))) }
            guard ngrams >= 2 else { return }
            var joined: [UInt8] = []
            for n in 2...ngrams where ranges.count >= n {
                for start in 0...(ranges.count - n) {
                    joined.removeAll(keepingCapacity: true)
                    for k in start..<start + n {
                        if k > start { joined.append(0x20) }
                        joined.append(contentsOf: raw[ranges[k]])
                    }
                    body(bucket(joined))
                }
            }
        }
        return ranges.count
    }

    /// The buckets of the n-grams of items with 64-bit hashes `hashes` (unigrams, then bigrams, …): an n-gram's
    /// hash is `FeatureHash.combine` folded over its items. `hashes` is overwritten.
    func forEachNgramHash(_ hashes: inout [UInt64], _ body: (Int) -> Void) {
        let items = hashes.count
        var prefix = hashes  // prefix[i]: the hash of the (n−1)-gram starting at i
        for h in hashes { body(FeatureHash.bucket(h, count: numBuckets)) }
        guard ngrams >= 2 else { return }
        for n in 2...ngrams where items >= n {
            for start in 0...(items - n) {
                prefix[start] = FeatureHash.combine(prefix[start], hashes[start + n - 1])
                body(FeatureHash.bucket(prefix[start], count: numBuckets))
            }
        }
    }

    // MARK: Python str.lower()

    /// `text.lower()` as CPython computes it: each scalar's full lowercase mapping (UnicodeData plus the
    /// unconditional SpecialCasing entries, so "İ" → "i̇", U+0069 U+0307), and U+03A3 "Σ" in the Final_Sigma
    /// context (preceded by a cased letter and not followed by one, case-ignorable scalars skipped) → "ς".
    ///
    /// ```swift
    /// DSIRFeaturizer.pythonLowercased("ΟΔΟΣ Σ")   // "οδος σ"
    /// ```
    /// Swift's tables may be of a newer Unicode version than the reference Python's (3.11: 14.0); scalars
    /// assigned since may lowercase where Python leaves them.
    public static func pythonLowercased(_ text: String) -> String {
        String(decoding: pythonLowercasedUTF8(text), as: UTF8.self)
    }

    /// `pythonLowercased` as UTF-8 bytes.
    ///
    /// - Complexity: O(n); ASCII and scalars that do not change are copied byte for byte, and only "Σ" looks at
    ///   its neighbours.
    public static func pythonLowercasedUTF8(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                if byte < 0x80 {
                    out.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
                    i += 1
                    continue
                }
                let (value, length) = decodeMultibyteScalar(bytes, at: i)
                let end = min(i + length, bytes.count)
                if value < 0x10000, value != 0x03A3 {
                    // The common case, from a table: no property lookup.
                    if BMPTable.flags[Int(value)] & BMPTable.changesWhenLowercased != 0,
                       let lower = BMPTable.lowercase[value] {
                        out.append(contentsOf: lower)
                    } else {
                        out.append(contentsOf: bytes[i..<end])
                    }
                } else if value == 0x03A3 {
                    out.append(contentsOf: isFinalSigma(bytes, start: i, end: end) ? [0xCF, 0x82] : [0xCF, 0x83])
                } else if let scalar = Unicode.Scalar(value), scalar.properties.changesWhenLowercased {
                    out.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
                } else {
                    out.append(contentsOf: bytes[i..<end])
                }
                i = end
            }
            return out
        }
    }

    /// CPython's `handle_capital_sigma`: `\p{cased}\p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased})`, for
    /// the "Σ" at bytes `start..<end` of valid UTF-8 `bytes`.
    private static func isFinalSigma(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Bool {
        var before = start
        var casedBefore = false
        while before > 0 {
            before -= 1
            while before > 0, bytes[before] & 0xC0 == 0x80 { before -= 1 }  // back to the lead byte
            let properties = scalarProperties(bytes, at: before)
            if !properties.isCaseIgnorable {
                casedBefore = properties.isCased
                break
            }
        }
        guard casedBefore else { return false }
        var after = end
        while after < bytes.count {
            let properties = scalarProperties(bytes, at: after)
            if !properties.isCaseIgnorable { return !properties.isCased }
            after += bytes[after] < 0x80 ? 1 : decodeMultibyteScalar(bytes, at: after).length
        }
        return true
    }

    private static func scalarProperties(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Unicode.Scalar.Properties {
        let value = bytes[i] < 0x80 ? UInt32(bytes[i]) : decodeMultibyteScalar(bytes, at: i).value
        return (Unicode.Scalar(value) ?? "\u{FFFD}").properties
    }

    // MARK: NLTK WordPunctTokenizer

    /// The words of `text` as NLTK's `WordPunctTokenizer` finds them after Python's `lower()`.
    ///
    /// ```swift
    /// DSIRFeaturizer.words("Good muffins cost $3.88")   // ["good", "muffins", "cost", "$", "3", ".", "88"]
    /// ```
    public static func words(_ text: String) -> [String] {
        let lowered = pythonLowercasedUTF8(text)
        var words: [String] = []
        lowered.withUnsafeBufferPointer { bytes in
            forEachWordPunctToken(bytes) { words.append(String(decoding: bytes[$0], as: UTF8.self)) }
        }
        return words
    }

    /// Calls `body` with the byte range of each match of `\w+|[^\w\s]+` in valid UTF-8 `text`, with the `regex`
    /// module's Unicode classes (as nltk 3.10.4 compiles it): `\w` is Alphabetic, general category M (Mn, Mc,
    /// Me), Nd, Pc or Join_Control (UTS #18 Annex C); `\s` is White_Space (so U+001C…U+001F, which Python's `re`
    /// and `str.isspace` count as space, are punctuation here).
    public static func forEachWordPunctToken(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        // The kind of the run in progress: 0 none (after whitespace), 1 word, 2 other.
        var kind = 0
        var start = 0
        var i = 0
        while i < text.count {
            let (value, length) = text[i] < 0x80 ? (UInt32(text[i]), 1) : decodeMultibyteScalar(text, at: i)
            let next = wordPunctClass(value)
            if next != kind {
                if kind != 0 { body(start..<i) }
                kind = next
                start = i
            }
            i += length
        }
        if kind != 0 { body(start..<text.count) }
    }

    /// 0 for `\s`, 1 for `\w`, 2 for anything else (see `forEachWordPunctToken`); scalars of the Basic
    /// Multilingual Plane from a table made once from `wordPunctClassReference`.
    @inline(__always)
    static func wordPunctClass(_ value: UInt32) -> Int {
        if value >= 0x80, value < 0x10000 { return Int(BMPTable.flags[Int(value)] & BMPTable.classMask) }
        return wordPunctClassReference(value)
    }

    /// `wordPunctClass` from the Unicode properties, scalar by scalar.
    static func wordPunctClassReference(_ value: UInt32) -> Int {
        if value < 0x80 {
            let byte = UInt8(value)
            if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) { return 0 }
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F { return 1 }
            return 2
        }
        guard let scalar = Unicode.Scalar(value) else { return 2 }
        let properties = scalar.properties
        if properties.isWhitespace { return 0 }
        if properties.isAlphabetic || properties.isJoinControl { return 1 }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return 1
        default: return 2
        }
    }
}

/// The features of one document: bucket counts (sparse, buckets ascending) and its number of words.
public struct DSIRFeatures: Sendable, Equatable {
    /// Buckets with a nonzero count, ascending.
    public var buckets: [Int]
    /// The count of each bucket in `buckets`.
    public var counts: [Int]
    /// The number of WordPunct tokens.
    public var words: Int

    public init(buckets: [Int], counts: [Int], words: Int) {
        self.buckets = buckets
        self.counts = counts
        self.words = words
    }

    /// The number of features (n-grams of every length counted).
    public var total: Int { counts.reduce(0, +) }
}

/// Properties of the scalars below U+10000 that DSIR's featurization asks for millions of times, computed once
/// from the same Unicode property calls (`_swift_stdlib_getBinaryProperties` was 11% of the time).
enum BMPTable {
    static let classMask: UInt8 = 0b11
    static let changesWhenLowercased: UInt8 = 0b100

    /// Bits 0–1: `wordPunctClassReference`; bit 2: the scalar changes when lowercased.
    static let flags: [UInt8] = (0..<0x10000).map { value in
        var flags = UInt8(DSIRFeaturizer.wordPunctClassReference(UInt32(value)))
        if let scalar = Unicode.Scalar(UInt32(value)), scalar.properties.changesWhenLowercased {
            flags |= changesWhenLowercased
        }
        return flags
    }

    /// The UTF-8 of the full lowercase mapping of each BMP scalar that changes (U+03A3 included: its caller
    /// decides about the final form first).
    static let lowercase: [UInt32: [UInt8]] = {
        var map: [UInt32: [UInt8]] = [:]
        for value in UInt32(0x80)..<0x10000 {
            guard let scalar = Unicode.Scalar(value), scalar.properties.changesWhenLowercased else { continue }
            map[value] = Array(scalar.properties.lowercaseMapping.utf8)
        }
        return map
    }()
}
